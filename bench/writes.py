"""``python -m bench.writes``: /healthz and /v1/search latency while many large uploads arrive at once.

Issue 11, defect 4: waiting uploads used to hold the request thread pool, and with ~40 of them
/healthz took 15.7 s and searches 16-18 s. This run indexes the sample corpus into a fresh data
directory (or copies ``--data-dir``), starts ``docqa serve`` with a key, and fires ``--uploads``
(45) concurrent uploads of ``--upload-mb`` (5) MB PDFs: ``--pages`` (6) pages of distinct Korean
text, ~18 passages to embed, and an incompressible image that makes them large on the wire. An
upload refused with 503 waits its Retry-After (at most 10 s) and tries again, so the writers
press until every upload is in. Meanwhile one client times /healthz (every 50 ms) and one
/v1/search (back to back, questions of the eval set; the query cache is off, so every search
embeds its question). Targets: /healthz p99 <= 200 ms, /v1/search p99 <= 2 s.
Writes ``bench/results/<timestamp>-writes.json`` and ``.md``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from bench import machine
from bench.servers import Server, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "data" / "corpus"
EVAL_SET = ROOT / "eval" / "sets" / "corpus_v1.jsonl"
TARGETS_MS = {"/healthz": 200.0, "/v1/search": 2000.0}


def log(msg: str) -> None:
    print(f"[bench.writes {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__.splitlines()[0])
    p.add_argument("--uploads", type=int, default=45, help="concurrent uploads (default 45)")
    p.add_argument("--upload-mb", type=float, default=5.0, help="size of each upload (default 5 MB)")
    p.add_argument("--pages", type=int, default=6, help="pages of text in each upload (default 6)")
    p.add_argument("--write-queue", type=int, help="DOCQA_WRITE_QUEUE for the server (default: its own)")
    p.add_argument("--limit-s", type=float, default=900, help="stop waiting for the uploads after this")
    p.add_argument("--data-dir", type=Path, help="copy this indexed data directory instead of ingesting")
    p.add_argument("--results", type=Path, default=HERE / "results")
    return p.parse_args(argv)


def upload_pdf(i: int, megabytes: float, pages: int) -> bytes:
    """``pages`` pages of distinct text naming upload ``i`` (each a few passages to embed), and a
    noise image on the first that makes the file ``megabytes`` big."""
    import pymupdf

    pdf = pymupdf.open()
    for number in range(pages):
        page = pdf.new_page(width=595, height=842)
        y = 60.0
        for j in range(36):
            line = (
                f"제{i}호 보고서 {number + 1}장 {j + 1}항: 참여 기업 {i * 17 + j}곳이 "
                f"시험 설비 {number * 7 + j + 3}대를 점검했다."
            )
            page.insert_text((40, y), line, fontname="korea", fontsize=9)
            y += 14
            if j % 6 == 5:
                y += 8  # a paragraph break
        if number == 0:
            page.insert_image(pymupdf.Rect(40, 620, 555, 815), stream=_noise_png(megabytes))
    return pdf.tobytes(deflate=False)


@functools.cache
def _noise_png(megabytes: float) -> bytes:
    """An RGB image of random pixels (it does not compress), made once for every upload."""
    import pymupdf

    side = max(16, int((megabytes * 1024 * 1024 / 3) ** 0.5))
    noise = np.random.default_rng(0).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    return pymupdf.Pixmap(pymupdf.csRGB, side, side, noise.tobytes(), False).tobytes("png")


def questions() -> list[str]:
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["question"] for row in rows if row.get("question")]


async def _uploader(client: httpx.AsyncClient, i: int, data: bytes, state: dict) -> None:
    """Upload until accepted: a 503 waits its Retry-After (at most 10 s) and tries again."""
    started = time.perf_counter()
    while time.perf_counter() < state["deadline"]:
        try:
            response = await client.post(
                "/v1/documents", files={"file": (f"report-{i}.pdf", data)}, data={"doc_id": f"bench-w{i}"}
            )
        except httpx.HTTPError as exc:
            state["upload_errors"].append(type(exc).__name__)
            await asyncio.sleep(1)
            continue
        state["upload_statuses"][str(response.status_code)] = (
            state["upload_statuses"].get(str(response.status_code), 0) + 1
        )
        if response.status_code == 503 and "retry-after" in response.headers:
            state["retry_after"].append(int(response.headers["retry-after"]))
            await asyncio.sleep(min(10, int(response.headers["retry-after"])))
            continue
        if response.status_code == 200:
            state["uploaded_s"].append(time.perf_counter() - started)
        else:
            state["upload_failures"].append(f"{response.status_code} {response.text[:200]}")
        return


async def _probe(client: httpx.AsyncClient, path: str, state: dict, queries: list[str]) -> None:
    """Time ``path`` back to back (/healthz with a 50 ms pause) until every uploader is done."""
    i = 0
    while not state["done"].is_set():
        t0 = time.perf_counter()
        try:
            if path == "/healthz":
                response = await client.get(path)
            else:
                response = await client.post(path, json={"query": queries[i % len(queries)], "k": 10})
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        (state["latency"][path] if ok else state["probe_errors"][path]).append(
            (time.perf_counter() - t0) * 1000
        )
        i += 1
        if path == "/healthz":
            await asyncio.sleep(0.05)


async def storm(base: str, key: str, uploads: list[bytes], limit_s: float) -> dict:
    state: dict = {
        "deadline": time.perf_counter() + limit_s,
        "done": asyncio.Event(),
        "latency": {path: [] for path in TARGETS_MS},
        "probe_errors": {path: [] for path in TARGETS_MS},
        "upload_statuses": {},
        "upload_errors": [],
        "upload_failures": [],
        "uploaded_s": [],
        "retry_after": [],
    }
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=len(uploads) + 4, max_keepalive_connections=len(uploads) + 4)
    async with (
        httpx.AsyncClient(
            base_url=base, timeout=600, limits=limits, headers=headers, trust_env=False
        ) as writers,
        httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as readers,
    ):
        queries = questions()
        probes = [asyncio.create_task(_probe(readers, path, state, queries)) for path in TARGETS_MS]
        started = time.perf_counter()
        await asyncio.gather(*(_uploader(writers, i, data, state) for i, data in enumerate(uploads)))
        state["done"].set()
        await asyncio.gather(*probes)
        state["seconds"] = round(time.perf_counter() - started, 1)
    return state


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    a = np.asarray(values)
    return {
        "n": len(values),
        **{f"p{p}_ms": round(float(np.percentile(a, p)), 1) for p in (50, 95, 99)},
        "max_ms": round(float(a.max()), 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    start = machine.snapshot()
    with tempfile.TemporaryDirectory(prefix="docqa-bench-writes-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        if args.data_dir:
            subprocess.run(["cp", "-a", str(args.data_dir), str(data_dir)], check=True)
        else:
            log("ingesting the sample corpus")
            subprocess.run(
                [sys.executable, "-m", "docqa", "ingest", "--quiet", str(CORPUS)],
                env={**os.environ, "DOCQA_DATA_DIR": str(data_dir)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log(f"making {args.uploads} uploads of {args.upload_mb} MB")
        uploads = [upload_pdf(i, args.upload_mb, args.pages) for i in range(args.uploads)]
        key = secrets.token_urlsafe(24)
        env = {"DOCQA_DATA_DIR": str(data_dir), "DOCQA_API_KEY": key, "HF_HUB_OFFLINE": "1"}
        env["DOCQA_QUERY_CACHE_SIZE"] = "0"  # the questions repeat: every search embeds its query
        if args.write_queue:
            env["DOCQA_WRITE_QUEUE"] = str(args.write_queue)
        port = free_port()
        server = Server(
            "docqa",
            [sys.executable, "-m", "docqa", "serve", "--port", str(port)],
            port,
            env,
            work / "server.log",
        )
        ready = server.start()
        try:
            log(f"server ready in {ready:.1f} s; {args.uploads} uploads at once")
            state = asyncio.run(storm(server.base, key, uploads, args.limit_s))
        finally:
            server.stop()
    out = {
        "bench": "writes",
        "machine": machine.info(),
        "started": start,
        "ended": machine.snapshot(),
        "uploads": args.uploads,
        "upload_mb": round(len(uploads[0]) / 2**20, 2),
        "upload_pages": args.pages,
        "write_queue": args.write_queue or "server default",
        "seconds": state["seconds"],
        "upload_statuses": state["upload_statuses"],
        "uploads_accepted": len(state["uploaded_s"]),
        "upload_failures": state["upload_failures"][:10],
        "upload_errors": state["upload_errors"][:10],
        "retry_after_s": sorted(set(state["retry_after"])),
        "upload_until_accepted": _percentiles([s * 1000 for s in state["uploaded_s"]]),
        "latency": {path: _percentiles(v) for path, v in state["latency"].items()},
        "probe_errors": {path: len(v) for path, v in state["probe_errors"].items()},
        "targets_p99_ms": TARGETS_MS,
    }
    out["met"] = {
        path: bool(out["latency"][path].get("n")) and out["latency"][path]["p99_ms"] <= target
        for path, target in TARGETS_MS.items()
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"{stamp}-writes.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(_table(out), encoding="utf-8")
    print(_table(out))
    log(f"wrote {path}")
    return 0 if all(out["met"].values()) else 1


def _table(out: dict) -> str:
    lines = [
        f"# Reads during {out['uploads']} concurrent uploads of {out['upload_mb']} MB "
        f"({out['upload_pages']} pages of text each)",
        "",
        f"{out['machine']['cores']} cores, {out['machine']['cpu']}; "
        f"load {out['started']['loadavg']} -> {out['ended']['loadavg']}; {out['seconds']} s; "
        f"write queue {out['write_queue']}; upload answers {out['upload_statuses']} "
        f"({out['uploads_accepted']} accepted, Retry-After {out['retry_after_s']} s)",
        "",
        "| endpoint | requests | p50 ms | p95 ms | p99 ms | max ms | target p99 | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path, target in out["targets_p99_ms"].items():
        f = out["latency"][path]
        lines.append(
            f"| {path} | {f.get('n', 0)} | {f.get('p50_ms')} | {f.get('p95_ms')} | {f.get('p99_ms')} | "
            f"{f.get('max_ms')} | {target:.0f} | {'yes' if out['met'][path] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
