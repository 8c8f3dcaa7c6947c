"""Where one upload's time goes, step by step: ``python -m bench.upload_profile --passages N``.

The bench's newsletter (``bench.scale_service.newsletter``: ~290 passages of KorQuAD text) is
ingested in process, as the service's writer does (``Indexer.ingest_paths``, then the searcher
loads the new generation), into a data directory of N passages made by ``bench.scale_data``
from the seed (``bench.scale_seed``). The models are loaded and warmed first and not counted.
Each step is timed by wrapping the function that does it: wall seconds, and the CPU seconds of
the whole process meanwhile (the bf16 pass runs on worker threads). A step's figures exclude
the steps nested inside it. No clients search: this is the write's own cost.

Writes ``bench/results/upload-profile-<N>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import machine, scale_data, scale_seed
from bench.scale_service import newsletter

HERE = Path(__file__).resolve().parent


class Steps:
    """Wall and process-CPU seconds per named step, nested steps taken out of their parent."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []  # per open step: the children's wall and cpu

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.process_time()
        self._stack.append([0.0, 0.0])
        try:
            yield
        finally:
            child_w, child_c = self._stack.pop()
            w, c = time.perf_counter() - w0, time.process_time() - c0
            self.wall[name] = self.wall.get(name, 0.0) + w - child_w
            self.cpu[name] = self.cpu.get(name, 0.0) + c - child_c
            self.calls[name] = self.calls.get(name, 0) + 1
            if self._stack:
                self._stack[-1][0] += w
                self._stack[-1][1] += c

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        """Time every call of ``owner.attr`` (a module's function or a class's method) as ``name``."""
        inner: Callable[..., Any] = getattr(owner, attr)
        steps = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            with steps.step(name):
                return inner(*args, **kwargs)

        setattr(owner, attr, timed)

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "step": k,
                "wall_s": round(self.wall[k], 3),
                "cpu_s": round(self.cpu[k], 3),
                "calls": self.calls[k],
            }
            for k in sorted(self.wall, key=lambda k: -self.wall[k])
        ]


def instrument(steps: Steps, embedder: Any) -> None:
    """Wrap the functions of each step of an upload (module attributes, as their callers look them up)."""
    from docqa.index import (
        aliases,
        aligned_ingest,
        document_vectors,
        generation,
        incremental,
        pipeline,
        search,
    )
    from docqa.index import snapshots as snaps
    from docqa.index.backends.bm25tf import TfBm25Index
    from docqa.index.backends.faiss import FaissIndex
    from docqa.index.backends.flat_file import FlatFile, MovedFlat
    from docqa.index.store import Store
    from docqa.ingest import chunk

    steps.wrap(pipeline, "read_inputs", "parse (read, clean)")
    steps.wrap(chunk, "split_sentences", "Kiwi sentences")
    steps.wrap(chunk, "make_passages", "chunk (passages)")
    steps.wrap(embedder, "encode_passages_with_spans", "e5 passages (+ pooled sentences)")
    steps.wrap(embedder, "encode_passages", "e5 sentences alone")
    steps.wrap(document_vectors, "e5_vectors", "e5 bookkeeping")
    steps.wrap(aligned_ingest, "vectors", "USE-m3 passages + sentences")
    steps.wrap(aligned_ingest, "term_vectors", "USE-m3 terms")
    steps.wrap(pipeline, "_lexical_terms", "BM25 terms (Kiwi)")
    steps.wrap(aliases, "records", "alias mining (Kiwi)")
    steps.wrap(Store, "known_vectors", "DB reads")
    steps.wrap(Store, "fingerprint", "DB reads")
    steps.wrap(snaps, "pin", "publish: pin")
    steps.wrap(generation, "alias_table", "publish: alias table")
    steps.wrap(incremental, "update", "publish: FAISS + BM25 update")
    steps.wrap(FaissIndex, "moved", "publish: FAISS remove + add")
    steps.wrap(TfBm25Index, "updated", "publish: BM25 postings updated")
    _time_loads(steps, FaissIndex, "publish: FAISS read (and the searcher's mapped)")
    _time_loads(steps, FlatFile, "publish: FAISS read (and the searcher's mapped)", "open")
    steps.wrap(FlatFile, "moved", "publish: FAISS remove + add")
    steps.wrap(MovedFlat, "save", "publish: save indexes")
    steps.wrap(generation, "_drop_old_generations", "publish: old generations removed")
    steps.wrap(FaissIndex, "save", "publish: save indexes")
    steps.wrap(TfBm25Index, "save", "publish: save indexes")
    steps.wrap(generation, "_fsync_tree", "publish: fsync")
    steps.wrap(generation, "build", "publish: rest")
    steps.wrap(search.Searcher, "refresh", "searcher loads the generation")
    # Store.transaction is a context manager: wrapping it times entering only, so time the body
    _time_transactions(steps, Store)


