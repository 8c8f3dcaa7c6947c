"""A PDF line that ended short of its column's edge broke at a space (issue 15).

A browser breaks Korean between any two syllables, so where the next line's first syllable would
have fitted on a line, the break was between two words; Korean sites that set ``word-break:
keep-all`` break only there, with room to spare. Kiwi alone reads a name and the word after it
as one word (``리먼`` / ``브러더스의``): at such a line the space is kept.
"""

from __future__ import annotations

import html
from pathlib import Path

import pdf_print
import pymupdf
import pytest

from docqa.ingest.formats import pdf_layout
from docqa.ingest.formats.pdf_layout import piece_width
from docqa.ingest.formats.pdf_lines import page_lines
from docqa.ingest.readers import read_path
from docqa.ingest.spacing import glue

# Each sentence's first line ends with the pair's first word: about 16 em of words in a 20 em
# column, and the next word (5 syllables) does not fit after them.
BROKEN = [
    ("미국 금융시장은 그해 지난 하반기 리먼", "브러더스의 부실과 환율 급등으로 크게 흔들렸다."),
    ("그는 젊은 시절 미국 남부 조지아의 뉴톤", "카운티에서 방대한 농장을 운영했다."),
    ("그는 정부의 도움 없이 민간단체인 김대중", "평화센터를 통해 북측과 접촉했다."),
]
# ... and this one's first line runs to the edge (19.8 of 20 em): no room for a syllable there
FULL = ("그의 유해는 일본의 수도 근교의 오래된 도쿄 도", "하치오지 시에 있는 황실 묘역에 묻혔다.")


def keep_all_page(paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>기사</title>
<style>
body {{ font-family: 'NanumGothic'; margin: 0; }}
article {{ width: 300px; font-size: 15px; line-height: 1.7; word-break: keep-all; }}
</style></head><body><article>{body}</article></body></html>"""


@pytest.fixture(scope="module")
def keep_all_pdf(printed_news: list[pdf_print.Printed], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three paragraphs of a corpus article (its lines set the column's edge), then the sentences."""
    paragraphs = printed_news[0].paragraphs[:3] + [f"{a} {b}" for a, b in [*BROKEN, FULL]]
    out = tmp_path_factory.mktemp("keep-all") / "keep-all.pdf"
    return pdf_print.print_pdf(keep_all_page(paragraphs), out, header_footer=False)


def test_the_page_breaks_the_sentences_where_they_were_made_to_break(keep_all_pdf: Path) -> None:
    with pymupdf.open(keep_all_pdf) as pdf:
        boxes = [t for n, page in enumerate(pdf) for t in page_lines(page, n)]
    lines = [t.text for t in boxes]
    for first, rest in [*BROKEN, FULL]:
        assert first in lines, first
        assert lines[lines.index(first) + 1].startswith(rest.split(" ")[0])
    full = boxes[lines.index(FULL[0])]
    assert (full.x1 - full.x0) / full.size > 19.5


def test_a_break_at_a_line_that_ended_short_keeps_its_space(
    keep_all_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = read_path(keep_all_pdf).text
    for first, rest in BROKEN:
        assert f"{first} {rest}" in text
    # without the line's geometry (no syllable ever fits), Kiwi joins the pairs
    monkeypatch.setattr(pdf_layout, "HANGUL_EM", float("inf"))
    text = read_path(keep_all_pdf).text
    assert [first for first, rest in BROKEN if f"{first}{rest}" in text] == [a for a, _ in BROKEN]


def test_a_document_that_breaks_only_between_words_keeps_every_break_between_syllables(
    keep_all_pdf: Path, printed_news: list[pdf_print.Printed], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``word-break: keep-all`` most lines end with room to spare, and a break at a line
    that ran to the edge is a space too (``도`` / ``하치오지``: Kiwi reads one word); a page
    broken between any two syllables is not taken for one."""
    told: list[bool] = []
    decide = pdf_layout.breaks_at_spaces
    monkeypatch.setattr(pdf_layout, "breaks_at_spaces", lambda *a: told.append(decide(*a)) or told[-1])
    assert " ".join(FULL) in read_path(keep_all_pdf).text
    for printed in printed_news:
        read_path(printed.path)
    assert told == [True] + [False] * len(printed_news)
    monkeypatch.setattr(pdf_layout, "SPACES_SEEN", 10**6)  # never taken for one: Kiwi joins it
    assert "".join(FULL) in read_path(keep_all_pdf).text


def test_room_for_a_syllable_is_told_between_syllables_only() -> None:
    assert glue("하반기 리먼", "브러더스의 부실과") == ""  # Kiwi: one word
    assert glue("하반기 리먼", "브러더스의 부실과", fitted=True) == " "
    assert glue("이야", "기 방향을", fitted=True) == " "
    # not between two syllables: a bracket, a joiner, a particle after a Latin word decide alone
    assert glue("해외 연구개발", "(R&D)센터를", fitted=True) == ""
    assert glue("슈퍼 CD-", "ROM'을", fitted=True) == ""
    assert glue("월간 활성 사용자 수(MAU)", "가 3억 명을", fitted=True) == ""


def test_the_piece_a_line_starts_with() -> None:
    """A syllable, with what a browser will not break from it: marks that cannot start a line,
    quotes on either side, a hyphen, digits after a point (Unicode's line breaking rules)."""
    assert piece_width("기 방향을") == pytest.approx(1.0)
    assert piece_width('다." 그는') == pytest.approx(2.1)
    assert piece_width('양"이란') == pytest.approx(2.55)
    assert piece_width("카-아메리칸") == pytest.approx(1.55)
    assert piece_width("다.1999년") == pytest.approx(3.75)
    assert piece_width("ROM'을 선보이고") == pytest.approx(3.2)
