"""Japanese names in an English question, as Korean writes them: ``Showa`` -> 쇼와, ``Tokyo`` -> 도쿄.

English writes a Japanese name in Hepburn romanisation; Korean writes it by the Korean standard
for Japanese (외래어 표기법, 일본어의 표기): one Hangul syllable per kana, ``k t ch`` as ㄱ ㄷ ㅈ at
the start of a word and ㅋ ㅌ ㅊ inside it, ``tsu`` 쓰, ``su`` 스, the moraic ``n`` and the first
of a doubled consonant as a final (ㄴ, ㅅ), long vowels not written (``Itou``, ``Tōkyō``). Korean
text about history names Japanese people, eras and places this way (이토 히로부미, 쇼와, 반류마루),
and no other expansion reads them. As for pinyin names, the index decides: a reading counts
only where the index holds it as one term of two syllables or more.

Pure functions; :func:`expansions` takes the question and whether the index knows a term.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import product
from typing import Any

from docqa.core.hanzi import traditional
from docqa.index.expansion import Expansion, overlaps

# consonant of a kana -> (at the start of a word, inside it) as a choseong index
# (ㄱ0 ㄴ2 ㄷ3 ㄹ5 ㅁ6 ㅂ7 ㅅ9 ㅆ10 ㅇ11 ㅈ12 ㅊ14 ㅋ15 ㅌ16 ㅍ17 ㅎ18)
_CONSONANT = {
    "": (11, 11), "k": (0, 15), "g": (0, 0), "s": (9, 9), "sh": (9, 9), "z": (12, 12),
    "j": (12, 12), "t": (3, 16), "ch": (12, 14), "ts": (10, 10), "d": (3, 3), "n": (2, 2),
    "h": (18, 18), "f": (18, 18), "b": (7, 7), "p": (17, 17), "m": (6, 6), "y": (11, 11),
    "r": (5, 5), "w": (11, 11),
}  # fmt: skip
# vowel -> jungseong index (ㅏ0 ㅑ2 ㅓ4 ㅔ5 ㅗ8 ㅘ9 ㅛ12 ㅜ13 ㅠ17 ㅡ18 ㅣ20); after y (and the
# palatal sh, j, ch: 샤, 자) the y-vowels; su, zu, tsu are 스, 즈, 쓰
_VOWEL = {"a": 0, "i": 20, "u": 13, "e": 5, "o": 8}
_Y_VOWEL = {"a": 2, "u": 17, "o": 12}
_PALATAL = frozenset(("sh", "j", "ch"))  # their y-vowels lose the glide after ㅈ ㅊ (자, 주, 조)
_KANA = re.compile(
    r"(?:(ky|gy|sh|ch|ts|ny|hy|by|py|my|ry|[kgsztdnhfbpmyrwj])?([aiueo]))|(n)(?![aiueoy])|([kstpgbdmhrfjz])(?=\4)"
)
_SYLLABLE_OK = frozenset(
    "a i u e o ka ki ku ke ko ga gi gu ge go sa shi su se so za ji zu ze zo ta chi tsu te to da de do "
    "na ni nu ne no ha hi fu he ho ba bi bu be bo pa pi pu pe po ma mi mu me mo ya yu yo ra ri ru re ro "
    "wa wo kya kyu kyo gya gyu gyo sha shu sho ja ju jo cha chu cho nya nyu nyo hya hyu hyo bya byu "
    "byo pya pyu pyo mya myu myo rya ryu ryo".split()
)
MIN_SYLLABLES = 2
MAX_READINGS = 64


def morae(word: str) -> list[str] | None:
    """A Hepburn word as its morae (``Hirobumi`` -> hi ro bu mi; ``Sapporo`` -> sa Q po ro, ``Q``
    the first of a doubled consonant, ``N`` the moraic n), or None if it is not Hepburn."""
    word = without_marks(word.lower())  # ō -> o: long vowels unwritten
    out: list[str] = []
    at = 0
    while at < len(word):
        m = _KANA.match(word, at)
        if m is None:
            return None
        if m.group(2):
            syllable = (m.group(1) or "") + m.group(2)
            if syllable not in _SYLLABLE_OK:
                return None
            out.append(syllable)
        else:
            out.append("N" if m.group(3) else "Q")
        at = m.end()
    return out


def readings(word: str) -> set[str]:
    """The Hangul readings of a Hepburn word: by the standard, and with a long vowel's second
    letter dropped (``Itou``, ``Ohno``: 이토, 오노) or kept."""
    parts = morae(word)
    if not parts:
        return set()
    choices: list[list[tuple[int, int] | str | None]] = []
    for i, part in enumerate(parts):
        before = parts[i - 1][-1:] if i else ""
        long_vowel = (before == "o" and part in ("u", "o")) or (before == "u" and part == "u")
        spelt: list[tuple[int, int] | str | None] = [_spell(part, first=not choices)]
        if long_vowel or (part == "i" and i > 0 and parts[i - 1].endswith("e")):
            spelt.append(None)  # the long vowel's second letter, unwritten
        choices.append(spelt)
    out: set[str] = set()
    for combo in product(*choices):
        text = _compose(combo)
        if text:
            out.add(text)
        if len(out) >= MAX_READINGS:
            break
    return out


def _spell(part: str, first: bool) -> tuple[int, int] | str:
    """One mora as (choseong, jungseong), or ``N`` / ``Q`` for a final consonant."""
    if part in ("N", "Q"):
        return part
    vowel = part[-1]
    head = part[:-1]
    glide = head.endswith("y") and head != "y"
    consonant = head[:-1] if glide else head
    initial = _CONSONANT[consonant][0 if first else 1]
    if head == "y" or glide or (consonant in _PALATAL and vowel in _Y_VOWEL):
        medial = _Y_VOWEL[vowel]
        if initial in (12, 14):  # ㅈ ㅊ drop the glide: ja 자, cho 조
            medial = {2: 0, 17: 13, 12: 8}[medial]
    elif head == "w":
        medial = 9 if vowel == "a" else 8  # wa 와, wo 오
    elif consonant in ("s", "z", "ts") and vowel == "u":
        medial = 18  # su 스, zu 즈, tsu 쓰
    else:
        medial = _VOWEL[vowel]
    return initial, medial


def _compose(combo: Sequence[tuple[int, int] | str | None]) -> str:
    """Syllables from the morae; ``N`` and ``Q`` close the syllable before them."""
    syllables: list[list[int]] = []
    for part in combo:
        if part is None:
            continue
        if isinstance(part, str):
            if not syllables or syllables[-1][2]:
                return ""
            syllables[-1][2] = 4 if part == "N" else 19  # ㄴ, ㅅ
            continue
        syllables.append([part[0], part[1], 0])
    return "".join(chr(0xAC00 + (c * 21 + v) * 28 + f) for c, v, f in syllables)


def expansions(
    text: str, known: Callable[[str], bool], is_verb: Callable[[str], bool], skip: Sequence[str] = ()
) -> list[Expansion]:
    """For each capitalised word of an English question after its first (a name; not an acronym
    like AI), its readings that the index holds as a term of :data:`MIN_SYLLABLES` or more and
    Kiwi does not read as a verb (``China`` read as Hepburn is 지나, the stem of 지나다; 쇼와
    alone is 쇼 + 와 to Kiwi, so a noun test would lose it)."""
    out: list[Expansion] = []
    lowered = [s.lower() for s in skip]
    for m in re.finditer(r"[A-Za-zĀāĪīŪūĒēŌō]+", text):
        word = m.group(0)
        if m.start() == 0 or not word[0].isupper() or word.isupper() or overlaps(word.lower(), lowered):
            continue
        found = known_readings(word, known, is_verb)
        if found:
            out.append(Expansion("transliteration", word, (word.lower(),), found))
    return out


# A Japanese name a Chinese question writes in Han (币原喜重郎, 栗山英树) is read the Japanese way
# (pykakasi's Hepburn of its traditional form: 幣原 shidehara, 喜重郎 kijuurou) and then as above.
# Only readings of KANJI_SYLLABLES or more count: every Han word has a Japanese reading, and a short
# one is often a Korean word (工業 kougyou -> 고교).
KANJI_SYLLABLES = 3


@lru_cache(maxsize=1)
def kanji_reader() -> Any:
    """pykakasi's reader (0.35 s and a few MB to load: ``runtime.warm_chinese`` does it at start)."""
    import pykakasi

    return pykakasi.kakasi()  # type: ignore[no-untyped-call]


