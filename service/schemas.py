"""Request and response bodies of the HTTP API, one schema per direction."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from docqa.core.text import lone_surrogate
from docqa.index.pipeline import Status
from docqa.index.records import Citation, Mode

MAX_QUERY_CHARS = 2000
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _valid_text(value: str, field: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate cannot reach Kiwi or the model)."""
    bad = lone_surrogate(value)
    if bad:
        raise ValueError(f"{field} contains {bad}: send valid Unicode text")
    return value


def _clean_query(value: str, field: str) -> str:
    _valid_text(value, field)
    if not value.strip():
        raise ValueError(f"{field} is empty: write a question")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"{field} is {len(value)} characters long; the limit is {MAX_QUERY_CHARS}")
    return value.strip()


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = None
    source: str | None = None
    published_from: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    published_to: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")

    @field_validator("doc_id", "source", "published_from", "published_to")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _valid_text(value, str(info.field_name))

    @field_validator("published_from", "published_to")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None and not _ISO_DATE.match(value):
            raise ValueError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
        return value


class _Retrieval(BaseModel):
    """What a search and a question share: how to retrieve, and among which documents."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "hybrid"
    filters: FiltersIn | None = None


class SearchIn(_Retrieval):
    query: str
    k: Annotated[int, Field(ge=1, le=100, strict=True)] = 10

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _clean_query(value, "query")


class AskIn(_Retrieval):
    question: str
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


DOC_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$"  # safe in a URL path, as make_doc_id makes them
UPLOAD_FIELDS = ("file", "doc_id", "title", "source", "published", "url")


class DocumentIn(BaseModel):
    """The form fields sent with an uploaded file (POST /v1/documents); blank means not given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    doc_id: str | None = Field(default=None, description="default: made from the file name")
    title: str | None = Field(default=None, max_length=500, description="default: from the file")
    source: str | None = Field(default=None, max_length=500)
    published: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD; default: inferred")
    url: str | None = Field(default=None, max_length=2000)

    @field_validator("*", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("title", "source", "url", "published")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _valid_text(value, str(info.field_name))

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, value: str | None) -> str | None:
        if value is not None and not re.match(DOC_ID_PATTERN, value):
            raise ValueError(f"{value!r} is not a doc_id: use up to 200 of A-Z a-z 0-9 _ . - (not . - first)")
        return value

    @field_validator("published")
    @classmethod
    def _published(cls, value: str | None) -> str | None:
        if value is not None and not _ISO_DATE.match(value):
            raise ValueError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
        return value

    def meta(self) -> dict[str, str]:
        """The fields given, as the metadata row ``docqa.ingest.readers.read_path`` takes."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


class DocumentWriteOut(BaseModel):
    """What a write did: ``added``, ``updated`` or ``unchanged`` (same bytes and fields), or ``deleted``."""

    doc_id: str
    status: Status
    passages: int = Field(description="the document's passages now (for deleted: the passages removed)")
