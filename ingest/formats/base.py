"""What every extractor returns, and the pieces several of them share."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import charset_normalizer

from ..errors import UnreadableDocument
from ..limits import Budget


@dataclass(frozen=True)
class Extracted:
    """A file's text as pages of lines, before cleaning (``assemble`` does that for every format)."""

    pages: list[list[str]]
    title: str | None = None  # from markup: <title>, <h1>, "# heading"
    with_pages: bool = False  # the pages are real pages (PDF)
    # each line is a whole paragraph (laid out by geometry); a line ending with a space runs on
    # into the next page's first line
    paragraphs: bool = False
    warnings: tuple[str, ...] = ()  # read, but maybe not whole: a repaired PDF
    ocr_pages: frozenset[int] = frozenset()  # 0-based pages whose text was read by OCR


# raw bytes, the file's name (for messages) and its limits → its text; raises UnreadableDocument,
# or TooLarge past a limit
Extractor = Callable[[bytes, str, Budget], Extracted]


# BOM-less UTF-16/32 cannot be told from a CJK double-byte codec by statistics (and text in them
# has NUL bytes, refused above); UTF-7 is never what an upload means
_NOT_DETECTED = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
_KOREAN = {"cp949", "euc_kr"}


def decode(raw: bytes, name: str) -> str:
    """Bytes to text: UTF-16 with BOM, UTF-8 (BOM optional, strict), else the legacy encoding
    ``charset-normalizer`` finds most likely (CP949/EUC-KR, GB18030, Big5, Shift-JIS, ...)."""
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
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = _detect(raw)
    if text is None:
        raise UnreadableDocument(
            f"{name}: text is not UTF-8 and its encoding could not be recognised"
            " (tried CP949/EUC-KR, GB18030, Big5, Shift-JIS and the other legacy codecs);"
            " save it again as UTF-8"
        )
    return text


def _detect(raw: bytes) -> str | None:
    """The decoding charset-normalizer finds best, with script mixing added to its mess ratio.

    Short inputs are too short for its language statistics, and GB18030 bytes read as CP949
    show it no mess: ``_mixed_scripts`` does. Candidates rank by mess + mixing, then language
    coherence, then Korean first (this is a Korean-document service), then charset-normalizer's
    own order.
    """
    scored: list[tuple[float, float, bool, int, str]] = []
    for rank, match in enumerate(charset_normalizer.from_bytes(raw, cp_exclusion=_NOT_DETECTED)):
        encoding = match.encoding
        if encoding in _KOREAN:
            # EUC-KR's 8-byte make-up sequences (a syllable outside KS X 1001 as filler + three
            # jamo) compose only in Python's euc_kr codec; cp949 leaves them as loose jamo
            encoding = "euc_kr" if _decodes(raw, "euc_kr") else "cp949"
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        badness = round(match.chaos + _mixed_scripts(text), 2)
        scored.append((badness, -round(match.coherence, 2), encoding not in _KOREAN, rank, text))
    return min(scored)[-1] if scored else None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _script(char: str) -> str | None:
    if "\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e":
        return "hangul"
    if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\u3040" <= char <= "\u30ff":
        return "han"  # Han with kana: Chinese and Japanese text
    return None


def _mixed_scripts(text: str) -> float:
    """Share of non-ASCII letters that are mojibake's tell-tales: Hangul right next to Han or kana
    (GB18030 read as CP949 gives syllables and Hanja in turn), loose jamo (EUC-KR make-up
    sequences read as CP949) and half-width katakana (Big5 read as Shift-JIS); the first
    50,000 characters tell."""
    text = text[:50_000]
    letters = sum(1 for c in text if not c.isascii() and c.isalpha())
    if not letters:
        return 0.0
    scripts = [_script(c) for c in text]
    switches = sum(1 for a, b in zip(scripts, scripts[1:], strict=False) if a and b and a != b)
    odd = sum(1 for c in text if "\u3131" <= c <= "\u318e" or "\uff61" <= c <= "\uff9f")
    return (switches + odd) / letters


def optional_import(module: str, package: str) -> Any:
    """Heavy optional readers load only when a file of their type shows up."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"reading this format needs {package}: pip install {package}") from exc
