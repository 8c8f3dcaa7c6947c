"""Metadata inferred from a document's clean text when no manifest row states it.

Ids from file names, titles from the first title-like line, publication dates from the
dateline at the top, and the language from the letters used.
"""

from __future__ import annotations

import hashlib
import re

from .clean import toc_entry

TITLE_CHARS = 120


def make_doc_id(stem: str) -> str:
    """A URL-safe id from a file stem: kept when already [A-Za-z0-9_.-], else the safe characters
    plus a short hash of the original so different names never collide."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")
    if safe == stem and safe:
        return stem
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:10]
    return f"{safe}-{digest}" if safe else digest


def infer_title(text: str) -> str | None:
    """First line that reads like a title (two words, a few letters), trimmed to ~120 chars."""
    for line in text.split("\n"):
        line = line.strip()
        letters = sum(c.isalpha() for c in line)
        wide = sum(1 for c in line if c.isalpha() and not c.isascii())  # Hangul/Han need no spaces
        if letters >= 4 and (len(line.split()) >= 2 or wide >= 4) and toc_entry(line) is None:
            return _trim(line, TITLE_CHARS)
    return None


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_MONTH_NAME = r"(?P<mname>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATES = [
    r"(?<!\d)(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일",
    r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日",
    r"(?<![\d.])(?P<y>\d{4})([-./])\s?(?P<m>\d{1,2})\2\s?(?P<d>\d{1,2})(?![\d])",
    rf"\b{_MONTH_NAME}\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b",
    rf"\b(?P<d>\d{{1,2}})\s+{_MONTH_NAME}\s+(?P<y>\d{{4}})\b",
]
_PARTIAL_DATES = [
    r"(?<!\d)(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월",
    r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月",
    r"(?<![\d.])(?P<y>\d{4})[-./]\s?(?P<m>\d{1,2})(?![\d.])",
    rf"\b{_MONTH_NAME}\s+(?P<y>\d{{4}})\b",
]


def infer_date(text: str, head_lines: int = 10) -> str | None:
    """Publication date stated at the top of the text, as ISO "2025-06-11" or "2025-06".

    Only the first lines are searched: dates deeper in are events the text reports, not when
    it was published.
    """
    lines = [line for line in text.split("\n") if line.strip()][:head_lines]
    head = "\n".join(line for line in lines if len(line) <= 100)  # datelines, not body sentences
    for patterns in (_FULL_DATES, _PARTIAL_DATES):
        found = [m for p in patterns for m in re.finditer(p, head, re.I) if _valid(m)]
        if found:
            return _iso(min(found, key=lambda m: m.start()))
    return None


def _parts(match: re.Match[str]) -> tuple[int, int, int | None]:
    groups = match.groupdict()
    month = _MONTHS[groups["mname"][:3].lower()] if groups.get("mname") else int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else None
    return int(groups["y"]), month, day


def _valid(match: re.Match[str]) -> bool:
    year, month, day = _parts(match)
    return 1900 <= year <= 2100 and 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def _iso(match: re.Match[str]) -> str:
    year, month, day = _parts(match)
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def guess_language(text: str) -> str | None:
    """ "ko", "zh", "ja" or "en" from the letters used; Korean text quoting Chinese names stays
    "ko", and Han with kana is Japanese (Chinese text has none)."""
    hangul = sum(1 for c in text if "\uac00" <= c <= "\ud7a3")
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    kana = sum(1 for c in text if "\u3040" <= c <= "\u30ff" and c != "\u30fb")  # not the middle dot
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    total = hangul + han + kana + latin
    if not total:
        return None
    if hangul >= 0.2 * total:
        return "ko"
    if han + kana >= 0.3 * total:
        return "ja" if kana >= 0.1 * (han + kana) else "zh"
    return "en" if latin >= 0.5 * total else None
