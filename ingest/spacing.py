"""Spaces that split a word, repaired with Kiwi (issue 15).

Browsers break Korean lines between any two syllables, so a PDF's line break may fall inside a
word (``이야`` / ``기``). Where a break sits between two Hangul syllables, the two words around
it are joined when Kiwi reads the part after the break as one that cannot stand alone (a counter
after a number in digits, a particle after a closing quote or a noun, a 하다 suffix after a noun),
or when Kiwi agrees twice: its spacing model (``Kiwi.space``) puts no space there, and its analysis
of the joined words scores ``MARGIN`` (log-probability) better than of the spaced ones. After a
middle dot, or a hyphen, slash, "=" or "~" written against its word, the break always joins.

Measured with ``python -m bench.spacing`` on the sample corpus's clean texts (every space between
two syllables a false join if joined, every position inside a word a split to repair): see
``bench/results/*-spacing.md``; ``MARGIN`` was chosen on the other random half (``--half 0``,
every position: 3.5 gave 0.61% false joins, 91.6% repaired; 3.0, 0.68% and 92.1%; 4.0, 0.58% and
91.0%).
"""

from __future__ import annotations

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


def glue(left: str, right: str) -> str:
    """What joins ``left`` to ``right`` across a line break: "" when the break split a word,
    else " ". Before "(" it is always "" (462 of 466 times in the corpus); elsewhere Kiwi is
    asked where ``candidate`` holds."""
    if not (left and right and candidate(left[-1], right[0])):
        return " "
    if right[0] == "(":
        return ""
    if left[-1] in JOINERS:  # against the word before it ("CD-"), not a dash between spaces
        return "" if len(left) > 1 and not left[-2].isspace() else " "
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
