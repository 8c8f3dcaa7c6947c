"""Chinese names as Korean writes them: pinyin to Hangul by the Korean standard for Mandarin.

Korean news writes a modern Chinese name by its Mandarin sound, not its Sino-Korean reading:
``深圳`` is 선전 (reading 심수), ``东湖`` 둥후 (reading 동호), ``天府`` 톈푸, ``晓多`` 샤오둬. The
sound follows one fixed table (외래어 표기법, 중국어의 표기: initial consonant + final, with
ㅈ/ㅉ/ㅊ dropping the glide of the vowel after them: ``jiang`` 장, ``jiu`` 주), so a Chinese
question's words, read with pypinyin, and an English question's pinyin names (``Donghu``,
``Zhangjiang``) meet the Korean text's names without any pair mined from the corpus.

Pure functions; :func:`hangul` takes the toneless pinyin syllables (``v`` for ü).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from docqa.core.hanzi import hangul as hangul
from docqa.core.hanzi import split_pinyin as split_pinyin
from docqa.core.hanzi import syllable as syllable
from docqa.index.expansion import Expansion, overlaps

Analyze = Callable[[str], list[str]]
Romanise = Callable[[str], list[str]]  # Han -> toneless pinyin syllables

MIN_SYLLABLES = 2  # one syllable (hu, an) meets too many Korean words


def expansions(
    words: Sequence[tuple[str, Sequence[str]]],
    analyze: Analyze,
    known: Callable[[str], bool],
    skip: Sequence[str] = (),
) -> list[Expansion]:
    """For each (word as the question writes it, its pinyin syllables), its Hangul transliteration's
    terms, where the index knows every one of them (a sound the corpus never writes adds nothing
    but noise). ``skip``: the question's alias glosses (the mined Korean name wins)."""
    out: list[Expansion] = []
    for word, syllables in words:
        if len(syllables) < MIN_SYLLABLES or overlaps(word, skip):
            continue
        written = hangul(syllables)
        terms = tuple(analyze(written)) if written else ()
        if terms and all(known(t) for t in terms):
            out.append(Expansion("transliteration", word, tuple(analyze(word)), terms))
    return out


def pinyin_words(text: str) -> list[tuple[str, list[str]]]:
    """The Latin words of an English question that are pinyin names, split into syllables
    (``Donghu`` -> dong hu, ``Zhangjiang`` -> zhang jiang): capitalised, not the first word, and
    wholly pinyin (the split with the fewest syllables)."""
    out: list[tuple[str, list[str]]] = []
    for m in re.finditer(r"[A-Za-z]+", text):
        word = m.group(0)
        if m.start() == 0 or not word[0].isupper() or not word[1:].islower():
            continue
        split = split_pinyin(word.lower())
        if split:
            out.append((word, split))
    return out