def kanji_expansions(
    text: str,
    known: Callable[[str], bool],
    is_verb: Callable[[str], bool],
    analyze: Callable[[str], list[str]],
    skip: Sequence[str] = (),
) -> list[Expansion]:
    """For each Han word of a Chinese question that pykakasi reads as Japanese, its readings that
    the index holds (:func:`known_readings`, :data:`KANJI_SYLLABLES` or more): 币原 -> 시데하라."""
    out: list[Expansion] = []
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        converted = traditional(run)
        start = 0
        for part in kanji_reader().convert(converted):
            orig, roman = part["orig"], part["hepburn"]
            word = run[start : start + len(orig)] if len(converted) == len(run) else orig
            start += len(orig)
            if len(orig) < 2 or not roman.isalpha() or overlaps(word, skip):
                continue
            found = tuple(r for r in known_readings(roman, known, is_verb) if len(r) >= KANJI_SYLLABLES)
            if found:
                out.append(Expansion("transliteration", word, tuple(analyze(word)), found))
    return out


def known_readings(
    word: str, known: Callable[[str], bool], is_verb: Callable[[str], bool]
) -> tuple[str, ...]:
    """A Hepburn word's readings that the index holds as one term of :data:`MIN_SYLLABLES` or more
    and Kiwi does not read as a verb, sorted."""
    return tuple(sorted(r for r in readings(word) if len(r) >= MIN_SYLLABLES and known(r) and not is_verb(r)))


def without_marks(word: str) -> str:
    """``word`` without its diacritics (``Shōwa`` -> ``Showa``)."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
