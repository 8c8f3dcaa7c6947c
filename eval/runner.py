"""Runs a question set against the local index or a running service, and writes what it found.

1. ask every question in every mode, timing each call (``run_set``);
2. judge relevance on what came back, plus the whole index when it can be read (``judge``);
3. score each query with ir-measures and summarise by mode and breakdown (``summarise``);
4. write metrics.json, the TREC run and qrels files, report.md and the chart (``write_outputs``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from docqa.core.process import one_blas_thread
from docqa.eval import sets
from docqa.eval.sets import EvalSet, Qrels, Question
from docqa.index.records import MODES

if TYPE_CHECKING:
    from docqa.index.pipeline import Indexer, Report

DEPTH = 10  # the measures' cut-off: a question is "failed" with nothing relevant in this many
SNIPPET_CHARS = 160
TOP_SHOWN = 3
RECALL_BASIS = {
    "index": "Recall@10 is over every relevant passage in the index (the index was read to find them).",
    "retrieved": (
        "Recall@10 is over the relevant passages that any mode retrieved in this run: the service's "
        "index cannot be read over HTTP, so it is a pooled figure and can overstate true recall."
    ),
    "qrels": "Recall@10 is over the judgments in the qrels file.",
}


class TargetError(RuntimeError):
    """One request failed; the query counts as answered with nothing."""


@dataclass(frozen=True)
class Retrieved:
    passage_id: str
    doc_id: str
    title: str
    text: str
    score: float


@dataclass(frozen=True)
class QueryRun:
    qid: str
    mode: str
    hits: tuple[Retrieved, ...]
    ms: float
    error: str | None = None


class Target(Protocol):
    description: str

    def search(self, query: str, k: int, mode: str) -> list[Retrieved]: ...

    def passages(self) -> list[sets.IndexedPassage] | None:
        """Every indexed passage, or None when the index cannot be read."""
        ...


class LocalTarget:
    """The index in a data directory, through ``docqa.index.search.Searcher``."""

    def __init__(self, searcher):
        self.searcher = searcher
        where = getattr(searcher, "where", None)  # the Milvus backend's target (index/milvus/search.py)
        self.description = f"local index {searcher.data_dir}" if where is None else where.description

    def search(self, query: str, k: int, mode: str) -> list[Retrieved]:
        with one_blas_thread():
            result = self.searcher.search(query, k=k, mode=mode)
        return [
            Retrieved(h.passage.passage_id, h.passage.doc_id, h.doc.title, h.passage.text, h.score)
            for h in result.hits
        ]

    def passages(self) -> list[sets.IndexedPassage]:
        manifest = self.searcher.manifest
        if manifest is None:
            return []
        store = self.searcher.open_rows(manifest)  # the served generation's rows, on either backend
        try:
            rows = store.passage_rows()
        finally:
            store.close()
        return [
            sets.IndexedPassage(r.passage.passage_id, r.passage.doc_id, r.passage.text) for r in rows.values()
        ]


class HttpTarget:
    """A running service's ``POST /v1/search``; any failure becomes a ``TargetError``."""

    def __init__(self, url: str | None = None, timeout: float = 30.0, client=None):
        import httpx

        self._httpx = httpx
        self.client = client or httpx.Client(
            base_url=url or "", timeout=httpx.Timeout(timeout, connect=min(5.0, timeout))
        )
        self.description = f"service at {url or self.client.base_url}"

    def search(self, query: str, k: int, mode: str) -> list[Retrieved]:
        try:
            response = self.client.post("/v1/search", json={"query": query, "k": k, "mode": mode})
        except self._httpx.HTTPError as exc:
            raise TargetError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise TargetError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            results = response.json()["results"]
            return [
                Retrieved(
                    r["passage_id"], r["doc_id"], r.get("title") or "", r.get("text") or "", float(r["score"])
                )
                for r in results
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"unexpected response: {exc!r}") from exc

    def passages(self) -> None:
        return None

    def close(self) -> None:
        self.client.close()


@dataclass
class RunResult:
    evalset: EvalSet
    target: str
    modes: tuple[str, ...]
    k: int
    answers: dict[str, list[QueryRun]]
    qrels: Qrels
    recall_basis: str
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    options: dict = field(default_factory=dict)


# --- 1. asking -----------------------------------------------------------------------------
def ask(target: Target, question: Question, mode: str, k: int) -> QueryRun:
    """One timed query; a failed request is an empty answer that carries its error."""
    started = time.perf_counter()
    try:
        hits, error = tuple(target.search(question.text, k, mode)), None
    except TargetError as exc:
        hits, error = (), str(exc)
    return QueryRun(question.qid, mode, hits, (time.perf_counter() - started) * 1000, error)


def run_set(
    evalset: EvalSet, target: Target, modes: Sequence[str] = MODES, k: int = DEPTH, progress: bool = True
) -> RunResult:
    from tqdm import tqdm

    answers: dict[str, list[QueryRun]] = {}
    for mode in modes:
        if evalset.questions:  # warm-up, untimed: the first call pays for lazy loading
            ask(target, evalset.questions[0], mode, k)
        bar = tqdm(evalset.questions, desc=f"eval {mode}", unit="q", disable=not progress)
        answers[mode] = [ask(target, q, mode, k) for q in bar]
    qrels, basis = judge(evalset, target, answers)
    return RunResult(evalset, target.description, tuple(modes), k, answers, qrels, basis)


