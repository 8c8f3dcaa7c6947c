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
        # a name before its Han gloss, the halves spelling its Mandarin sound or its reading
        ("장쑤성 창", "수(常熟)에서"),
        ("시스템 쓰", "난(司南, 나침반)"),
        ("청", "위(成·渝) 지역"),
        ("춘", "절(春節·음력설) 연휴"),
        # a piece of an unknown word that Kiwi reads as a common morpheme
        ("'에는 흡음", "재부터 지향성"),
        ("최근 5년", "간 매출의"),  # a suffix after a noun (a bound noun here: 년)
        # a noun, a name or a verb of Kiwi's dictionary read across the break
        ("발명특허 보유", "량이 50.2건"),
        ("하던 도중 엄지", "손가락에 연어"),
        ("올랐다. 내셔널", "리그 신인왕"),
        ("동물들은 살아", "남았다고 한다."),
        # a prefix left standing alone, which only starts a word, whatever Kiwi's scores say
        ("융합이 점진적으로 확산돼 신", "질 생산력을 지속적으로"),
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
        # two names, or two nouns, that Kiwi reads better joined only as one unknown word
        ("회장 이시하라", "츠네카즈는 ABC 뉴스"),
        ("NHL리그 팀인 밴쿠버", "캐넉스(Vancouver"),
        ("강수지의 〈보랏빛", "향기〉와 김민우의"),
        ("리빙빙, 휴", "잭맨과 함께"),
        ("‘북서울 꿈의", "숲’, ‘서울창포원’"),  # a word closed by its particle
        # a particle that would leave a word standing after it (차장 + 이 + 석희)
        ("국세청 차장", "이석희와 선거"),
        ("닌텐도 회장", "이와타 사토루는"),
        ("이와 관련해 전 노동부장관", "이형구에 대해"),  # ... even where Kiwi scores it better joined
        ("1월 5일에", "가나야 한조 참모가"),
        ("수많은 증권가", "건물들이 여의도에"),  # 가 read as a prefix of 건물, inside 증권가
        ("서울", "시(市)"),  # a gloss of the second word alone
        ("기업이 5개 사가 있다. 그", "중 알리바바, 하이크비전"),  # a determiner alone is no prefix
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
    ("left", "right", "joined", "kiwi"),
    [
        ("중국의 스마트", "시티 운영", "", ""),  # written whole elsewhere, and a word Kiwi knows
        ("입주해 350여", "개 혁신", "", " "),  # any number: 1000여개
        ("(약 4조2천", "200억원)", "", " "),  # digits after a numeral unit: 2천770억, 1천200곳
        ("대형", "언어 모델", " ", " "),  # written spaced elsewhere
    ],
)
def test_the_documents_own_spelling_decides(left: str, right: str, joined: str, kiwi: str) -> None:
    assert glue(left, right, Usage.of(ARTICLE)) == joined
    assert glue(left, right) == kiwi  # Kiwi alone


def test_a_compound_written_joined_once_against_kiwis_spacing_model_is_no_rule() -> None:
    once = Usage.of(["노동계층의 아이들은 질문에 답하지 못했다."])
    assert glue("조사 결과 노동", "계층 어린이들이", once) == " "  # Kiwi.space: 노동 계층
    twice = Usage.of(["노동계층의 아이들은 질문에 답하지 못했다.", "노동계층 가정이 많다."])
    assert glue("조사 결과 노동", "계층 어린이들이", twice) == ""


# An article that writes particles apart from Latin words and closing brackets (KorQuAD's
# Wikipedia articles often do)
APART = ["방식은 NTSC 와 PAL 로 나뉜다.", "Fender 는 다시 기타를 만들었다.", "업무협약 (MOU) 을 체결했다."]


def test_particles_written_apart_from_latin_words_keep_their_space() -> None:
    assert glue("이는 PAL", "이나 SÉCAM 등의", Usage.of(APART)) == " "
    assert glue("이는 PAL", "이나 SÉCAM 등의", Usage.of(APART[2:])) == ""  # apart once only
    assert glue("이는 PAL", "이나 SÉCAM 등의", Usage.of(ARTICLE)) == ""


def test_the_document_writes_its_brackets_after_a_space_or_not() -> None:
    spaced = Usage.of(["윤정훈 (1974년 ~ )은 대한민국의 배우이다.", "영화 왕의 남자 (2005)"])
    assert glue("출연한 드라마 각시탈", "(2012)에서", spaced) == " "
    assert glue("출연한 드라마 각시탈", "(2012)에서", Usage.of(ARTICLE)) == ""
    assert glue("쑤저우", "(蘇州)는") == ""


def test_a_spelling_seen_both_ways_or_once_decides_nothing() -> None:
    both = Usage.of(["스마트시티와 스마트 시티", "1만 8천 명, 2천770억"])
    assert both.says("중국의 스마트", "시티 운영") is None
    assert both.numeral() is None  # once each way
    taken_out = Usage.of(ARTICLE)
    taken_out.add(ARTICLE[0], -1)  # the line being judged is no evidence of itself
    assert taken_out.says("중국의 스마트", "시티 운영") is None
