"""Words split by a line break, joined when Kiwi says so (issue 15); real spaces kept."""

from __future__ import annotations

import pytest

from docqa.ingest.spacing import glue


@pytest.mark.parametrize(
    ("left", "right"),
    [  # the examples, broken where a browser broke them
        ("여러분 여", "기 오신"),
        ("우리 이야", "기 방향"),
        ("드라마의 막", "내 혜인"),
        ("총 22곡", "을 불렀다"),
        ("핵심 기술 연구개발", "(R&D)을 진행"),
    ],
)
def test_a_word_split_by_a_line_break_is_joined(left: str, right: str) -> None:
    assert glue(left, right) == ""


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("중국 경제를", "발전시키는 힘"),
        ("이후 40년간 중국은", "이제 숨을 고르며"),
        ("현재까지", "1만5200여명이"),  # Korean writes a space before a number
        ("대형 언어", "모델의 발전"),
        ("first line", "second line"),
    ],
)
def test_a_break_between_words_keeps_its_space(left: str, right: str) -> None:
    assert glue(left, right) == " "
