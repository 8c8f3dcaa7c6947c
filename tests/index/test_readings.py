"""Sino-Korean readings of real Chinese questions (real jieba, hanja and Kiwi)."""

from __future__ import annotations

from docqa.index.lexical import analyze
from docqa.index.readings import hanja_reading, jieba_words, reading_expansions


def test_simplified_is_read_through_traditional():
    assert hanja_reading("工业企业") == "공업기업"
    assert hanja_reading("人工智能") == "인공지능"
    assert hanja_reading("机器人") == "기기인"  # not 궤기인: 机 is read as 機


def test_content_words_of_a_question_are_read(kiwi):
    question = "苏州有多少家工业企业？"
    out = reading_expansions(jieba_words(question), hanja_reading, lambda t: analyze(t, kiwi), skip=["苏州"])
    assert [(e.via, e.source, e.terms) for e in out] == [
        ("工业", ("工业",), ("공업",)),
        ("企业", ("企业",), ("기업",)),
    ]
