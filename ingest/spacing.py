"""Spaces that split a word, repaired with Kiwi (issue 15).

Browsers break Korean lines between any two syllables, so a PDF's line break may fall inside a
word (``이야`` / ``기``). Where a break sits between two Hangul syllables, the two words around
it are joined when Kiwi agrees twice: its spacing model (``Kiwi.space``) puts no space there,
and its analysis of the joined words scores ``MARGIN`` (log-probability) better than of the spaced ones.

Measured with ``python -m bench.spacing`` on the sample corpus's clean texts (every space between
two syllables a false join if joined, every position inside a word a split to repair): see
``bench/results/*-spacing.md``; ``MARGIN`` was chosen on a separate random half.
"""

from __future__ import annotations

from functools import lru_cache

from .kiwi import get_kiwi

MARGIN = 1.0  # log-probability the joined words must win by, when Kiwi.space agrees
ALONE = 6.0  # ... and when it does not


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def candidate(last: str, first: str) -> bool:
    """Whether a break between characters ``last`` and ``first`` may split a word: before a
    syllable that follows a syllable, a digit, a Latin letter or ")" (``350여`` / ``개의``,
    ``(西井)`` / ``테크의``), or before "(" (``연구개발`` / ``(R&D)을``). Korean writes a space
    before a number or a Latin word (589 of 628, 145 of 146 times in the corpus): kept."""
    word = is_hangul(last) or last.isascii() and last.isalnum()
    return is_hangul(first) and (word or last == ")") or first == "(" and word


def glue(left: str, right: str) -> str:
    """What joins ``left`` to ``right`` across a line break: "" when the break split a word,
    else " ". Before "(" it is always "" (462 of 466 times in the corpus); elsewhere Kiwi is
    asked where ``candidate`` holds."""
    if not (left and right and candidate(left[-1], right[0])):
        return " "
    if right[0] == "(":
        return ""
    before = " ".join(left.split(" ")[-2:])
    after = " ".join(right.split(" ")[:2])
    return "" if _split_word(before, after) else " "


@lru_cache(maxsize=65536)
def _split_word(before: str, after: str) -> bool:
    kiwi = get_kiwi()
    joined = before + after
    one = kiwi.analyze(joined, top_n=1)[0][1]
    two = kiwi.analyze(f"{before} {after}", top_n=1)[0][1]
    if one - two > ALONE:
        return True
    spaced = _spaced_at(kiwi.space(joined, reset_whitespace=False), len(before.replace(" ", "")))
    return not spaced and one - two > MARGIN


def _spaced_at(spaced: str, n: int) -> bool:
    """Whether ``spaced`` has a space right after its ``n``-th non-space character."""
    seen = 0
    for i, char in enumerate(spaced):
        if char != " ":
            seen += 1
            if seen == n:
                return spaced[i + 1 : i + 2] == " "
    return True
