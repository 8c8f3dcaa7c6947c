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
characters, 0.88%); half 1 is the report, and KorQuAD's dev articles (``--texts korquad``) a
second one.

A second round looked at KorQuAD half 1's false joins (1.92%; the corpus 0.88%) by class, and
changed rules, not thresholds: an unknown word is no evidence of a split word (``_unknown_across``:
Kiwi charges one unknown word less than two of half its length, so two names, ``시라토리`` /
``구라키치``, read better joined), a particle that leaves a word standing after it is no particle
(``차장`` / ``이석희와``), a prefix only starts a word (``증권가`` / ``건물``), "(" follows a space
where the document writes it so (``Usage.bracket``), a suffix joins a noun (``5년`` / ``간``), and
a name joins across the break where the halves spell its Han gloss (``창`` / ``수(常熟)``, by
``docqa.core.hanzi``). KorQuAD half 1 1.92% -> 1.13% false joins, 94.6% -> 93.9% repaired; its
half 0, not looked at, 1.92% -> 1.10%, 94.5% -> 93.9%; the corpus 0.88% -> 0.70%, 95.8% -> 95.2%.
Of KorQuAD half 1's 527 false joins left, 139 come before a particle, an ending, a suffix or the
copula that the article wrote apart and Kiwi reads alike either way (``방영 되었다``,
``'되깜빡임' 이라는``): the join writes them as the standard does (the others: 0.83%). Most of
the rest are compounds written both ways (``게임 속``, ``리먼 브러더스``) that the document or
Kiwi's dictionary writes joined.

A third round looked at KorQuAD half 1's false joins and misses again (half 0 and the corpus not
looked at) and added three rules. A noun or a verb of Kiwi's dictionary, or a name, of three
characters or more read across the break joins it (``_known_across``: ``보유`` / ``량이``,
``살아`` / ``남았다고``; a name of four or more is often several words, which the standard
writes apart, ``뉴욕 타임스``). A compound the document writes joined only once, where Kiwi's
spacing model spaces it, is left to Kiwi (``노동`` / ``계층``: 76 of the 149 false joins the
document's spelling made on half 1; a number keeps the document's rule). A document that writes
particles apart from Latin words and closing marks (``PAL 이나``, ``(MOU) 을``; twice or more,
and one time in five or more) keeps a break there (``Usage.particles_apart``). KorQuAD half 1
1.13% -> 0.94% false joins, 93.9% -> 93.8% repaired; half 0 1.10% -> 0.99%, 93.9% -> 93.8%; the
corpus 0.70% -> 0.35%, 95.2% -> 94.8%.

At a PDF's line break the line's box also tells (``glue(..., fitted=True)``, from
``pdf_layout.at_edge``): where the next line's first syllable would have fitted on the line, the
browser broke it at a space (it breaks Korean between any two syllables), and the space is kept;
so it is everywhere in a document most of whose lines had that room (``word-break: keep-all``).
On KorQuAD's dev articles printed by Chromium (``python -m bench.pdf_breaks``) the split words
show no more often at lines that ran to the edge than elsewhere, so the geometry only keeps
spaces: it licenses no join on weaker evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from docqa.core.hanzi import hangul, hanja_reading, pinyin_syllables

from .kiwi import get_kiwi

