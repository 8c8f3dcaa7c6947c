"""Index backends behind one interface (``base.py``), one per file; a manifest names the ones it used.

Adding a backend is one file beside these and one line in a table below.
"""

from __future__ import annotations

from docqa.index.backends.base import DenseBackend, LexicalBackend
from docqa.index.backends.bm25s import Bm25sIndex
from docqa.index.backends.bm25tf import TfBm25Index
from docqa.index.backends.faiss import FaissIndex

DENSE: dict[str, type[DenseBackend]] = {FaissIndex.name: FaissIndex}
LEXICAL: dict[str, type[LexicalBackend]] = {Bm25sIndex.name: Bm25sIndex, TfBm25Index.name: TfBm25Index}
DEFAULT_DENSE = FaissIndex.name
DEFAULT_LEXICAL = TfBm25Index.name  # bm25s's scores, from postings a generation can update


def dense_backend(name: str) -> type[DenseBackend]:
    try:
        return DENSE[name]
    except KeyError:
        raise ValueError(f"unknown dense backend {name!r}; known: {', '.join(DENSE)}") from None


def lexical_backend(name: str) -> type[LexicalBackend]:
    try:
        return LEXICAL[name]
    except KeyError:
        raise ValueError(f"unknown lexical backend {name!r}; known: {', '.join(LEXICAL)}") from None


__all__ = ["DENSE", "LEXICAL", "DenseBackend", "LexicalBackend", "dense_backend", "lexical_backend"]
