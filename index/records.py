"""The records of retrieval: ``Passage`` (from ingest) → ``Hit`` → ``Citation``, and what a query asks for.

``Hit`` is what the searcher found: a passage with its scores and its sentences scored for the
query. ``Citation`` is what a user sees and checks: the same passage as a flat, serialisable
record (the HTTP schema and the CLI are built from it). Offsets are character offsets into the
document text, as Kiwi gives them, except ``Hit.highlights``/``Citation.highlights``, which are
inside the passage text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from docqa.core.dates import date_problem, first_day, last_day
from docqa.ingest.records import Passage, Span

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = get_args(Mode)


@dataclass(frozen=True)
class Filters:
    """Which documents a query may return (all given conditions hold)."""

    doc_id: str | None = None
    source: str | None = None
    published_from: str | None = None
    published_to: str | None = None

    def active(self) -> bool:
        return any((self.doc_id, self.source, self.published_from, self.published_to))

    @classmethod
    def checked(
        cls,
        doc_id: str | None = None,
        source: str | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
    ) -> Filters:
        """Filters as a user gives them: dates checked against the calendar (ValueError says why), a
        reversed range refused, and a partial date widened to the days it names (to=2025-06 includes June)."""
        for value in (published_from, published_to):
            problem = date_problem(value) if value is not None else None
            if problem:
                raise ValueError(problem)
        if published_from and published_to and first_day(published_from) > last_day(published_to):
            raise ValueError(f"published_from {published_from} is after published_to {published_to}")
        return cls(
            doc_id=doc_id,
            source=source,
            published_from=first_day(published_from) if published_from else None,
            published_to=last_day(published_to) if published_to else None,
        )


@dataclass(frozen=True)
class DocumentInfo:
    """What a citation names of a passage's document."""

    title: str
    source: str | None = None
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index holds it: its row id and its document's citation metadata."""

    id: int
    passage: Passage
    doc: DocumentInfo


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a hit (``span`` in document offsets) and how well it answers the query."""

    span: Span
    score: float


@dataclass(frozen=True)
class Hit:
    """A retrieved passage: its rank and fused score, its cosine, and its sentences scored."""

    rank: int
    score: float
    passage: Passage
    doc: DocumentInfo
    highlights: tuple[Span, ...]  # offsets inside the passage text
    sentences: tuple[ScoredSentence, ...] = ()
    cosine: float | None = None

    def sentence_text(self, span: Span) -> str:
        return self.passage.text[span.start - self.passage.start : span.end - self.passage.start]


@dataclass(frozen=True)
class SearchResult:
    query: str
    mode: Mode
    hits: list[Hit]
    took_ms: float
    coverage: float = 0.0  # share of the query's idf mass the best lexical match contains
    aligned_cosine: float | None = None  # the best passage cosine of the aligned encoder, where it ranked


@dataclass(frozen=True)
class Citation:
    """A passage that answers, with everything needed to check it.

    ``start``/``end`` are the offsets of ``text`` in the document text (GET /v1/documents/{doc_id}),
    so ``text == document[start:end]``; ``highlights`` are [start, end] offsets inside ``text`` of
    the sentences that best answer the query. Fields that do not apply are null.
    """

    rank: int
    score: float
    passage_id: str
    doc_id: str
    title: str
    article: str | None
    section: str | None
    source: str | None
    published: str | None
    url: str | None
    page: int | None
    start: int
    end: int
    text: str
    highlights: tuple[tuple[int, int], ...]
    ocr: bool = False  # machine-read: the passage's page was a scan, its text came from OCR

    @classmethod
    def of(cls, hit: Hit) -> Citation:
        p, doc = hit.passage, hit.doc
        return cls(
            rank=hit.rank,
            score=round(hit.score, 6),
            passage_id=p.passage_id,
            doc_id=p.doc_id,
            title=doc.title,
            article=p.article,
            section=p.section,
            source=doc.source,
            published=doc.published,
            url=doc.url,
            page=p.page,
            start=p.start,
            end=p.end,
            text=p.text,
            highlights=tuple((s.start, s.end) for s in hit.highlights),
            ocr=p.ocr,
        )

    def line(self, prefix: str) -> str:
        """The citation on one line, as the CLI prints it."""
        where = [self.title]
        if self.article and self.article != self.title:
            where.append(self.article)
        where += [x for x in (self.source, self.published, f"p. {self.page}" if self.page else None) if x]
        if self.ocr:
            where.append("OCR")
        return f"{prefix} {' · '.join(where)}  ({self.doc_id} {self.start}:{self.end})"


@dataclass(frozen=True)
class Answer:
    """An extractive answer: the quoted sentences, each followed by its citation number."""

    question: str
    answer: str
    found: bool
    took_ms: float
    citations: tuple[Citation, ...] = ()
    quoted: tuple[str, ...] = ()  # the sentences quoted, in order