if TYPE_CHECKING:
    from kiwipiepy import Token

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
_BEFORE_BRACKET = re.compile(r"(?<=\w)( ?)(?=\()")
# a Latin letter, or a closing bracket or quote against its word, then Hangul: ``PAL이나``, ``PAL 이나``
_MARK_THEN_HANGUL = re.compile(r"(\S*(?:[A-Za-z]|(?<=\S)[)’”'\"]))( ?)([\uac00-\ud7a3]\S*)(?=( \S+)?)")


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
    brackets: Counter[str] = field(default_factory=Counter)  # "": 쑤저우(苏州); " ": 쑤저우 (苏州)
    particles: Counter[str] = field(default_factory=Counter)  # "": PAL이나, (MOU)을; " ": PAL 이나

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
        for gap in _BEFORE_BRACKET.findall(line):
            self.brackets[gap] += sign
        for gap, n in _line_particles(line).items():
            self.particles[gap] += sign * n

    def numeral(self) -> str | None:
        """How the document writes digits after a numeral unit (2천770억, 1만 8천): twice one way
        and once at most the other (KorQuAD's articles write both ways)."""
        joined, spaced = self.numerals[""] > 1, self.numerals[" "] > 1
        return None if joined == spaced else ("" if joined else " ")

    def bracket(self) -> str:
        """How the document writes "(" after a word: with a space only where it does so more
        often than not (the corpus: 462 of 466 times without; a Wikipedia article may write
        ``윤정훈 (1974년 ~ )`` throughout)."""
        return " " if self.brackets[" "] > self.brackets[""] else ""

    def particles_apart(self) -> bool:
        """Whether the document writes a particle or the copula apart from a Latin word or a
        closing bracket or quote (``PAL 이나``, ``(MOU) 을``, ``'되깜빡임' 이라는``) twice or
        more, and one time in five or more: then a break there is no split word."""
        apart = self.particles[" "]
        return apart >= 2 and 5 * apart >= apart + self.particles[""]

    def says(self, left: str, right: str) -> str | None:
        """The glue ("" or " ") where the document's other lines decide the break, else None."""
        a, b = _shape(left.split(" ")[-1]), _shape(right.split(" ")[0])
        if not (a and b):
            return None
        joined = self.prefixes[a + _head(b)] > 0
        spaced = self.pairs[(a, _head(b))] > 0
        return None if joined == spaced else ("" if joined else " ")

    def sightings(self, left: str, right: str) -> int:
        """How many of the document's words start with the two words joined (``says``)."""
        a, b = _shape(left.split(" ")[-1]), _shape(right.split(" ")[0])
        return self.prefixes[a + _head(b)]


def glue(left: str, right: str, usage: Usage | None = None, fitted: bool = False) -> str:
    """What joins ``left`` to ``right`` across a line break: "" when the break split a word,
    else " ". Before "(" it is "" (462 of 466 times in the corpus) unless the document writes
    " (" more often (``Usage.bracket``); before a Han gloss that the two halves spell, ""; elsewhere the
    document's own ``usage`` decides where it writes the words elsewhere, else Kiwi is asked,
    where ``candidate`` holds. ``fitted``: at a PDF's line break, the next line's first syllable
    would have fitted on the line (``pdf_layout.at_edge``): a browser breaks Korean between any
    two syllables, so it broke this line at a space, and between two syllables " " is kept."""
    if usage is not None and _UNIT_AT_END.search(left) and right[:1].isdigit():  # 4조2천 / 200억원
        said = usage.numeral()
        return " " if said is None else said
    if not (left and right and candidate(left[-1], right[0])):
        return " "
    if fitted and is_hangul(left[-1]) and is_hangul(right[0]):
        return " "
    if right[0] == "(":
        return "" if usage is None else usage.bracket()
    if left[-1] in JOINERS:  # against the word before it ("CD-"), not a dash between spaces
        return "" if len(left) > 1 and not left[-2].isspace() else " "
    if _spells_gloss(left, right):
        return ""
    before = " ".join(left.split(" ")[-2:])
    after = " ".join(right.split(" ")[:2])
    said = usage.says(left, right) if usage is not None else None
    if said == "" and usage is not None and _once_against_kiwi(usage, left, right, before, after):
        said = None
    if said is not None:
        return said
    if usage is not None and usage.particles_apart() and _particle_after_mark(left, right):
        return " "
    joined = _known_across(before, after) or _attached(before, after) or _lone_prefix(before, after)
    return "" if joined or _split_word(before, after) else " "


@lru_cache(maxsize=65536)
def _lone_prefix(before: str, after: str) -> bool:
    """Whether Kiwi reads the word before the break, left alone, as one prefix (``XPN``), which
    only ever starts a word (``확산돼 신`` / ``질 생산력을``: 신질; ``모델 생`` / ``물로``): the
    break split it from its noun, whatever the joined reading scores (KorQuAD half 1: 44 split
    words, 1 real space)."""
    word = before.split(" ")[-1]
    if not word or not is_hangul(word[-1]):
        return False
    start = len(before) - len(word)
    inside = [t for t in _reading(f"{before} {after}")[0] if start <= t.start < len(before)]
    return len(inside) == 1 and str(inside[0].tag) == "XPN"


def _once_against_kiwi(usage: Usage, left: str, right: str, before: str, after: str) -> bool:
    """Whether the document writes two words (no number) joined only once, where Kiwi's spacing
    model spaces them: one sighting of a compound Korean spaces either way is no rule."""
    if any(c.isdigit() for c in left.split(" ")[-1]):
        return False
    return usage.sightings(left, right) == 1 and _space_model_splits(before, after)


