"""Pages without a text layer are read by Tesseract (issue 15): only those pages, flagged as
OCR through to the passages, and a clear 422 where OCR is not installed."""

from __future__ import annotations

import re
from pathlib import Path

import pdf_print
import pymupdf
import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import make_passages
from docqa.ingest.errors import UnreadableDocument
from docqa.ingest.formats import pdf_ocr
from docqa.ingest.readers import read_path
from docqa.ingest.records import Document


@pytest.fixture(scope="module")
def half_scanned_doc(half_scanned: Path) -> Document:
    return read_path(half_scanned)


def test_only_the_image_page_is_read_by_ocr(half_scanned_doc: Document, kiwi: Kiwi) -> None:
    doc = half_scanned_doc
    assert [(p.number, p.ocr) for p in doc.pages] == [(1, False), (2, True)]
    layer, scanned = (doc.text[p.start : p.end] for p in doc.pages)
    # the whole page, whitespace runs one space on both sides (the menus and share bar that OCR
    # kept count too: an earlier measure began at the article's first word and left spaces out)
    edits, chars = pdf_print.char_errors(layer, scanned)
    # measured: 2.8% and 3.6% (Chromium's print is not the same pixels from one session to the
    # next; 3.6% before the words kor doubts were read again with eng and chi_tra, 19.6% before
    # spaces were read from the image and the page cut into blocks); the errors left are Latin
    # that kor reads surely as Hangul ("AI" as "시"), and symbols (▲ read as 소, · as -)
    assert edits / chars <= 0.04, edits / chars
    assert not re.search(r"\d+/\d+/\d+, \d+:\d+", doc.text)  # the print header, read by OCR, went too
    passages = make_passages(doc, kiwi)
    assert {p.ocr for p in passages if p.end <= doc.pages[1].start} == {False}
    assert {p.ocr for p in passages if p.start >= doc.pages[1].start} == {True}


def test_the_news_sites_chrome_read_by_ocr_is_dropped(half_scanned_doc: Document) -> None:
    # OCR'd lines go through the same layout steps as a text layer's: the menu, the share bar, the
    # player's times and the clipped side column of the scanned page are not stored
    page = half_scanned_doc.pages[1]
    lines = [re.sub(r"\s+", "", t) for t in half_scanned_doc.text[page.start : page.end].splitlines()]
    chrome = [*pdf_print.MENU, *pdf_print.SHARE, "0:00", "5:43", "많이본뉴스", "한빛일보"]
    assert not [t for t in lines if t and any(t == c or t.startswith(c) for c in chrome)], lines
    side = [re.sub(r"\s+", "", h)[:5] for h in pdf_print.SIDEBAR]
    assert not [t for t in lines if t and any(t.startswith(h) for h in side)], lines


def test_spaces_are_read_from_the_image(half_scanned_doc: Document) -> None:
    # Tesseract's Korean model ends a word at nearly every syllable ("중 국 의 최대 관 광 도시 중
    # 하 나 인 항 저 우 는"), and Kiwi's joins left "관광 도시", "항 저우는": the blank in the image
    # before each word says which of its spaces are real
    page = half_scanned_doc.pages[1]
    assert (
        "[보안뉴스 윤서정 기자] 중국의 최대 관광도시 중 하나인 항저우는 인터넷, 빅데이터, 스마트 "
        "제조업 분야 등의 선두도시로 특히 인공지능 산업에서 주목받고 있다."
    ) in half_scanned_doc.text[page.start : page.end]


def test_a_scanned_newsletter_page_keeps_its_columns_and_its_table(
    printed_newsletter: pdf_print.Printed, tmp_path: Path
) -> None:
    # Read as one column, Tesseract garbled the rows where the two columns' lines do not align,
    # and with no rules drawn (an image) the table's cells were loose fragments, dropped as a
    # menu: the columns ran on past the table and the rows were lost. Now the page is cut into
    # its blocks before OCR, and the grid of rules in the image makes the table (its rules are
    # erased before OCR: Tesseract missed "매출" between them).
    with pymupdf.open(printed_newsletter.path) as pdf:
        pdf.select([0])
        pdf.save(tmp_path / "page.pdf")
    layer = read_path(tmp_path / "page.pdf")
    scanned = read_path(pdf_print.rasterise(tmp_path / "page.pdf", tmp_path / "scan.pdf"))
    assert [p.ocr for p in scanned.pages] == [True]
    assert "2025년 매출 2.35억 위안, 순이익 0.34억 위안" in scanned.text
    edits, chars = pdf_print.char_errors(layer.text, scanned.text)
    # measured: 7.4% and 11.2% (36.7% before): Chromium's print of the page is not the same pixels
    # from one run to the next, and in one a right-column paragraph was read in two pieces
    assert edits / chars <= 0.13, edits / chars


