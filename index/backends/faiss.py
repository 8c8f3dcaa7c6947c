"""Dense backend: normalised passage vectors in FAISS, inner product = cosine."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from docqa.index.backends import flat_file

# Above this many passages, exact search costs more than encoding the query (bench/: ~17 ms at
# 250k on one core, 63 ms at 1M, against ~27 ms per query encoding), and an inverted file answers
# in a millisecond or two. IVF, not HNSW (what this used before issue 12's second round): on 1M
# vectors grown from real e5 ones (bench/scale_recall.py) IVF 4000 lists reached recall@10 .995
# at nprobe 16 and .9995 at 32 (1.2 ms), HNSW M 32 .74 at efSearch 512; and IVF removes ids, so
# a write updates it like the flat index instead of building it again. Vectors are stored as
# float16 in the lists (half the memory: 768 bytes a passage for e5, 1 KB for the aligned
# encoder; cosines move by ~1e-3), and reconstructed by id for exact-ish rescoring.
IVF_FROM = 250_000
IVF_NPROBE = 32
IVF_TRAIN_PER_LIST = 40  # k-means sample: this many vectors per list (FAISS warns below 39)
# HNSW: generations built before IVF (still loaded and searched; no new ones are built)
HNSW_M = 32
HNSW_EF_SEARCH = 512
EXACT_ALLOWED_MAX = 50_000  # a filter to at most this many passages is searched exactly


def index_type(n: int, ivf_from: int | None = None) -> str:
    """Which FAISS index a generation of ``n`` passages gets."""
    return "ivf" if n >= (IVF_FROM if ivf_from is None else ivf_from) else "flat"


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: 4 sqrt(n) (4,000 at 1M), as txtai sizes its IVF."""
    return max(1, min(n, round(4 * math.sqrt(n))))


