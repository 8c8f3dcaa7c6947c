"""``docqa eval SET`` and ``docqa eval compare RUN_A RUN_B``.

Imported by ``docqa.cli.build_parser`` on every command, so this module imports nothing heavy:
each command imports what it needs.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from docqa.core.errors import UsageError as CliError
from docqa.index.records import MODES

COMPARE = "compare"
COMPARED = ("MRR@10", "nDCG@10")
RUNS_DIR = Path("eval/runs")


def add_eval_parser(sub, add) -> None:
    p = add(
        "eval",
        cmd_eval,
        "measure retrieval on a question set; `docqa eval compare RUN_A RUN_B` tests a difference",
    )
    p.usage = (
        "docqa eval SET [--mode hybrid|dense|lexical|all] [--k 10] [--url URL] [--out DIR] [options]\n"
        "       docqa eval compare RUN_A RUN_B [--mode MODE] [--qrels FILE]"
    )
    p.add_argument("set", metavar="SET", help="eval/sets/*.jsonl, TREC qrels (with --queries) or SQuAD .json")
    p.add_argument(
        "runs", nargs="*", metavar="RUN", help="with `compare`: two run files or two --out folders"
    )
    p.add_argument("--mode", choices=(*MODES, "all"), help="default: all (compare: hybrid)")
    p.add_argument(
        "--k", type=int, default=10, choices=range(1, 101), metavar="1..100", help="results per query"
    )
    p.add_argument("--url", help="ask a running service (http://host:port) instead of the local index")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default 30)")
    p.add_argument("--out", type=Path, help="output folder (default eval/runs/<set>-<timestamp>)")
    p.add_argument("--format", choices=("jsonl", "trec", "squad"), help="default: by extension")
    p.add_argument("--queries", type=Path, help="TREC sets: qid<TAB>query file (default queries.tsv beside)")
    p.add_argument("--limit", type=int, help="evaluate a random sample of N questions")
    p.add_argument("--seed", type=int, default=0, help="seed of the --limit sample (default 0)")
    p.add_argument(
        "--index-dir",
        type=Path,
        help="SQuAD sets: their own data directory (default <data-dir>/../korquad-index)",
    )
    p.add_argument("--qrels", type=Path, help="compare: qrels for both runs (default qrels.trec beside each)")
    p.add_argument("--alpha", type=float, default=0.05, help="compare: significance level (default 0.05)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def cmd_eval(args: argparse.Namespace) -> int:
    if args.set == COMPARE:
        return cmd_compare(args)
    if args.runs:
        raise CliError(f"unexpected arguments: {' '.join(args.runs)} (only `eval compare` takes two runs)")
    from docqa.eval import runner

    evalset = _load(args)
    modes = MODES if args.mode in (None, "all") else (args.mode,)
    out = args.out or RUNS_DIR / f"{_slug(evalset.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    target = _target(args, evalset)
    try:
        result = runner.run_set(evalset, target, modes, k=args.k, progress=not args.quiet)
    finally:
        if isinstance(target, runner.HttpTarget):
            target.close()
    result.options = {"path": str(Path(args.set)), "limit": args.limit, "seed": args.seed}
    summary = runner.write_outputs(result, out)
    _print_summary(summary, out)
    answered = sum(1 for m in result.answers.values() for a in m if a.error is None)
    if not answered:
        print("docqa: every request failed; is the service running at that address?", file=sys.stderr)
        return 1
    return 0


# --- eval ----------------------------------------------------------------------------------
def _load(args: argparse.Namespace):
    from docqa.eval import sets

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    try:
        evalset = sets.load_set(Path(args.set), args.format, args.queries)
    except sets.SetError as exc:
        raise CliError(str(exc)) from exc
    return sets.sample(evalset, args.limit, args.seed)


def _target(args: argparse.Namespace, evalset):
    from docqa.eval import runner

    if args.url:
        if not re.match(r"^https?://", args.url):
            raise CliError(f"--url must start with http:// or https://, got {args.url!r}")
        return runner.HttpTarget(args.url.rstrip("/"), timeout=args.timeout)
    from docqa import runtime

    settings = runtime.settings(data_dir=args.data_dir, model=args.model)
    data_dir = settings.data_dir
    embedder = runtime.embedder(settings)
    kiwi = runtime.kiwi()
    if evalset.format == "squad":
        data_dir = (args.index_dir or settings.data_dir.parent / _index_name(evalset.name)).resolve()
        indexer = runtime.indexer(settings, model=embedder, analyser=kiwi, data_dir=data_dir)
        report = runner.ensure_index(evalset, indexer, progress=not args.quiet)
        added = report.count("added") + report.count("updated")
        print(f"{evalset.name}: {len(evalset.documents)} paragraphs in {data_dir} ({added} newly indexed)")
    elif runtime.read_manifest(settings, data_dir) is None:
        raise CliError(f"no index in {data_dir}: run `docqa ingest PATH` first, or pass --url")
    return runner.LocalTarget(runtime.searcher(settings, model=embedder, analyser=kiwi, data_dir=data_dir))


def _index_name(set_name: str) -> str:
    return "korquad-index" if set_name.lower().startswith("korquad") else f"{_slug(set_name)}-index"


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-") or "set"


def _print_summary(summary: dict, out: Path) -> None:
    names = ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "nDCG@10", "Recall@10")
    print(f"{summary['set']['name']}: {summary['set']['questions']} questions, {summary['target']}")
    print(
        f"{'mode':<8} " + " ".join(f"{n:>9}" for n in names) + f" {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}"
    )
    for mode, m in summary["modes"].items():
        values = " ".join(f"{m['overall'][n]:>9.3f}" for n in names)
        lat = m["latency_ms"]
        print(f"{mode:<8} {values} {lat['p50']:>8.1f} {lat['p95']:>8.1f} {len(m['errors']):>6}")
    print(f"written to {out}/ (report.md, metrics.json, chart.png, run.*.trec, qrels.trec)")


# --- compare -------------------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    """Paired tests on per-query MRR@10 and nDCG@10 of two runs over the same questions."""
    from docqa.eval import metrics

    if len(args.runs) != 2:
        raise CliError("usage: docqa eval compare RUN_A RUN_B (two run files or two eval output folders)")
    if args.mode == "all":
        raise CliError("compare takes one --mode")
    sides = [_run_side(Path(p), args.mode or "hybrid", args.qrels) for p in args.runs]
    (run_a, qrels_a, qids_a), (run_b, qrels_b, qids_b) = sides
    qids = [q for q in qids_a if q in set(qids_b)]
    if not qids:
        raise CliError("the two runs have no question in common")
    table_a = metrics.per_query(qrels_a, run_a, qids, COMPARED)
    table_b = metrics.per_query(qrels_b, run_b, qids, COMPARED)
    print(f"A: {_label(args.runs[0], args.mode)}\nB: {_label(args.runs[1], args.mode)}")
    note = "" if len(qids) == len(qids_a) == len(qids_b) else f" (of {len(qids_a)} in A, {len(qids_b)} in B)"
    print(f"{len(qids)} paired questions{note}")
    print(
        f"{'measure':<9} {'mean A':>7} {'mean B':>7} {'delta':>7} {'t-test p':>9} {'Wilcoxon p':>10} "
        f"{'random p':>9}  verdict"
    )
    for name in COMPARED:
        test = metrics.paired_test([table_a[q][name] for q in qids], [table_b[q][name] for q in qids])
        print(
            f"{name:<9} {test['mean_a']:>7.4f} {test['mean_b']:>7.4f} {test['delta']:>+7.4f} "
            f"{_p(test['p_ttest']):>9} {_p(test['p_wilcoxon']):>10} {_p(test['p_random']):>9}  "
            f"{_verdict(test, args.alpha)}"
        )
    return 0


def _run_side(path: Path, mode: str, qrels: Path | None):
    """(run, qrels, qids) of one side: a run file, or an output folder and a mode."""
    from docqa.eval import metrics, sets

    folder = path if path.is_dir() else path.parent
    run_file = path / f"run.{mode}.trec" if path.is_dir() else path
    qrels_file = qrels or folder / "qrels.trec"
    for needed, what in ((run_file, "run file"), (qrels_file, "qrels file (name one with --qrels)")):
        if not needed.is_file():
            raise CliError(f"no {what}: {needed}")
    try:
        run, judged = metrics.read_run(run_file), metrics.read_qrels(qrels_file)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    queries = folder / "queries.tsv"
    # Every question asked counts, also one that neither retrieved nor has anything relevant.
    qids = list(sets.read_queries(queries)) if queries.is_file() else list(dict.fromkeys([*judged, *run]))
    return run, judged, qids


def _label(path: str, mode: str | None) -> str:
    return f"{path} ({mode or 'hybrid'})" if Path(path).is_dir() else path


def _p(value: float) -> str:
    if value != value:  # NaN: the test is undefined for these values
        return "n/a"
    return f"{value:.1e}" if value < 1e-4 else f"{value:.4f}"


def _verdict(test: dict, alpha: float) -> str:
    p_t, p_w = test["p_ttest"], test["p_wilcoxon"]
    if test["delta"] == 0 and p_t == 1.0:
        return "no difference"
    better = "B" if test["delta"] > 0 else "A"
    if p_t < alpha and p_w < alpha:
        return f"{better} better, significant at {alpha} (both tests)"
    if p_t < alpha or p_w < alpha:
        return f"{better} better by one test only (p < {alpha}): borderline"
    return f"not significant at {alpha}"
