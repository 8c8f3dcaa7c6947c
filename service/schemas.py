"""Request and response bodies of the HTTP API, one schema per direction."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from docqa.core.dates import FORMAT as DATE_FORMAT
from docqa.core.dates import first_day, last_day
from docqa.index.pipeline import Status
from docqa.index.records import Citation, Filters, Mode
from docqa.ingest.fields import DOC_ID_PATTERN, MAX_DOC_ID_CHARS, MAX_SOURCE_CHARS, real_date, valid_text
from docqa.ingest.fields import DocumentFields as DocumentIn  # the upload's form fields

__all__ = ["DOC_ID_PATTERN", "DocumentIn"]

MAX_QUERY_CHARS = 2000


def _clean_query(value: str, field: str) -> str:
    valid_text(value, field)
    if not value.strip():
        raise ValueError(f"{field} is empty: write a question")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"{field} is {len(value)} characters long; the limit is {MAX_QUERY_CHARS}")
    return value.strip()


_FILTER_LIMITS = {
    "doc_id": MAX_DOC_ID_CHARS,
    "source": MAX_SOURCE_CHARS,
    "published_from": 10,
    "published_to": 10,
}


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The lengths are checked by ``_text``, after the lone-surrogate check: pydantic's own
    # max_length cannot count a string holding a surrogate and would hide the better message.
    doc_id: str | None = Field(default=None, json_schema_extra={"maxLength": _FILTER_LIMITS["doc_id"]})
    source: str | None = Field(default=None, json_schema_extra={"maxLength": _FILTER_LIMITS["source"]})
    published_from: str | None = Field(
        default=None, description=DATE_FORMAT, json_schema_extra={"maxLength": 10}
    )
    published_to: str | None = Field(
        default=None, description=DATE_FORMAT, json_schema_extra={"maxLength": 10}
    )

    @field_validator("doc_id", "source", "published_from", "published_to")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        field = str(info.field_name)
        valid_text(value, field)
        limit = _FILTER_LIMITS[field]
        if len(value) > limit:
            raise ValueError(f"{field} is {len(value)} characters long; the limit is {limit}")
        return value

    @field_validator("published_from", "published_to")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        return None if value is None else real_date(value)

    @model_validator(mode="after")
    def _ordered(self) -> FiltersIn:
        start, end = self.published_from, self.published_to
        if start and end and first_day(start) > last_day(end):
            raise ValueError(
                f"published_from {start} is after published_to {end}: the range holds no day; swap them"
            )
        return self

    def domain(self) -> Filters:
        """The filters a search takes, a partial date widened to the days it names (to=2025-06
        includes June 30th, and a document published "2025-06")."""
        return Filters.checked(self.doc_id, self.source, self.published_from, self.published_to)


class _Retrieval(BaseModel):
    """What a search and a question share: how to retrieve, and among which documents."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "hybrid"
    filters: FiltersIn | None = None


class SearchIn(_Retrieval):
    query: str = Field(json_schema_extra={"maxLength": MAX_QUERY_CHARS})
    k: Annotated[int, Field(ge=1, le=100, strict=True)] = 10

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _clean_query(value, "query")


class AskIn(_Retrieval):
    question: str = Field(json_schema_extra={"maxLength": MAX_QUERY_CHARS})
    k: Annotated[int, Field(ge=1, le=20, strict=True)] = 5

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _clean_query(value, "question")


class SearchOut(BaseModel):
    query: str
    mode: Mode
    took_ms: float
    results: list[Citation]


class AskOut(BaseModel):
    question: str
    answer: str
    found: bool
    took_ms: float
    citations: list[Citation]


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    lang: str | None
    kind: str | None
    chars: int
    passages: int


class ArticleOut(BaseModel):
    title: str
    section: str | None
    start: int
    end: int
    page: int | None


class PageOut(BaseModel):
    number: int
    start: int
    end: int


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    lang: str | None
    kind: str | None
    passages: int
    articles: list[ArticleOut]
    pages: list[PageOut]
    text: str


class StatsOut(BaseModel):
    documents: int
    passages: int
    model: str
    dim: int | None
    built_at: str | None
    generation: str | None
    index_type: str | None
    backends: dict[str, str] | None = Field(default=None, description="the dense and lexical backends")
    aliases: int = Field(default=0, description="Korean name + gloss pairs mined from the documents")


UPLOAD_FIELDS = ("file", "doc_id", "title", "source", "published", "url")


class DocumentWriteOut(BaseModel):
    """What a write did: ``added``, ``updated`` or ``unchanged`` (same bytes and fields), or ``deleted``."""

    doc_id: str
    status: Status
    passages: int = Field(description="the document's passages now (for deleted: the passages removed)")
    warnings: list[str] = Field(
        default_factory=list,
        description="the file was read but its text may be incomplete: a damaged PDF that MuPDF "
        "repaired, and MuPDF's own messages",
    )
