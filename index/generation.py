"""Index generations: FAISS + BM25 files derived from the database, swapped in atomically.

``DATA_DIR/manifest.json`` names the current generation folder. A build writes a new folder,
then replaces the manifest with ``os.replace`` (atomic on POSIX), so a reader sees either the
old generation or the new one, never half of one; a crash mid-build leaves the old one current.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from index.dense import DenseIndex
from index.lexical import LexicalIndex
from index.store import Store

MANIFEST = "manifest.json"
DATABASE = "docqa.sqlite"
GENERATIONS = "generations"
FORMAT = 1


class IndexUnavailable(RuntimeError):
    """The data directory cannot be used as it is (the message says why and what to do)."""


class ModelMismatch(IndexUnavailable):
    pass


@dataclass(frozen=True)
class Generation:
    manifest: dict
    dense: DenseIndex
    lexical: LexicalIndex


def read_manifest(data_dir: Path) -> dict | None:
    path = data_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexUnavailable(f"{path} is unreadable ({exc}); re-run `docqa ingest` to rebuild it") from exc


def check_model(manifest: dict | None, model: str, dim: int | None = None) -> None:
    """Refuse to mix vectors of two models: results would be silently wrong."""
    if manifest is None or not manifest.get("model"):
        return
    if manifest["model"] != model or (dim is not None and manifest.get("dim") != dim):
        raise ModelMismatch(
            f"the index was built with model {manifest['model']!r} (dimension {manifest.get('dim')}), "
            f"but the configured model is {model!r}"
            + (f" (dimension {dim})" if dim is not None else "")
            + ". Set DOCQA_MODEL to the index's model, or use another DOCQA_DATA_DIR and ingest again."
        )


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("docqa", "faiss-cpu", "bm25s", "kiwipiepy", "sentence-transformers", "transformers", "torch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def build(store: Store, data_dir: Path, model: str, dim: int) -> dict:
    """Write a new generation from the database and make it current; returns its manifest."""
    ids, terms, vectors = store.index_material()
    documents, passages = store.counts()
    name = f"gen-{store.revision():06d}-{time.time_ns()}"
    folder = data_dir / GENERATIONS / name
    folder.mkdir(parents=True)
    DenseIndex.build(ids, vectors, dim).save(folder)
    LexicalIndex.build(ids, terms).save(folder)
    manifest = {
        "format": FORMAT,
        "generation": name,
        "model": model,
        "dim": dim,
        "revision": store.revision(),
        "documents": documents,
        "passages": passages,
        "index_type": "faiss IndexIDMap2(IndexFlatIP), exact inner product",
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _replace_json(data_dir / MANIFEST, manifest)
    _drop_old_generations(data_dir, keep={name})
    return manifest


def load(data_dir: Path, manifest: dict) -> Generation:
    folder = data_dir / GENERATIONS / manifest["generation"]
    if not folder.is_dir():
        raise IndexUnavailable(f"{folder} is missing; re-run `docqa ingest` to rebuild the index")
    return Generation(manifest, DenseIndex.load(folder, manifest["dim"]), LexicalIndex.load(folder))


def _replace_json(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _drop_old_generations(data_dir: Path, keep: set[str], grace_s: float = 60.0) -> None:
    """Remove superseded generations once no reader can still be opening them."""
    now = time.time()
    for folder in (data_dir / GENERATIONS).iterdir():
        if folder.name in keep:
            continue
        if now - folder.stat().st_mtime > grace_s:
            shutil.rmtree(folder, ignore_errors=True)
