"""docqa's embedding throughput alone: encode the benchmark passages once, print JSON.

python -m bench.embed_ours PASSAGES.jsonl [--batch-size N] [bench.variant knobs: --int8 --torch-threads N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.embed_ours")
    p.add_argument("passages")
    p.add_argument("--batch-size", type=int, help="default: the batch docqa ingests with")
    args, knobs = p.parse_known_args(argv)
    from bench import variant
    from docqa import runtime
    from docqa.index.embedding import INGEST_BATCH

    variant.apply(variant.parse(knobs)[0])

    embedder = runtime.embedder(runtime.settings())
    with open(args.passages, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    embedder.encode_passages(texts[:8])  # warm-up
    t0 = time.perf_counter()
    vectors = embedder.encode_passages(texts, batch_size=args.batch_size or INGEST_BATCH)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "texts": len(texts),
                "seconds": seconds,
                "texts_per_s": len(texts) / seconds,
                "dim": int(vectors.shape[1]),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
