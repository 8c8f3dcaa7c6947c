"""The ``docqa`` command: ingest, serve, ask, search, stats, aliases, delete, eval.

Heavy libraries (torch, FAISS, Kiwi) are imported inside the sub-commands that need them,
so ``docqa --help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docqa import runtime
from docqa.config import Settings
from docqa.core.errors import DocqaError, UsageError
from docqa.core.process import one_blas_thread
from docqa.core.text import lone_surrogate
from docqa.index.records import MODES

if TYPE_CHECKING:
    from docqa.index.pipeline import Report
    from docqa.index.records import SearchResult
    from docqa.index.search import Searcher

# A problem the user can fix: printed without a traceback, exit status 2.
CliError = UsageError


def _settings(args: argparse.Namespace) -> Settings:
    return runtime.settings(
        data_dir=getattr(args, "data_dir", None),
        model=getattr(args, "model", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


def _searcher(settings: Settings) -> Searcher:
    if runtime.read_manifest(settings) is None:
        raise CliError(f"no index in {settings.data_dir}: run `docqa ingest PATH` first")
    return runtime.searcher(settings)


def _search(settings: Settings, query: str, **options: Any) -> SearchResult:
    """One search of the index in ``settings``, its numpy products on one thread
    (``one_blas_thread``)."""
    searcher = _searcher(settings)
    with one_blas_thread():
        return searcher.search(query, **options)


# --- sub-commands ----------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.ray_actors is not None and not args.ray:
        raise CliError("--ray-actors counts the actors of --ray: give --ray ADDRESS too")
    settings = _settings(args)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise CliError("no such file or folder: " + ", ".join(missing))
    given = _given_meta(args)
    if given and (len(args.paths) != 1 or Path(args.paths[0]).is_dir()):
        raise CliError("--doc-id, --title, --source, --published and --url describe one file: name one")
    units = {"reading": "file", "indexing": "doc"}
    ray = runtime.ray_embedding(settings, args.ray, args.ray_actors, not args.quiet) if args.ray else None
    report = runtime.indexer(settings).ingest_paths(
        [Path(p) for p in args.paths],
        given or None,
        progress=lambda step, total: tqdm(total=total, desc=step, unit=units[step], disable=args.quiet),
        elsewhere=ray,
    )
    _print_report(report, settings)
    if ray is not None:
        print(f"embedded on Ray: {ray.sent} document(s)")
    return 0 if report.outcomes or not report.skipped else 1


def _given_meta(args: argparse.Namespace) -> dict[str, str]:
    """Metadata flags for a single file; they win over its manifest row and what is inferred."""
    from docqa.ingest.fields import DocumentFields

    given = {key: getattr(args, key) for key in ("doc_id", "title", "source", "published", "url")}
    from pydantic import ValidationError

    try:
        return DocumentFields(**given).meta()
    except ValidationError as exc:
        raise CliError("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from exc


def _print_report(report: Report, settings: Settings) -> None:
    added = sum(o.passages for o in report.outcomes if o.status in ("added", "updated"))
    for outcome in report.outcomes:
        if outcome.status != "unchanged":
            print(f"{outcome.status} {outcome.doc_id}: {outcome.passages} passages")
    warned = [o for o in report.outcomes if o.warnings]  # read, but maybe not whole (a repaired PDF)
    print(
        f"documents: {report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged; passages written: {added}"
        + (f"; published {len(report.published)} committed earlier" if report.published else "")
        + (f"; {len(warned)} with warnings" if warned else "")
    )
    if report.published:  # an earlier run stored them, then failed or was killed before publishing
        shown = ", ".join(report.published[:10]) + (", ..." if len(report.published) > 10 else "")
        print(
            f"published {len(report.published)} document(s) that an earlier run stored but did not "
            f"publish: {shown}"
        )
    for outcome in warned:
        for warning in outcome.warnings:
            print(f"warning {outcome.path or outcome.doc_id}: {warning}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if report.manifest:
        m = report.manifest
        print(f"index: {m.documents} documents, {m.passages} passages in {settings.data_dir}")


def cmd_delete(args: argparse.Namespace) -> int:
    settings = _settings(args)
    outcome = runtime.indexer(settings).delete(args.doc_id)
    if outcome is None:
        raise CliError(f"no document with doc_id {args.doc_id!r}")
    print(f"deleted {args.doc_id}: {outcome.passages} passages")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from docqa.service.app import create_app

    settings = _settings(args)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from docqa.index.records import Citation, Filters

    settings = _settings(args)
    try:
        filters = Filters.checked(args.doc_id, args.source, args.published_from, args.published_to)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    query = _query(args.query)
    result = _search(settings, query, k=args.k, mode=args.mode, filters=filters)
    citations = [Citation.of(h) for h in result.hits]
    if args.json:  # the API's JSON: the same Citation records
        payload = {
            "query": result.query,
            "mode": result.mode,
            "took_ms": round(result.took_ms, 2),
            "results": [asdict(c) for c in citations],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    for c in citations:
        print(c.line(f"{c.rank:>2}. [{c.score:.3f}]"))
        print("    " + " ".join(c.text.split())[:300])
    print(f"({len(result.hits)} results, {result.took_ms:.0f} ms, mode {result.mode})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from docqa.index.answer import answer

    settings = _settings(args)
    question = _query(args.question)
    result = answer(_search(settings, question, k=args.k))
    print(result.answer)
    if result.citations:
        print()
    for c in result.citations:
        print(c.line(f"[{c.rank}]"))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    manifest = runtime.read_manifest(settings)
    if manifest is None:
        raise CliError(f"no index in {settings.data_dir}: run `docqa ingest PATH` first")
    print(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_aliases(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from docqa.index.aliases import listing
    from docqa.index.lexical import fold_han
    from docqa.index.readings import pinyin_syllables

    settings = _settings(args)
    manifest = runtime.read_manifest(settings)
    if manifest is None:
        raise CliError(f"no index in {settings.data_dir}: run `docqa ingest PATH` first")
    store = runtime.open_rows(settings, manifest)
    try:
        pairs = listing(store.alias_records(), fold_han, pinyin_syllables)
    finally:
        store.close()
    if args.json:
        print(json.dumps([asdict(p) for p in pairs], ensure_ascii=False, indent=2))
        return 0
    for p in pairs:
        print(f"{p.korean}\t{p.gloss}\t{' '.join(p.keys)}\t{p.count}\t{','.join(p.documents)}")
    print(f"({len(pairs)} pairs in generation {manifest.generation})", file=sys.stderr)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from docqa.index.milvus.client import disconnect
    from docqa.index.milvus.migrate import migrate

    settings = _settings(args)
    if args.milvus_uri:
        settings = settings.model_copy(update={"milvus_uri": args.milvus_uri})
    where = runtime.milvus_target(settings)
    try:
        done = migrate(settings.data_dir, where, progress=lambda doc_id: print(f"copied {doc_id}"))
    finally:
        disconnect(where)
    print(
        f"{done.documents} documents, {done.passages} passages now in {done.target}; serve them with "
        "DOCQA_BACKEND=milvus" + (f" DOCQA_MILVUS_URI={where.uri}" if args.milvus_uri else "")
    )
    return 0


def _query(text: str) -> str:
    bad = lone_surrogate(text)
    if bad:
        raise CliError(f"the question contains {bad} (bytes that are not UTF-8?)")
    if not text.strip():
        raise CliError("the question is empty")
    if len(text) > 2000:
        raise CliError(f"the question is {len(text)} characters long; the limit is 2000")
    return text.strip()


# --- parser ----------------------------------------------------------------------------
def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docqa", description="Questions over Korean documents, with citations."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--data-dir", type=Path, help="data directory (env DOCQA_DATA_DIR)")
        p.add_argument("--model", help="sentence-transformers model name or path (env DOCQA_MODEL)")
        p.set_defaults(func=func)
        return p

    p = add("ingest", cmd_ingest, "add or update documents (.txt .md .html .pdf, files or folders)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--doc-id", help="one file only: its doc_id (default: from its name); replaces that doc")
    for name in ("title", "source", "url"):
        p.add_argument(f"--{name}", help="one file only")
    p.add_argument("--published", metavar="DATE", help="one file only: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="cut and embed on Ray (pip install 'docqa[ray]'): auto (ray.init(): RAY_ADDRESS or a local "
        "instance) or a cluster's address, ray://head:10001",
    )
    p.add_argument(
        "--ray-actors",
        type=_positive,
        metavar="N",
        help="with --ray: embedding actors (default: one per CPU)",
    )

    p = add("delete", cmd_delete, "remove a document from the index")
    p.add_argument("doc_id")

    p = add("serve", cmd_serve, "serve the HTTP API on what is in the data directory")
    p.add_argument("--host", help="env DOCQA_HOST (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="env DOCQA_PORT (default 8000)")

    p = add("search", cmd_search, "print the passages that match a query")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=10, choices=range(1, 101), metavar="1..100")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--doc-id")
    p.add_argument("--source")
    p.add_argument("--from", dest="published_from", metavar="DATE")
    p.add_argument("--to", dest="published_to", metavar="DATE")
    p.add_argument("--json", action="store_true", help="print the API's JSON")

    p = add("ask", cmd_ask, "answer a question with cited sentences")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5, choices=range(1, 21), metavar="1..20")

    add("stats", cmd_stats, "print the index manifest (model, counts, build time)")

    p = add("aliases", cmd_aliases, "list the Korean name + gloss pairs mined from the documents")
    p.add_argument("--json", action="store_true", help="one JSON record per pair")

    p = add(
        "migrate", cmd_migrate, "copy the local index in the data directory into Milvus (no re-embedding)"
    )
    p.add_argument("--to", choices=["milvus"], required=True, help="the backend to copy into")
    p.add_argument("--milvus-uri", help="env DOCQA_MILVUS_URI (default: milvus.db in the data directory)")

    try:
        from docqa.eval.cli import add_eval_parser
    except ImportError:
        pass
    else:
        add_eval_parser(sub, add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DocqaError as exc:  # every stage's user-facing error: a message, not a traceback
        print(f"docqa: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run through the imported module, so sub-commands that import docqa.cli share its classes.
    from docqa.cli import main as _main

    sys.exit(_main())
