"""Cleaning: exact repaired strings from the newsletter (004) and small hand-made cases."""

from __future__ import annotations

import re

import pytest

from docqa.ingest.clean import (
    Line,
    WrapStyle,
    clean_text,
    drop_furniture,
    is_double_spaced,
    is_masthead,
    is_page_number,
    join_lines,
    normalise_chars,
    repair_numbers,
    split_layout_pages,
    toc_entry,
)
from docqa.ingest.records import Document


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("2027 년", "2027년"),
        ("2027 년까지 100 개 이상", "2027년까지 100개 이상"),
        ("약 2.35 억 위안", "약 2.35억 위안"),
        ("30 개 도시", "30개 도시"),
        ("5 월 27 일", "5월 27일"),
        ("1 천억 위안 규모", "1천억 위안 규모"),
        ("1 만 대까지", "1만 대까지"),
        ("제 2 회 청두", "제2회 청두"),
        ("13,094.74 억 위안", "13,094.74억 위안"),
        ("30 여 개국", "30여 개국"),
        ("2 박 3 일간", "2박 3일간"),
        ("17.6 %에", "17.6%에"),
        ("MOU 를 체결한", "MOU를 체결한"),
        ("개별 GPU 의 성능", "개별 GPU의 성능"),
        ("딥시크 R1 과 동등한", "딥시크 R1과 동등한"),
        # not a unit: a year before a name or a word stays apart
        ("2025 한국혁신기업 로드쇼", "2025 한국혁신기업 로드쇼"),
        ("2025 시진핑 주석", "2025 시진핑 주석"),
        ("AI 가정 주치의", "AI 가정 주치의"),
    ],
)
def test_repair_numbers(raw: str, fixed: str) -> None:
    assert repair_numbers(raw) == fixed


def test_normalise_chars_symbol_dot_and_invisibles() -> None:
    assert normalise_chars("업\uf0d7다운 스트림\u200b\u00a0x\r\n") == "업·다운 스트림 x\n"


def test_furniture_predicates() -> None:
    assert is_page_number("20 ") and is_page_number("- 3 -") and is_page_number("Page 7")
    assert not is_page_number("2007년") and not is_page_number("1 점: 기업")
    assert is_masthead("월간 중국창업 6 월호                                   산업 트랜드 ")
    assert not is_masthead("구현 지능 산업 심층 분석  P1")
    assert toc_entry("中 자동차 산업 격변…주요 완성차 업체의 전략적 통합 본격화   P16 ") == (
        "中 자동차 산업 격변…주요 완성차 업체의 전략적 통합 본격화",
        16,
    )
    assert toc_entry("  P67") == ("", 67)
    assert toc_entry("2025 년 3 월 5 일 국무원") is None


def test_recurring_header_footer_and_page_numbers_dropped() -> None:
    bodies = [
        ["저고도 경제가 성장하고 있다.", "드론 배송이 늘었다."],
        ["로봇 산업이 커졌다."],
        ["반도체 자립을 서두른다.", "끝."],
    ]
    pages = [
        [f"Tech Brief {n}/3", *body, "© Tech Brief", f"- {n} -"] for n, body in enumerate(bodies, start=1)
    ]
    assert drop_furniture(pages) == bodies


def test_double_spaced_layout_pages() -> None:
    # The 004 extractor: an empty line after every line, "  " lines for real gaps, and each
    # page's text starting with one space right after the previous page's last line.
    text = "첫 줄 \n\n둘째 줄 \n\n \n\n셋째 줄 \n 다음 쪽 첫 줄 \n\n끝 줄 \n\n" * 3
    assert is_double_spaced(text.split("\n"))
    pages = split_layout_pages(text)
    assert len(pages) == 4
    assert pages[1][0] == " 다음 쪽 첫 줄 "


@pytest.mark.parametrize(
    ("width", "lines", "rows"),
    [
        (  # wraps inside a word and at a space; a list item and a caption keep their lines
            40,
            [
                "구현 지능은 주변 환경을 감지하고 계획하는 시",
                "스템으로 정의된다. 특히 로봇을 중심으로 ",
                "감지와 추론을 수행한다. ",
                "◼ 산업 발전 단계 ",
                "도표 1. 발전 과정 ",
            ],
            [
                "구현 지능은 주변 환경을 감지하고 계획하는 시스템으로 정의된다. "
                "특히 로봇을 중심으로 감지와 추론을 수행한다.",
                "◼ 산업 발전 단계",
                "도표 1. 발전 과정",
            ],
        ),
        (  # a column narrower than the document's: joined where the next word did not fit
            90,
            [
                "지수 결과를 보면, 베이징과 선전은 저고도 경제 ",
                "연결력 지수에서 독보적인 1·2위를 기록하며 ",
                "전국적인 선도 도시로 자리매김했다. ",
                "선도 도시 ",
                "베이징은 기업 밀집도, 자본 활력 측면에서 ",
                "모두 전국 1위를 차지했다. ",
            ],
            [
                "지수 결과를 보면, 베이징과 선전은 저고도 경제 연결력 지수에서 독보적인 1·2위를 기록하며 "
                "전국적인 선도 도시로 자리매김했다.",
                "선도 도시",  # a heading: "베이징은" would have fitted after it
                "베이징은 기업 밀집도, 자본 활력 측면에서 모두 전국 1위를 차지했다.",
            ],
        ),
    ],
)
def test_join_wrapped_lines(width: int, lines: list[str], rows: list[str]) -> None:
    style = WrapStyle(width=width, wrapped=True, trailing_spaces=True)
    joined = join_lines([Line(text) for text in lines], style)
    assert ["".join(text for text, _ in row) for row in joined if row] == rows


