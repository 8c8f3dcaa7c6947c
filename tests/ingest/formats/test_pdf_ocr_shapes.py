"""The ink of an OCR'd word checks its reading (issue 15): holes tell ``AI`` from ``시``, and a
quote's shape tells ‘ ’ from '. Glyphs are drawn with Debian's NanumGothic at 300 dpi, and the
last test OCRs a printed page of the sample corpus with the real Tesseract."""

from __future__ import annotations

from pathlib import Path

import pdf_print
import pymupdf
import pytest

from docqa.ingest.formats import pdf_ocr, pdf_ocr_second
from docqa.ingest.formats.pdf_ocr_shapes import _marks, bullet, bullets, holes, ink_holes
from docqa.ingest.readers import read_path

CORPUS = Path(__file__).resolve().parents[3] / "data" / "corpus"
FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
SIZE = 11  # points: 46 pixels a line at 300 dpi, a syllable ~40 pixels tall


def drawn(words: list[str]) -> tuple[object, list[tuple[int, int, int, int]]]:
    """The words drawn on one line, 300 dpi ink, and each word's box in pixels."""
    if not Path(FONT).exists():
        pytest.skip("fonts-nanum is not installed")
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=60)
    font = pymupdf.Font(fontfile=FONT)
    x, boxes = 20.0, []
    for word in words:
        page.insert_text((x, 40), word, fontsize=SIZE, fontfile=FONT, fontname="nanum")
        width = font.text_length(word, fontsize=SIZE)
        pixels = [int(v * 300 / 72) for v in (x, 26, x + width, 44)]
        boxes.append((pixels[0] - 2, pixels[1], pixels[2] + 2, pixels[3]))
        x += width + 24
    pixmap = page.get_pixmap(dpi=300, colorspace="gray")
    import numpy as np

    gray = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width)
    return pdf_ocr._ink(gray), boxes


def test_the_holes_a_reading_encloses() -> None:
    assert holes("AI") == 1 and holes("Al") == 1 and holes("시") == 0 and holes("신") == 0
    assert holes("CD") == 1 and holes("00") == 2 and holes("B8") == 4
    assert holes("항저우") == 3 and holes("빵") == 3  # ㅎ ㅇ, ㅇ; ㅃ ㅇ
    assert holes("人工") is None  # Han: its holes vary with the typeface


def test_the_ink_shows_the_holes_of_what_is_drawn() -> None:
    words = ["AI", "시", "CD", "00", "항저우", "B8", "IC"]
    ink, boxes = drawn(words)
    assert [ink_holes(ink, box) for box in boxes] == [holes(w) for w in words]


def test_kor_reading_latin_as_hangul_is_read_again_and_eng_taken_by_its_holes() -> None:
    # kor read "AI" surely as 시 (93%): short ink whose holes are not 시's is doubted, and eng's
    # "Al" (its holes are the ink's) is taken even below the usual 80%
    ink, boxes = drawn(["AI", "시"])
    usual = 40.0
    (a0, top, a1, bottom), (s0, _, s1, _) = boxes
    ai = pdf_ocr_second.misshapen(ink, (a0, top, a1 - a0, bottom - top, "시"), s0, usual)
    assert ai is not None and ai[4] == "시"
    assert pdf_ocr_second.misshapen(ink, (s0, top, s1 - s0, bottom - top, "시"), None, usual) is None
    assert pdf_ocr_second.choose("시", 93.0, [("Al", 46.9)], [], 1) == ("AI", 93.0)
    # the holes keep 신 from eng's "Al" however sure it is
    assert pdf_ocr_second.choose("신", 55.0, [("Al", 95.0)], [], 0) == ("신", 55.0)


def test_a_short_si_that_begins_a_word_is_read_again_on_its_own() -> None:
    # kor read AI타운 as one word 시타운, its box as tall as the syllables: the 시 whose blob and
    # stroke are as short as capitals is split off, boxed by its ink (then misshapen: holes 1, not
    # 0); a real 시 (its ㅣ as tall as the syllable) is left whole
    ink, boxes = drawn(["AI타운", "시타운", "AI"])
    usual = 40.0
    kor = ["시타운", "시타운", "시"]
    words = [(x0 + 8, y0, x1 - x0 - 8, y1 - y0, t) for (x0, y0, x1, y1), t in zip(boxes, kor, strict=True)]
    reads, heads = pdf_ocr_second.latin_heads([(1, w, 93.0) for w in words], ink, usual)
    assert [w[4] for _, w, _ in reads] == ["시", "타운", "시타운", "시"] and heads == {0, 3}
    head = reads[0][1]
    assert head[0] < words[0][0]  # kor's box started inside the A: the head holds the whole blob
    assert pdf_ocr_second.misshapen(ink, head, reads[1][1][0], usual) is not None
    assert ink_holes(ink, (head[0] - 1, head[1] - 1, head[0] + head[2] + 1, head[1] + head[3] + 1)) == 1


