"""Question sets for batch evaluation: three file formats in, one typed ``EvalSet`` out.

- ``jsonl``: the project's sets (``eval/sets/*.jsonl``); a passage is relevant when it contains
  an evidence string, whitespace ignored on both sides.
- ``trec``: a TREC qrels file plus a ``qid<TAB>query`` file; judgments name passage ids.
- ``squad``: SQuAD v1.1 JSON such as KorQuAD; each distinct paragraph becomes a ``Document``
  (``kq-<n>``) and a passage is relevant when it comes from the question's own paragraph.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from docqa.ingest.records import Article, Document

Format = Literal["jsonl", "trec", "squad"]
FORMATS: tuple[str, ...] = ("jsonl", "trec", "squad")
BREAKDOWNS: tuple[str, ...] = ("lang", "category", "difficulty")
SQUAD_PREFIX = "kq-"

Qrels = dict[str, dict[str, int]]  # qid -> passage_id -> grade (> 0 relevant)


class SetError(ValueError):
    """A question set that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    lang: str | None = None
    category: str | None = None
    difficulty: str | None = None
    answer: str | None = None
    doc: str | None = None  # jsonl: the document's file stem; squad: the paragraph's doc_id
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalSet:
    name: str
    format: Format
    questions: tuple[Question, ...]
    judgments: Qrels = field(default_factory=dict)  # trec only: the judgments as given
    documents: tuple[Document, ...] = ()  # squad only: every paragraph, to be indexed

    def breakdowns(self) -> tuple[str, ...]:
        """The question fields worth a breakdown: those the set fills in."""
        return tuple(f for f in BREAKDOWNS if any(getattr(q, f) for q in self.questions))


@dataclass(frozen=True)
class IndexedPassage:
    """What relevance is judged on: a retrieved (or indexed) passage."""

    passage_id: str
    doc_id: str
    text: str


# --- relevance ---------------------------------------------------------------------------
def squash(text: str) -> str:
    """The text with every whitespace character removed (line breaks, NBSP, ideographic space)."""
    return "".join(text.split())


def contains_evidence(text: str, evidence: Iterable[str]) -> bool:
    """True when ``text`` contains any evidence string, ignoring all whitespace in both."""
    flat = squash(text)
    return any(e and e in flat for e in (squash(e) for e in evidence))


def grade(evalset: EvalSet, question: Question, passage: IndexedPassage) -> int:
    """How relevant ``passage`` is to ``question`` under the set's own rule (0 = not)."""
    if evalset.format == "trec":
        return evalset.judgments.get(question.qid, {}).get(passage.passage_id, 0)
    if evalset.format == "squad":
        return int(passage.doc_id == question.doc)
    return int(contains_evidence(passage.text, question.evidence))


def judge(evalset: EvalSet, passages: Iterable[IndexedPassage]) -> Qrels:
    """Qrels for every question of the set over ``passages`` (positive grades only)."""
    passages = list({p.passage_id: p for p in passages}.values())
    if evalset.format == "trec":
        return {q.qid: dict(evalset.judgments.get(q.qid, {})) for q in evalset.questions}
    if evalset.format == "squad":
        by_doc: dict[str, list[str]] = {}
        for p in passages:
            by_doc.setdefault(p.doc_id, []).append(p.passage_id)
        return {q.qid: {pid: 1 for pid in by_doc.get(q.doc or "", [])} for q in evalset.questions}
    flat = [(p.passage_id, squash(p.text)) for p in passages]
    qrels: Qrels = {}
    for q in evalset.questions:
        wanted = [e for e in (squash(e) for e in q.evidence) if e]
        qrels[q.qid] = {pid: 1 for pid, text in flat if any(e in text for e in wanted)}
    return qrels


# --- loading -----------------------------------------------------------------------------
def detect_format(path: Path) -> Format:
    if path.suffix == ".jsonl":
        return "jsonl"
    if path.suffix == ".json":
        return "squad"
    return "trec"


def load_set(path: Path, fmt: str | None = None, queries: Path | None = None) -> EvalSet:
    """Read a set in any of the three formats (by extension unless ``fmt`` is given)."""
    if not path.is_file():
        raise SetError(f"no such file: {path}")
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        return load_jsonl(path)
    if fmt == "squad":
        return load_squad(path)
    if fmt == "trec":
        queries = queries or path.with_name("queries.tsv")
        if not queries.is_file():
            raise SetError(
                f"{path} looks like TREC qrels: name its queries file with --queries (qid<TAB>query)"
            )
        return load_trec(path, queries)
    raise SetError(f"unknown set format {fmt!r}; expected one of {', '.join(FORMATS)}")


