"""Readers: metadata, inputs, HTML, Markdown and PDF (generated with PyMuPDF)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pymupdf
import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import make_passages
from docqa.ingest.clean import repair_numbers
from docqa.ingest.errors import IngestError, UnreadableDocument, UnsupportedFormat
from docqa.ingest.readers import guess_language, infer_date, iter_inputs, make_doc_id, read_manifest, read_path
from docqa.ingest.records import Document

if TYPE_CHECKING:
    from conftest import SamplePdf

NEWSLETTER = "004_38555d9f2bda2031.txt"

# ---------------------------------------------------------------------------------------------
# Corpus metadata


def test_manifest_metadata_wins(newsletter: Document, corpus_dir: Path) -> None:
    raw = (corpus_dir / NEWSLETTER).read_bytes()
    assert newsletter.doc_id == "004_38555d9f2bda2031"
    assert (newsletter.title, newsletter.source, newsletter.published) == (
        "월간 중국창업 2025년 6월호",
        "KIC 중국",
        "2025-06",
    )
    assert (newsletter.lang, newsletter.kind) == ("ko", "newsletter")
    assert newsletter.content_hash == hashlib.sha256(raw).hexdigest()
    assert newsletter.pages == ()  # plain text: no page numbers to cite


def test_metadata_inferred_without_manifest(corpus_dir: Path) -> None:
    doc = read_path(corpus_dir / "001_8b6b0988ac711051.txt")
    assert doc.title == '"미래 향해 뛴다" 고품질 발전으로 혁신 불지피는 中 상하이-Xinhua'
    assert (doc.published, doc.lang, doc.kind, doc.source) == ("2024-03-06", "ko", None, None)
    assert read_path(corpus_dir / NEWSLETTER).published == "2025-06"  # cover: "2025. 06", "2025 년 06 월"
    assert read_path(corpus_dir / "003_58cc2174c4f770a3.txt").published is None  # only dates of events


def test_explicit_null_in_manifest_is_kept(corpus: dict[str, Document]) -> None:
    assert corpus["003_58cc2174c4f770a3.txt"].published is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("발행일 2025년 6월 11일\n본문", "2025-06-11"),
        ("2025-06-11 08:27:57", "2025-06-11"),
        ("2025.06.11", "2025-06-11"),
        ("월간지 2025년 6월호", "2025-06"),
        ("Published June 11, 2025", "2025-06-11"),
        ("2025年6月11日 新华社", "2025-06-11"),
        ("[신화망 난징 2월11일] 본문", None),
        ("2025.13.40 is not a date", None),
    ],
)
def test_infer_date(text: str, iso: str | None) -> None:
    assert infer_date(text) == iso


def test_guess_language() -> None:
    assert guess_language("상하이(上海)는 중국 최대의 경제 도시다.") == "ko"
    assert guess_language("上海是中国最大的经济城市。") == "zh"
    assert guess_language("Shanghai is China's largest economic hub.") == "en"
    assert guess_language("2025 — 12") is None


def test_make_doc_id() -> None:
    assert make_doc_id("004_38555d9f2bda2031") == "004_38555d9f2bda2031"
    assert re.fullmatch(r"brief-2025-[0-9a-f]{10}", make_doc_id("brief 2025"))
    assert re.fullmatch(r"2025-[0-9a-f]{10}", make_doc_id("보고서_2025")) is None  # "_" is kept
    assert re.fullmatch(r"_2025-[0-9a-f]{10}", make_doc_id("보고서_2025"))
    assert re.fullmatch(r"[0-9a-f]{10}", make_doc_id("보고서"))
    assert make_doc_id("보고서") != make_doc_id("자료")


# ---------------------------------------------------------------------------------------------
# Inputs


def test_read_manifest(tmp_path: Path, corpus_dir: Path) -> None:
    assert read_manifest(tmp_path) == {}
    assert set(read_manifest(corpus_dir)) == {p.name for p in corpus_dir.glob("*.txt")}
    (tmp_path / "manifest.jsonl").write_text('{"file": "a.txt"}\nnot json\n', encoding="utf-8")
    with pytest.raises(IngestError, match="manifest.jsonl:2"):
        read_manifest(tmp_path)


def test_iter_inputs_expands_folders_and_reports_skips(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ["a.txt", "b.docx", "sub/c.md", ".hidden.txt", "sub/d.HTML"]:
        (tmp_path / name).write_text("본문이다.", encoding="utf-8")
    rows = [{"file": "a.txt", "title": "가"}, {"file": "sub/c.md", "title": "다"}]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    skipped: list[tuple[Path, str]] = []
    found = list(iter_inputs([tmp_path, tmp_path / "missing.pdf"], skipped))
    assert [(p.relative_to(tmp_path).as_posix(), (m or {}).get("title")) for p, m in found] == [
        ("a.txt", "가"),
        ("sub/c.md", "다"),
        ("sub/d.HTML", None),
    ]
    assert [(p.name, reason.split(";")[0]) for p, reason in skipped] == [
        ("b.docx", "unsupported format .docx"),
        ("missing.pdf", "not found"),
    ]


def test_errors() -> None:
    assert issubclass(UnreadableDocument, IngestError) and issubclass(UnsupportedFormat, IngestError)
    assert issubclass(IngestError, ValueError)
    with pytest.raises(UnsupportedFormat, match="unsupported format .docx"):
        read_path(Path("report.docx"))


# ---------------------------------------------------------------------------------------------
# HTML and Markdown

HTML = """<!doctype html><html><head><title>쑤저우 스마트 제조 | 신화망</title>
<style>p { color: red }</style><script>var tracker = "광고 스크립트";</script></head>
<body><nav><a href="/">홈</a> <a href="/news">뉴스 목록</a></nav>
<article><h1>쑤저우, AI와 정밀 제조의 융합</h1>
<p class="date">2026년 2월 11일</p>
<p>쑤저우는 <b>나노 신소재</b> 등 6대 국가급
   첨단 제조업 클러스터를 보유하고 있다.<br>16만 개의 공업 기업이 운집해 있다.</p>
