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
from itertools import product

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
# ㅢ as ee (Tae-hee, Hee-ho) as well as ㅣ (Lee), ㅏ as ah (Yoo Ah-in 유아인) and ㅚ as oi (Lee
# Hoi-chang 이회창)
_VOWEL = {
    "a": (0,), "ae": (1,), "ya": (2,), "yae": (3,), "eo": (4,), "e": (5, 4), "yeo": (6,), "ye": (7,),
    "yo": (12,), "o": (8,), "wa": (9,), "wae": (10,), "oe": (11,), "u": (13, 4), "oo": (13,),
    "wo": (14,), "we": (15,), "wi": (16,), "yu": (17, 6), "eu": (18,), "ui": (19,), "i": (20,),
    "ee": (20, 19), "ou": (13,), "you": (17, 6), "woo": (13,), "wu": (13,), "ah": (0,), "oi": (11,),
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
# McCune-Reischauer and older spellings also write ㅡ as u (Cha Bum-kun 차범근), ㅓ as o (Kaesong
# 개성), ㅕ as yo (Pyongyang 평양) and ㅐ as ai (Hyundai 현대). Read so only where the strict
# readings find nothing the index holds: everywhere, they cost more than they found (KorQuAD
# check 6 English MRR@10 .800 -> .792 last session).
_LOOSE_VOWEL = {"u": (18,), "o": (4,), "yo": (6,), "ai": (1,)}
# the English word after a place name that Korean writes as the name's last syllable: Jeju
# Island is 제주도, Keundal Island 큰달섬, Namsan Tower not
PLACE_SUFFIXES = {
    "island": ("섬", "도"), "province": ("도",), "county": ("군",), "city": ("시",),
    "mountain": ("산",), "river": ("강",), "temple": ("사",), "palace": ("궁",), "gate": ("문",),
    "station": ("역",), "bridge": ("대교", "교"), "lake": ("호",), "peninsula": ("반도",),
}  # fmt: skip
# and the English word before it: Mount Kumgang is 금강산
PLACE_PREFIXES = {"mount": ("산",), "mt": ("산",), "lake": ("호",)}
MAX_SYLLABLES = 5
MAX_READINGS = 64  # readings of one name checked against the index


def syllable_readings(spelling: str, loose: bool = False) -> list[str]:
    """Every Hangul syllable a romanised syllable may stand for (``sook`` -> 숙, ``jung`` -> 중 정);
    ``loose``: with the older spellings of :data:`_LOOSE_VOWEL` too (``kun`` -> 근)."""
    out: list[str] = []
    for m in _matches(spelling, loose):
        initial, vowel, final = m
        vowels = _VOWEL.get(vowel, ()) + (_LOOSE_VOWEL.get(vowel, ()) if loose else ())
        for i, v, f in product(_INITIAL[initial], vowels, _FINAL[final]):
            out.append(chr(0xAC00 + (i * 21 + v) * 28 + f))
    return list(dict.fromkeys(out))


def _matches(spelling: str, loose: bool = False) -> list[tuple[str, str, str]]:
    """Every (initial, vowel, final) split of ``spelling`` the table knows."""
    found = []
    vowels = _VOWEL.keys() | _LOOSE_VOWEL.keys() if loose else _VOWEL.keys()
    for initial in _INITIAL:
        if not spelling.startswith(initial):
            continue
        rest = spelling[len(initial) :]
        for vowel in vowels:
            if rest.startswith(vowel) and rest[len(vowel) :] in _FINAL:
                found.append((initial, vowel, rest[len(vowel) :]))
    return found


def readings(word: str, loose: bool = False) -> list[str]:
    """Hangul readings of a romanised word, syllable by syllable (hyphens split syllables):
    ``Myeong-sook`` -> 명숙 ..., ``Dongdaemun`` -> 동대문 ...; ``loose``: older spellings too."""
    word = word.lower()
    parts = [p for p in word.split("-") if p]
    splits: list[list[str]] = [[]]
    for part in parts:
        splits = [s + rest for s in splits for rest in _splits(part, loose)]
    out: list[str] = []
    for split in sorted(splits, key=len):  # fewest syllables first: tae is 태 before 타에
        if len(split) > MAX_SYLLABLES:
            continue
        options = [syllable_readings(s, loose) for s in split]
        for combo in product(*options):
            out.append("".join(combo))
            if len(out) >= MAX_READINGS:
                return out
    return out


def _splits(part: str, loose: bool = False) -> list[list[str]]:
    """Ways to cut ``part`` into syllables the tables read (at most seven letters each)."""
    if not part:
        return [[]]
    out = []
    for end in range(1, min(len(part), 7) + 1):
        head = part[:end]
        if syllable_readings(head, loose):
            out += [[head, *rest] for rest in _splits(part[end:], loose) if len(rest) < MAX_SYLLABLES]
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
    return [" ".join(part) for run in names(text) for part in _parts(run.split(" ")) if _is_person(part)]


def _is_person(words: Sequence[str]) -> bool:
    if len(words) != 2 or "-" not in words[1] or words[0].isupper():
        return False
    return words[0].lower() in SURNAMES or any(len(r) == 1 for r in readings(words[0]))


def _parts(words: list[str]) -> list[list[str]]:
    """A run of capitalised words cut around the Korean persons' names in it: ``President Kim
    Young-sam`` -> ``President`` and ``Kim Young-sam``."""
    parts: list[list[str]] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and _is_person(words[i : i + 2]):
            parts += [rest] if rest else []
            parts.append(words[i : i + 2])
            rest, i = [], i + 2
        else:
            rest.append(words[i])
            i += 1
    return parts + ([rest] if rest else [])


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
        for words in _parts(run.split(" ")):
            found, read = _reading_of(words, analyze, known, noun)
            if found:  # the words read stand for the name; the others are left to translation
                part = " ".join(read)
                out.append(Expansion("romanised", part, tuple(analyze(part)), found))
    return out


def _reading_of(
    words: list[str], analyze: Analyze, known: Callable[[str], bool], noun: Callable[[str], bool]
) -> tuple[tuple[str, ...], list[str]]:
    """The terms of the readings of ``words`` that the index holds, fewest syllables first, and
    the words they read (with a place word that gave a syllable: Jeju Island, Mount Kumgang).

    A surname and a given name (``Kim Eul-dong``, ``Ha Hyun-woo``: a known surname, or a
    hyphenated given name after a one-syllable word): the readings the index holds whole (김영삼),
    else the first whose terms it all holds (Kiwi cuts a name it does not know, 김 을 동, and
    cut the passage's the same way). Any other word: its readings the index holds whole, two
    syllables or more (동대문, 승리)."""
    first = words[0].lower()
    if len(words) == 2 and (first in SURNAMES or "-" in words[1]):
        surnames = [SURNAMES[first]] if first in SURNAMES else [r for r in readings(first) if len(r) == 1]
        full = sorted((s + given for s in surnames for given in readings(words[1])), key=len)

        # a person's name of three syllables the index holds is one, though Kiwi alone may read
        # it otherwise (채종기: 채종 + 기)
        def person(candidate: str) -> bool:
            return known(candidate) and (noun(candidate) or len(candidate) == 3)

        whole = [c for c in full if person(c)]
        if not whole:
            strict = set(full)
            older = (s + given for s in surnames for given in readings(words[1], loose=True))
            whole = [c for c in older if c not in strict and person(c)]
        if whole:
            return tuple(dict.fromkeys(whole)), words
        for candidate in full:
            cut = analyze(candidate)
            if cut and "".join(cut) == candidate and all(known(t) for t in cut):
                return tuple(cut), words
        return (), []
    found: dict[str, None] = {}
    read: dict[int, None] = {}
    for i, word in enumerate(words):
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        before = words[i - 1].lower() if i else ""
        place = PLACE_SUFFIXES.get(after, ()) + PLACE_PREFIXES.get(before, ())
        for loose in (False, True):  # the older spellings only where the strict ones find nothing
            plain = sorted(readings(word, loose), key=len)
            spelt = [(c + end, end) for c in plain for end in ("", *place)]
            names = [(c, end) for c, end in spelt if len(c) >= 2 and known(c) and noun(c)]
            if names:
                found.update(dict.fromkeys(c for c, _ in names))
                read[i] = None
                ends = {end for _, end in names if end}  # the place words that gave a syllable
                if ends & set(PLACE_SUFFIXES.get(after, ())):
                    read[i + 1] = None
                if ends & set(PLACE_PREFIXES.get(before, ())):
                    read[i - 1] = None
                break
    return tuple(found), [words[i] for i in sorted(read)]
