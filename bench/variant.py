"""Run any ``docqa`` command with one speed knob turned, to measure it before index/ or service/ change.

    python -m bench.variant [--torch-threads N] [--faiss-threads N] [--query-cache N] [--int8]
                            [--runtime onnx|onnx-int8|torch] [--aligned MODEL|none]
                            [--ingest-precision auto|bf16|float32] -- serve
    python -m bench.variant --int8 -- ingest data/corpus
    python -m bench.variant --int8 -- eval eval/sets/corpus_v1.jsonl --mode all --out DIR

The knobs are applied where ``Embedder.load`` returns, so ingest, serve and eval all see them:
``--int8`` swaps every nn.Linear of the model for torch's dynamic int8 version (weights int8,
activations quantised per batch; no new dependency; torch runtime only), ``--query-cache``
memoises query vectors, ``--runtime`` sets DOCQA_ENCODER_RUNTIME (``--runtime torch``: the
encoder as it ran before issue 16), ``--aligned`` sets DOCQA_ALIGNED_MODEL (``--aligned none``:
e5 alone, what the aligned second encoder of issue 14 costs), ``--ingest-precision`` sets
DOCQA_INGEST_PRECISION (``--ingest-precision float32``: passages embedded as before issue 12's bf16 pass).
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ours, _, docqa_args = (
        (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :]) if "--" in argv else (argv, None, [])
    )
    p = argparse.ArgumentParser(prog="python -m bench.variant")
    p.add_argument("--torch-threads", type=int)
    p.add_argument("--faiss-threads", type=int)
    p.add_argument("--query-cache", type=int, default=0)
    p.add_argument("--int8", action="store_true")
    p.add_argument("--runtime", choices=["onnx", "onnx-int8", "torch"])
    p.add_argument("--aligned", help="DOCQA_ALIGNED_MODEL: a model name or path, or none")
    p.add_argument("--ingest-precision", choices=["auto", "bf16", "float32"], help="DOCQA_INGEST_PRECISION")
    return p.parse_args(ours), docqa_args


def apply(args: argparse.Namespace) -> None:
    import os

    from docqa.index.embedding import Embedder

    if args.runtime:
        os.environ["DOCQA_ENCODER_RUNTIME"] = args.runtime
    if args.aligned:
        os.environ["DOCQA_ALIGNED_MODEL"] = args.aligned
    if args.ingest_precision:
        os.environ["DOCQA_INGEST_PRECISION"] = args.ingest_precision

    original = Embedder.load.__func__

    def load(cls, *a, **kw):
        embedder = original(cls, *a, **kw)
        if args.int8:
            quantize_int8(embedder._model)
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        if args.query_cache:
            cache_queries(embedder, args.query_cache)
        return embedder

    Embedder.load = classmethod(load)
    if args.faiss_threads:
        import faiss

        faiss.omp_set_num_threads(args.faiss_threads)


def quantize_int8(model) -> None:
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def cache_queries(embedder, size: int) -> None:
    """Memoise encode_queries per query text (the service sends one query per call)."""
    import numpy as np

    encode = embedder.encode_queries

    @lru_cache(maxsize=size)
    def one(text: str) -> np.ndarray:
        vector = encode([text])
        vector.setflags(write=False)
        return vector

    def encode_queries(texts):
        texts = list(texts)
        return one(texts[0]) if len(texts) == 1 else np.concatenate([one(t) for t in texts])

    embedder.encode_queries = encode_queries


def main(argv: list[str] | None = None) -> int:
    args, docqa_args = parse(sys.argv[1:] if argv is None else argv)
    apply(args)
    from docqa.cli import main as docqa_main

    return docqa_main(docqa_args)


if __name__ == "__main__":
    sys.exit(main())
