"""``python -m bench``: ingest, query latency, memory and scale, docqa beside txtai, in one run.

Writes ``bench/results/<timestamp>.json`` and ``.md`` and copies the table to ``latest.md``.
Every figure of the two systems comes from the same run on the same machine; the query runs
alternate between them so that load from other work hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import machine, report
from bench.servers import PeakRss, Server, free_port, service_env

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "data" / "corpus"
EVAL_SET = ROOT / "eval" / "sets" / "corpus_v1.jsonl"
ENDPOINTS = ("/v1/search", "/v1/ask")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short query runs, scale without 1M")
    p.add_argument("--no-txtai", action="store_true", help="docqa only (no ratios)")
    p.add_argument("--no-scale", action="store_true")
    p.add_argument("--scale-only", action="store_true")
    p.add_argument("--duration", type=float, help="seconds per load level (default 15, quick 5)")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="query runs per system and level, alternating (who goes first swaps each round); "
        "p50/p95 are the rounds' medians, req/s all requests over all their seconds",
    )
    p.add_argument("--sizes", type=int, nargs="+", help="scale sizes (default 10k 100k 1M; quick 10k 100k)")
    p.add_argument(
        "--variant",
        metavar="ARGS",
        default="",
        help="serve docqa through bench.variant with these knobs, e.g. '--torch-threads 2 --int8'",
    )
    p.add_argument(
        "--ingest-variant",
        metavar="ARGS",
        default="",
        help="the same for docqa's ingest and embedding-alone runs, e.g. '--int8'",
    )
    p.add_argument(
        "--baseline",
        metavar="ARGS",
        default="",
        help="also run docqa through bench.variant with these knobs, as 'before' beside 'ours' "
        "(ingest, embedding, serving, memory), e.g. '--runtime torch'",
    )
    p.add_argument(
        "--baseline-commit",
        metavar="REF",
        default="",
        help="'before' is docqa at this commit (its own tree and venv in bench/.baseline/, made once), "
        "with --baseline's knobs if given, e.g. the last commit before a change",
    )
    p.add_argument("--results", type=Path, default=HERE / "results")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = HERE / "tmp" / stamp
    work.mkdir(parents=True)
    out: dict = {
        "started": machine.snapshot(),
        "machine": machine.info(),
        "quick": args.quick,
        "argv": sys.argv[1:] if argv is None else argv,
        "backend": os.environ.get("DOCQA_BACKEND", "local"),  # docqa's index: local or milvus
        "variant": args.variant,
        "ingest_variant": args.ingest_variant,
        "baseline": args.baseline,
    }
    if args.baseline_commit:
        from bench import baseline

        out["baseline_commit"] = baseline.resolve(args.baseline_commit)
        out["baseline"] = f"commit {out['baseline_commit'][:12]}" + (
            f" {args.baseline}" if args.baseline else ""
        )
        args.before_tree = baseline.ensure_tree(args.baseline_commit, log)
    else:
        args.before_tree = None
    try:
        if not args.scale_only:
            _systems(args, work, out)
            _write(args.results, stamp, {**out, "ended": machine.snapshot()}, quiet=True)  # figures so far
        if not args.no_scale:
            out["scale"] = _scale(args, work)
    finally:
        out["ended"] = machine.snapshot()
        out["loaded_machine"] = machine.loaded(out["started"], out["ended"], out["machine"]["cores"])
        _write(args.results, stamp, out)
    shutil.rmtree(work, ignore_errors=True)
    return 0


# --- 1-3: ingest, queries, memory, both systems --------------------------------------------
def _systems(args: argparse.Namespace, work: Path, out: dict) -> None:
    txtai = None if args.no_txtai else _txtai_python()
    queries = work / "queries.json"
    questions = [
        json.loads(line)["question"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line
    ]
    queries.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    passages = work / "passages.jsonl"
    model = _model_dir()
    out["model"] = str(model)

    # Ingest and embedding run twice, alternating docqa and txtai; the faster of each pair is
    # kept (on a shared machine the minimum is the figure least inflated by other work).
    ours_dir = work / "ours"
    before_dir = work / "before"
    ingest: dict = {"ours": [], "before": [], "txtai": []}
    embedding: dict = {"ours": [], "before": [], "txtai": []}
    before = args.before_tree  # None: 'before' is this tree through bench.variant's knobs
    has_before = bool(args.baseline or before)
    for attempt in range(1 if args.quick else 2):
        log(f"1. ingest #{attempt + 1}: docqa")
        shutil.rmtree(ours_dir, ignore_errors=True)
        ingest["ours"].append(_ingest_ours(_docqa(args.ingest_variant), ours_dir, passages))
        if has_before:
            log(f"1. ingest #{attempt + 1}: docqa before ({out['baseline']})")
            shutil.rmtree(before_dir, ignore_errors=True)
            # an older tree's index is read by its own code only: its counts are not exported
            exported = None if before else work / "before.jsonl"
            ingest["before"].append(
                _ingest_ours(_docqa(args.baseline, before), before_dir, exported, before, ingest["ours"][-1])
            )
        if txtai:
            log(f"1. ingest #{attempt + 1}: txtai (the same passages)")
            shutil.rmtree(work / "txtai-index", ignore_errors=True)
            ingest["txtai"].append(
                _ingest_txtai(txtai, passages, model, work / "txtai-index", ingest["ours"][-1])
            )
        log(f"1. embedding alone #{attempt + 1}")
        embedding["ours"].append(
            _run_json([sys.executable, "-m", "bench.embed_ours", str(passages), *args.ingest_variant.split()])
        )
        if has_before:  # the same passage texts as ours
            python = str(baseline_python(before)) if before else sys.executable
            embedding["before"].append(
                _run_json(
                    [python, "-m", "bench.embed_ours", str(passages), *args.baseline.split()],
                    cwd=before or ROOT,
                )
            )
        if txtai:
            embedding["txtai"].append(
                _run_json([str(txtai), str(HERE / "txtai_side.py"), "embed", str(passages), str(model)])
            )
    from bench import flops

    out["flops"] = flops.tokens(questions, passages)
    out["ingest"] = {k: _best(v, "seconds") for k, v in ingest.items() if v}
    out["embedding"] = {k: _best(v, "seconds") for k, v in embedding.items() if v}
    if txtai:
        from bench import theirs

        out["versions"] = {"txtai_env": theirs.versions()}

    servers = {"ours": _our_server(args.variant, ours_dir, work, "ours")}
    if has_before:
        servers["before"] = _our_server(args.baseline, before_dir, work, "before", before)
    if txtai:
        port = free_port()
        servers["txtai"] = Server(
            "txtai",
            [str(txtai), str(HERE / "txtai_side.py"), "serve", str(work / "txtai-index"), str(port)],
            port,
            {},
            work / "txtai.log",
        )
    try:
        out["memory"], out["queries"] = {}, []
        for name, server in servers.items():
            log(f"2. starting {name}")
            ready = server.start()
            out["memory"][name] = {
                "ready_s": round(ready, 1),
                "rss_after_start_mb": round(server.rss_mb(), 1),
            }
            # txtai pages its model weights in on the first query, docqa while starting: one query
            # each puts both in the state they serve from.
            httpx.post(
                server.base + "/v1/search", json={"query": questions[0], "k": 10}, timeout=60, trust_env=False
            ).raise_for_status()
            out["memory"][name]["rss_after_first_query_mb"] = round(server.rss_mb(), 1)
        duration = args.duration or (5.0 if args.quick else 15.0)
        slices: dict[tuple[str, str, int], list[dict]] = {}
        for rnd in range(args.rounds):
            order = list(servers.items())
            for endpoint in ENDPOINTS:
                for conc in args.concurrency:
                    for name, server in order if rnd % 2 == 0 else order[::-1]:  # alternate
                        log(f"2. round {rnd + 1}: {name} {endpoint} x{conc} for {duration:.0f} s")
                        with PeakRss(server) as peak:
                            row = _load(server, endpoint, conc, duration, queries)
                        row["system"], row["rss_peak_mb"] = name, round(peak.peak, 1)
                        slices.setdefault((name, endpoint, conc), []).append(row)
        out["queries"] = [_merge(rows) for rows in slices.values()]
        for name, server in servers.items():
            out["memory"][name]["rss_after_load_mb"] = round(server.rss_mb(), 1)
            out["memory"][name]["rss_peak_under_load_mb"] = max(
                r["rss_peak_mb"] for r in out["queries"] if r["system"] == name
            )
    finally:
        for server in servers.values():
            server.stop()


def _merge(rows: list[dict]) -> dict:
    """One level's rounds as one row: median p50/p95/p99, throughput over all requests and seconds;
    each round's p50 and req/s kept, to show the spread the machine's load put on them."""
    if len(rows) == 1:
        return rows[0]
    import statistics

    requests, seconds = sum(r["requests"] for r in rows), sum(r["seconds"] for r in rows)
    merged = {**rows[0], "requests": requests, "seconds": round(seconds, 2)}
    merged["throughput_rps"] = round(requests / seconds, 2) if seconds else None
    merged["errors"] = sum(r["errors"] for r in rows)
    kinds: dict[str, int] = {}
    for r in rows:
        for kind, n in r.get("error_kinds", {}).items():
            kinds[kind] = kinds.get(kind, 0) + n
    merged["error_kinds"] = kinds
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms"):
        values = [r[key] for r in rows if r.get(key) is not None]
        merged[key] = round(statistics.median(values), 1) if values else None
    merged["rss_peak_mb"] = max(r["rss_peak_mb"] for r in rows)
    merged["rounds"] = [{"p50_ms": r["p50_ms"], "throughput_rps": r["throughput_rps"]} for r in rows]
    return merged


def _best(runs: list[dict], key: str) -> dict:
    best = min(runs, key=lambda r: r[key])
    return {**best, "all_" + key: [round(r[key], 1) for r in runs]}


def _txtai_python() -> Path:
    from bench import theirs

    return theirs.ensure_env(log)


def _model_dir() -> Path:
    from docqa.config import Settings
    from docqa.index.embedding import DEFAULT_MODEL

    return Settings().model_cache / DEFAULT_MODEL


def baseline_python(tree: Path) -> Path:
    from bench import baseline

    return baseline.python(tree)


def _docqa(variant: str, tree: Path | None = None) -> list[str]:
    """The docqa command line: plain, or through bench.variant with knobs turned; with ``tree``,
    an older commit's (run from that folder, ``--baseline-commit``)."""
    python = str(baseline_python(tree)) if tree else sys.executable
    if variant:
        return [python, "-m", "bench.variant", *variant.split(), "--"]
    return [python, "-m", "docqa.cli"]


