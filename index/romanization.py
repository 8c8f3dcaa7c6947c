"""Korean names romanised in an English question, back in Hangul: ``Han Myeong-sook`` -> 한명숙.

English writes Korean people and places in the Revised Romanisation (``Myeongseong``,
``Dongdaemun``) or older spellings (``Kim Young-sam``, ``Ban Ki-moon``, ``Hyun``), and neither
e5 nor the aligned encoder nor a translation maps a name back to its Hangul. Each capitalised
word (or hyphenated run) is read as Korean syllables every way these spellings allow; a reading
the index holds as a term of two syllables or more is the name. The index decides, so a
spelling that is not Korean (``Galaxy``) or a reading the corpus never writes adds nothing.

Pure functions: ``known`` tells whether the index has a term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise, product

from docqa.index.expansion import Expansion, overlaps

Analyze = Callable[[str], list[str]]

# initial consonants: romanised spellings -> choseong index (ㄱ0 ㄲ1 ㄴ2 ㄷ3 ㄸ4 ㄹ5 ㅁ6 ㅂ7 ㅃ8 ㅅ9 ㅆ10
# ㅇ11 ㅈ12 ㅉ13 ㅊ14 ㅋ15 ㅌ16 ㅍ17 ㅎ18)
_INITIAL = {
    "": (11,), "g": (0,), "k": (0, 15), "kk": (1,), "n": (2,), "d": (3,), "t": (3, 16), "tt": (4,),
    "r": (5,), "l": (5,), "m": (6,), "b": (7,), "p": (7, 17), "pp": (8,), "s": (9,), "sh": (9,),
    "ss": (10,), "j": (12,), "jj": (13,), "ch": (14, 12), "h": (18,),
}  # fmt: skip
# vowels -> jungseong index (ㅏ0 ㅐ1 ㅑ2 ㅒ3 ㅓ4 ㅔ5 ㅕ6 ㅖ7 ㅗ8 ㅘ9 ㅙ10 ㅚ11 ㅛ12 ㅜ13 ㅝ14 ㅞ15 ㅟ16
# ㅠ17 ㅡ18 ㅢ19 ㅣ20); older spellings write ㅓ as u (Jung, Sung, Hyun), ㅜ as oo (Woo, Sook) and
# ㅢ as ee (Tae-hee, Hee-ho) as well as ㅣ (Lee)
_VOWEL = {
    "a": (0,), "ae": (1,), "ya": (2,), "yae": (3,), "eo": (4,), "e": (5, 4), "yeo": (6,), "ye": (7,),
    "yo": (12,), "o": (8,), "wa": (9,), "wae": (10,), "oe": (11,), "u": (13, 4), "oo": (13,),
    "wo": (14,), "we": (15,), "wi": (16,), "yu": (17, 6), "eu": (18,), "ui": (19,), "i": (20,),
    "ee": (20, 19), "ou": (13,), "you": (17, 6), "woo": (13,), "wu": (13,),
}  # fmt: skip
# final consonants -> jongseong index (ㄱ1 ㄴ4 ㄷ7 ㄹ8 ㅁ16 ㅂ17 ㅇ21)
_FINAL = {
    "": (0,),
    "k": (1,),
    "g": (1,),
    "n": (4,),
    "t": (7,),
    "l": (8,),
    "r": (8,),
    "m": (16,),
    "p": (17,),
    "ng": (21,),
}
# surnames as English writes them, beyond what the syllable table reads (Lee, Park, Choi ...)
SURNAMES = {
    "kim": "김", "lee": "이", "yi": "이", "rhee": "이", "park": "박", "pak": "박", "choi": "최",
    "choe": "최", "jung": "정", "chung": "정", "cho": "조", "yoon": "윤", "jang": "장",
    "chang": "장", "lim": "임", "im": "임", "oh": "오", "shin": "신", "kwon": "권", "ahn": "안",
    "yoo": "유", "ryu": "류", "noh": "노", "roh": "노", "moon": "문", "sohn": "손", "suh": "서",
    "woo": "우", "kang": "강", "koo": "구", "ku": "구", "ko": "고", "paik": "백", "rim": "임",
}  # fmt: skip
# a given name's older spellings also write ㅡ as u (Cha Bum-kun 차범근, Lee Kun-hee 이건희 / 이근희):
# tried only where the strict readings find no name the index holds whole, since everywhere else
# it cost more than it found (KorQuAD check 6 English MRR@10 .800 -> .792)
_GIVEN_VOWEL = {"u": (18,)}
MAX_SYLLABLES = 5
MAX_READINGS = 64  # readings of one name checked against the index


def syllable_readings(spelling: str, given: bool = False) -> list[str]:
    """Every Hangul syllable a romanised syllable may stand for (``sook`` -> 숙, ``jung`` -> 중 정);
    ``given``: as a given name's syllable, with :data:`_GIVEN_VOWEL` too (``kun`` -> 근)."""
    out: list[str] = []
    for m in _matches(spelling):
        initial, vowel, final = m
        vowels = _VOWEL[vowel] + (_GIVEN_VOWEL.get(vowel, ()) if given else ())
        for i, v, f in product(_INITIAL[initial], vowels, _FINAL[final]):
            out.append(chr(0xAC00 + (i * 21 + v) * 28 + f))
    return list(dict.fromkeys(out))


