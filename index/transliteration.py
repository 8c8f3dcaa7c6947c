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

from docqa.index.expansion import Expansion, overlaps

Analyze = Callable[[str], list[str]]
Romanise = Callable[[str], list[str]]  # Han -> toneless pinyin syllables

# choseong (initial) indices of the Hangul syllable block
_INITIALS = {
    "b": 7, "p": 17, "m": 6, "f": 17, "d": 3, "t": 16, "n": 2, "l": 5, "g": 0, "k": 15, "h": 18,
    "j": 12, "q": 14, "x": 9, "zh": 12, "ch": 14, "sh": 9, "r": 5, "z": 13, "c": 14, "s": 10,
}  # fmt: skip
# finals as written after ㅇ; the first syllable's ㅇ takes the initial consonant
_FINALS = {
    "a": "아", "o": "오", "e": "어", "ai": "아이", "ei": "에이", "ao": "아오", "ou": "어우",
    "an": "안", "en": "언", "ang": "앙", "eng": "엉", "ong": "웅", "er": "얼", "i": "이",
    "ia": "야", "ie": "예", "iao": "야오", "iu": "유", "ian": "옌", "in": "인", "iang": "양",
    "ing": "잉", "iong": "융", "u": "우", "ua": "와", "uo": "워", "uai": "와이", "ui": "우이",
    "uan": "완", "un": "운", "uang": "왕", "v": "위", "ve": "웨", "van": "위안", "vn": "윈",
}  # fmt: skip
# syllables without an initial consonant (y- and w- spell the glide)
_WHOLE = {
    "yi": "이", "ya": "야", "yo": "요", "ye": "예", "yao": "야오", "you": "유", "yan": "옌",
    "yin": "인", "yang": "양", "ying": "잉", "yong": "융", "yu": "위", "yue": "웨", "yuan": "위안",
    "yun": "윈", "wu": "우", "wa": "와", "wo": "워", "wai": "와이", "wei": "웨이", "wan": "완",
    "wen": "원", "wang": "왕", "weng": "웡",
}  # fmt: skip
_APICAL = frozenset(("zh", "ch", "sh", "r", "z", "c", "s"))  # their "i" is 으: 즈, 쓰, 르
_PALATAL = frozenset(("j", "q", "x"))  # their "u" is ü: ju 쥐, xuan 쉬안
_NO_GLIDE = {
    2: 0,
    3: 1,
    6: 4,
    7: 5,
    12: 8,
    17: 13,
}  # after ㅈ ㅉ ㅊ: ㅑ->ㅏ ㅒ->ㅐ ㅕ->ㅓ ㅖ->ㅔ ㅛ->ㅗ ㅠ->ㅜ
_AFFRICATES = frozenset((12, 13, 14))
_SYLLABLE = re.compile(r"(zh|ch|sh|[bpmfdtnlgkhjqxrzcs])?([aeiouv]+(?:ng|n|r)?)")
MIN_SYLLABLES = 2  # one syllable (hu, an) meets too many Korean words


def syllable(pinyin: str) -> str | None:
    """One toneless pinyin syllable in Hangul (``zhou`` -> 저우), or None if it is not one."""
    pinyin = pinyin.lower().replace("ü", "v")
    if pinyin in _WHOLE:
        return _WHOLE[pinyin]
    m = _SYLLABLE.fullmatch(pinyin)
    if m is None or m.group(1) is None:
        return _FINALS.get(pinyin) if m is not None else None
    initial, final = m.group(1), m.group(2)
    if initial in _APICAL and final == "i":
        final = "ɨ"
    elif initial in _PALATAL and final.startswith("u"):
        final = "v" + final[1:]
    template = "으" if final == "ɨ" else _FINALS.get(final)
    if template is None:
        return None
    first, rest = ord(template[0]) - 0xAC00, template[1:]
    vowel, coda = first // 28 % 21, first % 28
    consonant = _INITIALS[initial]
    if consonant in _AFFRICATES:
        vowel = _NO_GLIDE.get(vowel, vowel)
    return chr(0xAC00 + (consonant * 21 + vowel) * 28 + coda) + rest


def hangul(syllables: Sequence[str]) -> str | None:
    """A name's pinyin syllables in Hangul, joined (``["dong", "hu"]`` -> 둥후); None if any is not pinyin."""
    out = [syllable(s) for s in syllables]
    return None if any(s is None for s in out) else "".join(s for s in out if s)


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


def split_pinyin(word: str) -> list[str] | None:
    """``word`` as the fewest pinyin syllables, or None if it is not pinyin."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and syllable(word[start:end]) is not None:
                if best[end] is None or len(head) + 1 < len(best[end] or ()):
                    best[end] = [*head, word[start:end]]
    return best[len(word)]
