"""Closed-loop HTTP load generator, run as its own process: ``python -m bench.loadgen``.

N clients each send one request, wait for the answer, send the next. A run stops at a time
limit, a request cap or when ``--until-file`` appears, whichever is first; only 127.0.0.1 is
accepted as a target.
Prints one JSON object: latency percentiles (ms), throughput (req/s), errors and their kinds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from urllib.parse import urlsplit

import httpx
import numpy as np


def body_for(endpoint: str, query: str, k: int) -> dict:
    if endpoint.endswith("/ask"):
        return {"question": query, "k": min(k, 5)}
    return {"query": query, "k": k}


async def _client(cid: int, client: httpx.AsyncClient, url: str, args, queries, state: dict) -> None:
    i = cid
    while time.perf_counter() < state["deadline"] and state["sent"] < args.max_requests:
        if args.until_file and os.path.exists(args.until_file):
            break
        state["sent"] += 1
        query = queries[i % len(queries)]
        i += args.concurrency
        t0 = time.perf_counter()
        try:
            resp = await client.post(url, json=body_for(args.endpoint, query, args.k))
            ok = resp.status_code == 200
            kind = None if ok else f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            ok, kind = False, type(exc).__name__
        elapsed = (time.perf_counter() - t0) * 1000
        if ok:
            state["latencies"].append(elapsed)
        else:
            state["errors"][kind] = state["errors"].get(kind, 0) + 1


async def run(args, queries: list[str]) -> dict:
    url = args.base.rstrip("/") + args.endpoint
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits, trust_env=False) as client:
        for q in queries[: args.warmup]:  # warm-up, not counted
            await client.post(url, json=body_for(args.endpoint, q, args.k))
        state = {"deadline": time.perf_counter() + args.duration, "sent": 0, "latencies": [], "errors": {}}
        started = time.perf_counter()
        await asyncio.gather(
            *(_client(c, client, url, args, queries, state) for c in range(args.concurrency))
        )
        wall = time.perf_counter() - started
    lat = np.asarray(state["latencies"], dtype=np.float64)
    pct = (lambda p: round(float(np.percentile(lat, p)), 1)) if len(lat) else (lambda p: None)
    return {
        "endpoint": args.endpoint,
        "concurrency": args.concurrency,
        "requests": int(len(lat)),
        "errors": int(sum(state["errors"].values())),
        "error_kinds": state["errors"],
        "seconds": round(wall, 2),
        "throughput_rps": round(len(lat) / wall, 2) if wall else None,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(float(lat.mean()), 1) if len(lat) else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.splitlines()[0])
    p.add_argument("base", help="http://127.0.0.1:PORT")
    p.add_argument("endpoint", help="/v1/search or /v1/ask")
    p.add_argument("queries", help="a JSON file with a list of query strings")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--duration", type=float, default=10.0, help="seconds")
    p.add_argument("--max-requests", type=int, default=2000)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--until-file", help="stop early once this file exists (the caller's signal)")
    args = p.parse_args(argv)
    if urlsplit(args.base).hostname != "127.0.0.1":
        print("loadgen: only http://127.0.0.1:PORT may be targeted", file=sys.stderr)
        return 2
    with open(args.queries, encoding="utf-8") as f:
        queries = json.load(f)
    print(json.dumps(asyncio.run(run(args, queries)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
