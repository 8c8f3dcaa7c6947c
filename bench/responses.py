"""Every eval question's /v1/search and /v1/ask answers, byte for byte, to check that a speed change
changes no result.

    python -m bench.responses dump --data-dir DIR --out before.jsonl [--concurrency 16]
    python -m bench.responses compare before.jsonl after.jsonl

``dump`` serves ``DIR`` with this tree's ``docqa serve`` (query cache off), sends every question of
``eval/sets/*.jsonl`` to /v1/search (hybrid, dense and lexical, k 10) and to /v1/ask (k 5), and
writes each response's status and raw body, ``took_ms`` blanked (the only field that may differ).
With ``--concurrency N`` the requests go N at a time, so concurrent questions share the encoder's
passes as under load (their vectors must not depend on the batch). ``compare`` exits 1 and names
the requests whose bytes differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from pathlib import Path

import httpx

from bench.servers import Server, free_port, service_env

ROOT = Path(__file__).resolve().parent.parent
TOOK = re.compile(rb'"took_ms":-?[0-9.eE+-]+')
MODES = ("hybrid", "dense", "lexical")


def requests_for(sets: list[Path]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    for path in sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            question = json.loads(line)["question"]
            out += [("/v1/search", {"query": question, "k": 10, "mode": m}) for m in MODES]
            out.append(("/v1/ask", {"question": question, "k": 5}))
    return out


async def _send(base: str, requests: list[tuple[str, dict]], concurrency: int) -> list[tuple[int, bytes]]:
    answers: list[tuple[int, bytes] | None] = [None] * len(requests)
    todo = iter(range(len(requests)))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, trust_env=False) as client:

        async def worker() -> None:
            for i in todo:
                path, body = requests[i]
                resp = await client.post(path, json=body)
                answers[i] = (resp.status_code, TOOK.sub(b'"took_ms":0', resp.content))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [a for a in answers if a is not None]


def dump(data_dir: Path, out: Path, concurrency: int, sets: list[Path]) -> int:
    requests = requests_for(sets)
    port = free_port()
    env = service_env(data_dir, port)
    log = Path(tempfile.mkdtemp(prefix="docqa-responses-")) / "serve.log"
    server = Server("docqa", [sys.executable, "-m", "docqa", "serve"], port, env, log, cwd=ROOT)
    server.start()
    try:
        answers = asyncio.run(_send(server.base, requests, concurrency))
    finally:
        server.stop()
    with out.open("w", encoding="utf-8") as f:
        for (path, body), (status, content) in zip(requests, answers, strict=True):
            record = {"path": path, "body": body, "status": status, "response": content.decode("utf-8")}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(requests)} responses -> {out}")
    return 0


def compare(a: Path, b: Path) -> int:
    left = a.read_text(encoding="utf-8").splitlines()
    right = b.read_text(encoding="utf-8").splitlines()
    if len(left) != len(right):
        print(f"{a}: {len(left)} responses, {b}: {len(right)}")
        return 1
    differ = 0
    for x, y in zip(left, right, strict=True):
        rx, ry = json.loads(x), json.loads(y)
        if rx["body"] != ry["body"]:
            print(f"not the same requests: {rx['body']} / {ry['body']}")
            return 1
        if (rx["status"], rx["response"]) != (ry["status"], ry["response"]):
            differ += 1
            if differ <= 5:
                print(f"differs: {rx['path']} {json.dumps(rx['body'], ensure_ascii=False)}")
    print(f"{len(left)} responses, {differ} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.responses", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="serve DIR and write every eval question's responses")
    d.add_argument("--data-dir", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--concurrency", type=int, default=1)
    d.add_argument("--sets", type=Path, nargs="+", default=sorted((ROOT / "eval" / "sets").glob("*.jsonl")))
    c = sub.add_parser("compare", help="exit 1 if two dumps differ")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = p.parse_args(argv)
    if args.command == "compare":
        return compare(args.a, args.b)
    if not (args.data_dir / "manifest.json").exists():
        print(f"bench.responses: {args.data_dir} holds no index (run docqa ingest first)", file=sys.stderr)
        return 2
    if args.concurrency < 1:
        print("bench.responses: --concurrency must be at least 1", file=sys.stderr)
        return 2
    return dump(args.data_dir, args.out, args.concurrency, args.sets)


if __name__ == "__main__":
    sys.exit(main())