def load_jsonl(path: Path) -> EvalSet:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            evidence = row["evidence"]
            if isinstance(evidence, str):
                evidence = [evidence]
            questions.append(
                Question(
                    qid=str(row["id"]),
                    text=row["question"],
                    lang=row.get("lang"),
                    category=row.get("category"),
                    difficulty=row.get("difficulty"),
                    answer=row.get("answer"),
                    doc=row.get("doc"),
                    evidence=tuple(evidence),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SetError(f"{path}:{n}: not a question line ({exc!r})") from exc
    _check_unique(path, questions)
    return EvalSet(path.stem, "jsonl", tuple(questions))


def load_trec(qrels_path: Path, queries_path: Path) -> EvalSet:
    from docqa.eval.metrics import read_qrels

    try:
        judgments = read_qrels(qrels_path)
    except ValueError as exc:
        raise SetError(str(exc)) from exc
    questions = [Question(qid, text) for qid, text in read_queries(queries_path).items()]
    missing = sorted(set(judgments) - {q.qid for q in questions})
    if missing:
        raise SetError(f"{queries_path} has no query for {len(missing)} judged ids, e.g. {missing[:3]}")
    name = qrels_path.parent.name if qrels_path.stem == "qrels" else qrels_path.stem
    return EvalSet(name, "trec", tuple(questions), judgments=judgments)


def load_squad(path: Path) -> EvalSet:
    """Every distinct paragraph as a Document (``kq-<n>`` in file order), every question on it.

    A paragraph is one article of its page, titled as the page is (``강완구``, ``대한민국 아파트의
    역사``), as ``docqa ingest`` titles a file's text: a passage's title is part of what both
    sides index (``embed_text``), and a paragraph often never names its page's subject."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SetError(f"{path}: not SQuAD-format JSON ({exc!r})") from exc
    doc_of_text: dict[str, str] = {}
    documents: list[Document] = []
    questions: list[Question] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            text = paragraph["context"]
            doc_id = doc_of_text.get(text)
            if doc_id is None:  # a repeated paragraph text is one document, shared by its questions
                doc_id = doc_of_text[text] = f"{SQUAD_PREFIX}{len(documents)}"
                title = article.get("title", doc_id)
                heading = title.replace("_", " ")  # Wikipedia's page names: 노아의_방주
                documents.append(
                    Document(
                        doc_id=doc_id,
                        title=title,
                        text=text,
                        source=path.name,
                        lang="ko",
                        kind="paragraph",
                        # the title is indexed too: an index of untitled paragraphs is read again
                        content_hash=hashlib.sha256(f"{heading}\n{text}".encode()).hexdigest(),
                        articles=(Article(heading, 0, len(text)),),
                    )
                )
            for qa in paragraph["qas"]:
                answers = qa.get("answers") or [{}]
                questions.append(
                    Question(str(qa["id"]), qa["question"], answer=answers[0].get("text"), doc=doc_id)
                )
    _check_unique(path, questions)
    return EvalSet(path.stem, "squad", tuple(questions), documents=tuple(documents))


def read_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        qid, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise SetError(f"{path}:{n}: expected qid<TAB>query")
        queries[qid.strip()] = text.strip()
    return queries


def write_queries(path: Path, questions: Iterable[Question]) -> None:
    lines = [f"{q.qid}\t{' '.join(q.text.split())}\n" for q in questions]
    path.write_text("".join(lines), encoding="utf-8")


def sample(evalset: EvalSet, limit: int | None, seed: int = 0) -> EvalSet:
    """``limit`` questions drawn at random (reproducible by ``seed``), kept in file order."""
    if limit is None or limit >= len(evalset.questions):
        return evalset
    chosen = set(random.Random(seed).sample(range(len(evalset.questions)), limit))
    questions = tuple(q for i, q in enumerate(evalset.questions) if i in chosen)
    return replace(evalset, questions=questions)


def groups(evalset: EvalSet) -> Mapping[str, dict[str, str]]:
    """``{field: {qid: value}}`` for each breakdown field the set has."""
    return {f: {q.qid: getattr(q, f) or "-" for q in evalset.questions} for f in evalset.breakdowns()}


def _check_unique(path: Path, questions: list[Question]) -> None:
    seen: set[str] = set()
    for q in questions:
        if not q.qid or q.qid != "".join(q.qid.split()):
            raise SetError(f"{path}: question id {q.qid!r} is empty or holds whitespace (TREC files cannot)")
        if q.qid in seen:
            raise SetError(f"{path}: question id {q.qid!r} appears twice")
        seen.add(q.qid)
    if not questions:
        raise SetError(f"{path}: no questions")
