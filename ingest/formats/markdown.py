"""Markdown (.md, .markdown): markup removed, as a renderer would show the text."""

from __future__ import annotations

import re

from ..clean import space_between
from ..limits import Budget
from .base import Extracted, decode

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def extract(raw: bytes, name: str, budget: Budget) -> Extracted:
    """Markdown to plain lines: markup removed, soft-wrapped paragraph lines joined (as a
    renderer would), headings, list items and table rows kept on their own lines."""
    text = decode(raw, name)
    budget.check_chars(len(text))  # markup is a small part of Markdown: checked before parsing
    body, front_title = _strip_front_matter(text)
    lines: list[str] = []
    paragraph: list[str] = []
    title = front_title
    in_code = False
    for raw_line in body.split("\n"):
        stripped = raw_line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            _flush(lines, paragraph)
            continue
        if in_code:
            lines.append(raw_line.rstrip())
            continue
        heading = _HEADING.match(raw_line)
        if heading:
            _flush(lines, paragraph)
            lines.extend(["", _inline(heading[2]), ""])
            title = title or _inline(heading[2])
        elif not stripped or _RULE.match(stripped) or _TABLE_RULE.match(stripped):
            _flush(lines, paragraph)
            lines.append("")
        elif _LIST.match(raw_line) or stripped.startswith(("|", ">")):
            _flush(lines, paragraph)
            lines.append(_inline(stripped.lstrip("> ").strip("|").strip()))
        else:
            paragraph.append(_inline(stripped))
    _flush(lines, paragraph)
    return Extracted([lines], title=title)


def _flush(lines: list[str], paragraph: list[str]) -> None:
    if paragraph:
        joined = paragraph[0]
        for line in paragraph[1:]:
            joined += space_between(joined, line) + line
        lines.append(joined)
        paragraph.clear()


def _inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # image → alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # link → its text
    text = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", text)  # bold, code
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)  # italics


def _strip_front_matter(text: str) -> tuple[str, str | None]:
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return text, None
    title = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", match[1], re.M)
    return text[match.end() :], title[1] if title else None
