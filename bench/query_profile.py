"""Where a search's time goes, in process, per language and per encoder runtime (issue 16).

    python -m bench.query_profile --data-dir DIR [--runtimes onnx onnx-int8] [--rounds 3]

The service's searcher (``runtime.serving_searcher``) per runtime on the same index (query
caches off), the questions of ``eval/sets/corpus_v1.jsonl`` and ``crosslingual_v1.jsonl`` in hybrid mode, the
runtimes alternating question by question (who goes first swaps every round). Each search is
split by wrapping its parts: e5's tokenizer, e5's pass (word rows and the ONNX Runtime run),
the rest of ``encode_queries``, USE-m3 (the aligned encoder, tokenizer included), and the rest
of ``Searcher.search`` (Kiwi, BM25, FAISS, fusion, rows, sentence scores). Wall times, one
search at a time. Writes ``bench/results/query-profile-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETS = ("corpus_v1", "crosslingual_v1")
PARTS = ("tokenizer", "e5_pass", "e5_rest", "aligned", "rest")


class _Clock:
    """Milliseconds spent in wrapped calls since the last ``take``."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[part] += (time.perf_counter() - t0) * 1000

        return timed

    def take(self) -> dict[str, float]:
        spent, self.spent = dict(self.spent), defaultdict(float)
        return spent


def _searcher(runtime: str, data_dir: Path, clock: _Clock) -> Any:
    from docqa import runtime as rt

    # the service's searcher: one BLAS, FAISS and torch thread per request, the encoders warmed
    settings = rt.settings(encoder_runtime=runtime, query_cache_size=0, data_dir=data_dir)
    searcher = rt.serving_searcher(settings)
    model = searcher.embedder._model
    if hasattr(model, "_forward"):  # ONNX Runtime (torch has no such seam: its pass is e5_rest)
        model._forward = clock.wrap("e5_pass", model._forward)
        model.tokenizer = clock.wrap("tokenizer", model.tokenizer)
    vectors = searcher.query_vectors
    vectors._encode = clock.wrap("e5", vectors._encode)
    if searcher.aligned_vectors is not None:
        searcher.aligned_vectors._encode = clock.wrap("aligned", searcher.aligned_vectors._encode)
    return searcher


def _questions() -> list[tuple[str, str]]:
    out = []
    for name in SETS:
        for line in (ROOT / "eval" / "sets" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line:
                row = json.loads(line)
                out.append((row.get("lang", "?"), row["question"]))
    return out


def _split(total: float, spent: dict[str, float]) -> dict[str, float]:
    e5 = spent.get("e5", 0.0)
    inner = spent.get("tokenizer", 0.0) + spent.get("e5_pass", 0.0)
    return {
        "total": total,
        "tokenizer": spent.get("tokenizer", 0.0),
        "e5_pass": spent.get("e5_pass", 0.0),
        "e5_rest": e5 - inner,
        "aligned": spent.get("aligned", 0.0),
        "rest": total - e5 - spent.get("aligned", 0.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runtimes", nargs="+", default=["onnx", "onnx-int8"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="about this many questions (every n-th)")
    args = parser.parse_args(argv)

    clock = _Clock()
    searchers = {r: _searcher(r, args.data_dir, clock) for r in args.runtimes}
    questions = _questions()
    if args.limit:
        questions = questions[:: max(1, len(questions) // args.limit)]
    for s in searchers.values():  # warm: first loads, every code path once
        for _, q in questions[:20]:
            s.search(q, 10, "hybrid")
    clock.take()
    rows: dict[str, dict[str, list[dict[str, float]]]] = {r: defaultdict(list) for r in args.runtimes}
    loads = [os.getloadavg()[0]]
    for r in range(args.rounds):
        order = args.runtimes if r % 2 == 0 else args.runtimes[::-1]
        for lang, q in questions:
            for runtime in order:
                t0 = time.perf_counter()
                searchers[runtime].search(q, 10, "hybrid")
                total = (time.perf_counter() - t0) * 1000
                rows[runtime][lang].append(_split(total, clock.take()))
        loads.append(os.getloadavg()[0])
    result: dict[str, Any] = {"runtimes": {}, "rounds": args.rounds, "load_average": loads}
    for runtime, by_lang in rows.items():
        out = {}
        for lang in sorted(by_lang) + ["all"]:
            samples = [x for xs in by_lang.values() for x in xs] if lang == "all" else by_lang[lang]
            out[lang] = {"n": len(samples)}
            for part in ("total", *PARTS):
                out[lang][f"{part}_p50_ms"] = round(statistics.median(s[part] for s in samples), 2)
                out[lang][f"{part}_mean_ms"] = round(statistics.mean(s[part] for s in samples), 2)
            print(runtime, lang, {k: v for k, v in out[lang].items() if k.endswith("p50_ms") or k == "n"})
        result["runtimes"][runtime] = out
    path = HERE / "results" / f"query-profile-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"loads {loads}; {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
