"""The manifest: what an index generation is (model, dimension, backends, counts, versions), as one record.

``DATA_DIR/manifest.json`` names the current generation; each generation folder holds its own
copy. Opening an index with another model (or another aligned model) is an error that says
which model built it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docqa.core.errors import DocqaError
from docqa.index.backends import DEFAULT_DENSE, DEFAULT_LEXICAL

MANIFEST = "manifest.json"
FORMAT = 2  # 2: a generation carries its own database snapshot


class IndexUnavailable(DocqaError, RuntimeError):
    """The data directory cannot be used as it is (the message says why and what to do)."""

    # what an HTTP client is told (a 503): no paths or server addresses, which only the log gets
    public = "the index is unavailable; the server log says why (re-run `docqa ingest` there to rebuild it)"


class BackendUnavailable(IndexUnavailable):
    """The index's server (Milvus) does not answer, or failed a call."""

    public = "the Milvus backend is unavailable; the server log says why"


class ModelMismatch(IndexUnavailable):
    pass


@dataclass(frozen=True)
class Manifest:
    generation: str
    model: str
    dim: int
    revision: int
    documents: int
    passages: int
    index_type: str = ""
    built_at: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    backends: dict[str, str] = field(
        default_factory=lambda: {"dense": DEFAULT_DENSE, "lexical": DEFAULT_LEXICAL}
    )
    format: int = FORMAT
    # the aligned second encoder whose passage index the generation holds (None: e5 alone)
    aligned_model: str | None = None
    aligned_dim: int = 0
    aligned_version: str = ""
    # what ran the encoder of the process that built the generation (onnx, onnx-int8, torch)
    encoder_runtime: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, **{k: v for k, v in asdict(self).items() if k != "format"}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{"format": 1, **known})  # format 1 manifests did not say theirs


def read_manifest(data_dir: Path) -> Manifest | None:
    path = data_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexUnavailable(f"{path} is unreadable ({exc}); re-run `docqa ingest` to rebuild it") from exc


def check_model(manifest: Manifest | None, model: str, dim: int | None = None) -> None:
    """Refuse to mix vectors of two models: results would be silently wrong."""
    if manifest is None or not manifest.model:
        return
    _check("model", "DOCQA_MODEL", manifest.model, manifest.dim, model, dim)


def check_aligned(manifest: Manifest | None, model: str | None, dim: int | None = None) -> None:
    """The aligned side's counterpart of ``check_model``; an index without aligned vectors, or
    none configured, passes (the searcher then ranks with e5 alone, the next ingest adds them)."""
    if manifest is None or not manifest.aligned_model or model is None:
        return
    _check("aligned model", "DOCQA_ALIGNED_MODEL", manifest.aligned_model, manifest.aligned_dim, model, dim)


def _check(what: str, setting: str, built: str, built_dim: int | None, model: str, dim: int | None) -> None:
    if built != model or (dim is not None and built_dim != dim):
        raise ModelMismatch(
            f"the index was built with {what} {built!r} (dimension {built_dim}), "
            f"but the configured {what} is {model!r}"
            + (f" (dimension {dim})" if dim is not None else "")
            + f". Set {setting} to the index's {what}"
            + (" (or none)" if setting == "DOCQA_ALIGNED_MODEL" else "")
            + ", or use another DOCQA_DATA_DIR and ingest again."
        )
