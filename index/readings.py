"""Sino-Korean readings of a Chinese question's words as extra lexical terms (``工业企业`` -> 공업기업).

Korean writes most Chinese-origin words in Hangul by their reading, so a Chinese question's
``工业``/``企业`` meet the passage's ``공업``/``기업``. The question is segmented with jieba, each
word read with ``hanja`` (simplified -> traditional first: hanja reads the simplified 机 as 궤),
and the reading analysed like any text. Modern place names are transliterated rather than read
(深圳 is 선전, not 심수); a wrong reading costs nothing measurable, since Korean text never holds
it, and the mined alias finds 선전. Measured for issue 14: Chinese lexical MRR@10 .395 -> .581.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from docqa.core.hanzi import hanja_reading as hanja_reading
from docqa.core.hanzi import pinyin_syllables as pinyin_syllables
from docqa.index.expansion import Expansion, overlaps

Analyze = Callable[[str], list[str]]

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Question and function words whose readings only add noise (多少 -> 다소, 哪些 -> 나사).
CHINESE_STOP_WORDS = frozenset(
    "多少 哪些 什么 哪个 哪一 如何 怎么 怎样 哪里 何时 是否 为什么 为何 哪家 哪种 多大 多长 "
    "以及 或者 并且 其中 其他 这个 那个 这些 那些 目前 今年 去年 明年 分别 主要 包括 通过 一个 "
    "叫什么 名字".split()
)
# jieba POS tags of words that are not read: numerals, measure words, pronouns, function words.
SKIP_POS = ("m", "q", "r", "p", "c", "u", "d", "y", "e", "o", "x", "w", "f", "t")
MIN_WORD = 2  # single characters read worse (zh MRR .657 -> .645)
# A reading Kiwi cuts into one-syllable pieces is no Korean word (绑架 방가 -> 방 / 가, 不会 -> 불 /
# 회, 德国 -> 덕 / 국): those pieces are kept out.
MIN_READ_SYLLABLES = 2


def reading_expansions(
    words: Sequence[tuple[str, str]],
    read: Callable[[str], str],
    analyze: Analyze,
    skip: Iterable[str] = (),
    known: Callable[[str], bool] | None = None,
) -> list[Expansion]:
    """Readings of the content words of a segmented question; ``words`` are (word, jieba POS).

    ``skip`` holds the question's alias glosses: their mined Korean name wins over a reading.
    ``known``: whether the index holds a term; a reading that Kiwi, seeing it alone, takes for
    no content word (自主 자주 is the adverb "often") is kept whole where the index holds it (as
    the noun of 국가자주혁신시범구).
    """
    skipped = set(skip)
    people = {w for w, pos in words if pos.startswith("nr")}
    out: list[Expansion] = []
    for word in content_words(words):
        if overlaps(word, skipped):
            continue
        reading = person_reading(word, read) if word in people else read(word)
        if not reading or _HAN_RE.search(reading):
            continue  # characters the reader does not know
        terms = tuple(t for t in analyze(reading) if len(t) >= MIN_READ_SYLLABLES)
        if not terms and known is not None and len(reading) >= MIN_READ_SYLLABLES and known(reading):
            terms = (reading,)
        if terms:
            out.append(Expansion("reading", word, tuple(analyze(word)), terms))
    return out


# Korean surnames (simplified): a single one that jieba cut from its given name (韩 / 明淑) is
# joined to it again; 金 as a surname reads 김, not 금.
KOREAN_SURNAMES = frozenset(
    "金李朴崔郑姜赵尹张林韩吴申徐权黄安宋柳洪全高文梁孙裴白许刘南沈卢河丁成车具郭禹朱任罗辛闵陈池严元"
    "蔡千方孔玄咸卞廉杨边吕秋鲁都苏慎石宣薛马吉延魏表奇潘王琴玉陆孟卓秦鞠余庆殷片龙丘曹房睦桂皮奉智夏"
)


def person_reading(word: str, read: Callable[[str], str]) -> str:
    """A Korean person's name in Hangul: 金泳三 -> 김영삼 (hanja reads the surname 금)."""
    return "김" + read(word[1:]) if word.startswith("金") and len(word) > 1 else read(word)


_NOT_GIVEN = ("v", "p", "u", "c", "x", "w", "m", "q", "r")  # jieba tags no given name takes
# ... but it tags a given name's last character a verb at times (金泰 / 希 / 出演)
_NOT_LAST_GIVEN = tuple(tag for tag in _NOT_GIVEN if tag != "v")
# ... or glues it to the preposition or particle after it (车范 / 根从 for 车范根 / 从)
_PARTICLES = frozenset("从在的是和与对被把向于为给跟将让由自到以及或也都就说")


