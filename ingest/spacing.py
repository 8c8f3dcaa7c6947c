"""Spaces that split a word, repaired with Kiwi (issue 15).

Browsers break Korean lines between any two syllables, so a PDF's line break may fall inside a
word (``이야`` / ``기``). Where a break sits between two Hangul syllables, the two words around
it are joined when Kiwi reads the part after the break as one that cannot stand alone (a counter
after a number in digits, a particle after a closing quote or a noun, a 하다 suffix after a noun),
or when Kiwi agrees twice: its spacing model (``Kiwi.space``) puts no space there, and its analysis
of the joined words scores ``MARGIN`` (log-probability) better than of the spaced ones. After a
middle dot, or a hyphen, slash, "=" or "~" written against its word, the break always joins.

Before Kiwi, the document itself is asked (``Usage``): how it writes the two words on its lines
that no break split. Korean spaces compounds either way (스마트시티, 스마트 시티; 350여개, 350여 개),
so where Kiwi reads the same morphemes joined or spaced, only the author's own spelling tells.

Measured with ``python -m bench.spacing`` on the sample corpus's clean texts (every space between
two syllables a false join if joined, every position inside a word a split to repair): see
``bench/results/*-spacing.md``; ``MARGIN`` was chosen on the other random half (``--half 0``,
every position: 3.5 gave 0.61% false joins, 91.6% repaired; 3.0, 0.68% and 92.1%; 4.0, 0.58% and
91.0%). ``Usage`` and the prefix and root rules were also chosen on half 0 (Kiwi alone 91.9% and
0.86%, with them 96.0% and 0.68%; ``HEAD`` 1: 1.29% false joins; the whole of a word of two
characters, 0.88%); half 1 is the report, and KorQuAD's dev articles (``--texts korquad``), never
looked at, a second one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .kiwi import get_kiwi

MARGIN = 3.5  # log-probability the joined words must win by, when Kiwi.space agrees
ALONE = 6.0  # ... and when it does not


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


CLOSING = "’”'\""  # a closing quote: the word after it may be its particle (``효율’`` / ``로``)
# Never followed by a space in the corpus when written against the word before them: "·" 0 of 154
# times, "-" 0 of 122 (the 8 spaced ones are " - "), "/" 1 of 47, "=" 0 of 5, "~" 0 of 10.
JOINERS = "·-/=~"


def candidate(last: str, first: str) -> bool:
    """Whether a break between characters ``last`` and ``first`` may split a word: before a
    syllable that follows a syllable, a digit, a Latin letter, ")" or a closing quote
    (``350여`` / ``개의``, ``(西井)`` / ``테크의``, ``속도’`` / ``를``), before "(" (``연구개발`` /
    ``(R&D)을``), and after one of ``JOINERS`` (``CD-`` / ``ROM``). Korean writes a space before
    a number or a Latin word (589 of 628, 145 of 146 times in the corpus): kept."""
    if last in JOINERS:
        return not first.isspace()
    word = is_hangul(last) or last.isascii() and last.isalnum()
    return is_hangul(first) and (word or last == ")" or last in CLOSING) or first == "(" and word


HEAD = 2  # characters of the word after a break that ``Usage`` looks up with the word before it
_DIGITS = re.compile(r"\d+")
_NUMERAL = re.compile(r"(?:#[천만억조])+#")
_UNIT_THEN_DIGIT = re.compile(r"(?<=\d[천만억조])( ?)(?=\d)")
_UNIT_AT_END = re.compile(r"\d[천만억조]$")


def _shape(word: str) -> str:
    """A number is any number, and a number with units (``1조8034억``) one too: ``1000여개`` tells
    how ``350여개`` is written, ``110억위안`` how ``10만위안``."""
    return _NUMERAL.sub("#", _DIGITS.sub("#", word))


def _head(word: str) -> str:
    """The first ``HEAD`` characters of a word, up to a bracket or a mark (``원)을``: ``원``)."""
    cut = next((i for i, c in enumerate(word) if not (c.isalnum() or c == "#")), len(word))
    return word[: min(HEAD, max(cut, 1))]


@dataclass
class Usage:
    """How one document writes its words where no line break falls: its words, and its pairs of
    words, within lines (numbers as ``#``). A break between ``a`` and ``b`` that the document
    writes elsewhere joined (a word starting ``a`` + ``b[:HEAD]``) and never spaced (``a`` then a
    word starting ``b[:HEAD]``) is joined; written only spaced, it keeps its space. Compounds are
    spaced either way in Korean (스마트시티, 스마트 시티): the author's own spelling decides."""

    prefixes: Counter[str] = field(default_factory=Counter)  # every prefix of every word
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (word, next word's head)
    numerals: Counter[str] = field(default_factory=Counter)  # "": 2천770억; " ": 1만 8천

    @classmethod
    def of(cls, lines: Iterable[str]) -> Usage:
        usage = cls()
        for line in lines:
            usage.add(line)
        return usage

    def add(self, line: str, sign: int = 1) -> None:
        words = [_shape(w) for w in line.split()]
        for word in words:
            for n in range(1, len(word) + 1):
                self.prefixes[word[:n]] += sign
        for a, b in zip(words, words[1:], strict=False):
            self.pairs[(a, _head(b))] += sign
        for gap in _UNIT_THEN_DIGIT.findall(line):
            self.numerals[gap] += sign

    def numeral(self) -> str | None:
        """How the document writes digits after a numeral unit (2천770억, 1만 8천): twice one way
        and once at most the other (KorQuAD's articles write both ways)."""
        joined, spaced = self.numerals[""] > 1, self.numerals[" "] > 1
        return None if joined == spaced else ("" if joined else " ")

    def says(self, left: str, right: str) -> str | None:
        """The glue ("" or " ") where the document's other lines decide the break, else None."""
        a, b = _shape(left.split(" ")[-1]), _shape(right.split(" ")[0])
        if not (a and b):
            return None
        joined = self.prefixes[a + _head(b)] > 0
        spaced = self.pairs[(a, _head(b))] > 0
        return None if joined == spaced else ("" if joined else " ")


def glue(left: str, right: str, usage: Usage | None = None) -> str:
    """What joins ``left`` to ``right`` across a line break: "" when the break split a word,
    else " ". Before "(" it is always "" (462 of 466 times in the corpus); elsewhere the
    document's own ``usage`` decides where it writes the words elsewhere, else Kiwi is asked,
    where ``candidate`` holds."""
    if usage is not None and _UNIT_AT_END.search(left) and right[:1].isdigit():  # 4조2천 / 200억원
        said = usage.numeral()
        return " " if said is None else said
    if not (left and right and candidate(left[-1], right[0])):
        return " "
    if right[0] == "(":
        return ""
    if left[-1] in JOINERS:  # against the word before it ("CD-"), not a dash between spaces
        return "" if len(left) > 1 and not left[-2].isspace() else " "
    said = usage.says(left, right) if usage is not None else None
    if said is not None:
        return said
    before = " ".join(left.split(" ")[-2:])
    after = " ".join(right.split(" ")[:2])
    return "" if _attached(before, after) or _split_word(before, after) else " "


# What may start the part after a break and belongs to the word before it, by Kiwi's tags
_PARTICLE = ("J", "E", "XS", "VCP")  # particles, endings, suffixes, the copula: ``속도’`` / ``를``
_MARKS = ("SF", "SP", "SS", "SE", "SO", "SW")  # punctuation and symbols
_AFTER_NOUN = ("J", "XSV", "XSA", "VCP")
_COUNTED = ("NNB", "NR", "XSN", "J")  # after a number: counters, numerals, suffixes (``16`` / ``개``)


@lru_cache(maxsize=65536)
def _attached(before: str, after: str) -> bool:
    """Whether Kiwi reads the start of ``after`` as a part that is not a word of its own: after a
    closing quote, particles only (``속도’`` / ``를``); after a number in digits, a counter (``3`` /
    ``년``, ``16`` / ``개``); after a noun, a particle, a 하다 suffix or the copula (``투자`` /
    ``해``). Not after a numeral or counter in Hangul: ``억`` / ``위안`` is spaced as often as not."""
    tokens = get_kiwi().analyze(before + after, top_n=1)[0][0]
    at = len(before)
    head = next((t for t in tokens if t.start == at), None)
    tail = next((t for t in tokens if t.start + t.len == at), None)
    if head is None or tail is None:  # Kiwi reads one morpheme across the break
        return False
    if before[-1] in CLOSING:  # the whole first word: ``"뛴다"`` / ``고품질`` is not ``고`` + noun
        word = after.split(" ")[0]
        inside = [t for t in tokens if at <= t.start < at + len(word)]
        return all(str(t.tag).startswith((*_PARTICLE, *_MARKS)) for t in inside)
    tag, prev = str(head.tag), str(tail.tag)
    if prev == "XPN" or prev == "XR" and tag.startswith(("XSA", "XSV")):  # 신 / 제품, 풍부 / 해질
        return True
    if prev == "SN":
        return tag.startswith(_COUNTED)
    return prev.startswith("NN") and tag.startswith(_AFTER_NOUN)


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
