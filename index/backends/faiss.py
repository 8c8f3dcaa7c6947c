"""Dense backend: normalised passage vectors in FAISS, inner product = cosine."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

# Above this many passages, exact search costs more than encoding the query (bench/: ~17 ms at
# 250k on one core, 63 ms at 1M, against ~27 ms per query encoding), and HNSW answers in a few
# milliseconds. efSearch 512: on 1M synthetic clustered vectors (a hard case: their neighbours
# differ by noise alone) recall@10 was .60 / .69 / .75 / .80 at efSearch 128 / 256 / 512 / 1024
# for 1.2 / 2.1 / 4.5 / 8.3 ms; at 100k, .989 already at 128. IVF lost more recall at 1M.
HNSW_FROM = 250_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 512


def index_type(n: int, hnsw_from: int = HNSW_FROM) -> str:
    """Which FAISS index a generation of ``n`` passages gets."""
    return "hnsw" if n >= hnsw_from else "flat"


class FaissIndex:
    """Inner-product search over passage vectors, keyed by passage id: exact (flat) for small and
    medium corpora, HNSW for large ones."""

    name: ClassVar[str] = "faiss"
    FILE = "passages.faiss"

    def __init__(self, index: Any, dim: int):
        faiss = _faiss()

        self.index = index
        self.dim = dim
        self.ids = (
            faiss.vector_to_array(index.id_map).astype(np.int64) if index.ntotal else np.zeros(0, np.int64)
        )
        # Rows are added in id order, so a binary search maps ids to rows without a dict per id.
        self._sorted = bool(np.all(self.ids[1:] > self.ids[:-1]))
        self._row_of: dict[int, int] = (
            {} if self._sorted else {int(pid): row for row, pid in enumerate(self.ids)}
        )
        inner: Any = faiss.downcast_index(index.index)
        self.kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        flat = faiss.downcast_index(inner.storage) if self.kind == "hnsw" else inner
        self.matrix = _vectors_view(flat, int(index.ntotal), dim)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, hnsw_from: int = HNSW_FROM) -> FaissIndex:
        faiss = _faiss()

        if index_type(len(ids), hnsw_from) == "hnsw":
            inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        return cls(index, dim)

    def save(self, folder: Path) -> None:
        faiss = _faiss()

        faiss.write_index(self.index, str(folder / self.FILE))

    @classmethod
    def load(cls, folder: Path, dim: int) -> FaissIndex:
        faiss = _faiss()

        return cls(faiss.read_index(str(folder / cls.FILE)), dim)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def description(self) -> str:
        if self.kind == "hnsw":
            return f"faiss IndexIDMap2(IndexHNSWFlat M={HNSW_M}, efSearch={HNSW_EF_SEARCH}), approximate inner product"  # noqa: E501
        return "faiss IndexIDMap2(IndexFlatIP), exact inner product"

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (ids, cosines), optionally only among ``allowed`` passage ids."""
        faiss = _faiss()

        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        selector = None if allowed is None else faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
            if selector is not None:
                params.sel = selector
        else:
            params = None if selector is None else faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        found: tuple[np.ndarray, np.ndarray] = (ids[0][keep], scores[0][keep])
        return found

    def scores_for(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosines for the given passage ids (for fusing with the lexical side)."""
        cosines: np.ndarray = self.matrix[self.rows(ids)] @ query.astype(np.float32)
        return cosines

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Row of each passage id in the vector matrix."""
        if self._sorted:
            return np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))
        return np.fromiter((self._row_of[int(i)] for i in ids), dtype=np.int64, count=len(ids))


def _vectors_view(flat: Any, n: int, dim: int) -> np.ndarray:
    """The flat index's own vectors as a read-only array: no second copy in memory."""
    faiss = _faiss()

    if n == 0:
        return np.zeros((0, dim), np.float32)
    view: np.ndarray = faiss.rev_swig_ptr(flat.get_xb(), n * dim).reshape(n, dim)
    view.flags.writeable = False
    return view


def _faiss() -> Any:
    """The faiss module, imported on first use; typed loosely, since its bundled stubs miss the
    SWIG classes' real signatures (``SearchParametersHNSW``, ``SearchParameters(sel=...)``)."""
    import faiss

    return faiss
