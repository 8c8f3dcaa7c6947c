"""Chinese names in Hangul by the Korean standard for Mandarin, checked against the names the
sample corpus writes beside their Chinese glosses."""

from __future__ import annotations

import pytest

from docqa.config import SAMPLE_CORPUS
from docqa.index.lexical import analyze
from docqa.index.readings import pinyin_syllables
from docqa.index.transliteration import hangul, pinyin_words, split_pinyin, syllable

# (gloss, the Korean name the corpus writes for it); the Sino-Korean readings differ (심수, 동호 ...)
WRITTEN = [
    ("深圳", "선전"),
    ("东湖", "둥후"),
    ("天府", "톈푸"),
    ("晓多", "샤오둬"),
    ("苏州", "쑤저우"),
    ("绵阳", "몐양"),
    ("亦庄", "이좡"),
    ("火石", "훠스"),
    ("西丽湖", "시리후"),
    ("前海", "첸하이"),
    ("奥比中光", "아오비중광"),
    ("沃飞", "워페이"),
]


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt")))


@pytest.mark.parametrize(("han", "korean"), WRITTEN)
def test_names_are_written_as_the_corpus_writes_them(han, korean, corpus_text):
    assert korean in corpus_text
    assert hangul(pinyin_syllables(han)) == korean


def test_the_glide_after_j_q_x_and_the_apical_vowel():
    assert [syllable(s) for s in ("jiang", "jiu", "xiu", "jie", "xie")] == ["장", "주", "슈", "제", "셰"]
    assert [syllable(s) for s in ("zhi", "si", "ri", "ju", "xuan", "lv")] == [
        "즈",
        "쓰",
        "르",
        "쥐",
        "쉬안",
        "뤼",
    ]
    assert syllable("dream") is None and hangul(["dong", "xx"]) is None


def test_an_english_questions_pinyin_names():
    words = dict(pinyin_words("What was the Donghu zone's revenue in Zhangjiang, Tianfu and Kanop?"))
    assert words["Donghu"] == ["dong", "hu"] and words["Zhangjiang"] == ["zhang", "jiang"]
    assert "Tianfu" in words and "What" not in words and "Kanop" not in words  # first word; not pinyin
    assert split_pinyin("xian") == ["xian"]  # the fewest syllables


def test_a_question_gets_the_sound_only_where_the_corpus_writes_it(searcher):
    state = searcher._state
    for question, word in (
        ("东湖自主创新示范区2023年的营业收入是多少？", "东湖"),
        ("What was the Donghu zone's revenue?", "Donghu"),
    ):
        query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
        sounds = {e.via: e.terms for e in query.expansions if e.kind == "transliteration"}
        assert sounds == {word: ("둥후",)}, sounds  # 营业 (잉예), 收入 (서우루) are no Korean words