@lru_cache(maxsize=4096)
def _line_particles(line: str) -> Counter[str]:
    """How often ``line`` writes a particle or the copula after a Latin word or a closing mark,
    by gap ("" or " ")."""
    return Counter(
        gap
        for before, gap, after, context in _MARK_THEN_HANGUL.findall(line)
        if _particle_after(before, gap, after + context)
    )


def _particle_after_mark(left: str, right: str) -> bool:
    """Whether the break follows a Latin letter or a closing mark against its word and Kiwi reads
    what follows as its particle or the copula (``PAL`` / ``이나``, ``(SDR)`` / ``를``)."""
    word = left.split(" ")[-1]
    if not word or not (word[-1].isascii() and word[-1].isalpha() or len(word) > 1 and word[-1] in ")’”'\""):
        return False
    return _particle_after(word, " ", " ".join(right.split(" ")[:2]))


@lru_cache(maxsize=65536)
def _particle_after(before: str, gap: str, after: str) -> bool:
    """Whether Kiwi reads the start of ``after`` as a particle or the copula on ``before``, a
    word ending in a Latin letter or a closing mark (``PAL`` / ``이나``)."""
    tokens = get_kiwi().analyze(before + gap + after, top_n=1)[0][0]
    at = len(before) + len(gap)
    head = next((t for t in tokens if t.start == at), None)
    return head is not None and str(head.tag).startswith(("J", "VCP"))


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_GLOSSED = re.compile(rf"([\uac00-\ud7a3]+)\(((?:[{_HAN}]+·)*[{_HAN}]+)(?![{_HAN}])")
_HANGUL_TAIL = re.compile(r"[\uac00-\ud7a3]+$")


def _spells_gloss(left: str, right: str) -> bool:
    """Whether the break splits a name written before its Han gloss, the two halves spelling the
    gloss's Mandarin sound or its Sino-Korean reading (``창`` / ``수(常熟)``: chang shu, 창수;
    ``사`` / ``강(沙鋼)``; ``청`` / ``위(成·渝)``). Kiwi does not know such names and reads them
    as two words as often as not."""
    glossed, tail = _GLOSSED.match(right), _HANGUL_TAIL.search(left)
    if glossed is None or tail is None:
        return False
    return tail.group() + glossed.group(1) in _gloss_spellings(glossed.group(2).replace("·", ""))


@lru_cache(maxsize=4096)
def _gloss_spellings(han: str) -> tuple[str | None, str]:
    return hangul(pinyin_syllables(han)), hanja_reading(han)


# What may start the part after a break and belongs to the word before it, by Kiwi's tags
_PARTICLE = ("J", "E", "XS", "VCP")  # particles, endings, suffixes, the copula: ``속도’`` / ``를``
_MARKS = ("SF", "SP", "SS", "SE", "SO", "SW")  # punctuation and symbols
_AFTER_NOUN = ("J", "XSV", "XSA", "XSN", "VCP")
_WORDS = ("NN", "NP", "NR", "VV", "VA", "MM", "MA", "IC", "XPN")  # what stands as a word
_COUNTED = ("NNB", "NR", "XSN", "J")  # after a number: counters, numerals, suffixes (``16`` / ``개``)


@lru_cache(maxsize=65536)
def _attached(before: str, after: str) -> bool:
    """Whether Kiwi reads the start of ``after`` as a part that is not a word of its own: after a
    closing quote, particles only (``속도’`` / ``를``); after a number in digits, a counter (``3`` /
    ``년``, ``16`` / ``개``); after a noun, a particle, a 하다 suffix or the copula (``투자`` /
    ``해``). Not after a numeral or counter in Hangul: ``억`` / ``위안`` is spaced as often as not."""
    tokens = _reading(before + after)[0]
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
    word_start = len(before) - len(before.split(" ")[-1])
    if prev == "XPN" and tail.start == word_start:  # 신 / 제품; not 증권가 / 건물 read as 증권 + 가-
        return True
    if prev == "XR" and tag.startswith(("XSA", "XSV")):  # 풍부 / 해질
        return True
    if prev == "SN":
        return tag.startswith(_COUNTED)
    if not (prev.startswith("NN") and tag.startswith(_AFTER_NOUN)):
        return False
    return not _particle_then_word(tokens, at, after)


def _particle_then_word(tokens: Sequence[Token], at: int, after: str) -> bool:
    """Whether a particle read at the break leaves a word standing after it, inside the word after
    the break: then it is the start of that word (``차장`` / ``이석희와``: 차장 + 이 + 석희,
    ``회장`` / ``이와타``, ``최고`` / ``도약``)."""
    end = at + len(after.split(" ")[0])
    return any(str(t.tag).startswith(_WORDS) for t in tokens if at < t.start < end)


