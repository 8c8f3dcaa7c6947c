"""`docqa migrate --to milvus`: a local index's rows and vectors copied into Milvus, nothing re-embedded.

Reads the current generation's own snapshot (what queries see), writes each document through
``MilvusStore``'s transaction (the same rows an ingest writes: documents, passages with their
e5 and aligned vectors, sentences, alias pairs), then the term vectors and publishes, so the
Milvus index answers as the local one did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docqa.core.errors import UsageError
from docqa.index import aliases, generation
from docqa.index.milvus import client as mc
from docqa.index.milvus.publish import publish
from docqa.index.milvus.store import MilvusStore
from docqa.index.store import ALIGNED_MODEL, Store, to_blob
from docqa.ingest.records import Span

META_KEYS = (ALIGNED_MODEL, "aliases_miner")


@dataclass(frozen=True)
class Migrated:
    documents: int
    passages: int
    target: str


def migrate(data_dir: Path, where: mc.Target, progress: Callable[[str], object] | None = None) -> Migrated:
    """Copy the local index in ``data_dir`` into the (empty) Milvus collections at ``where``."""
    manifest = generation.read_manifest(data_dir)
    if manifest is None:
        raise UsageError(f"no local index in {data_dir}: nothing to migrate")
    local = generation.open_snapshot(data_dir, manifest)
    try:
        aligned = _AlignedInfo(manifest.aligned_model or "", manifest.aligned_dim, manifest.aligned_version)
        target = MilvusStore(where, manifest.dim, manifest.aligned_dim if manifest.aligned_model else 0)
        if target.manifest() is not None or target.counts()[0]:
            raise UsageError(f"{where.description} already holds an index: migrate into an empty one")
        _copy(local, target, progress)
        published = publish(target, manifest.model, manifest.dim, aligned.encoder(), manifest.encoder_runtime)
    finally:
        local.close()
    return Migrated(published.documents, published.passages, where.description)


def _copy(local: Store, target: MilvusStore, progress: Callable[[str], object] | None) -> None:
    ids, terms, vectors = local.index_material()
    by_id = {int(pid): (terms[i], vectors[i]) for i, pid in enumerate(ids)}
    aligned_ids, aligned_vectors = local.aligned_material()
    aligned_of = {int(pid): aligned_vectors[i] for i, pid in enumerate(aligned_ids)}
    records = local.alias_records()
    for doc_id in [d["doc_id"] for d in local.documents()]:
        doc = local.document(doc_id)
        assert doc is not None
        rows = local.passage_rows(doc_id)
        _, sentence_vectors = local.known_vectors(doc_id)
        _, sentence_aligned = local.aligned_rows(doc_id)
        spans = [Span(a, b) for a, b in sorted(sentence_aligned)]
        with target.transaction():
            target.put_document(doc)
            target.put_passages(
                [rows[pid].passage for pid in rows],
                [json.dumps(by_id[pid][0], ensure_ascii=False) for pid in rows],
                [to_blob(by_id[pid][1]) for pid in rows],
                [to_blob(aligned_of[pid]) if pid in aligned_of else None for pid in rows],
            )
            target.put_sentences(
                doc_id,
                spans,
                [sentence_vectors[doc.text[s.start : s.end]] for s in spans],
                [sentence_aligned[(s.start, s.end)] for s in spans],
            )
            target.put_aliases(doc_id, [r for r in records if r.doc_id == doc_id])
            target.bump_revision()
        if progress:
            progress(doc_id)
    words, matrix = local.term_vectors()
    with target.transaction():
        if matrix is not None:
            target.put_term_vectors({w: to_blob(v) for w, v in zip(words, matrix, strict=True)})
        for key in META_KEYS:
            value = local.get_meta(key)
            if value is not None:
                target.set_meta(key, value)
        if local.get_meta("aliases_miner") is None:
            target.set_meta("aliases_miner", aliases.MINER_VERSION)


@dataclass(frozen=True)
class _AlignedInfo:
    """The aligned model a generation was built with, as ``publish`` asks of an encoder."""

    name: str
    dim: int
    version: str

    def encoder(self) -> _AlignedInfo | None:
        return self if self.name else None