def test_the_character_error_rate_by_hand() -> None:
    # "인공지능 산업" against "인공 지능 산엽": one space inserted, one syllable substituted
    assert pdf_print.char_errors("인공지능 산업", "인공 지능 산엽") == (2, 7)
    # whitespace runs and line breaks are one space on both sides; spaces aside, only the syllable
    assert pdf_print.char_errors(" 인공지능\n\n산업 ", "인공지능  산엽") == (1, 7)
    assert pdf_print.char_errors("인공지능 산업", "인공 지능 산엽", spaces=False) == (1, 6)
    # every deletion counts: a page read as nothing is 100%, extra text is insertions
    assert pdf_print.char_errors("가나다", "") == (3, 3)
    assert pdf_print.char_errors("가나다", "가나다 라마") == (3, 3)


def test_without_tesseract_a_scan_is_a_clear_422(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, half_scanned: Path
) -> None:
    with pymupdf.open(half_scanned) as pdf:
        pdf.select([1])  # the image page alone
        pdf.save(tmp_path / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on it
    pdf_ocr.languages.cache_clear()
    try:
        with pytest.raises(UnreadableDocument) as refused:
            read_path(tmp_path / "scan.pdf")
    finally:
        pdf_ocr.languages.cache_clear()
    assert str(refused.value) == (
        "scan.pdf: the PDF has pages without a text layer (scanned or image-only) and OCR is not "
        "available on this server (Tesseract is not installed: apt-get install tesseract-ocr "
        "tesseract-ocr-kor tesseract-ocr-chi-tra); OCR the file first"
    )


def test_the_ocr_flag_is_stored_and_read_back(half_scanned_doc: Document, kiwi: Kiwi, tmp_path: Path) -> None:
    from docqa.index.records import Citation
    from docqa.index.store import Store

    passages = make_passages(half_scanned_doc, kiwi)
    store = Store(tmp_path / "docqa.db")
    with store.conn:
        store.put_document(half_scanned_doc)
        store.put_passages(passages, ["[]"] * len(passages), [bytes(8)] * len(passages))
    back = store.document(half_scanned_doc.doc_id)
    assert back is not None and [p.ocr for p in back.pages] == [False, True]
    rows = sorted(store.passage_rows().values(), key=lambda r: r.passage.ordinal)
    assert [r.passage.ocr for r in rows] == [p.ocr for p in passages] and any(p.ocr for p in passages)
    assert "ocr" in Citation.__dataclass_fields__  # the HTTP schema is built from Citation


def test_latin_and_han_inside_korean_are_read_again(tmp_path: Path) -> None:
    # Debian's kor data read "(杭州)" as "(@#\)", "(VR)" as "(\')" and an e-mail address as digits
    # and slashes (and kor+eng read more Hangul as Latin): the words it doubts are read again
    # with eng and chi_tra, and the surer reading kept
    sentence = (
        "항저우(杭州)시 위항(餘杭)구의 인공지능 타운은 가상현실(VR) 기업을 모았다. "
        "문의는 yama@kyunghyang.com으로 하면 된다."
    )
    head = '<!doctype html><html lang="ko"><meta charset="utf-8">'
    page = f'{head}<body style="font: 15px NanumGothic">{sentence}'
    printed = pdf_print.print_pdf(page, tmp_path / "line.pdf", header_footer=False)
    scanned = read_path(pdf_print.rasterise(printed, tmp_path / "scan.pdf"))
    assert [p.ocr for p in scanned.pages] == [True]
    for word in ("항저우(杭州)시", "위항(餘杭)구의", "가상현실(VR)", "yama@kyunghyang.com"):
        assert word in scanned.text, scanned.text


def test_specks_read_as_hangul_are_dropped() -> None:
    # A rule's end or an icon came back as a line of its own ("느", "번"), splitting a paragraph
    # ("14차 5 / 번 / 개년 계획"): Hangul from ink under half the page's usual height, read unsurely,
    # is dropped; a particle as short but read surely, and short symbols, stay
    usual = 40.0  # pixels: the page's usual Hangul word
    assert pdf_ocr._speck((0, 0, 12, 15, "번"), 24.8, usual)
    assert not pdf_ocr._speck((0, 0, 12, 15, "을"), 92.0, usual)
    assert not pdf_ocr._speck((0, 0, 30, 38, "번"), 24.8, usual)
    assert not pdf_ocr._speck((0, 0, 12, 12, "="), 7.1, usual)


def test_middle_dots_are_told_from_hyphens_and_full_stops_by_their_shape() -> None:
    # kor's data has no "·": it read "생산·판매" as "생산-판매", "생산:판매" or "생산ㆍ판매" (ㆍ was
    # then dropped as a loose jamo). The ink of a lone mark says which it is. A line of 40-pixel
    # syllables at rows 100-140 (300 dpi), with marks drawn between them:
    import numpy as np

    ink = np.zeros((300, 600), dtype=bool)
    ink[118:123, 50:55] = True  # a dot, 5 x 5, in the middle of the line
    ink[119:122, 150:162] = True  # a hyphen, 12 x 3
    ink[135:139, 250:254] = True  # a full stop, on the baseline
    ink[110:114, 350:354] = ink[126:130, 350:354] = True  # a colon
    line = (0, "1", "1", "1")
    syllables = [(line, (x, 100, 40, 40, "가"), 93.0) for x in (0, 100, 200, 300, 400)]
    marks = [
        (line, (51, 119, 3, 3, "-"), 80.0),  # Tesseract's box inside the dot
        (line, (160, 119, 2, 3, "-"), 93.0),  # ... and at the hyphen's end: the whole blob counts
        (line, (250, 135, 4, 4, "."), 93.0),
        (line, (350, 110, 4, 20, ":"), 93.0),
        (line, (450, 118, 5, 5, "-"), 90.0),  # no ink there: left alone
        (line, (500, 100, 120, 40, "생산ㆍ판매"), 90.0),
    ]
    dotted = pdf_ocr._middle_dots(syllables + marks, 40.0, ink)[len(syllables) :]
    assert [w[4] for _, w, _ in dotted] == ["·", "-", ".", ":", "-", "생산·판매"]
    assert dotted[0][2] >= 60.0  # kept, however unsure Tesseract was


def test_a_space_is_seen_before_a_word_boxed_from_inside_its_syllable() -> None:
    # read as one block (--psm 6), kor boxed the 생 of "이곳의 생산액은" from the middle of the
    # syllable, 0.4 heights past the blank before it, and the space was lost ("이곳의생산액은", 109
    # spaces lost on the bench pages): the blank may end anywhere after the previous word's start
    import numpy as np

    ink = np.zeros((200, 300), dtype=bool)
    ink[100:140, 0:40] = ink[100:140, 60:100] = ink[100:140, 104:144] = True  # 의, a space, 생 산
    words = [(0, 100, 40, 40, "의"), (76, 100, 24, 40, "생"), (104, 100, 40, 40, "산")]
    blanks = pdf_ocr._blanks(words, ink)
    assert blanks[1] >= pdf_ocr.SPACE and blanks[2] < pdf_ocr.SPACE, blanks
    assert ["".join(s + w[4] for s, w in piece) for piece in pdf_ocr._pieces(words, ink)] == ["의 생산"]


def test_a_narrow_blank_is_a_space_only_where_the_words_around_it_are_two() -> None:
    # kor boxed 인 of "음성 인식 문제를" short of its ink's right edge, so the blank before 식 was
    # 0.35 heights, past SPACE ("음성 인 식", as on the tuned bench pages: 인 식, 끌어올 리는): below
    # UNSURE, Kiwi decides, as at a line break; the same blank before 문제를 stays a space
    import numpy as np

    ink = np.zeros((200, 500), dtype=bool)
    for x0, x1 in ((0, 40), (40, 80), (100, 140), (154, 194), (208, 248), (248, 288), (288, 328)):
        ink[100:140, x0:x1] = True  # 음성, 인, 식, 문제를: blanks of 0.5, 0.35 and 0.35 heights
    words = [(0, 100, 80, 40, "음성"), (100, 100, 40, 40, "인"), (154, 100, 40, 40, "식")]
    words.append((208, 100, 120, 40, "문제를"))
    blanks = pdf_ocr._blanks(words, ink)
    assert all(pdf_ocr.SPACE <= b < pdf_ocr.UNSURE for b in blanks[2:]), blanks
    assert ["".join(s + w[4] for s, w in p) for p in pdf_ocr._pieces(words, ink)] == ["음성 인식 문제를"]


def test_a_print_time_read_without_its_date_is_still_print_furniture() -> None:
    # OCR read one page's print header "12/1/26, 11:22 PM" as "121:22 PM": no date, and not the
    # other pages' row digits aside, so it stayed in the stored text (bench run 20261201-232717)
    from docqa.ingest.formats.pdf_layout import drop_print_furniture
    from docqa.ingest.formats.pdf_lines import TextLine

    def page(number: int, header: str) -> list[TextLine]:
        return [
            TextLine(number, 20, 10, 80, 20, 8, header),
            TextLine(number, 300, 10, 500, 20, 8, "쑤저우, AI와 정밀 제조의 융합"),
            TextLine(number, 40, 100, 550, 112, 11, "원문 출처:신화통신 한국어 뉴스 서비스"),
        ]

    pages = [page(0, "12/1/26, 11:22 PM"), page(1, "12/1/26, 11:22 PM"), page(2, "121:22 PM")]
    kept = drop_print_furniture(pages, [842.0] * 3)
    assert [[t.text for t in lines] for lines in kept] == [["원문 출처:신화통신 한국어 뉴스 서비스"]] * 3


def test_a_print_header_or_footer_that_ocr_misread_is_still_print_furniture() -> None:
    # The header's clock changes every minute and the footer's URL with every print (Chromium
    # prints from a fresh temporary folder), so what OCR makes of them changes from run to run:
    # kor reads "file:///tmp/tmpt5g5t8jy/article.html" as "116:///0700/070다66@×218/하니이6.0티"
    # (measured on eight prints), and a clock read as "1122 PM" marks nothing. The title beside
    # the clock is the same on every page, and "://" is only a URL's: the rows still go.
    from docqa.ingest.formats.pdf_layout import drop_print_furniture
    from docqa.ingest.formats.pdf_lines import TextLine

    title = "[중국 개혁개방 40주년, 현장을 가다](하) '선전의 속도'에서 '항저우의 효율'로 | 한빛일보"

    def page(number: int, clock: str, footer: list[str]) -> list[TextLine]:
        return [
            TextLine(number, 24, 10, 80, 20, 8, clock),
            TextLine(number, 162, 10, 500, 20, 8, title),
            TextLine(number, 40, 100, 550, 112, 11, "원문 출처:신화통신 한국어 뉴스 서비스"),
            *(TextLine(number, 24 + 500 * i, 820, 300 + 60 * i, 830, 8, t) for i, t in enumerate(footer)),
        ]

    pages = [
        page(0, "12/3/26, 9:23 AM", ["file:///tmp/tmpt5g5t8jy/article.html", "1/2"]),
        page(1, "12/3/26, 1122 PM", ["116:///0700/070다66@×218/하니이6.0티 1/2"]),
    ]
    kept = drop_print_furniture(pages, [842.0] * 2)
    assert [[t.text for t in lines] for lines in kept] == [["원문 출처:신화통신 한국어 뉴스 서비스"]] * 2


def test_unsure_hangul_as_tall_as_a_syllable_is_kept_and_quotes_hold_no_space() -> None:
    # a rare syllable (뜩 of 번뜩이는) read at 12% was dropped with the specks: one edit either way
    assert not pdf_ocr._junk("뜩", 12.0, tall=True) and pdf_ocr._junk("뜩", 12.0)
    assert pdf_ocr._junk("ㅋ", 90.0, tall=True)  # loose jamo are still a speck
    # a quote is narrow in its cell: the blank between it and the quoted word is as wide as a
    # space (‘ 속도’로); a straight quote after a space opens
    import numpy as np

    ink = np.zeros((200, 400), dtype=bool)
    for x0, x1 in ((0, 40), (60, 66), (86, 126), (130, 170), (174, 180), (184, 224)):
        ink[100:140, x0:x1] = True  # 은, ‘, 속, 도, ’, 로: 0.5 heights blank around the ‘
    texts = ["은", "‘", "속", "도", "’", "로"]
    xs = [0, 60, 86, 130, 174, 184]
    words = [(x, 100, 40, 40, t) for x, t in zip(xs, texts, strict=True)]
    assert ["".join(s + w[4] for s, w in p) for p in pdf_ocr._pieces(words, ink)] == ["은 ‘속도’로"]
    words = [(x, 100, 40, 40, t) for x, t in zip(xs, ["은", "'", "속", "도", "'", "로"], strict=True)]
    assert ["".join(s + w[4] for s, w in p) for p in pdf_ocr._pieces(words, ink)] == ["은 '속도'로"]


def test_a_heading_twice_the_body_s_size_is_read_as_a_block_of_its_own(tmp_path: Path) -> None:
    import pdf_sites

    # article 000's first page as the portal prints it: its title (30 px) read in one block with
    # the byline and share row (14 px) came back as "스스 우 시오| 정밀근 저=| 조의 으하용압으로"
    corpus = Path(__file__).resolve().parents[3] / "data" / "corpus"
    paragraphs = pdf_print.body_paragraphs((corpus / "000_6b4486a691b44a80.txt").read_text(encoding="utf-8"))
    title = "쑤저우, AI와 정밀 제조의 융합으로 '스마트 제조 도시' 구축"
    page = pdf_sites.portal_page(title, paragraphs[:3])
    printed = pdf_print.print_pdf(page, tmp_path / "page.pdf", header_footer=False)
    scanned = read_path(pdf_print.rasterise(printed, tmp_path / "scan.pdf")).text
    assert "정밀 제조의" in scanned and "'스마트 제조 도시' 구축" in scanned, scanned
