"""What every extractor returns, and the pieces several of them share."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UnreadableDocument


@dataclass(frozen=True)
class Extracted:
    """A file's text as pages of lines, before cleaning (``assemble`` does that for every format)."""

    pages: list[list[str]]
    title: str | None = None  # from markup: <title>, <h1>, "# heading"
    with_pages: bool = False  # the pages are real pages (PDF)


# raw bytes and the file's name (for messages) → its text; raises UnreadableDocument
Extractor = Callable[[bytes, str], Extracted]


def decode(raw: bytes, name: str) -> str:
    """Bytes to text: UTF-8 (BOM optional), UTF-16 with BOM, then the Korean/Chinese legacy codecs."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:  # an odd byte count, or a lone surrogate
            raise UnreadableDocument(
                f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16"
                f" ({exc.reason} at byte {exc.start}); save it again as UTF-8 or UTF-16"
            ) from exc
    if b"\x00" in raw[:4096]:
        raise UnreadableDocument(f"{name}: looks like a binary file, not text")
    for encoding in ("utf-8-sig", "cp949", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument(f"{name}: text is not UTF-8, CP949 or GB18030")


def optional_import(module: str, package: str) -> Any:
    """Heavy optional readers load only when a file of their type shows up."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"reading this format needs {package}: pip install {package}") from exc
