"""CPU seconds a request, side by side (issue 16's 16-client throughput): ``python -m bench.cpu_sides``.

    python -m bench.cpu_sides --data-dir DIR --sides before=f798d77 after=. [--concurrency 16]
                              [--duration 15] [--rounds 4] [--endpoint /v1/search]

On 2 cores shared with other work, req/s at 16 clients follows the load; what a change does to
throughput is what it does to the CPU a request costs (throughput = busy cores / CPU-s a request).
Each side (``.``: this tree; otherwise a commit, in its own tree and venv, ``bench.baseline``)
serves the same data directory with the query cache off; a ``bench.loadgen`` process runs N closed-
loop clients against one side at a time, the sides alternating (who goes first swaps each round).
Around each slice the service process's CPU time (user + system, all its threads) is read from
psutil: CPU-s a request = CPU / requests, cores busy = CPU / wall. Writes
``results/cpu-sides-<time>.json`` with every slice and the load averages, and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import machine
from bench.baseline import ensure_tree
from bench.baseline import python as baseline_python
from bench.servers import Server, free_port, service_env

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _server(name: str, ref: str, data_dir: Path, work: Path, env: dict[str, str]) -> Server:
    """``ref``: ``.`` (this tree), a commit, or ``.:SCRIPT`` (this tree served by a script that
    patches it first and then calls ``docqa.cli.main(["serve"])``: an experiment's knobs)."""
    ref, _, script = ref.partition(":")
    tree = None if ref == "." else ensure_tree(ref)
    python = str(baseline_python(tree)) if tree else sys.executable
    port = free_port()
    env = {**service_env(data_dir, port), **env}
    argv = [python, script] if script else [python, "-m", "docqa.cli", "serve"]
    return Server(name, argv, port, env, work / f"{name}.log", cwd=tree or ROOT)


def _cpu(server: Server) -> float:
    assert server.proc is not None
    times = psutil.Process(server.proc.pid).cpu_times()
    return times.user + times.system


def _slice(server: Server, args: argparse.Namespace, queries: Path) -> dict:
    argv = [
        sys.executable, "-m", "bench.loadgen", server.base, args.endpoint, str(queries),
        "--concurrency", str(args.concurrency), "--duration", str(args.duration),
        "--max-requests", str(int(args.duration * 400)), "--warmup", "0",
    ]  # fmt: skip
    load0, cpu0, t0 = machine.snapshot()["loadavg"], _cpu(server), time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=args.duration + 300)
    cpu, wall = _cpu(server) - cpu0, time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"loadgen failed: {proc.stderr[-2000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    n = row["requests"] + row["errors"]
    row.update(
        cpu_s=round(cpu, 3),
        cpu_ms_per_request=round(1000 * cpu / max(1, n), 2),
        cores_busy=round(cpu / wall, 3),
        loadavg_before=load0,
        loadavg_after=machine.snapshot()["loadavg"],
    )
    return row


def _summary(slices: dict[str, list[dict]]) -> dict:
    out = {}
    for name, rows in slices.items():
        cpu = [r["cpu_ms_per_request"] for r in rows]
        out[name] = {
            "cpu_ms_per_request_median": round(statistics.median(cpu), 2),
            "cpu_ms_per_request": cpu,
            "cpu_ms_per_request_pooled": round(
                1000 * sum(r["cpu_s"] for r in rows) / max(1, sum(r["requests"] + r["errors"] for r in rows)),
                2,
            ),
            "throughput_rps": [r["throughput_rps"] for r in rows],
            "cores_busy": [r["cores_busy"] for r in rows],
            "errors": sum(r["errors"] for r in rows),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cpu_sides", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument(
        "--sides",
        nargs="+",
        required=True,
        help="NAME=REF (REF '.' is this tree, '.:SCRIPT' it through a script)",
    )
    p.add_argument("--env", nargs="*", default=[], help="NAME:VAR=VALUE set for one side only")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--duration", type=float, default=15.0)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--endpoint", default="/v1/search")
    p.add_argument("--set", type=Path, nargs="+", default=[ROOT / "eval/sets/corpus_v1.jsonl"])
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    work = Path(f"/tmp/cpu-sides-{time.strftime('%Y%m%d-%H%M%S')}")
    work.mkdir(parents=True)
    questions = [
        json.loads(line)["question"] for s in args.set for line in s.read_text("utf-8").splitlines() if line
    ]
    queries = work / "queries.json"
    queries.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    envs: dict[str, dict[str, str]] = {}
    for item in args.env:
        name, _, assignment = item.partition(":")
        var, _, value = assignment.partition("=")
        envs.setdefault(name, {})[var] = value
    sides = dict(s.split("=", 1) for s in args.sides)
    servers = {n: _server(n, ref, args.data_dir, work, envs.get(n, {})) for n, ref in sides.items()}
    out: dict = {
        "started": machine.snapshot(),
        "machine": machine.info(),
        "sides": sides,
        "env": envs,
        "args": {k: str(v) for k, v in vars(args).items()},
        "slices": {n: [] for n in servers},
    }
    try:
        for server in servers.values():
            server.start()
            subprocess.run(  # warm: the first requests load what is lazy
                [sys.executable, "-m", "bench.loadgen", server.base, args.endpoint, str(queries),
                 "--concurrency", "4", "--duration", "3", "--warmup", "0"],
                capture_output=True, cwd=ROOT, check=True,
            )  # fmt: skip
        order = list(servers.items())
        for rnd in range(args.rounds):
            for name, server in order if rnd % 2 == 0 else order[::-1]:
                row = _slice(server, args, queries)
                out["slices"][name].append(row)
                print(
                    f"round {rnd} {name}: {row['cpu_ms_per_request']} ms CPU/req, {row['throughput_rps']} "
                    f"req/s, {row['cores_busy']} cores, load {row['loadavg_after']}",
                    flush=True,
                )
    finally:
        for server in servers.values():
            server.stop()
        out["ended"] = machine.snapshot()
        out["summary"] = _summary(out["slices"])
        args.results.mkdir(parents=True, exist_ok=True)
        path = args.results / f"cpu-sides-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        print(json.dumps(out["summary"], ensure_ascii=False, indent=1))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