# --- 2. judging ----------------------------------------------------------------------------
def judge(evalset: EvalSet, target: Target, answers: dict[str, list[QueryRun]]) -> tuple[Qrels, str]:
    """Qrels over the whole index when it can be read, else over everything retrieved."""
    if evalset.format == "trec":
        return sets.judge(evalset, []), "qrels"
    indexed = target.passages()
    if indexed is not None:
        return sets.judge(evalset, indexed), "index"
    retrieved = [sets.IndexedPassage(h.passage_id, h.doc_id, h.text) for a in _all(answers) for h in a.hits]
    return sets.judge(evalset, retrieved), "retrieved"


def _all(answers: dict[str, list[QueryRun]]):
    for mode_answers in answers.values():
        yield from mode_answers


def run_of(mode_answers: Sequence[QueryRun]) -> dict[str, list[tuple[str, float]]]:
    return {a.qid: [(h.passage_id, h.score) for h in a.hits] for a in mode_answers}


# --- 3. summarising -----------------------------------------------------------------------
def summarise(result: RunResult) -> dict:
    """Everything metrics.json holds; report.md and the chart are drawn from it alone."""
    from docqa.eval import metrics

    evalset = result.evalset
    qids = [q.qid for q in evalset.questions]
    by_field = sets.groups(evalset)
    per_query = {
        mode: metrics.per_query(result.qrels, run_of(result.answers[mode]), qids) for mode in result.modes
    }
    modes = {}
    for mode in result.modes:
        table, answers = per_query[mode], result.answers[mode]
        modes[mode] = {
            "overall": metrics.mean(table),
            "breakdown": {f: metrics.breakdown(table, groups) for f, groups in by_field.items()},
            "latency_ms": metrics.latency([a.ms for a in answers if a.error is None]),
            "errors": [{"qid": a.qid, "error": a.error} for a in answers if a.error],
            "empty": sum(1 for a in answers if not a.hits),
            "failed": [q for q in qids if table[q]["Hit@10"] == 0],
        }
    return {
        "set": {"name": evalset.name, "format": evalset.format, "questions": len(qids), **result.options},
        "target": result.target,
        "k": result.k,
        "started": result.started,
        "recall_basis": result.recall_basis,
        "recall_note": RECALL_BASIS[result.recall_basis],
        "measures": list(metrics.NAMES),
        "no_relevant": [q for q in qids if not any(g > 0 for g in result.qrels.get(q, {}).values())],
        "modes": modes,
        "failed": _failed(result, per_query),
        "per_query": per_query,
    }


def _failed(result: RunResult, per_query: dict) -> list[dict]:
    """Questions with nothing relevant in the top 10 of some mode, with what came back instead."""
    out = []
    answers = {mode: {a.qid: a for a in result.answers[mode]} for mode in result.modes}
    for q in result.evalset.questions:
        failed_in = [m for m in result.modes if per_query[m][q.qid]["Hit@10"] == 0]
        if not failed_in:
            continue
        grades = result.qrels.get(q.qid, {})
        outcomes: dict[str, dict] = {}
        for mode in result.modes:
            answer = answers[mode][q.qid]
            if mode in failed_in:
                outcomes[mode] = {"error": answer.error, "top": [_brief(h) for h in answer.hits[:TOP_SHOWN]]}
            else:
                outcomes[mode] = {"found_at": _first_relevant(answer, grades)}
        expected = list(q.evidence) or ([q.doc] if result.evalset.format == "squad" and q.doc else [])
        out.append(
            {
                "qid": q.qid,
                "question": q.text,
                "expected": expected,
                "answer": q.answer,
                "relevant_in_index": sum(1 for g in grades.values() if g > 0),
                "modes": outcomes,
            }
        )
    return out


def _brief(hit: Retrieved) -> dict:
    snippet = " ".join(hit.text.split())
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[: SNIPPET_CHARS - 1] + "…"
    return {"passage_id": hit.passage_id, "title": hit.title, "snippet": snippet}


def _first_relevant(answer: QueryRun, grades: dict[str, int]) -> int | None:
    for rank, hit in enumerate(answer.hits, start=1):
        if grades.get(hit.passage_id, 0) > 0:
            return rank
    return None


# --- 4. writing ----------------------------------------------------------------------------
def write_outputs(result: RunResult, out: Path) -> dict:
    """metrics.json, run.<mode>.trec, qrels.trec, queries.tsv, report.md and chart.png."""
    from docqa.eval import metrics, report

    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(result)
    (out / "metrics.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    for mode in result.modes:
        metrics.write_run(out / f"run.{mode}.trec", run_of(result.answers[mode]), tag=f"docqa-{mode}")
    metrics.write_qrels(out / "qrels.trec", result.qrels)
    sets.write_queries(out / "queries.tsv", result.evalset.questions)
    report.write_report(summary, out / "report.md")
    report.write_chart(summary, out / "chart.png")
    return summary


# --- SQuAD-style sets: their own index ----------------------------------------------------
def ensure_index(evalset: EvalSet, indexer: Indexer, progress: bool = True) -> Report:
    """Ingest the set's paragraphs with ``indexer`` (``runtime.indexer``: the settings' encoders,
    the aligned one included, and backend); unchanged documents are skipped."""
    from tqdm import tqdm

    with tqdm(
        total=len(evalset.documents), desc="indexing paragraphs", unit="doc", disable=not progress
    ) as bar:
        return indexer.ingest(list(evalset.documents), progress=lambda _doc: bar.update(1))
