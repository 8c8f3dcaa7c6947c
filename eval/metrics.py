"""The measures, as thin wiring to ir-measures, plus TREC files and paired significance tests.

Every function is pure except the TREC readers and writers. A run is ``{qid: [(passage_id,
score), ...]}`` in rank order; qrels are ``{qid: {passage_id: grade}}``. Every question asked
gets a value for every measure: ir-measures already scores a query missing from the run as 0,
and a query with no relevant passage (which it would leave out) is scored 0 here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import ir_measures
from ir_measures import RR, R, Success, nDCG

Run = dict[str, list[tuple[str, float]]]
Qrels = dict[str, dict[str, int]]
PerQuery = dict[str, dict[str, float]]  # qid -> measure name -> value

# The names the report uses, and the ir-measures objects behind them (Hit@k is Success@k).
MEASURES = {
    "Hit@1": Success @ 1,
    "Hit@3": Success @ 3,
    "Hit@5": Success @ 5,
    "Hit@10": Success @ 10,
    "MRR@10": RR @ 10,
    "nDCG@10": nDCG @ 10,
    "Recall@10": R @ 10,
}
NAMES: tuple[str, ...] = tuple(MEASURES)
SCORE_DECIMALS = 6


# --- measures ----------------------------------------------------------------------------
def per_query(qrels: Qrels, run: Run, qids: Iterable[str], names: Sequence[str] = NAMES) -> PerQuery:
    """Every measure for every qid in ``qids``; 0 where the run or the qrels have nothing."""
    qids = list(dict.fromkeys(qids))
    wanted = set(qids)
    judged = [
        ir_measures.Qrel(qid, pid, grade)
        for qid, grades in qrels.items()
        if qid in wanted
        for pid, grade in grades.items()
    ]
    scored = [ir_measures.ScoredDoc(qid, pid, score) for qid, pid, score in _ranked(run) if qid in wanted]
    by_measure = {MEASURES[name]: name for name in names}
    table: PerQuery = {qid: dict.fromkeys(names, 0.0) for qid in qids}
    if judged:
        for metric in ir_measures.iter_calc(list(by_measure), judged, scored):
            table[metric.query_id][by_measure[metric.measure]] = float(metric.value)
    return table


def mean(table: PerQuery, qids: Iterable[str] | None = None) -> dict[str, float]:
    """Mean of each measure over ``qids`` (all rows by default), with ``n``."""
    rows = [table[q] for q in (table if qids is None else qids)]
    names = next(iter(table.values())).keys() if table else NAMES
    out = {name: (sum(r[name] for r in rows) / len(rows) if rows else 0.0) for name in names}
    out["n"] = len(rows)
    return out


def breakdown(table: PerQuery, group_of: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Means per group value (``group_of``: qid -> value), largest group first."""
    members: dict[str, list[str]] = {}
    for qid in table:
        members.setdefault(group_of.get(qid, "-"), []).append(qid)
    ordered = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {value: mean(table, qids) for value, qids in ordered}


