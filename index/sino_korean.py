"""English words through Chinese to the Sino-Korean words Korean writes: ``sinking`` -> 沉沒 ->
침몰, ``impeach`` -> 彈劾 -> 탄핵, ``critic`` -> 評論家 -> 평론가, ``allies`` -> 同盟國 -> 동맹국.

Most of the Korean words that carry a question's relation are Sino-Korean, and the aligned
encoder translates single English words into them poorly (``sinking`` is .55 from 침몰, under
``translation.MIN_COSINE``; its nearest terms are 떠돌 and 침해). CC-CEDICT (the glossary of
``glossary.py``) read backwards gives the Chinese words an English word glosses; each one's
Hangul reading (``readings.hanja_reading``) is kept where the index holds it as a term and the
aligned encoder puts it at :data:`MIN_COSINE` or nearer the English word: the dictionary
proposes, the encoder disposes (``take`` -> 採取 -> 채취 is .62 by the encoder, but ``state`` ->
狀態 -> 상태 is what "state" means too often to be told apart: a cosine cannot tell senses).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from docqa.core.hanzi import HAN
from docqa.index.expansion import Expansion
from docqa.index.glossary import glosses, senses_of
from docqa.index.readings import hanja_reading
from docqa.index.translation import PER_WORD, TermVectors

MIN_COSINE = 0.4  # the aligned cosine a dictionary reading needs (the encoder alone needs .6)
_WORD = re.compile(r"[a-z]+")
# English inflections tried in turn when the word itself glosses nothing (discontinued ->
# discontinue, impeaching -> impeach, allies -> ally): (suffix, replacement)
_ENDINGS = (
    ("ies", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
    ("d", ""),
)

# Prepositions and particles gloss Chinese function words (between -> 中間 -> 중간, over -> 以上
# -> 이상): they are read as the relation words they are not.
_FUNCTION_WORDS = frozenset(
    "about above across after against along among around before behind below beneath beside between beyond "
    "during except inside near off onto out outside over past since through throughout till toward towards "
    "under until upon within without via per both each every either neither other another such same "
    "also just only even still yet again already very too quite rather".split()
)

_lock = threading.Lock()
_reverse: dict[str, tuple[str, ...]] | None = None


def reverse_glosses(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """One-word English senses -> the Chinese words glossed by them (``glosses()``'s table)."""
    out: dict[str, list[str]] = {}
    for word, entry in table.items():
        for sense in senses_of(entry):
            if _WORD.fullmatch(sense):
                out.setdefault(sense, []).append(word)
    return {sense: tuple(words) for sense, words in out.items()}


def english_to_chinese() -> dict[str, tuple[str, ...]]:
    """The reversed glossary of this process, built on first use (about two seconds)."""
    global _reverse
    with _lock:
        if _reverse is None:
            _reverse = reverse_glosses(glosses())
        return _reverse


def forms(word: str) -> list[str]:
    """The word, then the stems its inflection may come from (each at least three letters)."""
    out = [word]
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: len(word) - len(ending)] + replacement
            if stem not in out:
                out.append(stem)
    return out


def readings_of(
    word: str,
    reverse: Mapping[str, tuple[str, ...]],
    is_term: Callable[[str], bool],
    read: Callable[[str], str] = hanja_reading,
) -> list[str]:
    """Hangul readings the index holds of the Chinese words that gloss ``word`` (its first form
    with any)."""
    for form in forms(word):
        found: list[str] = []
        for chinese in reverse.get(form, ()):
            reading = read(chinese)
            if len(reading) >= 2 and not HAN.search(reading) and is_term(reading) and reading not in found:
                found.append(reading)
        if found:
            return found
    return []


def sino_korean_expansions(
    words: Sequence[tuple[str, tuple[str, ...]]],
    vectors: Mapping[str, np.ndarray],
    term_vectors: TermVectors,
    is_term: Callable[[str], bool],
    reverse: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Expansion]:
    """For each English word (with its index terms, and its aligned vector in ``vectors``) the
    Sino-Korean readings of its Chinese glosses that the aligned encoder puts near it, nearest
    first, at most ``translation.PER_WORD``, as ``translation`` expansions."""
    reverse = english_to_chinese() if reverse is None else reverse
    out: list[Expansion] = []
    for word, source in words:
        vec = vectors.get(word)
        if vec is None or word in _FUNCTION_WORDS:
            continue
        near: list[tuple[float, str]] = []
        for reading in readings_of(word, reverse, is_term):
            tv = term_vectors.vector_of(reading)
            if tv is not None and (cos := float(tv @ vec)) >= MIN_COSINE:
                near.append((cos, reading))
        near.sort(reverse=True)
        if near:
            out.append(Expansion("translation", word, source, tuple(r for _, r in near[:PER_WORD])))
    return out