def _matches(spelling: str) -> list[tuple[str, str, str]]:
    """Every (initial, vowel, final) split of ``spelling`` the table knows."""
    found = []
    for initial in _INITIAL:
        if not spelling.startswith(initial):
            continue
        rest = spelling[len(initial) :]
        for vowel in _VOWEL:
            if rest.startswith(vowel) and rest[len(vowel) :] in _FINAL:
                found.append((initial, vowel, rest[len(vowel) :]))
    return found


def readings(word: str, given: bool = False) -> list[str]:
    """Hangul readings of a romanised word, syllable by syllable (hyphens split syllables):
    ``Myeong-sook`` -> 명숙 ..., ``Dongdaemun`` -> 동대문 ...; ``given``: as a given name."""
    word = word.lower()
    parts = [p for p in word.split("-") if p]
    splits: list[list[str]] = [[]]
    for part in parts:
        splits = [s + rest for s in splits for rest in _splits(part)]
    out: list[str] = []
    for split in sorted(splits, key=len):  # fewest syllables first: tae is 태 before 타에
        if len(split) > MAX_SYLLABLES:
            continue
        options = [syllable_readings(s, given) for s in split]
        for combo in product(*options):
            out.append("".join(combo))
            if len(out) >= MAX_READINGS:
                return out
    return out


def _splits(part: str) -> list[list[str]]:
    """Ways to cut ``part`` into syllables the tables read (at most seven letters each)."""
    if not part:
        return [[]]
    out = []
    for end in range(1, min(len(part), 7) + 1):
        head = part[:end]
        if syllable_readings(head):
            out += [[head, *rest] for rest in _splits(part[end:]) if len(rest) < MAX_SYLLABLES]
    return out


def names(text: str) -> list[str]:
    """The runs of capitalised words of an English question that may be Korean names, the
    question's first word left out (``How``): ``Han Myeong-sook``, ``Dongdaemun``."""
    out = []
    for m in re.finditer(r"[A-Z][a-z]+(?:-[a-z]+)?(?: [A-Z][a-z]+(?:-[a-z]+)?)*", text):
        run = m.group(0)
        if m.start() == 0:
            run = run.partition(" ")[2]
        if run:
            out.append(run)
    return out


def korean_names(text: str) -> list[str]:
    """The runs of ``text`` shaped like a romanised Korean person's name, whether or not the index
    holds it: a surname (a known one, or one syllable) and a hyphenated given name (``Han Min-ho``,
    ``Kim Tae-hee``). Their parts are not English words to translate (han -> 하천) nor pinyin."""
    out = []
    for run in names(text):
        words = run.split(" ")
        for first, given in pairwise(words):
            surname = first.lower() in SURNAMES or any(len(r) == 1 for r in readings(first))
            if surname and "-" in given and not first.isupper():
                out.append(f"{first} {given}")
    return out


def expansions(
    text: str,
    analyze: Analyze,
    known: Callable[[str], bool],
    noun: Callable[[str], bool],
    skip: Sequence[str] = (),
) -> list[Expansion]:
    """For each romanised Korean name of ``text``, the terms of its Hangul reading the index
    holds; ``noun``: whether a reading is one noun (China reads 지나, a verb's stem). ``skip``:
    the question's alias glosses (Shanghai is the alias 상하이 already)."""
    out: list[Expansion] = []
    for run in names(text):
        if overlaps(run, skip):
            continue
        found = _reading_of(run.split(" "), analyze, known, noun)
        if found:
            out.append(Expansion("romanised", run, tuple(analyze(run)), found))
    return out


def _reading_of(
    words: list[str], analyze: Analyze, known: Callable[[str], bool], noun: Callable[[str], bool]
) -> tuple[str, ...]:
    """The terms of the readings of ``words`` that the index holds, fewest syllables first.

    A surname and a given name (``Kim Eul-dong``, ``Ha Hyun-woo``: a known surname, or a
    hyphenated given name after a one-syllable word): the readings the index holds whole (김영삼),
    else the first whose terms it all holds (Kiwi cuts a name it does not know, 김 을 동, and
    cut the passage's the same way). Any other word: its readings the index holds whole, two
    syllables or more (동대문, 승리)."""
    first = words[0].lower()
    if len(words) == 2 and (first in SURNAMES or "-" in words[1]):
        surnames = [SURNAMES[first]] if first in SURNAMES else [r for r in readings(first) if len(r) == 1]
        full = sorted((s + given for s in surnames for given in readings(words[1])), key=len)
        whole = [c for c in full if known(c) and noun(c)]
        if not whole:
            strict = set(full)
            loose = (s + given for s in surnames for given in readings(words[1], given=True))
            whole = [c for c in loose if c not in strict and known(c) and noun(c)]
        if whole:
            return tuple(dict.fromkeys(whole))
        for candidate in full:
            cut = analyze(candidate)
            if cut and "".join(cut) == candidate and all(known(t) for t in cut):
                return tuple(cut)
        return ()
    found: dict[str, None] = {}
    for word in words:
        names = [c for c in sorted(readings(word), key=len) if len(c) >= 2 and known(c) and noun(c)]
        found.update(dict.fromkeys(names))
    return tuple(found)
