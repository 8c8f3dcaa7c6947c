"""The searcher on the Milvus backend: ``Searcher``'s ranking, fusion and sentences, over Milvus.

Only where the state comes from differs. The served revision is the manifest in ``docqa_meta``,
polled at most every ``POLL_S`` (every request asks ``refresh``; ``refresh(wait=True)``, after a
write or for exact counts, always asks). A new revision loads the passages' rows, lexical terms,
sentence vectors and aliases from the collections into memory, as the local searcher loads a
generation's snapshot; the dense and lexical searches run in Milvus (``backends/milvus.py``).
Nothing is written to disk: a replica can be replaced at any time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index import generation
from docqa.index.backends.milvus import Live, MilvusDense, MilvusLexical
from docqa.index.manifest import BackendUnavailable, IndexUnavailable, Manifest
from docqa.index.milvus import client as mc
from docqa.index.milvus.store import MilvusStore
from docqa.index.records import Filters, Mode, SearchResult, StoredPassage
from docqa.index.search import Searcher, _State
from docqa.index.snapshot_reader import RememberedTerms, document_matches
from docqa.index.store import Store
from docqa.index.translation import TermVectors

POLL_S = 0.25
log = logging.getLogger(__name__)


class MilvusSearcher(Searcher):
    def __init__(
        self,
        where: mc.Target,
        data_dir: Path,
        embedder: Any,
        kiwi: Any,
        query_cache_size: int = 2048,
        aligned: Any = None,
    ):
        self.where = where
        self._polled: tuple[float, Manifest | None] = (float("-inf"), None)
        super().__init__(data_dir, embedder, kiwi, query_cache_size, aligned)

    def refresh(self, wait: bool = False) -> None:
        if wait:
            self._polled = (float("-inf"), None)
        super().refresh(wait)

    def _disk_stamp(self) -> tuple[int, int, int] | None:
        """The published revision's identity; between polls, the last one seen."""
        manifest = self._poll()
        if manifest is None:
            return None
        _, revision, built = manifest.generation.split("-")
        return int(revision), int(built), 0

    def _poll(self) -> Manifest | None:
        at, manifest = self._polled
        now = time.monotonic()
        if now - at < POLL_S:
            return manifest
        try:
            manifest = MilvusStore(self.where).manifest()
        except IndexUnavailable:
            raise
        except Exception as exc:  # the server is away: keep serving what is loaded
            if self._state is None and at == float("-inf"):
                raise BackendUnavailable(f"cannot read {self.where.description}: {exc}") from exc
            log.warning("cannot poll %s (%s); serving the loaded revision", self.where.description, exc)
            manifest = self._state.manifest if self._state else None
        self._polled = (now, manifest)
        return manifest

    def _read_manifest(self) -> Manifest | None:
        return self._poll()

    def open_rows(self, manifest: Manifest) -> Store:
        return MilvusStore(self.where)

    def search(
        self, query: str, k: int = 10, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> SearchResult:
        from pymilvus.exceptions import MilvusException

        try:
            return super().search(query, k, mode, filters)
        except MilvusException as exc:
            raise BackendUnavailable(f"{self.where.description} failed a search: {exc}") from exc

    def _load(self, manifest: Manifest) -> _State:
        store = MilvusStore(self.where)
        client = store.client
        heads = store._heads()
        rows = store.passage_rows()
        terms: dict[int, Sequence[str]] = {}
        for r in mc.scan(client, mc.LEXICAL, ["doc_id", "stamp", "terms"]):
            pid = int(r["id"])
            if pid in rows and heads[r["doc_id"]][0] == r["stamp"]:
                terms[pid] = json.loads(r["terms"])
        for pid in rows.keys() - terms.keys():  # written after this revision was published
            terms[pid] = []
        live = Live.of({pid: row.passage.doc_id for pid, row in rows.items()})
        with_aligned = bool(manifest.aligned_model) and self.aligned is not None
        gen = generation.Generation(
            manifest,
            MilvusDense(client, mc.PASSAGES, live),
            MilvusLexical.of(client, mc.LEXICAL, live, terms),
            MilvusDense(client, mc.ALIGNED, live) if manifest.aligned_model else None,
        )
        sentences = store.sentence_vectors()
        aligned = store.aligned_sentence_vectors() if with_aligned else {}
        return _State(
            manifest,
            gen,
            MemoryRows(rows, {pid: frozenset(t) for pid, t in terms.items()}, sentences, aligned),
            aliases=generation.alias_table(store),
            term_vectors=TermVectors.of(*store.term_vectors()) if with_aligned else TermVectors(),
        )


Matrices = dict[str, tuple[np.ndarray, np.ndarray]]  # doc_id -> (sorted sentence starts, vectors)


class MemoryRows(RememberedTerms):
    """A Milvus revision's rows, read into memory when it is loaded, answering what a query asks
    of a generation's snapshot (``snapshot_reader.Rows``)."""

    def __init__(
        self,
        rows: dict[int, StoredPassage],
        terms: dict[int, frozenset[str]],
        sentences: Matrices,
        aligned: Matrices,
    ) -> None:
        super().__init__()
        self._rows, self._terms = rows, terms
        self._matrices = {"vector": sentences, "aligned": aligned}

    def count(self) -> int:
        return len(self._rows)

    def rows(self, ids: Sequence[int]) -> dict[int, StoredPassage]:
        return {int(i): self._rows[int(i)] for i in ids if int(i) in self._rows}

    def terms(self, pid: int) -> frozenset[str]:
        return self._terms.get(pid, frozenset())

    def sentence_vectors(
        self, passage: StoredPassage, column: str = "vector"
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored sentences inside the passage, as ``SnapshotReader.sentence_vectors``."""
        p = passage.passage
        found = self._matrices[column].get(p.doc_id)
        if found is None:
            return None
        starts, matrix = found
        lo, hi = np.searchsorted(starts, [p.start, max(p.end, p.start + 1)])
        return (starts[lo:hi], matrix[lo:hi]) if hi > lo else None

    def sentence_matrices(
        self, passage: StoredPassage, columns: tuple[str, ...]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``sentence_vectors`` of several columns (``SnapshotReader.sentence_matrices``)."""
        found = {column: self.sentence_vectors(passage, column) for column in columns}
        return {column: stored for column, stored in found.items() if stored is not None}

    def allowed(self, filters: Filters) -> np.ndarray:
        keep = [
            pid
            for pid, row in self._rows.items()
            if document_matches(row.passage.doc_id, row.doc.source, row.doc.published, filters)
        ]
        return np.asarray(sorted(keep), dtype=np.int64)

    def close(self) -> None:
        pass
