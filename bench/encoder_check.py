"""Do the ONNX runtimes keep today's vectors? Cosine against torch on every passage, sentence and question.

    python -m bench.encoder_check [--data-dir DIR]

Ingests the sample corpus into a fresh data directory (or reads ``DIR``), then embeds every
passage (with its sentences pooled from the same pass, as ingest does) and every question of
``eval/sets/*.jsonl`` on each runtime. torch runs the dequantised float32 weights, which is the
exact reference for the 4-bit graph. Writes ``bench/results/encoder-check-<timestamp>.json``;
exits 1 when a runtime's minimum cosine is below 0.999 (issue 16).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BOUND = 0.999


def _passages(data_dir: Path) -> tuple[list[str], list[list[tuple[int, int]]]]:
    from docqa.index.document_vectors import embed_text, sentence_offsets
    from docqa.index.store import Store

    store = Store(data_dir / "docqa.sqlite", readonly=True)
    try:
        rows = store.passage_rows()
    finally:
        store.close()
    passages = [r.passage for r in rows.values()]
    return [embed_text(p) for p in passages], [sentence_offsets(p) for p in passages]


def _questions() -> list[str]:
    out = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.jsonl")):
        out += [
            json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line
        ]
    return out


def _vectors(runtime: str, texts: list[str], spans: list, questions: list[str]) -> dict:
    from docqa import runtime as rt

    embedder = rt.embedder(rt.settings(encoder_runtime=runtime))
    t0 = time.perf_counter()
    passages, pooled = embedder.encode_passages_with_spans(texts, spans)
    seconds = time.perf_counter() - t0
    sentences = [v for row in pooled for v in row if v is not None]
    return {
        "passages": passages,
        "sentences": np.stack(sentences),
        "sentence_mask": [[v is not None for v in row] for row in pooled],
        "questions": embedder.encode_queries(questions),
        "passage_seconds": seconds,
    }


def _compare(ref: dict, other: dict) -> dict:
    out = {}
    for key in ("passages", "sentences", "questions"):
        cos = (ref[key] * other[key]).sum(axis=1)
        out[key] = {"n": len(cos), "min": round(float(cos.min()), 6), "mean": round(float(cos.mean()), 7)}
    out["same_sentences_pooled"] = ref["sentence_mask"] == other["sentence_mask"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.encoder_check")
    p.add_argument("--data-dir", type=Path, help="an ingested data directory (default: ingest the corpus)")
    p.add_argument("--runtimes", nargs="+", default=["onnx", "onnx-int8"])
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            subprocess.run(
                [sys.executable, "-m", "docqa.cli", "ingest", str(ROOT / "data" / "corpus"), "--quiet"],
                env={**__import__("os").environ, "DOCQA_DATA_DIR": str(data_dir)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        texts, spans = _passages(data_dir)
    questions = _questions()
    ref = _vectors("torch", texts, spans, questions)
    result: dict = {"bound": BOUND, "reference": "torch", "torch_passage_seconds": ref["passage_seconds"]}
    ok = True
    for runtime in args.runtimes:
        other = _vectors(runtime, texts, spans, questions)
        result[runtime] = {**_compare(ref, other), "passage_seconds": other["passage_seconds"]}
        keys = ("passages", "sentences", "questions")
        ok &= (
            all(result[runtime][k]["min"] >= BOUND for k in keys) and result[runtime]["same_sentences_pooled"]
        )
    result["ok"] = ok
    out = HERE / "results" / f"encoder-check-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
