"""Request and response bodies of the HTTP API, one schema per direction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from docqa.core.dates import FORMAT as DATE_FORMAT
from docqa.core.dates import PATTERN as DATE_PATTERN
from docqa.core.dates import first_day, last_day
from docqa.core.text import WHITESPACE_CLASS
from docqa.index.pipeline import Status
from docqa.index.records import Citation, Filters, Mode
from docqa.ingest.fields import (
    DOC_ID_PATTERN,
    FIELD_LIMITS,
    MAX_DOC_ID_CHARS,
    MAX_SOURCE_CHARS,
    real_date,
    valid_text,
)
from docqa.ingest.fields import DocumentFields as DocumentIn  # the upload's form fields
from docqa.ingest.readers import SUPPORTED

__all__ = ["DOC_ID_PATTERN", "DocumentIn"]

MAX_QUERY_CHARS = 2000
NOT_BLANK = f"[^{WHITESPACE_CLASS}]"  # a pattern: holds a character that str.strip keeps


def _string(**constraints: object) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` that puts constraints on the string itself (of ``str`` or ``str | None``),
    where a client's validator and schemathesis read them, while the checks stay in the validators
    (their messages name the field and the limit; pydantic's own cannot count a lone surrogate)."""

    def extra(schema: dict[str, Any]) -> None:
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "string":
                option.update(constraints)

    return extra


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
    doc_id: str | None = Field(default=None, json_schema_extra=_string(maxLength=MAX_DOC_ID_CHARS))
    source: str | None = Field(default=None, json_schema_extra=_string(maxLength=MAX_SOURCE_CHARS))
    published_from: str | None = Field(
        default=None,
        description=f"{DATE_FORMAT}, a date the calendar has; not after published_to",
        json_schema_extra=_string(maxLength=10, pattern=DATE_PATTERN),
    )
    published_to: str | None = Field(
        default=None,
        description=f"{DATE_FORMAT}, a date the calendar has; a partial date includes all its days",
        json_schema_extra=_string(maxLength=10, pattern=DATE_PATTERN),
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

    @field_validator("k", mode="before", check_fields=False)
    @classmethod
    def _whole(cls, value: object) -> object:
        """``k`` is an integer as JSON Schema has it: 5.0 is 5 (still not "5", 2.5 or true)."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class SearchIn(_Retrieval):
    query: str = Field(
        description="what to look for: not blank",
        json_schema_extra=_string(maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK),
    )
    k: Annotated[int, Field(ge=1, le=100, strict=True)] = 10

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _clean_query(value, "query")


class AskIn(_Retrieval):
    question: str = Field(
        description="the question: not blank",
        json_schema_extra=_string(maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK),
    )
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
    encoder_runtime: str | None = Field(
        default=None, description="what runs the query encoder here (onnx, onnx-int8, torch)"
    )
    index_encoder_runtime: str | None = Field(
        default=None, description="what ran the encoder that built the generation, as its manifest says"
    )
    aligned_runtime: str | None = Field(
        default=None,
        description="what runs the aligned encoder here (onnx, numpy; torch for a sentence-transformers "
        "model); none when it is off",
    )


def _form_field(name: str, value: str | None = None, description: str | None = None) -> dict[str, Any]:
    """An upload form field as the server reads it: at most its limit of characters as sent, then
    stripped, blank meaning not given; ``value`` (a pattern) is what the stripped text must match."""
    schema: dict[str, Any] = {"type": "string", "maxLength": FIELD_LIMITS[name]}
    if description:
        schema["description"] = description
    if value is not None:
        space = f"[{WHITESPACE_CLASS}]*"
        schema["pattern"] = f"^{space}(?:{value.removeprefix('^').removesuffix('$')})?{space}$"
    return schema


_UPLOAD_FIELDS = {
    "doc_id": _form_field("doc_id", DOC_ID_PATTERN, "default: made from the file name"),
    "title": _form_field("title", description="default: from the file"),
    "source": _form_field("source"),
    "published": _form_field("published", DATE_PATTERN, f"{DATE_FORMAT}; default: inferred"),
    "url": _form_field("url"),
}
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": ", ".join(SUPPORTED)},
                        **_UPLOAD_FIELDS,
                    },
                }
            }
        },
    }
}


class DocumentWriteOut(BaseModel):
    """What a write did: ``added``, ``updated`` or ``unchanged`` (same bytes and fields), or ``deleted``."""

    doc_id: str
    status: Status
    passages: int = Field(description="the document's passages now (for deleted: the passages removed)")
    published_earlier: int = Field(
        default=0,
        description="other document changes this write made searchable: stored by an earlier write "
        "that failed (or was killed) before publishing them",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="the file was read but its text may be incomplete: a damaged PDF that MuPDF "
        "repaired, and MuPDF's own messages",
    )


# --- errors --------------------------------------------------------------------------------------
class ErrorOut(BaseModel):
    """Every error answer (4xx, 5xx): ``detail`` says what is wrong, for a person to read."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='where: ["body", "filters", "published_from"]')
    msg: str
    type: str


class InvalidRequestOut(ErrorOut):
    """A 422: ``detail`` says every problem in one string ("query: query is empty: write a question");
    ``errors`` lists them one by one when the request failed field validation."""

    errors: list[FieldError] = Field(default_factory=list)


_ERRORS: dict[int, str] = {
    400: "the Host header is not in DOCQA_ALLOWED_HOSTS (only when that is set)",
    401: "no API key sent",
    403: "wrong API key, or writes disabled (no DOCQA_API_KEY)",
    404: "no such document",
    409: "the data directory was built with another model",
    413: "the JSON body is over 64 KB",
    415: "unsupported file type",
    422: "the request is not valid: detail says why",
    503: "the index cannot serve (its files are missing or unreadable): the server log says why",
    507: "no room left to store the write",
}


def error_responses(*codes: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for the errors it can answer, each with its body's schema."""
    described = described or {}
    return {
        code: {
            "model": InvalidRequestOut if code == 422 else ErrorOut,
            "description": described.get(code, _ERRORS[code]),
        }
        for code in codes
    }
