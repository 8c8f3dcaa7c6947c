"""PDF (generated with PyMuPDF): exact pages, furniture removed, articles, and unreadable files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pdf_samples
import pymupdf
import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import make_passages
from docqa.ingest.clean import repair_numbers
from docqa.ingest.errors import Overdrawn, TooLarge, UnreadableDocument
from docqa.ingest.limits import Limits
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
    assert pdf_doc.text[first.start : first.end].endswith(
        "https://example.com/low-altitude-report\n\n참고자료"
    )
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


# --- what one PDF may cost (issue 11, defect 5) and damaged files (defect 9) ------------------


def write_pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_pdf_over_the_page_limit_is_refused_before_its_pages_are_read(tmp_path: Path) -> None:
    path = write_pdf(tmp_path, "thousand.pdf", pdf_samples.many_pages(1_000))
    with pytest.raises(TooLarge) as refused:
        read_path(path)  # the default limits
    assert str(refused.value) == (
        "thousand.pdf: the PDF has 1,000 pages; the limit is 500 pages per document "
        "(DOCQA_MAX_PAGES): raise it or split the file"
    )
    # before any page is read: page 1 would break a limit of one character per page first
    with pytest.raises(TooLarge, match="DOCQA_MAX_PAGES"):
        read_path(path, budget=Limits(pages=999, page_chars=1).start(path.name))
    assert len(read_path(path, budget=Limits(pages=1_000).start(path.name)).pages) == 1_000


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_pdf(tmp_path, "scan.pdf", pdf_samples.image_only(2.5))
    with pytest.raises(TooLarge) as refused:
        read_path(path, budget=Limits(file_mb=2).start(path.name))
    assert str(refused.value) == (
        "scan.pdf: the file is 2.5 MB; the limit is 2 MB per file (DOCQA_MAX_FILE_MB): split the file"
    )


def test_bytes_mupdf_cannot_open_are_refused_whatever_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """MuPDF segfaults on 2 GiB or more from memory; the bound is lowered here to a real 2.5 MB scan."""
    from docqa.ingest.formats import pdf

    monkeypatch.setattr(pdf, "MUPDF_MAX_BYTES", 2 * 1024 * 1024)
    with pytest.raises(TooLarge, match="scan.pdf: the PDF is 2.5 MB; MuPDF cannot open 2 GiB or more"):
        pdf.extract(pdf_samples.image_only(2.5), "scan.pdf", Limits().start("scan.pdf"))


@pytest.mark.parametrize(
    ("sample", "drawn"),
    [
        (pdf_samples.overdrawn(20_000), 1_120_000),  # one deflated stream drawing a line 20,000 times
        (pdf_samples.nested_forms(4, 30), 19_440_000),  # forms drawing forms: 30**4 lines
    ],
    ids=["overdrawn", "nested-forms"],
)
def test_an_overdrawn_page_is_refused_once_it_passes_the_limit(
    tmp_path: Path, sample: bytes, drawn: int
) -> None:
    """MuPDF is stopped at the page limit: extracting all the text would take minutes and GBs."""
    assert len(sample) < 10_000
    path = write_pdf(tmp_path, "bomb.pdf", sample)
    with pytest.raises(Overdrawn) as refused:
        read_path(path)
    message = str(refused.value)
    found = re.search(r"^bomb\.pdf: page 1 draws at least ([\d,]+) characters of text", message)
    assert found, message
    assert 30_000 < int(found[1].replace(",", "")) < 30_100 < drawn  # stopped right past the limit
    assert message.endswith(
        "(reading stopped there), more than a page can show (the limit is 30,000 per page, "
        "DOCQA_MAX_PAGE_CHARS): the PDF draws text over itself; if the page is real, raise the limit"
    )
    assert isinstance(refused.value, UnreadableDocument)  # 422: the content is wrong, not its size


def test_the_character_limit_stops_at_the_page_that_passes_it(tmp_path: Path) -> None:
    data = pdf_samples.many_pages(40)
    sizes = [len(page.get_text()) for page in pymupdf.open(stream=data, filetype="pdf")]
    path = write_pdf(tmp_path, "long.pdf", data)
    with pytest.raises(TooLarge) as refused:
        read_path(path, budget=Limits(chars=sum(sizes[:10])).start(path.name))
    assert str(refused.value) == (
        f"long.pdf: the text is longer than the limit of {sum(sizes[:10]):,} characters per document "
        f"(DOCQA_MAX_CHARS): {sum(sizes[:11]):,} characters by page 11 of 40; raise it or split the file"
    )  # pages 12-40 were never read


def test_the_time_limit_stops_reading_between_pages(tmp_path: Path) -> None:
    path = write_pdf(tmp_path, "slow.pdf", pdf_samples.many_pages(3))
    with pytest.raises(
        TooLarge,
        match=r"ingest took longer than the limit of 5 s per document "
        r"\(DOCQA_MAX_INGEST_SECONDS\); stopped after \d+ s while reading page 1 of 3",
    ):
        read_path(path, budget=Limits(seconds=5).start(path.name, spent=6))


def test_text_outside_the_visible_page_is_not_extracted(tmp_path: Path) -> None:
    doc = read_path(write_pdf(tmp_path, "hidden.pdf", pdf_samples.outside_the_box()))
    assert doc.text == "A line on the page." and not doc.warnings


def test_a_truncated_pdf_is_read_with_warnings(tmp_path: Path) -> None:
    whole = read_path(write_pdf(tmp_path, "whole.pdf", pdf_samples.three_pages()))
    assert whole.warnings == () and len(whole.pages) == 3
    half = read_path(write_pdf(tmp_path, "half.pdf", pdf_samples.truncated()))
    assert len(half.text) < len(whole.text) and half.pages[2].start == half.pages[2].end  # page 3 lost
    assert half.warnings[0] == (
        "the PDF is damaged (truncated or corrupt) and MuPDF repaired it: its text may be "
        "incomplete (3 pages read, no text on page 3)"
    )
    assert "MuPDF: format error: cannot find startxref" in half.warnings
    assert len(half.warnings) <= 7  # the summary, five of MuPDF's messages, "... and N more"
    again = read_path(write_pdf(tmp_path, "whole2.pdf", pdf_samples.three_pages()))
    assert again.warnings == ()  # the warnings of one file are not left for the next


def test_mupdf_warnings_on_an_undamaged_pdf_are_reported(tmp_path: Path) -> None:
    """眾 has no glyph in PyMuPDF's Korean font: MuPDF warns while reading, and the text lacks it."""
    pdf = pymupdf.open()
    pdf.new_page().insert_text((50, 60), "보중(博眾)정밀공업은 제조업의 선두 기업이다.", fontname="korea")
    doc = read_path(write_pdf(tmp_path, "glyphs.pdf", pdf.tobytes()))
    assert "眾" not in doc.text and "정밀공업은" in doc.text
    assert doc.warnings == (
        "MuPDF reported problems reading the PDF: its text may be incomplete (1 page read)",
        "MuPDF: cannot encode character",
    )
