"""Shared fixtures: one Kiwi per session, the sample corpus read once, a generated PDF newsletter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pdf_print
import pymupdf
import pytest
from kiwipiepy import Kiwi
from text_layout import wrap

from docqa.ingest.chunk import make_passages
from docqa.ingest.kiwi import get_kiwi
from docqa.ingest.readers import iter_inputs, read_path
from docqa.ingest.records import Document, Passage

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
NEWSLETTER = "004_38555d9f2bda2031.txt"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def kiwi() -> Kiwi:
    return get_kiwi()


@pytest.fixture(scope="session")
def corpus() -> dict[str, Document]:
    """Every corpus document, read with its manifest row, keyed by file name."""
    return {path.name: read_path(path, meta) for path, meta in iter_inputs([CORPUS])}


@pytest.fixture(scope="session")
def newsletter(corpus: dict[str, Document]) -> Document:
    return corpus[NEWSLETTER]


@pytest.fixture(scope="session")
def corpus_passages(corpus: dict[str, Document], kiwi: Kiwi) -> dict[str, list[Passage]]:
    return {name: make_passages(doc, kiwi) for name, doc in corpus.items()}


# ---------------------------------------------------------------------------------------------
# A three-page Korean newsletter PDF, written with PyMuPDF's built-in Korean font

HEADER = "테크 브리프 2025년 3월호                    산업 동향"
FOOTER = "ⓒ 테크 브리프 편집부"
PAGE3_SENTENCE = "선전시는 2026 년까지 휴머노이드 로봇 1 만 대를 공공 서비스에 보급할 예정이다."

# A paragraph that starts on page 1 and ends on page 2.
CROSS_PAGE = (
    "지방 정부도 앞다투어 지원책을 내놓고 있다. 광저우와 선전은 비행 허가 절차를 간소화하고, "
    "충전 인프라와 이착륙장을 확충하는 데 예산을 배정했다. 이러한 흐름 속에서 주요 도시들은 드론 "
    "배송과 도심 항공 교통 실증을 확대하고 있다."
)

PAGES = [
    [
        ("heading", "01. 저고도 경제 현황"),
        (
            "para",
            "중국 정부는 저고도 경제를 전략적 신흥산업으로 지정하고 관련 정책을 잇달아 발표했다. "
            "2027 년까지 30 개 도시에 시범 구역을 조성할 계획이며, 투자 규모는 2.35 억 위안에 달한다. "
            "업계는 드론 물류와 도심 항공 교통이 빠르게 성장할 것으로 내다보고 있다.",
        ),
        ("head", CROSS_PAGE),
    ],
    [
        ("tail", CROSS_PAGE),
        (
            "para",
            "전문가들은 안전 기준과 보험 제도가 함께 정비되어야 시장이 지속적으로 커질 수 있다고 지적한다. "
            "특히 소음과 사생활 침해 문제는 주민 수용성을 좌우하는 핵심 변수로 꼽힌다.",
        ),
        ("line", "신화망(新華網). 저고도 경제 발전 보고서. (25.03.01)"),
        ("line", "https://example.com/low-altitude-report"),
        ("line", "참고자료"),
        ("heading", "02. 휴머노이드 로봇 산업 동향"),
        (
            "para",
            "휴머노이드 로봇 산업은 대형 언어 모델의 발전과 함께 새로운 전기를 맞고 있다. 주요 기업들은 "
            "공장 조립 라인과 물류 창고에 로봇을 시범 투입하며 실제 작업 데이터를 축적하고 있다.",
        ),
    ],
    [
        (
            "para",
            PAGE3_SENTENCE + " 시 정부는 부품 국산화율을 높이기 위해 감속기와 서보 모터 기업에 연구개발 "
            "보조금을 지급하고, 시험 인증 센터를 새로 세워 제품 검증 기간을 절반으로 줄이겠다고 밝혔다. "
            "업계는 이러한 정책이 가격 경쟁력을 높여 해외 시장 진출을 앞당길 것으로 기대한다.",
        ),
        (
            "para",
            "다만 배터리 지속 시간과 정밀 제어 기술은 여전히 해결해야 할 과제로 남아 있다. 연구진은 "
            "시뮬레이션 데이터와 실제 데이터를 결합한 학습 방식으로 이 문제를 풀어 가고 있으며, 내년에는 "
            "가정용 서비스 로봇의 시범 판매도 시작될 전망이다.",
        ),
    ],
]


def write_newsletter_pdf(path: Path) -> Path:
    """Three pages: running header and footer, numbered headings, wrapped body (one paragraph
    running over a page break), a reference block, and a page number at every page's foot."""
    pdf = pymupdf.open()
    for number, blocks in enumerate(PAGES, start=1):
        page = pdf.new_page(width=595, height=842)
        page.insert_text((50, 40), HEADER, fontname="korea", fontsize=9)
        y = 80.0
        for kind, text in blocks:
            lines = {"para": wrap(text), "head": wrap(text)[:-1], "tail": wrap(text)[-1:]}.get(kind, [text])
            size = 14 if kind == "heading" else 10
            for line in lines:
                page.insert_text((50, y), line, fontname="korea", fontsize=size)
                y += size * 1.6
            y += 8
        page.insert_text((50, 810), FOOTER, fontname="korea", fontsize=8)
        page.insert_text((290, 825), f"- {number} -", fontname="korea", fontsize=9)
    pdf.save(path)
    pdf.close()
    return path


