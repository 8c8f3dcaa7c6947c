"""Han characters in Hangul: a Chinese name by its Mandarin sound (the Korean standard for
Mandarin) and a Chinese word by its Sino-Korean reading.

Pure text functions, below every stage: ingest joins a word split before its Han gloss when the
two halves spell the gloss (``창`` / ``수(常熟)``: chang shu is 창수), and index turns a question's
Chinese words into the Korean text's terms (``index/transliteration.py``, ``index/readings.py``).
The pinyin and readings come from pypinyin, hanja and opencc, imported when first needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# one Han character: the unified ideographs, extension A and the compatibility block
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

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


@lru_cache(maxsize=1)
def _s2t() -> Any:
    import opencc  # opencc-python-reimplemented

    return opencc.OpenCC("s2t")


def traditional(text: str) -> str:
    """``text`` in traditional characters (币原 -> 幣原), as Japanese and hanja write most of them."""
    converted: str = _s2t().convert(text)
    return converted


def hanja_reading(word: str) -> str:
    """Hangul reading of a Chinese word (机器人 -> 機器人 -> 기기인)."""
    import hanja

    reading: str = hanja.translate(traditional(word), "substitution")
    return reading


def pinyin_syllables(han: str) -> list[str]:
    """Toneless pinyin of each character (the romaniser of the alias table)."""
    from pypinyin import Style, lazy_pinyin

    syllables: list[str] = lazy_pinyin(han, style=Style.NORMAL)
    return syllables