<ul><li>스마트 칩</li><li>머신비전</li></ul>
<table><tr><th>연도</th><th>규모</th></tr><tr><td>2025</td><td>2천770억 위안</td></tr></table>
</article><script>console.log("끝")</script></body></html>"""


def test_html(tmp_path: Path) -> None:
    path = tmp_path / "suzhou.html"
    path.write_text(HTML, encoding="utf-8")
    doc = read_path(path)
    assert doc.title == "쑤저우 스마트 제조 | 신화망"
    assert doc.text.split("\n") == [
        "쑤저우, AI와 정밀 제조의 융합",
        "",
        "2026년 2월 11일",
        "",
        "쑤저우는 나노 신소재 등 6대 국가급 첨단 제조업 클러스터를 보유하고 있다.",
        "16만 개의 공업 기업이 운집해 있다.",
        "",
        "스마트 칩",
        "머신비전",
        "",
        "연도 | 규모",
        "2025 | 2천770억 위안",
    ]
    assert (doc.published, doc.lang, doc.doc_id) == ("2026-02-11", "ko", "suzhou")
    assert doc.articles[0].title == doc.title


def test_html_title_falls_back_to_h1(tmp_path: Path) -> None:
    path = tmp_path / "x.htm"
    path.write_text("<body><h1>제목 하나</h1><p>본문.</p></body>", encoding="utf-8")
    assert read_path(path).title == "제목 하나"


MARKDOWN = """---
author: 편집부
---
# 항저우 인공지능 산업

2025-06-11

항저우는 **인공지능 산업** 경쟁력이 높은 도시로 꼽히며,
[기초-기술-응용](https://example.com)에 이르는 밸류체인을 구축하고 있다.

## 주요 분야

- 칩, 센서
- 머신러닝

```
code block stays
```
"""


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "hangzhou.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = read_path(path)
    assert (doc.title, doc.published) == ("항저우 인공지능 산업", "2025-06-11")
    assert doc.text.split("\n") == [
        "항저우 인공지능 산업",
        "",
        "2025-06-11",
        "",
        "항저우는 인공지능 산업 경쟁력이 높은 도시로 꼽히며, "
        "기초-기술-응용에 이르는 밸류체인을 구축하고 있다.",
        "",
        "주요 분야",
        "",
        "- 칩, 센서",
        "- 머신러닝",
        "",
        "code block stays",
    ]


def test_text_decodings(tmp_path: Path) -> None:
    (tmp_path / "cp949.txt").write_bytes("중국 인공지능 산업 동향이다.".encode("cp949"))
    assert read_path(tmp_path / "cp949.txt").text == "중국 인공지능 산업 동향이다."
    (tmp_path / "empty.txt").write_text(" \n\n", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="no text"):
        read_path(tmp_path / "empty.txt")


# ---------------------------------------------------------------------------------------------
# PDF


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
