"""Words split by a line break, joined when Kiwi says so (issue 15); real spaces kept."""

from __future__ import annotations

import pytest

from docqa.ingest.spacing import Usage, glue


@pytest.mark.parametrize(
    ("left", "right"),
    [  # the examples, broken where a browser broke them
        ("여러분 여", "기 오신"),
        ("우리 이야", "기 방향"),
        ("드라마의 막", "내 혜인"),
        ("총 22곡", "을 불렀다"),
        ("핵심 기술 연구개발", "(R&D)을 진행"),
        # a counter after a number, a particle after a closing quote, a 하다 verb after its noun
        ("업계는 향후 3", "년 내 글로벌"),
        ("진행했고, 16", "개 대학과"),
        ("‘선전 속도’", "를 만들어냈다."),
        ("절실하다”", "고 말했다."),
        ("공익재단이 투자", "해 세운"),
        # after a prefix, or a root before its 하다 suffix
        ("배열을 적용한 신", "제품을 개발했다."),
        ("역시 더욱 풍부", "해질 것으로"),
        # after a middle dot, or a hyphen, slash or "=" written against the word before it
        ("사진·글·", "영상·라이브방송"),
        ("슈퍼 CD-", "ROM을 선보이고"),
        ("정책[자료=", "항저우 정부"),
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
        ("2025", "세계 인공지능대회"),  # a number that is no count
        ("‘드림타운’", "위치"),  # a noun after a closing quote
        ('"미래 향해 뛴다"', "고품질 발전으로"),  # 고 + 품질, not the particle 고
        ("주요 산업 -", "빅데이터, 클라우드"),  # a dash between spaces
    ],
)
def test_a_break_between_words_keeps_its_space(left: str, right: str) -> None:
    assert glue(left, right) == " "


# How the document writes its words on lines no break split (the PDF's other lines)
ARTICLE = [
    "항저우는 중국의 스마트시티 운영 시범 도시로 꼽힌다.",
    "병원은 1000여개뿐이라 턱없이 부족하다.",
    "시장 규모는 2천770억 위안, 기업은 1천200곳을 넘었다.",
    "대형 언어 모델이 공개됐다.",
]


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("중국의 스마트", "시티 운영", ""),  # written whole elsewhere; Kiwi alone keeps the space
        ("입주해 350여", "개 혁신", ""),  # any number: 1000여개
        ("(약 4조2천", "200억원)", ""),  # digits after a numeral unit: 2천770억, 1천200곳
        ("대형", "언어 모델", " "),  # written spaced elsewhere
    ],
)
def test_the_documents_own_spelling_decides(left: str, right: str, joined: str) -> None:
    assert glue(left, right, Usage.of(ARTICLE)) == joined
    assert glue(left, right) == " "  # Kiwi alone keeps every one of these spaces


def test_a_spelling_seen_both_ways_or_once_decides_nothing() -> None:
    both = Usage.of(["스마트시티와 스마트 시티", "1만 8천 명, 2천770억"])
    assert both.says("중국의 스마트", "시티 운영") is None
    assert both.numeral() is None  # once each way
    taken_out = Usage.of(ARTICLE)
    taken_out.add(ARTICLE[0], -1)  # the line being judged is no evidence of itself
    assert taken_out.says("중국의 스마트", "시티 운영") is None
