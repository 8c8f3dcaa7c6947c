"""PDFs that cost more to read than their size says, written with PyMuPDF for the limit tests."""

from __future__ import annotations

import zlib

import pymupdf

SENTENCE = "The same sentence is drawn again and again on one page."
WORDS = "robots exports rose fell quarter plants cities output grew slowly budgets chips".split()


def many_pages(pages: int = 1_000) -> bytes:
    """``pages`` pages of one short line each (each its own words: a line on every page would be
    dropped as a running header): cheap to write, and 1,000 pages a user may upload."""
    pdf = pymupdf.open()
    for number in range(1, pages + 1):
        line = " ".join(WORDS[(number * k + k) % len(WORDS)] for k in range(1, 7))
        pdf.new_page().insert_text((72, 72), line.capitalize() + ".", fontname="helv")
    return pdf.tobytes(garbage=3, deflate=True)


def overdrawn(repeats: int = 20_000) -> bytes:
    """One page whose deflated content stream draws the same line ``repeats`` times at the same
    place: a few KB on disk, a million characters of text (the issue's "5.7 KB PDF bomb")."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "x", fontname="helv")  # gives the page a font resource
    font = page.get_fonts()[0][4]
    stream = f"BT /{font} 11 Tf 72 720 Td ({SENTENCE}) Tj ET\n".encode() * repeats
    raw = zlib.compress(stream, 9)
    xref = page.get_contents()[0]
    pdf.update_stream(xref, raw, compress=False)
    pdf.xref_set_key(xref, "Filter", "/FlateDecode")
    return pdf.tobytes()


def nested_forms(levels: int = 4, fan: int = 30) -> bytes:
    """One page drawing a form that draws another ``fan`` times, ``levels`` deep, the innermost
    drawing a line ``fan`` times: 1.6 KB that draws 30**4 = 810,000 lines (19,440,000 characters;
    MuPDF takes half a minute and gigabytes to extract them)."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "x", fontname="helv")
    font = page.get_fonts()[0][0]

    def form(content: bytes, resources: str) -> int:
        xref = pdf.get_new_xref()
        pdf.update_object(
            xref, f"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources {resources} >>"
        )
        pdf.update_stream(xref, content)
        return xref

    line = b"BT /F1 11 Tf 72 720 Td (Nested text drawn here.) Tj ET\n"
    xref = form(line * fan, f"<< /Font << /F1 {font} 0 R >> >>")
    for _ in range(levels - 1):
        xref = form(b"/X Do\n" * fan, f"<< /XObject << /X {xref} 0 R >> >>")
    pdf.update_stream(page.get_contents()[0], b"/X Do\n")
    pdf.xref_set_key(page.xref, "Resources", f"<< /XObject << /X {xref} 0 R >> >>")
    return pdf.tobytes(deflate=True)


def outside_the_box() -> bytes:
    """One visible line, and text drawn far outside the page's visible box."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "x", fontname="helv")
    font = page.get_fonts()[0][4]
    stream = f"BT /{font} 11 Tf 72 720 Td (A line on the page.) Tj ET\n".encode()
    stream += f"BT /{font} 11 Tf 5000 9000 Td (Text nobody can see.) Tj ET\n".encode() * 500
    pdf.update_stream(page.get_contents()[0], stream)
    return pdf.tobytes()


def three_pages() -> bytes:
    pdf = pymupdf.open()
    for number in range(1, 4):
        page = pdf.new_page()
        for line in range(20):
            page.insert_text(
                (72, 72 + 30 * line),
                f"Page {number}, line {line}: exports of industrial robots rose again this quarter.",
                fontname="helv",
            )
    return pdf.tobytes()


def truncated() -> bytes:
    """The first half of ``three_pages()``: MuPDF repairs it and reads part of its text."""
    whole = three_pages()
    return whole[: len(whole) // 2]


def image_only(megabytes: float) -> bytes:
    """One page showing a gray image of random pixels (a scan that does not compress), the PDF
    a little over ``megabytes`` MB: for the file-size limit, checked before a file is read."""
    import random

    side = int((megabytes * 1024 * 1024) ** 0.5) + 8
    noise = random.Random(15).randbytes(side * side)
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, side, side, noise, False))
    return pdf.tobytes()
