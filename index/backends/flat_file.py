"""A flat FAISS index's next file made from its previous file: the rows that stay are copied by
the kernel, the new rows appended; nothing is read into memory or serialised again.

A write under ``IVF_FROM`` passages read the previous generation's ``IndexIDMap2(IndexFlatIP)``
into memory, removed and added rows there (growing the arrays copies them) and wrote it whole:
at 100k passages 150 MB of e5 vectors and 205 MB of USE-m3 ones, 2.7 of the publish's 3.6 CPU
seconds, on its one thread, on the upload's critical path (``bench.upload_profile``). The
bytes written are ``faiss.write_index``'s for the index ``FaissIndex.moved`` makes (remove_ids
keeps the order of the rows that stay; tests/index/test_flat_file.py compares them).

The file, as faiss 1.x lays it out (checked when opened; any other layout is None and the
caller reads the index as before): ``IxM2`` and an index header, ``IxFI`` and the same header,
the vectors (a count of floats, then float32 rows), the ids (a count, then int64 each). A
header is d (int32), ntotal (int64), two int64 placeholders, is_trained (1 byte), the metric
(int32; inner product is 0 and has no argument).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

HEADER = struct.Struct("<iqqq?i")
COUNT = struct.Struct("<Q")
OUTER, INNER = b"IxM2", b"IxFI"
INNER_AT = 4 + HEADER.size
VECTORS_AT = INNER_AT + 4 + HEADER.size + COUNT.size  # the first row's first float
INNER_PRODUCT = 0
DESCRIPTION = "faiss IndexIDMap2(IndexFlatIP), exact inner product"  # ``FaissIndex.description``
FILE = "passages.faiss"  # ``FaissIndex.FILE``: a generation's dense index
_COPY_CHUNK = 1 << 24


class FlatFile:
    """A saved flat index: its layout and its ids (read from the file's end), not its vectors."""

    def __init__(self, path: Path, dim: int, count: int, head: bytes, ids: np.ndarray) -> None:
        self.path, self.dim, self.count = path, dim, count
        self._head = head  # the two fourccs and headers, as faiss wrote them
        self.ids = ids

    @classmethod
    def open(cls, path: Path, dim: int) -> FlatFile | None:
        """``path`` as a flat inner-product index of ``dim``-d rows, or None (another index type,
        another layout)."""
        layout = _layout(path, dim)
        if layout is None:
            return None
        head, n = layout
        with open(path, "rb") as f:
            f.seek(VECTORS_AT + n * dim * 4)
            if COUNT.unpack(f.read(COUNT.size))[0] != n:
                return None
            ids = np.frombuffer(f.read(n * 8), dtype="<i8").astype(np.int64)
        return cls(path, dim, n, head, ids)

    def moved(self, removed: np.ndarray, added: np.ndarray, vectors: np.ndarray) -> MovedFlat:
        """This index without the ``removed`` ids and with the ``added`` ones (rows of
        ``vectors``), to be written by ``MovedFlat.save``."""
        keep = ~np.isin(self.ids, np.asarray(removed, dtype=np.int64))
        rows = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(len(added), self.dim))
        return MovedFlat(self, keep, np.asarray(added, dtype=np.int64), rows)


class MovedFlat:
    """The next generation's flat index, as the file it will be: the source's kept rows, then
    the new ones. ``save`` writes it; ``description`` and ``len`` are what a manifest records."""

    description = DESCRIPTION

    def __init__(self, source: FlatFile, keep: np.ndarray, added: np.ndarray, rows: np.ndarray) -> None:
        self.source, self._keep, self._rows = source, keep, rows
        self.ids = np.concatenate([source.ids[keep], added])

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, folder: Path) -> None:
        n, dim, source = len(self.ids), self.source.dim, self.source
        head = bytearray(source._head)  # noqa: SLF001 - the file's own header, ntotal changed
        for at in (4, INNER_AT + 4):
            d, _, a, b, trained, metric = HEADER.unpack_from(head, at)
            HEADER.pack_into(head, at, d, n, a, b, trained, metric)
        row = dim * 4
        with open(source.path, "rb") as src, open(folder / FILE, "wb", buffering=0) as dst:
            _write(dst.fileno(), bytes(head) + COUNT.pack(n * dim))
            for first, last in _runs(self._keep):
                _copy(src.fileno(), dst.fileno(), VECTORS_AT + first * row, (last - first) * row)
            _write(dst.fileno(), self._rows.tobytes())
            _write(dst.fileno(), COUNT.pack(n) + self.ids.astype("<i8").tobytes())


def is_flat(path: Path, dim: int) -> bool:
    """Whether ``path`` holds a flat inner-product index of ``dim``-d rows (its header alone)."""
    return _layout(path, dim) is not None


def _layout(path: Path, dim: int) -> tuple[bytes, int] | None:
    """The file's two headers and its row count, when it is laid out as a flat index of ``dim``."""
    try:
        with open(path, "rb") as f:
            head = f.read(VECTORS_AT - COUNT.size)
            floats = f.read(COUNT.size)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return None
    if len(head) < VECTORS_AT - COUNT.size or len(floats) < COUNT.size:
        return None
    if head[:4] != OUTER or head[INNER_AT : INNER_AT + 4] != INNER:
        return None
    outer, inner = HEADER.unpack_from(head, 4), HEADER.unpack_from(head, INNER_AT + 4)
    d, n, _, _, trained, metric = outer
    if outer != inner or d != dim or metric != INNER_PRODUCT or not trained:
        return None
    if COUNT.unpack(floats)[0] != n * dim or size != VECTORS_AT + n * dim * 4 + COUNT.size + n * 8:
        return None
    return head, n


def _runs(keep: np.ndarray) -> list[tuple[int, int]]:
    """The (first, last) row ranges where ``keep`` is True, last exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _copy(src: int, dst: int, offset: int, length: int) -> None:
    """``length`` bytes of file ``src`` from ``offset`` written at ``dst``'s position: in the
    kernel where the file system allows it, else through a buffer."""
    done = 0
    try:
        while done < length:
            copied = os.copy_file_range(src, dst, length - done, offset + done)
            if copied == 0:
                break
            done += copied
    except OSError:  # no copy_file_range here (another file system, an older kernel)
        pass
    while done < length:
        chunk = os.pread(src, min(_COPY_CHUNK, length - done), offset + done)
        if not chunk:
            raise OSError("the previous index file ended before its rows")
        _write(dst, chunk)
        done += len(chunk)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
