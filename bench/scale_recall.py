"""Dense recall@10 against exact search at N vectors distributed like real e5 passage vectors:
``python -m bench.scale_recall --vectors N``.

The real set is every passage and sentence vector of the seed (``bench.scale_seed``: KorQuAD v1
dev paragraphs and the sample corpus through the real ingest); it is grown to N by
``bench.scale_data.extend`` (interpolation towards one of a vector's 10 nearest real neighbours
plus a little noise: the set keeps its neighbourhood structure instead of becoming noise
clusters). Queries are real e5 query vectors of KorQuAD questions. For each index (HNSW at
several M / efConstruction, IVF-Flat at several nlist) the recall@10 against exact inner
product and the one-thread latency per query are measured across efSearch / nprobe.
Writes ``bench/results/scale-recall-<N>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from bench import machine, scale_data, scale_seed
from bench.scale import rss_mb

HERE = Path(__file__).resolve().parent
K = 10


def log(msg: str) -> None:
    print(f"[bench.scale_recall {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def real_vectors(seed_dir: Path) -> np.ndarray:
    from docqa.index import generation

    conn = sqlite3.connect(f"file:{seed_dir / generation.DATABASE}?mode=ro", uri=True)
    blobs = [b for (b,) in conn.execute("SELECT vector FROM passages UNION ALL SELECT vector FROM sentences")]
    conn.close()
    return scale_data.unit(np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), -1))


def grown(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = scale_data.neighbours(real)
    out = np.empty((n, real.shape[1]), np.float32)
    out[: min(n, len(real))] = real[:n]
    for lo in range(len(real), n, 200_000):
        m = min(200_000, n - lo)
        out[lo : lo + m] = scale_data.extend(real, m, rng, near)[0]
    return out


def queries(count: int) -> np.ndarray:
    from bench.scale_service import questions
    from docqa import runtime

    qs = questions()
    picked = [qs[i] for i in np.random.default_rng(1).permutation(len(qs))[:count]]
    return np.asarray(runtime.embedder(runtime.settings()).encode_queries(picked), np.float32)


def exact(x: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
    import faiss

    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    t0 = time.perf_counter()
    _, ids = index.search(q, K)
    return ids, (time.perf_counter() - t0) * 1000 / len(q)


def sweep(index, q: np.ndarray, truth: np.ndarray, knob: str, values: list[int]) -> list[dict]:
    import faiss

    rows = []
    for value in values:
        params = (
            faiss.SearchParametersHNSW(efSearch=value)
            if knob == "efSearch"
            else faiss.SearchParametersIVF(nprobe=value)
        )
        index.search(q[:1], K, params=params)
        lat, found = [], []
        for v in q:
            t0 = time.perf_counter()
            _, ids = index.search(v[None, :], K, params=params)
            lat.append((time.perf_counter() - t0) * 1000)
            found.append(ids[0])
        recall = float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))
        rows.append(
            {
                knob: value,
                "recall_at_10": round(recall, 4),
                "p50_ms": round(float(np.percentile(lat, 50)), 3),
                "p95_ms": round(float(np.percentile(lat, 95)), 3),
            }
        )
        log(f"  {knob} {value}: recall {recall:.4f}, p50 {rows[-1]['p50_ms']} ms")
    return rows


def hnsw(x, q, truth, m: int, ef_construction: int, ef_search: list[int]) -> dict:
    import faiss

    def build():
        index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.add(x)
        return index

    return measure(f"HNSW M={m} efConstruction={ef_construction}", build, q, truth, "efSearch", ef_search)


def ivf(x, q, truth, nlist: int, nprobe: list[int]) -> dict:
    import faiss

    quantizer = faiss.IndexFlatIP(x.shape[1])  # held here: the index does not own it

    def build():
        index = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        sample = x[np.random.default_rng(2).permutation(len(x))[: min(len(x), 50 * nlist)]]
        index.train(sample)
        index.add(x)
        return index

    return measure(f"IVF{nlist},Flat (exact scores of the probed lists)", build, q, truth, "nprobe", nprobe)


def shipped(x, q, truth, nprobe: list[int]) -> dict:
    """The index docqa builds at this size (``FaissIndex.build``: from IVF_FROM an IVF with
    float16 vectors), searched at each nprobe."""
    from docqa.index.backends.faiss import FaissIndex, ivf_lists

    def build():  # the owning index: FaissIndex.index is a view of it
        return FaissIndex.build(np.arange(len(x)), x, x.shape[1], ivf_from=1).owner

    name = f"docqa FaissIndex: IVF{ivf_lists(len(x))},SQfp16 (float16 vectors, not residuals)"
    return measure(name, build, q, truth, "nprobe", nprobe)


def measure(name: str, build, q, truth, knob: str, values: list[int]) -> dict:
    """Build an index (time, memory), then its recall/latency curve over ``knob`` on one thread."""
    import faiss

    before, t0 = rss_mb(), time.perf_counter()
    index = build()
    built = {"index": name, "build_s": round(time.perf_counter() - t0, 1)}
    built["memory_mb"] = round(rss_mb() - before, 1)
    log(f"{built['index']}: built in {built['build_s']} s")
    faiss.omp_set_num_threads(1)
    built["curve"] = sweep(index, q, truth, knob, values)
    faiss.omp_set_num_threads(2)
    return built


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_recall", description=__doc__.splitlines()[0])
    p.add_argument("--vectors", type=int, required=True)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--seed-dir", type=Path, default=scale_seed.DEFAULT_SEED)
    p.add_argument("--hnsw", default="32:40,32:200", help="M:efConstruction pairs (comma-separated)")
    p.add_argument("--ivf", default="", help="nlist values (comma-separated; default 4 * sqrt(N))")
    p.add_argument("--shipped", action="store_true", help="also docqa's own index at this size")
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    import faiss

    faiss.omp_set_num_threads(2)
    start = machine.snapshot()
    real = real_vectors(args.seed_dir)
    log(f"{len(real):,} real vectors; growing to {args.vectors:,}")
    x = grown(real, args.vectors)
    q = queries(args.queries)
    truth, exact_ms = exact(x, q)
    log(f"exact: {exact_ms:.1f} ms a query (2 threads, batched)")
    results = []
    for pair in filter(None, args.hnsw.split(",")):
        m, efc = (int(v) for v in pair.split(":"))
        results.append(hnsw(x, q, truth, m, efc, [64, 128, 256, 512, 1024]))
    nlists = [int(v) for v in args.ivf.split(",") if v] or [int(4 * np.sqrt(args.vectors))]
    for nlist in nlists:
        results.append(ivf(x, q, truth, nlist, [8, 16, 32, 64, 128, 256]))
    if args.shipped:
        results.append(shipped(x, q, truth, [8, 16, 32, 64]))
    out = {
        "vectors": args.vectors,
        "real_vectors": len(real),
        "queries": len(q),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": "real e5 passage + sentence vectors grown by bench.scale_data.extend "
        f"(t ~ U[0, {scale_data.STEP}) towards one of {scale_data.NEIGHBOURS} nearest, "
        f"noise {scale_data.NOISE})",
        "exact_batched_ms_per_query": round(exact_ms, 2),
        "indexes": results,
        "machine": machine.info(),
        "started": start,
        "ended": machine.snapshot(),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"scale-recall-{args.vectors}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
