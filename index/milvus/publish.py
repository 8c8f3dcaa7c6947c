"""Publishing a Milvus revision: the lexical side brought up to date, then the manifest readers poll.

The lexical terms of a passage depend on the whole corpus (the gloss terms of the aliases mined
from every document, ``generation.lexical_terms``), and its BM25 weights on the corpus's mean
length, so a publish recomputes both, as a local generation build does, but writes only the
passages whose terms changed or whose weights were made with a mean length more than ``DRIFT``
away. Then the manifest goes into ``docqa_meta`` (the one value readers poll), and retired
versions past their grace period are deleted.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from importlib import metadata

from docqa.index import generation
from docqa.index.backends.milvus import EF_SEARCH, bm25_weights
from docqa.index.embedding.aligned import AlignedModel
from docqa.index.manifest import Manifest
from docqa.index.milvus import client as mc
from docqa.index.milvus.store import GRACE_S, MilvusStore
from docqa.index.milvus.write import _upsert, collect

DRIFT = 0.02  # the mean passage length may move this much before every passage is re-weighted
BACKEND = "milvus"


def publish(
    store: MilvusStore, model: str, dim: int, aligned: AlignedModel | None, encoder_runtime: str = ""
) -> Manifest:
    """Bring the lexical collection up to date and make the current revision the served one
    (``encoder_runtime``: the e5 runtime that embedded it, recorded as a local generation does)."""
    revision = store.revision()
    mc.ensure(store.client, store.dim or dim, store.aligned_dim or (aligned.dim if aligned else 0))
    heads = store._heads()
    stored: dict[int, tuple[str, list[str]]] = {}
    for pid, row, _ in store._passage_rows(heads, ""):
        stored[pid] = (row["doc_id"], row["terms"])
    ids = sorted(stored)
    import numpy as np

    id_array = np.asarray(ids, dtype=np.int64)
    lexical = generation.lexical_terms(
        store, id_array, [stored[i][1] for i in ids], generation.alias_table(store)
    )
    avgdl = float(np.mean([len(t) for t in lexical])) if lexical else 1.0
    written = {
        int(r["id"]): (r["terms"], float(r["avgdl"]))
        for r in mc.scan(store.client, mc.LEXICAL, ["terms", "avgdl"], _id_range(ids))
    }
    rows = []
    for pid, terms in zip(ids, lexical, strict=True):
        text = json.dumps(terms, ensure_ascii=False)
        before = written.get(pid)
        if before is not None and before[0] == text and abs(before[1] / avgdl - 1) <= DRIFT:
            continue
        doc_id = stored[pid][0]
        rows.append(
            {
                "id": pid,
                "doc_id": doc_id,
                "stamp": heads[doc_id][0],
                "terms": text,
                "avgdl": avgdl,
                "sparse": bm25_weights(terms, avgdl),
            }
        )
    _upsert(store.client, mc.LEXICAL, rows)
    manifest = _manifest(store, model, dim, aligned, revision, heads, ids, encoder_runtime)
    store._put_meta({"manifest": json.dumps(manifest.to_json(), ensure_ascii=False)})
    collect(store, time.time(), GRACE_S)
    return manifest


def is_current(manifest: Manifest | None, store: MilvusStore, aligned: AlignedModel | None) -> bool:
    """Whether the published manifest is the store's revision (with the configured aligned model)."""
    if manifest is None or manifest.revision != store.revision():
        return False
    return aligned is None or manifest.aligned_model == aligned.name or not manifest.passages


def _manifest(
    store: MilvusStore,
    model: str,
    dim: int,
    aligned: AlignedModel | None,
    revision: int,
    heads: dict[str, tuple[int, dict[str, object]]],
    ids: list[int],
    encoder_runtime: str,
) -> Manifest:
    backends = {"dense": BACKEND, "lexical": BACKEND}
    aligned_model, aligned_dim, aligned_version = None, 0, ""
    if aligned is not None and ids and _aligned_ids(store, heads) == set(ids):
        backends["aligned"] = BACKEND
        aligned_model, aligned_dim, aligned_version = aligned.name, aligned.dim, aligned.version
    return Manifest(
        generation=f"milvus-{revision:06d}-{time.time_ns()}",
        model=model,
        dim=dim,
        revision=revision,
        documents=len(heads),
        passages=len(ids),
        index_type=f"Milvus ({store.where.description}): HNSW COSINE (M={mc.HNSW_M}, efSearch={EF_SEARCH}), "
        "BM25 as sparse vectors (inner product)",
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        versions={**generation._versions(), **_milvus_versions()},
        backends=backends,
        aligned_model=aligned_model,
        aligned_dim=aligned_dim,
        aligned_version=aligned_version,
        encoder_runtime=encoder_runtime,
    )


def _aligned_ids(store: MilvusStore, heads: dict[str, tuple[int, dict[str, object]]]) -> set[int]:
    return {
        int(r["id"])
        for r in mc.scan(store.client, mc.ALIGNED, ["doc_id", "stamp"])
        if heads.get(r["doc_id"], (None,))[0] == r["stamp"]
    }


def _id_range(ids: list[int]) -> str:
    return f"id >= {ids[0]} and id <= {ids[-1]}" if ids else "id < 0"


def _milvus_versions() -> dict[str, str]:
    out = {}
    for dist in ("pymilvus", "milvus-lite"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