class FaissIndex:
    """Inner-product search over passage vectors, keyed by passage id: exact (flat) for small and
    medium corpora, an inverted file (IVF, float16 lists) for large ones."""

    name: ClassVar[str] = "faiss"
    FILE = flat_file.FILE

    def __init__(self, index: Any, dim: int):
        faiss = _faiss()

        self.owner = index  # what is saved; ``index`` below may be its downcast view
        self.dim = dim
        top: Any = faiss.downcast_index(index)
        self.matrix = np.zeros((0, dim), np.float32)
        self._row_of: dict[int, int] = {}
        if isinstance(top, faiss.IndexIVF):
            self.index, self.kind = top, "ivf"
            self.ids = _ivf_ids(top)
            self._sorted = True
            return
        self.index = index
        self.ids = (
            faiss.vector_to_array(index.id_map).astype(np.int64) if index.ntotal else np.zeros(0, np.int64)
        )
        # Rows are added in id order, so a binary search maps ids to rows without a dict per id.
        self._sorted = bool(np.all(self.ids[1:] > self.ids[:-1]))
        if not self._sorted:
            self._row_of = {int(pid): row for row, pid in enumerate(self.ids)}
        inner: Any = faiss.downcast_index(index.index)
        self.kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        flat = faiss.downcast_index(inner.storage) if self.kind == "hnsw" else inner
        self.matrix = _vectors_view(flat, int(index.ntotal), dim)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, ivf_from: int | None = None) -> FaissIndex:
        faiss = _faiss()

        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), dim)
        if index_type(len(ids), ivf_from) == "ivf":
            lists = ivf_lists(len(ids))
            index = faiss.index_factory(dim, f"IVF{lists},SQfp16", faiss.METRIC_INNER_PRODUCT)
            ivf: Any = faiss.downcast_index(index)
            ivf.by_residual = (
                False  # a vector's float16 copy, not its residual: the same cosines from any k-means
            )
            sample = min(len(ids), IVF_TRAIN_PER_LIST * lists)
            rows = np.sort(np.random.default_rng(0).choice(len(ids), sample, replace=False))
            ivf.train(vectors[rows])
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # vectors by passage id
            ivf.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
            return cls(index, dim)
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index, dim)

    def moved(self, removed: np.ndarray, added: np.ndarray, vectors: np.ndarray) -> FaissIndex:
        """This index without the ``removed`` ids and with the ``added`` ones (rows of ``vectors``),
        changed in place."""
        faiss = _faiss()

        if len(removed):
            removed = np.asarray(removed, dtype=np.int64)
            # an IVF's id hashtable removes by an explicit list only
            selector = (
                faiss.IDSelectorArray(removed) if self.kind == "ivf" else faiss.IDSelectorBatch(removed)
            )
            self.index.remove_ids(selector)
        if len(added):
            rows = np.ascontiguousarray(vectors.reshape(len(added), self.dim), dtype=np.float32)
            self.index.add_with_ids(rows, np.asarray(added, dtype=np.int64))
        return FaissIndex(self.owner, self.dim)

    def fits(self, n: int, ivf_from: int | None = None) -> bool:
        """Whether this index still suits ``n`` passages when updated (else: build it again): the
        same type, and for an IVF lists neither 4x too long nor too short (its k-means is its
        build's)."""
        if self.kind != index_type(n, ivf_from):
            return False
        if self.kind == "ivf":
            lists = int(self.index.nlist)
            return lists / 2 <= ivf_lists(n) <= lists * 2
        return self.kind == "flat"

    def save(self, folder: Path) -> None:
        faiss = _faiss()

        faiss.write_index(self.owner, str(folder / self.FILE))

    @classmethod
    def load(cls, folder: Path, dim: int, mapped: bool = False) -> FaissIndex:
        """``mapped`` (a searcher's, read-only): an IVF's lists and a flat index's rows are
        memory-mapped from the file, so they take page cache as queries touch them, not heap (the
        aligned index: only questions without Hangul read it). A searcher picking up a write's
        generation at 100k passages read 355 MB of flat rows into new memory (~0.2 CPU s on the
        upload's critical path, and both generations' rows in RSS at once); mapped, the rows are
        the page cache the write just filled (faiss's ``IO_FLAG_MMAP_IFC``; a search over them
        took 6.0 ms against 6.4-6.8 ms read, one thread)."""
        faiss = _faiss()

        path = folder / cls.FILE
        flags = 0
        if mapped:  # faiss reads an IVF's mapped lists from the file itself, a flat one's rows mapped
            flags = faiss.IO_FLAG_MMAP_IFC if flat_file.is_flat(path, dim) else faiss.IO_FLAG_MMAP
        return cls(faiss.read_index(str(path), flags), dim)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def description(self) -> str:
        if self.kind == "ivf":
            lists = self.index.nlist
            return f"faiss IndexIVFScalarQuantizer(nlist={lists}, fp16, nprobe={IVF_NPROBE}), approximate inner product"  # noqa: E501
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
        query = query.reshape(1, -1).astype(np.float32)
        if self.kind == "ivf" and allowed is not None and len(allowed) <= EXACT_ALLOWED_MAX:
            # the probed lists may hold none of a small filter's passages: score them all instead
            wanted = np.asarray(allowed, dtype=np.int64)
            cosines = self.scores_for(query[0], wanted)
            top = np.argsort(-cosines, kind="stable")[:k]
            return wanted[top], cosines[top]
        selector = None if allowed is None else faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if self.kind == "ivf":
            params = faiss.SearchParametersIVF(nprobe=IVF_NPROBE)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        else:
            params = None if selector is None else faiss.SearchParameters(sel=selector)
        if selector is not None and params is not None:
            params.sel = selector
        scores, ids = self.index.search(query, k, params=params)
        keep = ids[0] >= 0
        found: tuple[np.ndarray, np.ndarray] = (ids[0][keep], scores[0][keep])
        return found

    def scores_for(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Cosines for the given passage ids (for fusing with the lexical side): exact, or with
        the IVF's float16 vectors."""
        if self.kind == "ivf":
            wanted = np.asarray(ids, dtype=np.int64)
            if not len(wanted):
                return np.zeros(0, np.float32)
            stored: np.ndarray = self.index.reconstruct_batch(wanted)
            ivf_cosines: np.ndarray = stored @ query.astype(np.float32)
            return ivf_cosines
        cosines: np.ndarray = self.matrix[self.rows(ids)] @ query.astype(np.float32)
        return cosines

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Row of each passage id in the vector matrix (flat and HNSW indexes)."""
        if self._sorted:
            return np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))
        return np.fromiter((self._row_of[int(i)] for i in ids), dtype=np.int64, count=len(ids))


def _ivf_ids(ivf: Any) -> np.ndarray:
    """Every passage id an inverted file holds, sorted."""
    faiss = _faiss()

    lists = ivf.invlists
    parts = [
        faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
        for i in range(ivf.nlist)
        if lists.list_size(i)
    ]
    return np.sort(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)


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