@dataclass(frozen=True)
class SamplePdf:
    path: Path
    cross_page: str  # a paragraph that starts on page 1 and ends on page 2
    page3_sentence: str  # the first sentence of page 3, before number repair


@pytest.fixture(scope="session")
def newsletter_pdf(tmp_path_factory: pytest.TempPathFactory) -> SamplePdf:
    path = write_newsletter_pdf(tmp_path_factory.mktemp("pdf") / "brief_2025-03.pdf")
    return SamplePdf(path, CROSS_PAGE, PAGE3_SENTENCE)


# ---------------------------------------------------------------------------------------------
# Corpus articles printed by Chromium: as a news site's page, and as a two-column newsletter

PRINTED_NEWS = ["000_6b4486a691b44a80.txt", "001_8b6b0988ac711051.txt", "003_58cc2174c4f770a3.txt"]
PRINTED_NEWSLETTER = "002_c9ca4e28aa029685.txt"


def corpus_titles() -> dict[str, str]:
    rows = (json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line)
    return {row["file"]: row["title"] for row in rows}


@pytest.fixture(scope="session")
def printed_news(tmp_path_factory: pytest.TempPathFactory) -> list[pdf_print.Printed]:
    """Three corpus articles printed from a news site's page (~2 s each, once per session)."""
    out = tmp_path_factory.mktemp("printed")
    titles = corpus_titles()
    printed = []
    for name in PRINTED_NEWS:
        title = pdf_print.drawable(titles[name])
        paragraphs = pdf_print.body_paragraphs((CORPUS / name).read_text(encoding="utf-8"))
        path = pdf_print.print_pdf(pdf_print.news_page(title, paragraphs), out / f"{name[:3]}.pdf")
        printed.append(pdf_print.Printed(path, title, paragraphs))
    return printed


@pytest.fixture(scope="session")
def printed_newsletter(tmp_path_factory: pytest.TempPathFactory) -> pdf_print.Printed:
    """A corpus article set in two columns around a table, printed by Chromium."""
    title = "월간 테크 리포트 2025년 6월호"
    paragraphs = pdf_print.body_paragraphs((CORPUS / PRINTED_NEWSLETTER).read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("printed") / "newsletter.pdf"
    return pdf_print.Printed(
        pdf_print.print_pdf(pdf_print.newsletter_page(title, paragraphs), out), title, paragraphs
    )


@pytest.fixture(scope="session")
def half_scanned(printed_news: list[pdf_print.Printed], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pages: the first page of a printed article as printed (a text layer), then the same
    page rasterised at 300 dpi (an image only, like a scan). Reading it OCRs one page (~10 s)."""
    with pymupdf.open(printed_news[2].path) as src:
        out = pymupdf.open()
        out.insert_pdf(src, from_page=0, to_page=0)
        page = out.new_page(width=src[0].rect.width, height=src[0].rect.height)
        page.insert_image(page.rect, pixmap=src[0].get_pixmap(dpi=300))
        path = tmp_path_factory.mktemp("scan") / "half_scanned.pdf"
        out.save(path)
    return path