def _time_loads(steps: Steps, cls: Any, name: str, method: str = "load") -> None:
    inner = cls.__dict__[method].__func__

    def load(owner: Any, *args: Any, **kwargs: Any) -> Any:
        with steps.step(name):
            return inner(owner, *args, **kwargs)

    setattr(cls, method, classmethod(load))


def _time_transactions(steps: Steps, store_cls: Any) -> None:
    inner = store_cls.__dict__["transaction"]

    @contextmanager
    def transaction(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with steps.step("DB commit"), inner(self, *args, **kwargs) as value:
            yield value

    store_cls.transaction = transaction


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.upload_profile", description=__doc__.splitlines()[0])
    p.add_argument("--passages", type=int, default=10000, help="passages in the data directory first")
    p.add_argument("--seed-dir", type=Path, default=scale_seed.DEFAULT_SEED)
    p.add_argument("--work-dir", type=Path, help="keep the data directory here (default: a temp folder)")
    p.add_argument(
        "--data-dir",
        type=Path,
        help="profile on this data directory as it is (e.g. scale_service --keep's; 1M takes ~10 min to "
        "make), the newsletter deleted again afterwards; --passages is then only the label",
    )
    p.add_argument("--results", type=Path, default=HERE / "results")
    p.add_argument("--label", default="", help="a word for the results file's name (before, after)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from docqa import runtime

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    start = machine.snapshot()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="docqa-upload-profile-"))
    data_dir = args.data_dir or work / "data"
    made: dict = {}
    if args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)
        made = scale_data.build(args.seed_dir, data_dir, args.passages)
    marker, text = newsletter()
    upload = work / "upload" / "newsletter.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text(text, encoding="utf-8")
    settings = runtime.settings(data_dir=data_dir)
    t0 = time.perf_counter()
    searcher = runtime.serving_searcher(
        settings
    )  # as ``docqa serve`` starts: models warm, torch's threads set
    indexer = runtime.indexer(settings, data_dir=data_dir)
    indexer._embedder = searcher.embedder  # noqa: SLF001 - one model per process, as the service has
    indexer._aligned = (searcher.aligned,)  # noqa: SLF001
    searcher.embedder.warm_passages()
    indexer.kiwi.tokenize("준비")
    loaded_s = time.perf_counter() - t0
    steps = Steps()
    instrument(steps, searcher.embedder)
    w0, c0 = time.perf_counter(), time.process_time()
    report = indexer.ingest_paths(
        [upload],
        {"doc_id": f"newsletter-{marker[3:9]}", "title": f"{marker} 월간 소식"},
        relative_to=upload.parent,
    )
    searcher.refresh(wait=True)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    table = steps.table()  # the upload's steps, not the delete's
    deleted_s = None
    if args.data_dir is not None:  # as it was, for the next run
        t0 = time.perf_counter()
        indexer.delete(f"newsletter-{marker[3:9]}")
        searcher.refresh(wait=True)
        deleted_s = round(time.perf_counter() - t0, 2)
    out = {
        "passages": args.passages,
        "label": args.label,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "newsletter_passages": report.outcomes[0].passages,
        "total_wall_s": round(wall, 2),
        "total_cpu_s": round(cpu, 2),
        "unaccounted_wall_s": round(wall - sum(r["wall_s"] for r in table), 2),
        "delete_s": deleted_s,  # with --data-dir: the newsletter deleted again, until the searcher has it
        "steps": table,
        "models_loaded_s": round(loaded_s, 1),
        "machine": machine.info(),
        "started": start,
        "ended": machine.snapshot(),
        "data_made": made,
        "ingest_precision": os.environ.get("DOCQA_INGEST_PRECISION", "auto"),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    name = f"upload-profile-{args.passages}-{args.label + '-' if args.label else ''}{stamp}.json"
    (args.results / name).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