def _ingest_ours(
    docqa: list[str],
    data_dir: Path,
    passages: Path | None,
    tree: Path | None = None,
    counted: dict | None = None,
) -> dict:
    """``docqa ingest`` of the corpus, timed; its passages exported to ``passages`` (or, for an
    older tree whose index this code does not read, the counts of ``counted``: the same corpus)."""
    env = {**os.environ, "DOCQA_DATA_DIR": str(data_dir)}
    t0 = time.perf_counter()
    subprocess.run(
        [*docqa, "ingest", str(CORPUS), "--quiet"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tree or ROOT,
    )
    seconds = time.perf_counter() - t0
    if passages is None:
        assert counted is not None
        counts = {k: counted[k] for k in ("documents", "passages", "sentences")}
    else:
        counts = _export_passages(data_dir, passages)
    return {
        **counts,
        "seconds": round(seconds, 1),
        "docs_per_s": round(counts["documents"] / seconds, 3),
        "passages_per_s": round(counts["passages"] / seconds, 2),
        "note": "docqa ingest end to end: process start, model load, read, clean, chunk, Kiwi, "
        "passage vectors (sentence vectors pooled from the same pass), SQLite, FAISS, BM25",
    }


def _export_passages(data_dir: Path, path: Path) -> dict:
    """The passages docqa made, as txtai's input: the same texts, so both index the same thing.
    Read in a child process: Milvus Lite serves its file to one process at a time, and the
    server started next must be able to open it (``DOCQA_BACKEND=milvus``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_read_passages, data_dir, path).result()


def _read_passages(data_dir: Path, path: Path) -> dict:
    from docqa import runtime
    from docqa.index.pipeline import embed_text

    settings = runtime.settings(data_dir=data_dir)  # DOCQA_BACKEND as the bench was started with
    store = runtime.open_rows(settings, runtime.read_manifest(settings))
    try:
        rows = store.passage_rows()
        sentences = sum(len(starts) for starts, _ in store.sentence_vectors().values())
    finally:
        store.close()
    with path.open("w", encoding="utf-8") as f:
        for row in rows.values():
            p = row.passage
            f.write(
                json.dumps(
                    {"id": p.passage_id, "doc_id": p.doc_id, "text": embed_text(p)}, ensure_ascii=False
                )
                + "\n"
            )
    return {
        "documents": len({r.passage.doc_id for r in rows.values()}),
        "passages": len(rows),
        "sentences": sentences,
    }


def _ingest_txtai(python: Path, passages: Path, model: Path, index: Path, ours: dict) -> dict:
    t0 = time.perf_counter()
    inner = _run_json(
        [str(python), str(HERE / "txtai_side.py"), "ingest", str(passages), str(model), str(index)]
    )
    seconds = time.perf_counter() - t0
    return {
        "documents": ours["documents"],
        "passages": inner["passages"],
        "seconds": round(seconds, 1),
        "docs_per_s": round(ours["documents"] / seconds, 3),
        "passages_per_s": round(inner["passages"] / seconds, 2),
        "inner": inner,
        "note": "process start, model load, index docqa's passages (hybrid), save",
    }


def _our_server(variant: str, data_dir: Path, work: Path, name: str, tree: Path | None = None) -> Server:
    port = free_port()
    argv = [*_docqa(variant, tree), "serve"]
    # The load generator cycles through one question list: with the query-embedding cache on, every
    # pass after the first would be served from memory and flatter us. Measure without it.
    env = service_env(data_dir, port)
    return Server(name, argv, port, env, work / f"{name}.log", cwd=tree or ROOT)


def _load(server: Server, endpoint: str, conc: int, duration: float, queries: Path) -> dict:
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        server.base,
        endpoint,
        str(queries),
        "--concurrency",
        str(conc),
        "--duration",
        str(duration),
        "--max-requests",
        str(int(duration * 200)),
    ]
    return _run_json(argv, timeout=duration + 300)


def _run_json(argv: list[str], timeout: float = 3600, cwd: Path = ROOT) -> dict:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv[:4])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- 4: scale ------------------------------------------------------------------------------
def _scale(args: argparse.Namespace, work: Path) -> dict:
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    results = {}
    for n in sizes:  # one process per size, so its memory figures are its own
        log(f"4. scale: {n:,} passages")
        results[str(n)] = _run_json([sys.executable, "-m", "bench.scale", str(n)], timeout=3600)
    return results


def _write(folder: Path, stamp: str, out: dict, quiet: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stamp}.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    table = report.markdown(out)
    (folder / f"{stamp}.md").write_text(table, encoding="utf-8")
    (folder / "latest.md").write_text(table, encoding="utf-8")
    log(f"wrote {folder / (stamp + '.json')} and {folder / (stamp + '.md')}")
    if not quiet:
        print(table)
