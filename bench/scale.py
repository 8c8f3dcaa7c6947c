"""Search latency, memory and recall at one corpus size, on synthetic data: ``python -m bench.scale N``.

Vectors are clustered like sentence embeddings (one shared direction, a cluster direction,
noise; cosines mostly 0.3-0.9) so that an approximate index's recall means something. Compares
exact FAISS (IndexFlatIP, and docqa's own FaissIndex around it) with HNSW and IVF, and times
docqa's BM25 side on Zipf-distributed synthetic terms. Queries run one at a time, as in the
service. Memory is the growth of this process's RSS while each index is built.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time

import numpy as np
import psutil

DIM = 384
QUERIES = 200
K = 10


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def clustered(n: int, rng: np.random.Generator, centers: np.ndarray, shared: np.ndarray) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        which = rng.integers(0, len(centers), m)
        noise = rng.standard_normal((m, DIM), dtype=np.float32) / math.sqrt(DIM)
        block = 0.8 * shared + 0.4 * centers[which] + 0.8 * noise
        out[lo : lo + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(DIM).astype(np.float32)
    shared /= np.linalg.norm(shared)
    centers = rng.standard_normal((max(100, n // 200), DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    return clustered(n, rng, centers, shared), clustered(QUERIES, rng, centers, shared)


def timed_queries(search, queries: np.ndarray) -> tuple[dict, np.ndarray]:
    """p50/p95 ms of one query at a time, and the top-10 ids of each query."""
    search(queries[0])
    found, lat = [], []
    for q in queries:
        t0 = time.perf_counter()
        ids = search(q)
        lat.append((time.perf_counter() - t0) * 1000)
        found.append(
            np.pad(np.asarray(ids[:K], dtype=np.int64), (0, max(0, K - len(ids))), constant_values=-1)
        )
    lat = np.asarray(lat)
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p95_ms": round(float(np.percentile(lat, 95)), 3),
    }, np.stack(found)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)])), 4)


def faiss_flat(x, q) -> tuple[dict, np.ndarray]:
    import faiss

    before, t0 = rss_mb(), time.perf_counter()
    index = faiss.IndexFlatIP(DIM)
    index.add(x)
    row = {"build_s": round(time.perf_counter() - t0, 2), "memory_mb": round(rss_mb() - before, 1)}
    faiss.omp_set_num_threads(2)
    lat2, _ = timed_queries(lambda v: index.search(v.reshape(1, -1), K)[1][0], q)
    faiss.omp_set_num_threads(1)
    lat, truth = timed_queries(lambda v: index.search(v.reshape(1, -1), K)[1][0], q)
    return {**row, **lat, "recall@10": 1.0, "omp2": lat2}, truth


def docqa_dense(x, q, truth) -> dict:
    """docqa's FaissIndex as served: IDMap2(Flat) plus its matrix copy and id dict; top 100 as in hybrid."""
    from docqa.index.backends.faiss import FaissIndex

    before, t0 = rss_mb(), time.perf_counter()
    dense = FaissIndex.build(np.arange(len(x), dtype=np.int64), x, DIM)
    row = {"build_s": round(time.perf_counter() - t0, 2), "memory_mb": round(rss_mb() - before, 1)}
    lat, found = timed_queries(lambda v: dense.search(v, 100)[0], q)
    dense = None  # freed before the next index is built (a `del` would leave the lambda a dangling name)
    gc.collect()
    return {**row, **lat, "recall@10": recall(found, truth), "note": "search(k=100) as hybrid asks"}


def hnsw(x, q, truth, m: int = 32, budget_s: float = 600.0, efs: tuple[int, ...] = (128, 512)) -> dict:
    import faiss

    before, t0 = rss_mb(), time.perf_counter()
    index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 40
    added = 0
    for lo in range(0, len(x), 50_000):  # in steps, so a slow build can stop at the budget
        index.add(x[lo : lo + 50_000])
        added = min(len(x), lo + 50_000)
        if time.perf_counter() - t0 > budget_s and added < len(x):
            break
    row = {
        "M": m,
        "efConstruction": 40,
        "build_s": round(time.perf_counter() - t0, 2),
        "memory_mb": round(rss_mb() - before, 1),
        "built": added,
    }
    if added < len(x):
        row["note"] = f"build stopped at the {budget_s:.0f} s budget; {added:,} of {len(x):,} added"
        row["build_s_projected"] = round(row["build_s"] * len(x) / added, 1)
        return row
    for ef in efs:
        index.hnsw.efSearch = ef
        lat, found = timed_queries(lambda v: index.search(v.reshape(1, -1), K)[1][0], q)
        row[f"ef{ef}"] = {**lat, "recall@10": recall(found, truth)}
    return row


