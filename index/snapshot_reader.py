"""What a query reads of a generation's rows, fetched from its database snapshot per hit.

The searcher used to hold every passage row, term set and sentence vector of a generation in
dicts (about 7 sentence vectors of 1.5 KB per passage: ~10 GB at a million passages). A query
needs the rows of its hits only: their citation fields, the vectors of their sentences and the
terms of the best lexical hit. They come from the generation's own snapshot (immutable, so
reads take no locks), one connection per thread; what stays in memory does not grow with the
number of passages (the alias table and the term vectors grow with the vocabulary).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from docqa.index import generation
from docqa.index.aliases import name_prefixes, with_alias_terms
from docqa.index.manifest import Manifest
from docqa.index.records import Filters, StoredPassage
from docqa.index.store import Store

SENTENCE_TERMS_CAP = 200_000  # sentences whose Kiwi terms are remembered (then forgotten at once)


class Rows(Protocol):
    """What a query reads of a generation's rows: a ``SnapshotReader`` here, ``MemoryRows`` for a
    Milvus revision (``index/milvus/search.py``)."""

    sentence_terms: dict[tuple[str, int], frozenset[str]]

    def count(self) -> int: ...
    def rows(self, ids: Sequence[int]) -> dict[int, StoredPassage]: ...
    def terms(self, pid: int) -> frozenset[str]: ...
    def sentence_vectors(
        self, passage: StoredPassage, column: str = "vector"
    ) -> tuple[np.ndarray, np.ndarray] | None: ...
    def sentence_matrices(
        self, passage: StoredPassage, columns: tuple[str, ...]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]: ...
    def allowed(self, filters: Filters) -> np.ndarray: ...
    def remember_terms(self, key: tuple[str, int], terms: frozenset[str]) -> None: ...
    def close(self) -> None: ...


class RememberedTerms:
    """Kiwi terms of each sentence, (doc_id, start) -> terms, filled as queries touch them:
    analysing the sentences of every hit on every query was most of a lexical query's time."""

    def __init__(self) -> None:
        self.sentence_terms: dict[tuple[str, int], frozenset[str]] = {}

    def remember_terms(self, key: tuple[str, int], terms: frozenset[str]) -> None:
        if len(self.sentence_terms) >= SENTENCE_TERMS_CAP:
            self.sentence_terms = {}
        self.sentence_terms[key] = terms


