"""One upload's steps before and after a change, side by side in one process:
``python -m bench.upload_sides --data-dir DIR --sides before,after [--rounds 2]``.

``bench.upload_profile --data-dir``'s upload (the newsletter ingested as the service's writer
does, the searcher refreshed, then the newsletter deleted again), repeated with the sides
alternating round by round, so the machine's load falls on both alike. A side is the code as
it is (``after``) or with one change undone by patching a function back (``SIDES``). Figures
per side and round: the whole write's wall and process CPU seconds until the searcher has it,
and each step's (``upload_profile.Steps``); then what the service does after that (``tidy``).
Writes ``bench/results/upload-sides-<N>-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import machine
from bench.scale_service import newsletter
from bench.upload_profile import Steps, instrument

HERE = Path(__file__).resolve().parent


def _faiss_read_whole() -> Callable[[], None]:
    """Before ``backends/flat_file.py``: the previous flat index read into memory, moved there
    and written whole; the searcher reads the new one into memory (``_flat_read``)."""
    from docqa.index import incremental
    from docqa.index.backends.faiss import FaissIndex

    real = incremental._previous  # noqa: SLF001

    def read_whole(folder: Path, dim: int) -> Any:
        return FaissIndex.load(folder, dim)

    incremental._previous = read_whole  # noqa: SLF001
    undo_read = _flat_read()

    def undo() -> None:
        incremental._previous = real  # noqa: SLF001
        undo_read()

    return undo


def _flat_read() -> Callable[[], None]:
    """Before a searcher mapped a flat index's rows: it read them into memory."""
    from docqa.index.backends import flat_file

    real = flat_file.is_flat
    flat_file.is_flat = lambda path, dim: False

    def undo() -> None:
        flat_file.is_flat = real

    return undo


# side name -> a patch that undoes changes (returns its undo); ``after`` is the code as it is
SIDES: dict[str, Callable[[], Callable[[], None]]] = {"before": _faiss_read_whole, "read": _flat_read}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.upload_sides", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--passages", type=int, default=100000, help="the label: passages in the data directory")
    p.add_argument("--sides", default="before,after")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    from docqa import runtime

    sides = args.sides.split(",")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    start = machine.snapshot()
    settings = runtime.settings(data_dir=args.data_dir)
    searcher = runtime.serving_searcher(settings)
    indexer = runtime.indexer(settings, data_dir=args.data_dir)
    indexer._embedder = searcher.embedder  # noqa: SLF001 - one model per process, as the service has
    indexer._aligned = (searcher.aligned,)  # noqa: SLF001
    searcher.embedder.warm_passages()
    indexer.kiwi.tokenize("준비")
    steps = Steps()
    instrument(steps, searcher.embedder)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="docqa-upload-sides-") as work:
        for number in range(args.rounds):
            for side in sides if number % 2 == 0 else reversed(sides):
                runs.append(_one(side, number, steps, indexer, searcher, Path(work)))
                print(json.dumps({k: v for k, v in runs[-1].items() if k != "steps"}), flush=True)
    out = {
        "passages": args.passages,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sides": sides,
        "runs": runs,
        "machine": machine.info(),
        "started": start,
        "ended": machine.snapshot(),
        "ingest_precision": os.environ.get("DOCQA_INGEST_PRECISION", "auto"),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"upload-sides-{args.passages}-{stamp}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(path)
    return 0


def _one(side: str, number: int, steps: Steps, indexer: Any, searcher: Any, work: Path) -> dict[str, Any]:
    """One upload and its delete on ``side``; the upload's figures."""
    undo = SIDES[side]() if side in SIDES else (lambda: None)
    try:
        marker, text = newsletter()
        upload = work / f"{side}-{number}" / "newsletter.txt"
        upload.parent.mkdir(parents=True)
        upload.write_text(text, encoding="utf-8")
        doc_id = f"newsletter-{marker[3:9]}"
        for table in (steps.wall, steps.cpu, steps.calls):
            table.clear()
        load = os.getloadavg()
        # as the service writes (``routes/documents._write``): superseded generations removed once
        # the searcher has the new one; ``before``: inside the publish, as before
        indexer.tidy_later = side != "before"
        w0, c0 = time.perf_counter(), time.process_time()
        indexer.ingest_paths(
            [upload], {"doc_id": doc_id, "title": f"{marker} 월간 소식"}, relative_to=upload.parent
        )
        searcher.refresh(wait=True)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        table = steps.table()
        t0 = time.perf_counter()
        indexer.tidy()  # after the write is visible (a no-op for ``before``: its publish did it)
        tidy_s = time.perf_counter() - t0
        publish = [r for r in table if r["step"].startswith("publish") or r["step"].startswith("searcher")]
        t0 = time.perf_counter()
        indexer.delete(doc_id)
        searcher.refresh(wait=True)
        indexer.tidy()
        return {
            "side": side,
            "round": number,
            "loadavg_before": [round(x, 2) for x in load],
            "total_wall_s": round(wall, 2),
            "total_cpu_s": round(cpu, 2),
            "tidy_after_visible_s": round(tidy_s, 3),
            "publish_and_reload_cpu_s": round(sum(r["cpu_s"] for r in publish), 3),
            "publish_and_reload_wall_s": round(sum(r["wall_s"] for r in publish), 3),
            "delete_s": round(time.perf_counter() - t0, 2),
            "steps": table,
        }
    finally:
        undo()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
