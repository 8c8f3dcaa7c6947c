"""Metadata a user gives for one document (upload form fields, ``docqa ingest`` flags), validated once.

The HTTP upload schema and the CLI both use ``DocumentFields``, so both refuse the same values
with the same messages.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from docqa.core.dates import FORMAT as DATE_FORMAT
from docqa.core.dates import date_problem
from docqa.core.text import lone_surrogate

DOC_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$"  # safe in a URL path, as make_doc_id makes them
MAX_DOC_ID_CHARS = 200  # as DOC_ID_PATTERN allows
MAX_SOURCE_CHARS = 500  # a title or a source


def valid_text(value: str, field: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate cannot reach Kiwi or the model)."""
    bad = lone_surrogate(value)
    if bad:
        raise ValueError(f"{field} contains {bad}: send valid Unicode text")
    return value


def real_date(value: str) -> str:
    problem = date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


MAX_URL_CHARS = 2000
# Each field's limit, counted on the value as given (surrounding whitespace included), before it is
# stripped: a field of 10,000 spaces is refused, not taken as blank.
FIELD_LIMITS = {
    "doc_id": MAX_DOC_ID_CHARS,
    "title": MAX_SOURCE_CHARS,
    "source": MAX_SOURCE_CHARS,
    "published": 10,
    "url": MAX_URL_CHARS,
}


class DocumentFields(BaseModel):
    """A document's metadata as a user gives it (upload form fields, CLI flags); blank means not given."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(default=None, description="default: made from the file name")
    title: str | None = Field(default=None, description="default: from the file")
    source: str | None = None
    published: str | None = Field(default=None, description=f"{DATE_FORMAT}; default: inferred")
    url: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object, info: ValidationInfo) -> object:
        """The value's length checked as given, then stripped (``str.strip``); blank is not given."""
        if not isinstance(value, str):
            return value
        field, limit = str(info.field_name), FIELD_LIMITS[str(info.field_name)]
        if len(value) > limit:
            raise ValueError(f"{field} is {len(value)} characters long; the limit is {limit}")
        return value.strip() or None

    @field_validator("title", "source", "url", "published")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else valid_text(value, str(info.field_name))

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, value: str | None) -> str | None:
        if value is not None and not re.match(DOC_ID_PATTERN, value):
            raise ValueError(f"{value!r} is not a doc_id: use up to 200 of A-Z a-z 0-9 _ . - (not . - first)")
        return value

    @field_validator("published")
    @classmethod
    def _published(cls, value: str | None) -> str | None:
        return None if value is None else real_date(value)

    def meta(self) -> dict[str, str]:
        """The fields given, as the metadata row ``docqa.ingest.readers.read_path`` takes."""
        return {key: value for key, value in self.model_dump().items() if value is not None}
