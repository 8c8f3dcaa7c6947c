"""Corpus articles printed by Chromium, read back (issue 15): no site chrome, no print header or
footer, every body sentence kept, columns and tables in reading order, pages exact."""

from __future__ import annotations

import re

import pdf_print
import pdf_sites
import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import make_passages
from docqa.ingest.readers import read_path
from docqa.ingest.records import Document

PRINT_FURNITURE = re.compile(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2} [AP]M|file://|^\d+/\d+$|한빛일보", re.M)
CHROME = ["로그인", "회원가입", "문화일반", "페이스북", "카카오톡", "URL복사", "많이 본 뉴스", "5:43", "0:00"]


@pytest.fixture(scope="module")
def news_docs(printed_news: list[pdf_print.Printed]) -> list[Document]:
    return [read_path(p.path) for p in printed_news]


@pytest.fixture(scope="module")
def newsletter_doc(printed_newsletter: pdf_print.Printed) -> Document:
    return read_path(printed_newsletter.path)


def test_printed_news_keeps_the_article_and_drops_the_site(
    news_docs: list[Document], printed_news: list[pdf_print.Printed], kiwi: Kiwi
) -> None:
    for doc, printed in zip(news_docs, printed_news, strict=True):
        quality = pdf_print.measure(doc, printed, kiwi)
        assert quality.debris == [], printed.path.name  # target: at most 2% of the lines
        assert not PRINT_FURNITURE.search(doc.text)
        assert not [word for word in CHROME if word in doc.text]
        assert "[사설]" not in doc.text and "뉴스룸" not in doc.text  # the side column's headlines
        assert quality.lost_spacing == []  # every body sentence, spaces aside
        # and exactly: 16 of 344 sentences still differ in a space over bench.pdf_quality's news and
        # newsletter PDFs (compounds the document writes nowhere else: 멀티 모달, 정보화 시대), 25
        # before the document's own spelling was asked, 192 before the Kiwi repair of line breaks
        assert len(quality.lost) <= 0.15 * quality.sentences, quality.lost
        assert quality.wrong_page == []
        assert len(doc.pages) >= 2 and bare(doc.text).startswith(bare(printed.title))


SITE_CHROME = [
    "기자",
    "입력 2024",
    "공유하기",
    "좋아요",
    "관련 기사",
    "Copyright",
    "#중국",
    "다온뉴스",
    "주간테크",
]


@pytest.mark.parametrize("layout", ["portal", "magazine"])
def test_other_sites_chrome_inside_the_column_is_dropped(
    layout: str, printed_news: list[pdf_print.Printed], kiwi: Kiwi, tmp_path
) -> None:
    """Bylines with e-mails, time stamps, share and reaction rows, related headlines, hashtags,
    copyright and the site's logo (tests/pdf_sites.py), on layouts the cleanup was not built on."""
    article = printed_news[1]  # 001: five pages as a portal prints it, a related box over a page break
    page = getattr(pdf_sites, f"{layout}_page")(article.title, article.paragraphs)
    printed = pdf_print.Printed(
        pdf_print.print_pdf(page, tmp_path / f"{layout}.pdf"), article.title, article.paragraphs
    )
    doc = read_path(printed.path)
    quality = pdf_print.measure(doc, printed, kiwi)
    assert quality.debris == [] and quality.lost_spacing == [] and quality.wrong_page == []
    assert not [word for word in SITE_CHROME if word in doc.text]
    assert not [h for h in pdf_sites.RANKED + pdf_sites.RELATED if bare(h) in bare(doc.text)]


def test_paragraphs_are_whole_lines_even_over_page_breaks(
    news_docs: list[Document], printed_news: list[pdf_print.Printed]
) -> None:
    spanning = 0
    for doc, printed in zip(news_docs, printed_news, strict=True):
        lines = {bare(line): line for line in doc.text.split("\n")}
        for paragraph in printed.paragraphs:
            line = lines.get(bare(paragraph))
            assert line is not None, paragraph  # one stored line, not cut at a line or page break
            start = doc.text.index(line)
            spanning += doc.page_at(start) != doc.page_at(start + len(line) - 1)
    assert spanning >= 3  # each article has a paragraph that runs over a page break


def bare(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_two_column_newsletter_reads_in_order_with_its_table(
    newsletter_doc: Document, printed_newsletter: pdf_print.Printed, kiwi: Kiwi
) -> None:
    quality = pdf_print.measure(newsletter_doc, printed_newsletter, kiwi)
    assert quality.debris == [] and quality.lost_spacing == [] and quality.wrong_page == []
    text = bare(newsletter_doc.text)
    starts = [0]
    for paragraph in printed_newsletter.paragraphs:  # column 1, then column 2, page by page
        starts.append(text.index(bare(paragraph), starts[-1]))  # ValueError: out of order or lost
    assert "2025년 매출 2.35억 위안, 순이익 0.34억 위안" in newsletter_doc.text.splitlines()
    caption = newsletter_doc.text.index(pdf_print.CAPTION)
    first_row = newsletter_doc.text.index("2024년 매출 1.82억 위안")
    second_half = starts[1 + len(printed_newsletter.paragraphs) // 2]  # the columns under the table
    assert caption < first_row and text.index("2024년매출1.82억") < second_half


def test_a_passage_never_splits_a_table_row(newsletter_doc: Document, kiwi: Kiwi) -> None:
    rows = [line for line in newsletter_doc.text.split("\n") if " 매출 " in line and "순이익" in line]
    assert rows == [
        "2024년 매출 1.82억 위안, 순이익 0.21억 위안",
        "2025년 매출 2.35억 위안, 순이익 0.34억 위안",
        "2026년(전망) 매출 3.10억 위안, 순이익 0.52억 위안",
    ]
    spans = [(newsletter_doc.text.index(r), newsletter_doc.text.index(r) + len(r)) for r in rows]
    for target in (60, 150, 400):  # windows small enough to end near the table
        for passage in make_passages(newsletter_doc, kiwi, target_chars=target, max_chars=2 * target):
            assert not any(a < passage.start < b or a < passage.end < b for a, b in spans), passage.text
