"""Do the ONNX runtimes keep today's vectors? Cosine against torch on every passage, sentence and question.

    python -m bench.encoder_check [--data-dir DIR] [--runtimes onnx onnx-int8] [--aligned-runtimes onnx]
                                  [--ingest-precisions bf16]

Ingests the sample corpus into a fresh data directory (or reads ``DIR``), then embeds every
passage (with its sentences pooled from the same pass, as ingest does) and every question of
``eval/sets/*.jsonl`` on each runtime. torch runs the dequantised float32 weights, which is the
exact reference for the 4-bit graph; each ``--ingest-precisions`` value embeds the passages
(and pools their sentences) as ingest does with that DOCQA_INGEST_PRECISION (``bf16.py``).
The aligned encoder (USE-m3) is checked the same way on
what it embeds: every passage, every sentence (each on its own, as ingest does), every question
and every Korean index term (``term_vectors``), each ``--aligned-runtimes`` against numpy (the
path before its ONNX graph). Writes ``bench/results/encoder-check-<timestamp>.json``;
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


def _passages(data_dir: Path) -> tuple[list[str], list[list[tuple[int, int]]], list[str], list[str]]:
    """Each passage's embedded text and sentence offsets, the unique sentence texts, the terms."""
    from docqa.index.document_vectors import embed_text, sentence_offsets
    from docqa.index.store import Store

    store = Store(data_dir / "docqa.sqlite", readonly=True)
    try:
        rows = store.passage_rows()
        terms = store.term_vectors()[0]
    finally:
        store.close()
    passages = [r.passage for r in rows.values()]
    texts = [embed_text(p) for p in passages]
    sentences = [text[a:b] for text, p in zip(texts, passages, strict=True) for a, b in sentence_offsets(p)]
    return texts, [sentence_offsets(p) for p in passages], list(dict.fromkeys(sentences)), terms


def _questions() -> list[str]:
    out = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.jsonl")):
        out += [
            json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line
        ]
    return out


def _vectors(
    runtime: str, texts: list[str], spans: list, questions: list[str], precision: str = "float32"
) -> dict:
    from docqa import runtime as rt

    embedder = rt.embedder(rt.settings(encoder_runtime=runtime, ingest_precision=precision))
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


def _aligned_vectors(runtime: str, inputs: dict[str, list[str]]) -> dict:
    from threadpoolctl import threadpool_limits

    from docqa import runtime as rt

    encoder = rt.aligned(rt.settings(aligned_runtime=runtime, aligned_model="use-multilingual-v3"))
    assert encoder is not None
    out: dict = {}
    with threadpool_limits(1, user_api="blas"):  # as ingest and the service run it
        for key, texts in inputs.items():
            t0 = time.perf_counter()
            out[key] = encoder.encode(texts)
            out[f"{key}_seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _compare(ref: dict, other: dict, keys: tuple[str, ...] = ("passages", "sentences", "questions")) -> dict:
    out = {}
    for key in keys:
        cos = (ref[key] * other[key]).sum(axis=1)
        out[key] = {"n": len(cos), "min": round(float(cos.min()), 6), "mean": round(float(cos.mean()), 7)}
    if "sentence_mask" in ref:
        out["same_sentences_pooled"] = ref["sentence_mask"] == other["sentence_mask"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.encoder_check")
    p.add_argument("--data-dir", type=Path, help="an ingested data directory (default: ingest the corpus)")
    p.add_argument("--runtimes", nargs="*", default=["onnx", "onnx-int8"])
    p.add_argument("--aligned-runtimes", nargs="*", default=["onnx"], help="USE-m3, against numpy")
    p.add_argument(
        "--ingest-precisions",
        nargs="*",
        default=["bf16"],
        help="DOCQA_INGEST_PRECISION values whose passages (and pooled sentences) are checked",
    )
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
        texts, spans, sentence_texts, terms = _passages(data_dir)
    questions = _questions()
    result: dict = {"bound": BOUND, "reference": "torch"}
    ok = True
    ref = _vectors("torch", texts, spans, questions) if args.runtimes else {}
    result["torch_passage_seconds"] = ref.get("passage_seconds")
    for runtime in args.runtimes:
        other = _vectors(runtime, texts, spans, questions)
        result[runtime] = {**_compare(ref, other), "passage_seconds": other["passage_seconds"]}
        keys = ("passages", "sentences", "questions")
        ok &= (
            all(result[runtime][k]["min"] >= BOUND for k in keys) and result[runtime]["same_sentences_pooled"]
        )
    for precision in args.ingest_precisions:
        other = _vectors("onnx", texts, spans, questions, precision)
        result[f"ingest-{precision}"] = {**_compare(ref, other), "passage_seconds": other["passage_seconds"]}
        keys = ("passages", "sentences", "questions")
        ok &= (
            all(result[f"ingest-{precision}"][k]["min"] >= BOUND for k in keys)
            and result[f"ingest-{precision}"]["same_sentences_pooled"]
        )
    inputs = {"passages": texts, "sentences": sentence_texts, "questions": questions, "terms": terms}
    if args.aligned_runtimes:
        numpy_ref = _aligned_vectors("numpy", inputs)
        seconds = {f"{k}_seconds": numpy_ref[f"{k}_seconds"] for k in inputs}
        result["aligned"] = {"reference": "numpy", "numpy": seconds}
        for runtime in args.aligned_runtimes:
            other = _aligned_vectors(runtime, inputs)
            compared = _compare(numpy_ref, other, tuple(inputs))
            result["aligned"][runtime] = {
                **compared,
                **{f"{k}_seconds": other[f"{k}_seconds"] for k in inputs},
            }
            ok &= all(compared[k]["min"] >= BOUND for k in inputs)
    result["ok"] = ok
    out = HERE / "results" / f"encoder-check-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