def test_quotes_are_told_by_their_shape() -> None:
    import numpy as np

    ink, boxes = drawn(["가", "‘", "’", "'", "“", "”", '"'])
    x0, y0, x1, y1 = boxes[0]
    rows = np.flatnonzero(ink[y0:y1, x0:x1].any(axis=1))
    top, usual = y0 + rows[0], float(rows[-1] - rows[0] + 1)  # the syllable's ink
    found = [_marks(ink, (x0, int(top), x1 - x0, int(usual), "'"), top, usual) for x0, _, x1, _ in boxes[1:]]
    assert found == [["‘"], ["’"], ["'"], ["“"], ["”"], ['"']]


def test_a_printed_page_of_the_corpus_reads_its_latin_and_quotes(tmp_path: Path) -> None:
    # article 002 as the bench prints it (15 px NanumGothic, 470 px column, line height 1.7)
    lines = (CORPUS / "002_c9ca4e28aa029685.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = [lines[24], lines[28], lines[32]]  # ‘속도’, AI타운 three times
    head = '<!doctype html><html lang="ko"><meta charset="utf-8">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f'{head}<body style="font: 15px/1.7 NanumGothic; width: 470px">{body}'
    printed = pdf_print.print_pdf(page, tmp_path / "page.pdf", header_footer=False)
    assert read_path(printed).text.count("AI타운") == 3
    scanned = read_path(pdf_print.rasterise(printed, tmp_path / "scan.pdf")).text
    # kor read all three surely as 시타운: each 시 whose ink is as short as capitals is read again
    assert scanned.count("AI타운") == 3, scanned
    assert "선전은 ‘속도’로" in scanned, scanned


def test_bullets_are_told_by_their_outline() -> None:
    marks = ["▲", "△", "◇", "◆", "■", "●", "▼", "▽"]
    ink, boxes = drawn(marks)
    found = [bullet(ink, (x0, y0, x1 - x0, y1 - y0, "소"), 40.0) for x0, y0, x1, y1 in boxes]
    assert [f and f[0] for f in found] == marks
    # letters, jamo, Han and marks of one blob or one hole are none; nor are □ and ○ (ㅁ and ㅇ)
    for others in (
        ["A", "시", "ㅁ", "ㅇ", "O", "0", "D", "o", "·"],
        ["-", "口", "ㅅ", "소", "<>", "□", "○", "4"],
    ):
        ink, boxes = drawn(others)
        assert [
            bullet(ink, (x0, y0, x1 - x0, y1 - y0, w), 40.0)
            for (x0, y0, x1, y1), w in zip(boxes, others, strict=True)
        ] == [None] * len(others)


def test_a_bullet_that_begins_a_word_becomes_a_word_of_its_own() -> None:
    # kor read ▲2019 as 소 boxed with the 2, ◇'해외 as <>'해외 (a diamond's two chevrons)
    ink, boxes = drawn(["▲2019", "◇'해외", "▲"])
    words = [
        (x0, y0, x1 - x0, y1 - y0, t)
        for (x0, y0, x1, y1), t in zip(boxes, ["소2019", "<>'해외", "소"], strict=True)
    ]
    reads = bullets([(1, w, 89.0) for w in words], 40.0, ink)
    assert [w[4] for _, w, _ in reads] == ["▲", "2019", "◇", "'해외", "▲"]
    assert reads[1][1][0] == reads[0][1][0] + reads[0][1][2]  # the rest starts where the mark's ink ends


def test_a_printed_page_reads_its_bullets_and_the_latin_kor_garbles(tmp_path: Path) -> None:
    # articles 003 and 001 as the bench prints them (15 px NanumGothic, 470 px column)
    news = [
        (CORPUS / f).read_text(encoding="utf-8").splitlines()
        for f in ("003_58cc2174c4f770a3.txt", "001_8b6b0988ac711051.txt")
    ]
    paragraphs = [news[0][5], news[0][7], news[1][12], news[1][54], news[1][18], news[1][20]]
    head = '<!doctype html><html lang="ko"><meta charset="utf-8">'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f'{head}<body style="font: 15px/1.7 NanumGothic; width: 470px">{body}'
    printed = pdf_print.print_pdf(page, tmp_path / "page.pdf", header_footer=False)
    scanned = read_path(pdf_print.rasterise(printed, tmp_path / "scan.pdf")).text
    for found in ["▲2019~2021년 항저우", "▲항저우 인공지능", "◇변혁으로 새로운", "◇'해외 진출"]:
        assert found in scanned, scanned
    # kor read CD-ROM' as 00-\014/' (18%) and < ㅁ 0-#8014 (0%); eng's readings are taken
    assert "개발한 '슈퍼 CD-ROM'의 연구" in scanned and "'슈퍼 CD-ROM'을 선보이고" in scanned, scanned