def latency(ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean of per-query latencies in milliseconds (nearest-rank percentiles)."""
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0, "n": 0}
    ordered = sorted(ms)

    def pct(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"p50": pct(50), "p95": pct(95), "mean": sum(ordered) / len(ordered), "n": len(ordered)}


# --- TREC files --------------------------------------------------------------------------
def _ranked(run: Run) -> Iterable[tuple[str, str, float]]:
    """(qid, passage_id, score) with scores made strictly decreasing down each list.

    trec_eval and ir-measures order by score and break ties by document id, not by rank, so a
    tie (or a score rounded in the file) could reorder a list; nudging ties down by one unit
    of the last written decimal keeps the ranks exactly as retrieved, in memory and on disk.
    """
    step = 10.0**-SCORE_DECIMALS
    for qid, hits in run.items():
        previous = math.inf
        seen: set[str] = set()
        for pid, score in hits:
            if not _plain(qid) or not _plain(pid):
                raise ValueError(f"ids in TREC files cannot hold whitespace: {qid!r} {pid!r}")
            if pid in seen:
                continue
            seen.add(pid)
            score = round(float(score), SCORE_DECIMALS)
            if not math.isfinite(score) or score >= previous:
                score = round(previous - step, SCORE_DECIMALS) if math.isfinite(previous) else 0.0
            previous = score
            yield qid, pid, score


def _plain(ident: str) -> bool:
    return bool(ident) and ident == "".join(ident.split())


def write_run(path: Path, run: Run, tag: str) -> None:
    """``qid Q0 passage_id rank score tag``, one line per hit."""
    out: list[str] = []
    ranks: dict[str, int] = {}
    for qid, pid, score in _ranked(run):
        ranks[qid] = ranks.get(qid, 0) + 1
        out.append(f"{qid} Q0 {pid} {ranks[qid]} {score:.{SCORE_DECIMALS}f} {tag}\n")
    path.write_text("".join(out), encoding="utf-8")


def read_run(path: Path) -> Run:
    """A TREC run file, each list ordered by score (then rank), as trec_eval reads it."""
    rows: dict[str, list[tuple[float, int, str]]] = {}
    for qid, _, pid, rank, score, _ in _records(path, "qid Q0 docid rank score tag"):
        rows.setdefault(qid, []).append((float(score), int(rank), pid))
    return {
        qid: [(pid, s) for s, _, pid in sorted(hits, key=lambda h: (-h[0], h[1]))]
        for qid, hits in rows.items()
    }


def write_qrels(path: Path, qrels: Qrels) -> None:
    """``qid 0 passage_id grade``; only positive judgments are written."""
    lines = [f"{qid} 0 {pid} {g}\n" for qid, grades in qrels.items() for pid, g in grades.items() if g > 0]
    path.write_text("".join(lines), encoding="utf-8")


def read_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    for qid, _, pid, grade in _records(path, "qid iter docid grade"):
        qrels.setdefault(qid, {})[pid] = int(grade)
    return qrels


def _records(path: Path, layout: str) -> Iterator[list[str]]:
    """The whitespace-separated fields of each non-blank line, which must have ``layout``'s count."""
    count = len(layout.split())
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != count:
            raise ValueError(f"{path}:{n}: expected `{layout}`")
        yield parts


# --- significance ------------------------------------------------------------------------
def paired_test(
    a: Sequence[float], b: Sequence[float], rounds: int = 10_000, seed: int = 0
) -> dict[str, float]:
    """Means, delta (b - a) and two-sided p-values of three paired tests on per-query values.

    Paired t-test, Wilcoxon signed-rank, and a sign-flip randomisation test; a p-value is 1.0
    when the two lists are identical (no test can tell them apart) and NaN when undefined.
    """
    import numpy as np
    from scipy import stats

    if len(a) != len(b):
        raise ValueError("paired values must be of equal length")
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = y - x
    out = {
        "n": len(diff),
        "mean_a": float(x.mean()) if len(x) else 0.0,
        "mean_b": float(y.mean()) if len(y) else 0.0,
        "delta": float(diff.mean()) if len(diff) else 0.0,
    }
    if not len(diff) or not np.any(diff):
        return {**out, "p_ttest": 1.0, "p_wilcoxon": 1.0, "p_random": 1.0}
    p_t = float(stats.ttest_rel(y, x).pvalue) if len(diff) > 1 else math.nan
    p_w = float(stats.wilcoxon(diff).pvalue)
    return {**out, "p_ttest": p_t, "p_wilcoxon": p_w, "p_random": _sign_flip(diff, rounds, seed)}


def _sign_flip(diff, rounds: int, seed: int) -> float:
    """Share of random sign assignments whose mean difference is at least as far from 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    observed = abs(diff.mean()) - 1e-12
    hits, done = 0, 0
    while done < rounds:
        batch = min(1000, rounds - done)
        signs = rng.choice((-1.0, 1.0), size=(batch, len(diff)))
        hits += int(np.count_nonzero(np.abs((signs * diff).mean(axis=1)) >= observed))
        done += batch
    return (hits + 1) / (rounds + 1)
