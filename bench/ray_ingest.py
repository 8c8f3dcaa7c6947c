"""Plain ingest against Ray ingest of the same files (issue 13): wall-clock seconds, as a user runs them.

    python -m bench.ray_ingest [--copies N] [--actors 1 2]

Each run is ``docqa ingest --quiet`` as a process into a fresh data directory: once plain, then
``--ray auto`` (a local Ray instance started by the command) with each ``--actors`` count. The
input is the sample corpus, or ``N`` copies of its files (each copy its own documents). Ray's
figure includes starting Ray and loading the models in every actor. Writes
``bench/results/ray-ingest-<timestamp>.json`` with the machine and its load averages.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import machine

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "corpus"


def _inputs(folder: Path, copies: int) -> Path:
    """The corpus files, ``copies`` times under other names (so other doc_ids), without its manifest."""
    folder.mkdir()
    for n in range(copies):
        for path in sorted(CORPUS.glob("*.txt")):
            shutil.copy(path, folder / f"c{n}_{path.name}")
    return folder


def _run(inputs: Path, data_dir: Path, extra: list[str]) -> dict:
    args = [sys.executable, "-m", "docqa", "ingest", "--quiet", "--data-dir", str(data_dir), str(inputs)]
    started = time.perf_counter()
    done = subprocess.run(args + extra, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args + extra)} failed:\n{done.stderr[-2000:]}")
    summary = next(line for line in done.stdout.splitlines() if line.startswith("index: "))
    return {"args": extra, "seconds": round(seconds, 1), "index": summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    start = machine.snapshot()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _inputs(Path(tmp, "in"), args.copies) if args.copies > 1 else CORPUS
        runs.append({"name": "plain", **_run(inputs, Path(tmp, "plain"), [])})
        for actors in args.actors:
            extra = ["--ray", "auto", "--ray-actors", str(actors)]
            runs.append({"name": f"ray, {actors} actor(s)", **_run(inputs, Path(tmp, f"ray{actors}"), extra)})
    end = machine.snapshot()
    result = {"machine": machine.info(), "start": start, "end": end, "copies": args.copies, "runs": runs}
    out = HERE / "results" / f"ray-ingest-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for run in runs:
        print(f"{run['name']}: {run['seconds']} s ({run['index']})")
    print(f"load average {start['loadavg']} -> {end['loadavg']}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
