"""Korean typos: a question word the index has never seen meets the index terms one jamo away.

``수저우에는 공업 기업이 몇 개나 모여 있나?`` misspells 쑤저우 (ㅅ for ㅆ): without help its best
passage is the answer, but the unknown word weighs most in the question's coverage and the
question is refused. A word of three syllables or more that the index does not know, and that
differs from an index term in one jamo of one syllable, is an :class:`Expansion` of kind
``spelling`` for that term. Shorter words are left alone: a two-syllable word has too many
one-jamo neighbours that mean something else. Candidates are the generation's Korean index terms
(``TermVectors.terms``), so only words the corpus writes can be proposed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from docqa.index.expansion import Expansion

MIN_SYLLABLES = 3
_FIRST, _LAST = 0xAC00, 0xD7A3


def _jamo(syllable: str) -> tuple[int, int, int]:
    code = ord(syllable) - _FIRST
    return code // 588, (code % 588) // 28, code % 28


def _hangul(word: str) -> bool:
    return all(_FIRST <= ord(c) <= _LAST for c in word)


def one_jamo_apart(a: str, b: str) -> bool:
    """Two Hangul syllables that differ in exactly one of initial, vowel and final."""
    return sum(x != y for x, y in zip(_jamo(a), _jamo(b), strict=True)) == 1


class Spellings:
    """The index terms of three syllables or more, by each syllable position left out."""

    def __init__(self, terms: Iterable[str]):
        self._by_gap: dict[str, list[str]] = defaultdict(list)
        for term in terms:
            if len(term) >= MIN_SYLLABLES and _hangul(term):
                for i in range(len(term)):
                    self._by_gap[term[:i] + "*" + term[i + 1 :]].append(term)

    def near(self, word: str) -> tuple[str, ...]:
        """Index terms one jamo away from ``word`` (in one syllable), in index order."""
        if len(word) < MIN_SYLLABLES or not _hangul(word):
            return ()
        found: list[str] = []
        for i in range(len(word)):
            for term in self._by_gap.get(word[:i] + "*" + word[i + 1 :], ()):
                if term != word and one_jamo_apart(word[i], term[i]) and term not in found:
                    found.append(term)
        return tuple(found)


def spelling_expansions(
    terms: Sequence[str], spellings: Spellings, known: Callable[[str], bool]
) -> list[Expansion]:
    """For each question term the index does not know, the index terms it is probably a typo of."""
    out = []
    for term in dict.fromkeys(terms):
        if not known(term):
            near = spellings.near(term)
            if near:
                out.append(Expansion("spelling", term, (term,), near))
    return out