class SnapshotReader(RememberedTerms):
    """Rows of one generation, read on demand; safe to share between threads."""

    def __init__(self, data_dir: Path, manifest: Manifest, gloss_terms: Mapping[str, tuple[str, ...]]):
        super().__init__()
        self.data_dir = data_dir
        self.manifest = manifest
        self.gloss_terms = gloss_terms  # Korean name -> gloss terms (``aliases.gloss_terms_by_name``)
        self._prefixes = name_prefixes(gloss_terms)  # indexed once, not at every search
        self._passage_terms: dict[int, frozenset[str]] = {}  # ``terms``, as asked
        self._local = threading.local()
        self._stores: list[Store] = []
        self._guard = threading.Lock()

    def store(self) -> Store:
        """This thread's connection to the snapshot (opened on first use)."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = generation.open_snapshot(self.data_dir, self.manifest)
            with self._guard:
                self._stores.append(store)
        return store

    def close(self) -> None:
        """Close every thread's connection (the reader is not used after this)."""
        with self._guard:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()

    def count(self) -> int:
        return self.store().counts()[1]

    def rows(self, ids: Sequence[int]) -> dict[int, StoredPassage]:
        return self.store().passage_rows_of(ids)

    def terms(self, pid: int) -> frozenset[str]:
        """A passage's index terms as BM25 saw them: its stored terms plus the gloss terms of the
        Korean names it writes (``generation.lexical_terms``); remembered for the generation, as
        the sentences' terms are (the best lexical hit's: read once a search, 0.3 ms with the glosses)."""
        found = self._passage_terms.get(pid)
        if found is not None:
            return found
        row = self.store().conn.execute("SELECT terms, text FROM passages WHERE id = ?", (pid,)).fetchone()
        if row is None:
            return frozenset()
        found = frozenset(
            with_alias_terms([json.loads(row[0])], [row[1]], self.gloss_terms, self._prefixes)[0]
        )
        if len(self._passage_terms) >= SENTENCE_TERMS_CAP:
            self._passage_terms = {}
        self._passage_terms[pid] = found
        return found

    def sentence_vectors(
        self, passage: StoredPassage, column: str = "vector"
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(sorted starts, vectors) of the stored sentences inside a passage; None when it has none.
        ``column``: ``vector`` (e5) or ``aligned``."""
        return self.sentence_matrices(passage, (column,)).get(column)

    def sentence_matrices(
        self, passage: StoredPassage, columns: tuple[str, ...]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``sentence_vectors`` of several columns in one query (a cross-lingual hit needs e5's and
        the aligned vectors): column -> (sorted starts, vectors), columns without any left out."""
        p = passage.passage
        picked = ", ".join(columns)
        stored = " OR ".join(f"{c} IS NOT NULL" for c in columns)
        rows = (
            self.store()
            .conn.execute(
                f"SELECT start, {picked} FROM sentences WHERE doc_id = ? AND start >= ? AND start < ? "
                f"AND ({stored}) ORDER BY start",
                (p.doc_id, p.start, max(p.end, p.start + 1)),
            )
            .fetchall()
        )
        return _matrices(rows, columns)

    def sentence_matrices_of(
        self, passages: Sequence[StoredPassage], columns: tuple[str, ...]
    ) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
        """``sentence_matrices`` of several passages in one query (a search's hits: one SQL
        statement instead of one each); the same rows, so the same arrays."""
        if not passages:
            return []
        ranges = [
            (r.passage.doc_id, r.passage.start, max(r.passage.end, r.passage.start + 1)) for r in passages
        ]
        where = " OR ".join(["(doc_id = ? AND start >= ? AND start < ?)"] * len(ranges))
        stored = " OR ".join(f"{c} IS NOT NULL" for c in columns)
        rows = (
            self.store()
            .conn.execute(
                f"SELECT doc_id, start, {', '.join(columns)} FROM sentences WHERE ({where}) AND ({stored})",
                [value for r in ranges for value in r],
            )
            .fetchall()
        )
        by_doc: dict[str, list[tuple[Any, ...]]] = {}
        for row in sorted(rows, key=lambda row: (row[0], row[1])):  # (doc_id, start) is the key
            by_doc.setdefault(row[0], []).append(row[1:])
        return [
            _matrices([row for row in by_doc.get(doc_id, ()) if lo <= row[0] < hi], columns)
            for doc_id, lo, hi in ranges
        ]

    def allowed(self, filters: Filters) -> np.ndarray:
        """Ids of the passages whose document passes ``filters``."""
        conn = self.store().conn
        # a doc_id filter reads its one row, not every document's (a million at the large sizes)
        where, params = ("WHERE doc_id = ?", [filters.doc_id]) if filters.doc_id else ("", [])
        docs = [
            doc_id
            for doc_id, source, published in conn.execute(
                f"SELECT doc_id, source, published FROM documents {where}", params
            )
            if document_matches(doc_id, source, published, filters)
        ]
        ids: list[int] = []
        for lo in range(0, len(docs), 500):
            chunk = docs[lo : lo + 500]
            marks = ",".join("?" * len(chunk))
            ids += [i for (i,) in conn.execute(f"SELECT id FROM passages WHERE doc_id IN ({marks})", chunk)]
        return np.asarray(sorted(ids), dtype=np.int64)


def _matrices(
    rows: Sequence[Sequence[Any]], columns: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(start, *columns) rows in start order as column -> (starts, vectors), empty columns left out."""
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for n, column in enumerate(columns, 1):
        kept = [row for row in rows if row[n] is not None]
        if kept:  # the blobs joined and read once: the rows ``from_blob`` gives, one array
            vectors = np.frombuffer(b"".join(row[n] for row in kept), dtype=np.float32)
            found[column] = np.asarray([row[0] for row in kept]), vectors.reshape(len(kept), -1)
    return found


def date_range(published: str) -> tuple[str, str]:
    """A partial ISO date as the interval it names: "2018" -> ("2018-01-01", "2018-12-31")."""
    parts = published.split("-")
    start = "-".join(parts + ["01"] * (3 - len(parts)))
    end = "-".join(parts + (["12", "31"] if len(parts) == 1 else ["31"] if len(parts) == 2 else []))
    return start, end


def document_matches(doc_id: str, source: str | None, published: str | None, filters: Filters) -> bool:
    if filters.doc_id and doc_id != filters.doc_id:
        return False
    if filters.source and source != filters.source:
        return False
    if filters.published_from or filters.published_to:
        if not published:
            return False
        start, end = date_range(published)
        if filters.published_from and end < filters.published_from:
            return False
        if filters.published_to and start > filters.published_to:
            return False
    return True


class SearchReads:
    """What one search has read of its candidates' rows: each passage row and each passage's
    sentence vectors (e5's and the aligned encoder's) fetched once, though ranking
    (``Searcher._best_sentences``) and answering (``Searcher._sentence_similarities``) both
    need them."""

    COLUMNS = ("vector", "aligned")

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self._found: dict[int, StoredPassage] = {}
        self._sentences: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    def rows(self, ids: Sequence[int]) -> dict[int, StoredPassage]:
        """``Rows.rows``, reading only the ids not read before in this search."""
        missing = [pid for pid in ids if pid not in self._found]
        if missing:
            self._found.update(self._rows.rows(missing))
        return {pid: self._found[pid] for pid in ids if pid in self._found}

    def prefetch(self, rows: Sequence[StoredPassage]) -> None:
        """Read the sentence vectors of those of ``rows`` not read yet, in one query where the rows
        can (``SnapshotReader.sentence_matrices_of``; Milvus's are in memory)."""
        missing = list({row.id: row for row in rows if row.id not in self._sentences}.values())
        many = getattr(self._rows, "sentence_matrices_of", None)
        if many is not None and missing:
            for row, stored in zip(missing, many(missing, self.COLUMNS), strict=True):
                self._sentences[row.id] = stored

    def sentence_matrices(self, row: StoredPassage) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``Rows.sentence_matrices`` of both columns, read once per passage."""
        stored = self._sentences.get(row.id)
        if stored is None:
            stored = self._sentences[row.id] = self._rows.sentence_matrices(row, self.COLUMNS)
        return stored