KNOWN = 3  # characters of a word of Kiwi's dictionary read across the break
_KNOWN_TAGS = ("NNG", "NNP", "VV", "VA")
# A longer name is often several words, which the standard writes apart (한글 맞춤법 49항:
# ``뉴욕 타임스``, ``리먼 브러더스``): Kiwi's dictionary writing it whole says nothing.
_LONGEST = {"NNP": 3}


@lru_cache(maxsize=65536)
def _known_across(before: str, after: str) -> bool:
    """Whether Kiwi reads the joined words with one noun, name (of three characters at most) or
    verb of its dictionary, of ``KNOWN`` characters or more, across the break (``보유`` /
    ``량이``, ``도중 엄지`` / ``손가락에``, ``살아`` / ``남았다고``): Kiwi's scores often
    prefer the two words it also knows."""
    joined = before + after
    tokens = _reading(joined)[0]
    at, start = len(before), len(before) - len(before.split(" ")[-1])
    for t in tokens:
        tag, end = str(t.tag), t.start + t.len
        if start <= t.start < at < end and tag.startswith(_KNOWN_TAGS) and not t.oov:
            # not a piece glossed alone (``서울`` / ``시(市)``)
            return KNOWN <= t.len <= _LONGEST.get(tag, t.len) and joined[end : end + 1] != "("
    return False


@lru_cache(maxsize=65536)
def _space_model_splits(before: str, after: str) -> bool:
    """Whether Kiwi's spacing model (``Kiwi.space``) puts a space where the break is."""
    spaced = get_kiwi().space(before + after, reset_whitespace=False)
    return _spaced_at(spaced, len(before.replace(" ", "")))


@lru_cache(maxsize=16384)
def _reading(text: str) -> tuple[Sequence[Token], float]:
    """Kiwi's best reading of ``text`` and its score, shared by the rules that read the joined words."""
    tokens, score = get_kiwi().analyze(text, top_n=1)[0]
    return tokens, score


@lru_cache(maxsize=65536)
def _split_word(before: str, after: str) -> bool:
    joined = before + after
    one_tokens, one = _reading(joined)
    two_tokens, two = _reading(f"{before} {after}")
    if _unknown_across(one_tokens, two_tokens, len(before), len(before) - len(before.split(" ")[-1])):
        return False
    # a particle read at the break that leaves a word standing (``노동부장관`` / ``이형구에``,
    # ``5일에`` / ``가나야``): the joined reading's score is no evidence (KorQuAD half 1: 8 real
    # spaces kept, 22 split words lost, most where the article itself left out a space, ``의경우``)
    at = len(before)
    head = next((t for t in one_tokens if t.start == at), None)
    if head is not None and str(head.tag).startswith("J") and _particle_then_word(one_tokens, at, after):
        return False
    if one - two > ALONE:
        return True
    return not _space_model_splits(before, after) and one - two > MARGIN


def _unknown_across(one: Sequence[Token], two: Sequence[Token], at: int, word_start: int) -> bool:
    """Whether the joined words read as one word Kiwi does not know, across the break, where the
    spaced ones read as a word on each side of it (unknown, of two syllables or more, or a name)
    or as a particle or an ending closing the word before it. Kiwi charges an unknown word less
    than two of half its length, so two names (``시라토리`` / ``구라키치``, ``밴쿠버`` /
    ``캐넉스``, ``휴`` / ``잭맨``), two nouns that are no compound it knows (``보랏빛`` / ``향기``)
    or a word closed by a particle and the next (``꿈의`` / ``숲``) read better joined: the score
    says nothing there. A piece of one syllable that Kiwi reads as a common morpheme is a broken
    word's and keeps the score's say (``신`` / ``질``: 신질, ``흡음`` / ``재부터``: 흡음재)."""
    if not any(t.oov and t.start < at < t.start + t.len for t in one):
        return False
    tail = [t for t in two if t.start + t.len == at]
    head = [t for t in two if t.start == at + 1]
    if tail and head and all(t.oov or t.len > 1 or str(t.tag) == "NNP" for t in (tail[-1], head[0])):
        return True
    return any(t.start > word_start and str(t.tag).startswith(("J", "E")) for t in tail)


def _spaced_at(spaced: str, n: int) -> bool:
    """Whether ``spaced`` has a space right after its ``n``-th non-space character."""
    seen = 0
    for i, char in enumerate(spaced):
        if char != " ":
            seen += 1
            if seen == n:
                return spaced[i + 1 : i + 2] == " "
    return True