def ivf(x, q, truth) -> dict:
    import faiss

    n = len(x)
    nlist = max(16, int(min(4 * math.sqrt(n), n / 39)))  # txtai's formula
    before, t0 = rss_mb(), time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = x[np.random.default_rng(1).choice(n, min(n, 40 * nlist), replace=False)]
    index.train(sample)
    index.add(x)
    row = {
        "nlist": nlist,
        "build_s": round(time.perf_counter() - t0, 2),
        "memory_mb": round(rss_mb() - before, 1),
    }
    for nprobe in (8, 32):
        index.nprobe = nprobe
        lat, found = timed_queries(lambda v: index.search(v.reshape(1, -1), K)[1][0], q)
        row[f"nprobe{nprobe}"] = {**lat, "recall@10": recall(found, truth)}
    return row


def bm25(n: int, terms_per_passage: int, seed: int = 0) -> dict:
    """docqa's Bm25sIndex on Zipf terms: build time, memory, and scores + top-100 per query."""
    from docqa.index.backends.bm25s import Bm25sIndex

    rng = np.random.default_rng(seed)
    vocab = 200_000
    words = [f"w{i}" for i in range(vocab)]
    ranks = np.minimum(rng.zipf(1.3, size=(n, terms_per_passage)), vocab) - 1
    terms = [[words[i] for i in row] for row in ranks.tolist()]
    del ranks
    before, t0 = rss_mb(), time.perf_counter()
    index = Bm25sIndex.build(np.arange(n, dtype=np.int64), terms)
    row = {
        "terms_per_passage": terms_per_passage,
        "build_s": round(time.perf_counter() - t0, 2),
        "memory_mb": round(rss_mb() - before, 1),
    }
    del terms
    qterms = [[words[i] for i in (np.minimum(rng.zipf(1.3, 5), vocab) - 1)] for _ in range(QUERIES)]
    lat = []
    for query in qterms:
        t0 = time.perf_counter()
        index.search(query, 100)  # every row scored, top 100 with a positive score
        lat.append((time.perf_counter() - t0) * 1000)
    row.update(p50_ms=round(float(np.percentile(lat, 50)), 3), p95_ms=round(float(np.percentile(lat, 95)), 3))
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale")
    p.add_argument("n", type=int)
    p.add_argument("--hnsw-budget", type=float, default=900.0, help="seconds before an HNSW build stops")
    p.add_argument("--no-bm25", action="store_true")
    p.add_argument("--hnsw-ef", type=int, nargs="+", default=[128, 512], help="efSearch values to time")
    p.add_argument("--hnsw-only", action="store_true", help="exact truth and HNSW only (an efSearch sweep)")
    args = p.parse_args(argv)
    import faiss

    # One OpenMP thread per query: with two, a loaded machine stalls single queries at the
    # thread barrier (flat p95 28 ms instead of 0.7 ms at 10k). "omp2" keeps the default's figure.
    faiss.omp_set_num_threads(1)
    out = {"n": args.n, "dim": DIM, "faiss_threads": 1, "queries": QUERIES}
    t0 = time.perf_counter()
    x, q = data(args.n)
    out["data_s"] = round(time.perf_counter() - t0, 1)
    out["vectors_mb"] = round(x.nbytes / 2**20, 1)
    out["flat"], truth = faiss_flat(x, q)
    gc.collect()
    if not args.hnsw_only:
        out["docqa_dense"] = docqa_dense(x, q, truth)
        faiss.omp_set_num_threads(2)
        out["docqa_dense_omp2"] = docqa_dense(x, q, truth)
        faiss.omp_set_num_threads(1)
        gc.collect()
        out["ivf"] = ivf(x, q, truth)
        gc.collect()
    out["hnsw"] = hnsw(x, q, truth, budget_s=args.hnsw_budget, efs=tuple(args.hnsw_ef))
    del x
    gc.collect()
    if not args.no_bm25 and not args.hnsw_only:
        out["bm25"] = bm25(args.n, 40 if args.n >= 1_000_000 else 60)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
