"""``python -m bench.probe_openapi``: schemathesis against a live docqa, with and without the API key.

The full probe (issue 11, defect 11): the sample corpus is ingested into a fresh data directory
(or ``--data-dir`` is copied), ``docqa serve`` runs on it with an API key, and schemathesis runs
every phase with ``--checks all`` twice, without the key and with it (its writes and deletes
touch only that copy). Writes ``bench/results/openapi-<timestamp>.json``: per run the cases
generated, the failures, the rejections forgiven by ``bench/schemathesis_hooks.py``, and every
response by status (the targets: no failure, no response >= 500, at least 5,000 cases a run).

``--url URL`` runs against a server already up instead (tests/service/test_openapi.py runs it so,
bounded by ``--max-examples``) and prints the result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOOKS = HERE / "schemathesis_hooks.py"
KEY = "probe-key-" + "0123456789abcdef"  # a key only this probe's server knows


def schemathesis(
    url: str, *, key: str | None, max_examples: int, work: Path, seed: int | None = None
) -> dict:
    """One schemathesis run (every phase, ``--checks all``) against ``url``; what it found."""
    reports = Path(tempfile.mkdtemp(prefix="schemathesis-", dir=work))
    argv = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--report",
        "json,har",
        "--report-dir",
        str(reports),
        "--generation-database",
        "none",
        "--no-color",
    ]
    if key:
        argv += ["-H", f"Authorization: Bearer {key}"]
    if seed is not None:
        argv += ["--seed", str(seed)]
    started = time.monotonic()
    done = subprocess.run(
        argv, env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}, capture_output=True, text=True, cwd=work
    )
    summary = json.loads(next(reports.glob("json-*.json")).read_text())
    entries = json.loads(next(reports.glob("har-*.json")).read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    shutil.rmtree(reports)
    return {
        "key": bool(key),
        "seed": summary["seed"],
        "exit_code": done.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "cases": summary["test_cases"]["generated"],
        "failures": summary["test_cases"]["unique_failures"],
        "errors": len(summary["errors"]),
        "forgiven": summary.get("filtered", 0),
        "responses": len(entries),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "by_status": {str(status): n for status, n in sorted(statuses.items())},
        "output": "" if done.returncode == 0 else done.stdout[-20000:] + done.stderr[-4000:],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.probe_openapi", description=__doc__.splitlines()[0])
    p.add_argument("--url", help="probe this running server (and print JSON) instead of starting one")
    p.add_argument("--key", help="with --url: the API key to send (default: none)")
    p.add_argument("--max-examples", type=int, default=450, help="schemathesis cases per operation and phase")
    p.add_argument("--data-dir", type=Path, help="an index to copy (default: ingest data/corpus afresh)")
    p.add_argument(
        "--out", type=Path, help="the result file (default bench/results/openapi-<timestamp>.json)"
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docqa-probe-") as folder:
        work = Path(folder)
        if args.url:
            print(json.dumps(schemathesis(args.url, key=args.key, max_examples=args.max_examples, work=work)))
            return 0
        runs = _probe_a_server(args, work)
    out = args.out or HERE / "results" / f"openapi-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"max_examples": args.max_examples, "runs": runs}
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for run in runs:
        print(
            f"key={run['key']}: {run['cases']} cases, {run['failures']} failures, {run['errors']} errors, "
            f"{run['server_errors']} responses >= 500 of {run['responses']} ({run['seconds']} s)"
        )
    print(f"written to {out}")
    return 0 if all(r["exit_code"] == 0 and not r["server_errors"] for r in runs) else 1


def _probe_a_server(args: argparse.Namespace, work: Path) -> list[dict]:
    from bench.servers import Server, free_port

    data = work / "index"
    if args.data_dir:
        shutil.copytree(args.data_dir, data)
    else:
        env = {**os.environ, "DOCQA_DATA_DIR": str(data)}
        subprocess.run(
            [sys.executable, "-m", "docqa.cli", "ingest", str(ROOT / "data" / "corpus")], env=env, check=True
        )
    port = free_port()
    env = {
        "DOCQA_DATA_DIR": str(data),
        "DOCQA_API_KEY": KEY,
        "DOCQA_HOST": "127.0.0.1",
        "DOCQA_PORT": str(port),
    }
    server = Server("docqa", [sys.executable, "-m", "docqa.cli", "serve"], port, env, work / "serve.log")
    server.start()
    try:
        # without the key first: the run with it deletes documents (stateful links GET -> DELETE)
        return [
            schemathesis(server.base, key=key, max_examples=args.max_examples, work=work)
            for key in (None, KEY)
        ]
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
