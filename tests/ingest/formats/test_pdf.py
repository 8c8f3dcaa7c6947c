"""PDF (generated with PyMuPDF): exact pages, furniture removed, articles, and unreadable files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pymupdf
import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import make_passages
from docqa.ingest.clean import repair_numbers
from docqa.ingest.errors import UnreadableDocument
from docqa.ingest.readers import read_path
from docqa.ingest.records import Document

if TYPE_CHECKING:
    from conftest import SamplePdf


@pytest.fixture(scope="module")
def pdf_doc(newsletter_pdf: SamplePdf) -> Document:
    return read_path(newsletter_pdf.path, {"title": "테크 브리프 2025년 3월호"})


def test_pdf_pages_are_exact_and_furniture_is_gone(pdf_doc: Document, newsletter_pdf: SamplePdf) -> None:
    text = pdf_doc.text
    assert [p.number for p in pdf_doc.pages] == [1, 2, 3]
    assert pdf_doc.pages[0].start == 0 and pdf_doc.pages[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(pdf_doc.pages, pdf_doc.pages[1:], strict=False))
    assert "테크 브리프" not in text and "편집부" not in text  # running header and footer
    assert not re.search(r"(?m)^\s*-?\s*\d\s*-?\s*$", text)  # "- 2 -"
    page = {p.number: text[p.start : p.end] for p in pdf_doc.pages}
    assert "2027년까지 30개 도시에 시범 구역을 조성할 계획이며, 투자 규모는 2.35억 위안에 달한다." in page[1]
    assert repair_numbers(newsletter_pdf.page3_sentence) in page[3] and "휴머노이드 로봇 산업은" in page[2]


def test_pdf_sentence_across_pages_is_whole(pdf_doc: Document, newsletter_pdf: SamplePdf) -> None:
    sentence = newsletter_pdf.cross_page.split(". ")[-1]  # "이러한 흐름 속에서 … 확대하고 있다."
    at = pdf_doc.text.index(sentence)
    assert pdf_doc.page_at(at) == 1 and pdf_doc.page_at(at + len(sentence) - 1) == 2


def test_pdf_articles(pdf_doc: Document) -> None:
    assert [(a.title, a.page) for a in pdf_doc.articles] == [
        ("01. 저고도 경제 현황", 1),
        ("02. 휴머노이드 로봇 산업 동향", 2),
    ]
    first = pdf_doc.articles[0]
    assert pdf_doc.text[first.start : first.end].endswith("https://example.com/low-altitude-report\n참고자료")
    assert pdf_doc.title == "테크 브리프 2025년 3월호"


def test_pdf_passage_pages(pdf_doc: Document, newsletter_pdf: SamplePdf, kiwi: Kiwi) -> None:
    # small windows so that every page opens a passage; a passage's page is where it starts
    passages = make_passages(pdf_doc, kiwi, target_chars=150, max_chars=300)
    assert [(p.page, p.article) for p in passages] == [
        (1, "01. 저고도 경제 현황"),
        (1, "01. 저고도 경제 현황"),
        (2, "01. 저고도 경제 현황"),
        (2, "02. 휴머노이드 로봇 산업 동향"),
        (3, "02. 휴머노이드 로봇 산업 동향"),
        (3, "02. 휴머노이드 로봇 산업 동향"),
    ]
    page3 = pdf_doc.pages[2]
    assert all(page3.start <= p.start < page3.end for p in passages[4:])
    assert pdf_doc.page_at(pdf_doc.text.index(repair_numbers(newsletter_pdf.page3_sentence))) == 3


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = pymupdf.open()
    pdf.new_page()  # blank
    page = pdf.new_page()  # image only, like a scan
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    page.insert_image(pymupdf.Rect(50, 50, 250, 250), pixmap=pixmap)
    pdf.save(tmp_path / "scan.pdf")
    with pytest.raises(UnreadableDocument, match="no text layer"):
        read_path(tmp_path / "scan.pdf")


def test_corrupt_pdf(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    with pytest.raises(UnreadableDocument, match="corrupt"):
        read_path(tmp_path / "broken.pdf")


def test_encrypted_pdf(tmp_path: Path) -> None:
    pdf = pymupdf.open()
    pdf.new_page().insert_text((50, 50), "confidential", fontname="helv")
    pdf.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    with pytest.raises(UnreadableDocument, match="encrypted"):
        read_path(tmp_path / "locked.pdf")


@pytest.mark.parametrize(
    ("stored", "title"),
    [
        ("Shanghai robotics plan", "Shanghai robotics plan"),
        ("Microsoft Word - plan_v3.docx", "Robots in Shanghai"),
    ],
)
def test_pdf_title_from_metadata_unless_a_file_name(tmp_path: Path, stored: str, title: str) -> None:
    pdf = pymupdf.open()
    pdf.new_page().insert_text((50, 50), "Robots in Shanghai\nThe city opens test fields.", fontname="helv")
    pdf.set_metadata({"title": stored})
    pdf.save(tmp_path / "plan.pdf")
    assert read_path(tmp_path / "plan.pdf").title == title