def name_expansions(
    words: Sequence[tuple[str, str]],
    read: Callable[[str], str],
    analyze: Analyze,
    is_name: Callable[[str], bool],
) -> list[Expansion]:
    """Korean names of three characters that jieba cut in pieces (韩 / 明淑, 金钟 / 文): a word
    of one or two characters starting with a surname, joined with the next words up to three
    characters, read as one name and kept where ``is_name`` (the index holds the reading as a
    term: 한명숙, 김종문; Kiwi reads a name whole in its sentence, 김종 + 문 alone)."""
    out: list[Expansion] = []
    for i, (word, _) in enumerate(words):
        if len(word) > 2 or word[:1] not in KOREAN_SURNAMES:
            continue
        name = word
        for given, pos in words[i + 1 : i + 3]:
            last = len(name) == 2 and len(given) == 1
            if not _HAN_RE.fullmatch(given) or pos.startswith(_NOT_LAST_GIVEN if last else _NOT_GIVEN):
                break
            name += given
            if len(name) >= 3:
                break
        if len(name) == 2 and i + 1 < len(words):  # 车范 / 根从: the name's last character and a preposition
            after = words[i + 1][0]
            if len(after) == 2 and _HAN_RE.fullmatch(after[0]) and after[1] in _PARTICLES:
                name += after[0]
        if len(name) != 3:
            continue
        reading = person_reading(name, read)
        if reading and is_name(reading):
            out.append(Expansion("reading", name, tuple(analyze(name)), (reading,)))
    return out


# Spans of 3 to SPAN_MAX characters that jieba cut across (因别 / 技军 for 因 / 别技军, 天安 / 舰) are
# read whole too, and kept where the index holds the reading as one term: 별기군, 천안함, 방재청,
# 방탄소년단. A longer span wins over the spans inside it (防弹少年团, not 少年团).
SPAN_MIN, SPAN_MAX = 3, 6


def span_readings(
    words: Sequence[tuple[str, str]],
    read: Callable[[str], str],
    analyze: Analyze,
    is_term: Callable[[str], bool],
    skip: Iterable[str] = (),
) -> list[Expansion]:
    """Readings of the Han spans that cross a jieba word boundary and end on one, where
    ``is_term`` (the index holds the reading as a term). A span inside an alias gloss of ``skip``
    is left to the alias; one that holds a gloss is a longer name (朴 / 大成 is 박대성, though
    大成 glosses 다이세이 in a Japanese firm's name), and ``question_terms`` drops that alias."""
    text = "".join(w for w, _ in words)
    ends, pos = set(), 0
    for word, _ in words:
        pos += len(word)
        ends.add(pos)
    skipped = set(skip)
    found: list[tuple[int, int, str]] = []
    for run in _HAN_RE.finditer(text):
        for i in range(run.start(), run.end()):
            for j in range(min(run.end(), i + SPAN_MAX), i + SPAN_MIN - 1, -1):
                crosses = any(i < e < j for e in ends)
                if j not in ends or not crosses or any(text[i:j] in n for n in skipped):
                    continue
                reading = read(text[i:j])
                if reading and not _HAN_RE.search(reading) and is_term(reading):
                    found.append((i, j, reading))
    kept = [(i, j, r) for i, j, r in found if not _inside_longer(i, j, found)]
    return [Expansion("reading", text[i:j], tuple(analyze(text[i:j])), (r,)) for i, j, r in kept]


def _inside_longer(i: int, j: int, spans: Sequence[tuple[int, int, str]]) -> bool:
    return any(a <= i and j <= b and b - a > j - i for a, b, _ in spans)


def content_words(words: Sequence[tuple[str, str]]) -> list[str]:
    """The words of a segmented question worth reading or transliterating: two Han characters
    or more, neither a question or function word nor a numeral, measure word, pronoun ..."""
    return [
        word
        for word, pos in words
        if len(word) >= MIN_WORD
        and _HAN_RE.fullmatch(word)
        and word not in CHINESE_STOP_WORDS
        and not pos.startswith(SKIP_POS)
    ]


def jieba_words(question: str) -> list[tuple[str, str]]:
    """(word, POS) pairs from jieba's posseg (its dictionary loads on the first call, ~1 s)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)  # no "Building prefix dict" lines on stderr
    return [(p.word, p.flag) for p in jieba.posseg.cut(question)]