def test_a_two_column_page_of_a_full_width_document_is_rejoined(newsletter: Document) -> None:
    # the newsletter's lines are 90 columns wide, its two-column pages 40: their wrapped lines
    # were each left a line (and a "sentence") of their own
    text = newsletter.text
    assert (
        "보고서에 따르면, 베이징(83.49점)과 선전(77.28점)이 강력한 경쟁 우위를 바탕으로 "
        "산업 체계를 주도하고, 상하이, 광저우, 시안 등이 이를 따라가면서 전체 산업의 확산을 "
        "이끄는 ‘기러기 대열식 발전 체계’를 형성하고 있었다.\n"
        "보고서는 중국 271개 저고도 경제 산업 도시를 대상으로" in text
    )
    # the table rows and lists of names beside it keep their lines
    assert "\n순이익 266.99억 위안 275.77억 위안\n총 산업생산액 1,636.64억 위안 2,052.47억 위안\n" in text
    assert "\n통합 테스트  중국위성, 워페이창쿵, 수스실험\n" in text
    assert "\n◼ 네 가지 핵심 요소와 적용 구조\n" in text


def test_caption_floating_between_pages_moves_after_sentence() -> None:
    style = WrapStyle(width=40, wrapped=True, trailing_spaces=True)
    lines = [
        Line("그중 산업 제조는 구현 지능 기술이 가장 먼저 상", 0),
        Line("도표 13. 구현 지능 산업 체인 ", 0),
        Line("용화되고 있는 분야이다. ", 1),
    ]
    rows = ["".join(text for text, _ in row) for row in join_lines(lines, style) if row]
    assert rows == [
        "그중 산업 제조는 구현 지능 기술이 가장 먼저 상용화되고 있는 분야이다.",
        "도표 13. 구현 지능 산업 체인",
    ]


def test_plain_news_text_is_left_alone() -> None:
    text = "중국 정부, 인공지능 산업 육성에 총력\n중국 정부의 적극적인 육성정책이 이어지고 있다.\n"
    assert clean_text(text) == text.strip()


# ---------------------------------------------------------------------------------------------
# The newsletter (004)


@pytest.mark.parametrize(
    "repaired",
    [
        # "…계획하는 시\n\n스템으로 정의된다" — a word wrapped across lines
        "구현 지능은 주변 환경을 감지하고, 지능적으로 소통하며, "
        "계획을 수립하고 행동을 계획하는 시스템으로 정의된다.",
        # a heading printed at the foot of the page, inside "성|능"
        "2022년 10월부터 일정 성능 이상의 GPU제품을 중국에 판매하지 못하도록 하였고,",
        # page number and running header inside "경쟁력|을"
        "새로운 질적 생산력(新质生产力)과 세계적 수준의 핵심 경쟁력을 창출할 수 있으며,",
        # a figure caption floating inside "상|용화"
        "그중 산업 제조는 구현 지능 기술이 가장 먼저 상용화되고 있는 분야이며,",
        "2023년 기준 시장 규모는 약 2.35억 위안에 달했다.",
        "2027년까지 100개 이상의 대규모 응용 사례를 실현하고,",
        "1만 대까지 끌어올리며, 1천억 위안 규모의 산업 클러스터를 조성한다.",
        "5월 27일, ‘메이르징지신원·청스진화룬(每日经济新闻·城市进化论)’과",
        "제2회 ‘일대일로(一带一路)’ 과학기술 교류대회가 "
        "지난 6월 10일부터 12일까지 중국 청두에서 성황리에 개최되었다.",
        "KIC 중국은 2022년 경상남도창조경제센터와 MOU를 체결한 이후 긴밀한 협력 관계를 이어가고 있다.",
    ],
)
def test_newsletter_repaired_text(newsletter: Document, repaired: str) -> None:
    assert repaired in newsletter.text


def test_newsletter_has_no_page_furniture(newsletter: Document) -> None:
    text = newsletter.text
    assert "월간 중국창업" not in text  # the running header
    assert not re.search(r"(?m)^\s*\d{1,3}\s*$", text)  # page numbers ("2007" rows are years)
    assert not re.search(r"\S {5,}\S", text)  # masthead gaps
    assert "\uf0d7" not in text and "\n\n\n" not in text
    assert not re.search(r"(?m) +$", text)


def test_newsletter_spaces_inside_numbers_repaired(newsletter: Document) -> None:
    # What is left of "digit space counter" is not a unit ("2025 한국혁신기업", "RT-2 모델").
    leftovers = re.findall(r"\d (?:년|월|일|개|억|만|천)(?![가-힣])", newsletter.text)
    assert leftovers == []
