"""PDFs as users have them: sample-corpus articles printed by Debian's Chromium (``--print-to-pdf``).

``news_page`` lays an article out like a Korean news site (menus, a side column of clipped
headlines, share buttons, a video player's times) and Chromium adds its print header and footer
(date and time, title, URL, ``1/3`` counters); ``newsletter_page`` sets paragraphs in two
columns around a table. The body paragraphs are known, so tests can check every sentence.
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

    from docqa.ingest.records import Document

CHROMIUM = Path("/usr/bin/chromium")

MENU = ["정치", "경제", "사회", "문화", "문화일반", "국제", "스포츠", "로그인", "회원가입"]
SHARE = ["공유", "페이스북", "트위터", "카카오톡", "URL복사", "인쇄"]
# Headlines of other stories: far wider than the side column that clips them (like the issue's
# "통령, 침", "박지성 “안").
SIDEBAR = [
    "[사설] ‘의대 증원’ 갈등, 대화로 풀어야 할 때다",
    "대통령, 침체된 내수 살리기 위한 특단 대책 지시",
    "박지성 “안방에서 열리는 월드컵 예선, 반드시 이긴다”",
    "어떤 사람이 주식 투자로 돈을 버는가",
    "하기에 따라 달라지는 노후 준비의 모든 것",
    "뉴스룸 Pick: 이번 주 꼭 읽어야 할 기사",
    "서울 아파트값 12주 연속 상승, 강남 3구 주도",
    "장마 시작, 남부지방 최대 150㎜ 폭우 예보",
]

CAPTION = "도표 1. 주요 실적"
# A table of the newsletter page: its header row, then rows whose cells belong together.
TABLE = [
    ["연도", "매출", "순이익"],
    ["2024년", "1.82억 위안", "0.21억 위안"],
    ["2025년", "2.35억 위안", "0.34억 위안"],
    ["2026년(전망)", "3.10억 위안", "0.52억 위안"],
]


@dataclass(frozen=True)
class Printed:
    path: Path
    title: str
    paragraphs: list[str]  # the body, one paragraph per item, in reading order


def body_paragraphs(text: str) -> list[str]:
    """A corpus news text's paragraphs (its non-empty lines), without the characters the page's
    font (NanumGothic) cannot draw: Chromium prints them as NUL, so they cannot come back."""
    return [drawable(line.strip()) for line in text.splitlines() if line.strip()]


@cache
def _has_font(char: str) -> bool:
    found = subprocess.run(
        ["fc-list", f"NanumGothic:charset={ord(char):x}", "family"],
        capture_output=True,
        text=True,
        check=False,
    )
    return bool(found.stdout.strip())


def drawable(text: str) -> str:
    return "".join(c for c in text if c.isascii() or "\uac00" <= c <= "\ud7a3" or _has_font(c))


def news_page(title: str, paragraphs: list[str]) -> str:
    player = '<div class="player"><span>▶</span> <span>0:00</span> / <span>5:43</span></div>'
    middle = len(paragraphs) // 2
    body = "\n".join(
        f"<p>{html.escape(p)}</p>" + (f'\n{player}<div class="time">5:43</div>' if i == middle else "")
        for i, p in enumerate(paragraphs)
    )
    side = "\n".join(f"<li>{html.escape(h)}</li>" for h in SIDEBAR * 3)
    return f"""<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>{html.escape(title)} | 한빛일보</title>
<style>
body {{ font-family: 'NanumGothic'; margin: 0; }}
nav {{ display: flex; gap: 14px; font-size: 13px; padding: 6px 0; border-bottom: 1px solid #999; }}
.wrap {{ display: flex; gap: 24px; }}
article {{ width: 470px; font-size: 15px; line-height: 1.7; }}
aside {{ width: 96px; overflow: hidden; font-size: 13px; }}
.top {{ display: flex; justify-content: space-between; align-items: baseline; }}
.logo {{ font-size: 26px; font-weight: bold; }}
.crumbs {{ font-size: 12px; color: #555; }}
aside li {{ white-space: nowrap; margin: 10px 0; }}
.share, .player {{ display: flex; gap: 10px; font-size: 12px; color: #555; }}
h1 {{ font-size: 24px; }}
</style></head><body>
<div class="top"><span class="logo">한빛일보</span><span>로그인</span></div>
<nav>{"".join(f"<span>{m}</span>" for m in MENU)}</nav>
<div class="wrap"><article>
<div class="crumbs">문화 &gt; 문화일반</div>
<h1>{html.escape(title)}</h1>
<div class="share">{"".join(f"<span>{s}</span>" for s in SHARE)}</div>
{player}
{body}
<div class="share">{"".join(f"<span>{s}</span>" for s in SHARE)}</div>
</article>
<aside><b>많이 본 뉴스</b><ol>{side}</ol></aside></div>
</body></html>"""


def newsletter_page(title: str, paragraphs: list[str]) -> str:
    half = len(paragraphs) // 2
    first = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[:half])
    second = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[half:])
    rows = "\n".join(
        "<tr>"
        + "".join(f"<{'th' if i == 0 else 'td'}>{c}</{'th' if i == 0 else 'td'}>" for c in row)
        + "</tr>"
        for i, row in enumerate(TABLE)
    )
    return f"""<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: 'NanumGothic'; font-size: 13px; line-height: 1.6; }}
.cols {{ column-count: 2; column-gap: 28px; }}
table {{ border-collapse: collapse; margin: 16px 0; width: 100%; }}
td, th {{ border: 1px solid #333; padding: 4px 8px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<div class="cols">{first}</div>
<p class="caption">{CAPTION}</p>
<table>{rows}</table>
<div class="cols">{second}</div>
</body></html>"""


def print_pdf(page: str, out: Path, *, header_footer: bool = True) -> Path:
    """Print an HTML page to ``out`` with headless Chromium (A4, the browser's header and footer)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/test.sh as root (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "article.html"
        source.write_text(page, encoding="utf-8")
        args = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={scratch}/profile",
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer" if not header_footer else "--print-to-pdf-header-footer",
            source.as_uri(),
        ]
        subprocess.run(args, check=True, capture_output=True, timeout=120)
    return out


# ---------------------------------------------------------------------------------------------
# How clean the stored text is


@dataclass(frozen=True)
class Quality:
    lines: int  # non-empty lines of the stored text
    debris: list[str]  # stored lines that are not the source's text (chrome, headers, fragments)
    short: list[str]  # stored lines of 8 characters or fewer (the measure of debris)
    sentences: int  # body sentences of the source
    lost: list[str]  # body sentences not in the stored text
    lost_spacing: list[str]  # of those, the ones not there even with spaces ignored
    wrong_page: list[str]  # passages whose page does not hold their first characters

    @property
    def debris_share(self) -> float:
        return len(self.debris) / self.lines if self.lines else 0.0


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def source_sentences(printed: Printed, kiwi: Kiwi) -> list[str]:
    return [s.text for p in printed.paragraphs for s in kiwi.split_into_sents(p)]


def measure(doc: Document, printed: Printed, kiwi: Kiwi) -> Quality:
    """Debris, lost sentences and passage pages of a printed article read back by docqa.

    A stored line is debris unless it is part of the source (title, paragraphs, table), spaces
    aside; a passage's page is right when its first 12 characters (of its first line: a table
    row is stored with its headers) start in that page's text layer.
    """
    import pymupdf

    from docqa.ingest.chunk import make_passages

    source = _bare(" ".join([printed.title, *printed.paragraphs, CAPTION, *[" ".join(r) for r in TABLE]]))
    lines = [line.strip() for line in doc.text.splitlines() if line.strip()]
    debris = [line for line in lines if _bare(line) not in source and not _table_row(line)]
    sentences = source_sentences(printed, kiwi)
    lost = [s for s in sentences if s not in doc.text]
    bare_text = _bare(doc.text)
    with pymupdf.open(printed.path) as pdf:
        # the body of each page: without the print header and footer in its margins
        layers = [_bare(page.get_text(clip=page.rect + (0, 28, 0, -28))) for page in pdf]
    wrong = []
    layers.append("")
    for passage in make_passages(doc, kiwi):
        first = passage.text.split("\n")[0]
        head = _bare(first.split(" ")[0] if _table_row(first) else first)[:12]  # a row: its label
        page = passage.page or 0
        found = (layers[page - 1] + layers[page]).find(head) if page else -1
        if not 0 <= found < len(layers[page - 1]):
            wrong.append(passage.text[:40])
    return Quality(
        lines=len(lines),
        debris=debris,
        short=[line for line in lines if len(_bare(line)) <= 8],
        sentences=len(sentences),
        lost=lost,
        lost_spacing=[s for s in lost if _bare(s) not in bare_text],
        wrong_page=wrong,
    )


def _table_row(line: str) -> bool:
    """A table row as stored: its cells, each after its header."""
    return any(_bare(line) == _bare(_stored_row(row)) for row in TABLE[1:])


def _stored_row(row: list[str]) -> str:
    label, *rest = row
    return f"{label} " + ", ".join(f"{h} {v}" for h, v in zip(TABLE[0][1:], rest, strict=True))


# ---------------------------------------------------------------------------------------------
# Scans, and how well OCR reads them


def rasterise(src: Path, out: Path, *, dpi: int = 300) -> Path:
    """An image-only copy of ``src`` (``get_pixmap`` at ``dpi``, one image per page, no text
    layer), the way a scanner would make it."""
    import pymupdf

    with pymupdf.open(src) as pdf, pymupdf.open() as scan:
        for page in pdf:
            new = scan.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, pixmap=page.get_pixmap(dpi=dpi))
        scan.save(out)
    return out


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of one character, each 1."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def normalised(text: str, *, spaces: bool = True) -> str:
    """NFC, every run of whitespace (line breaks too) one space, trimmed; or, with ``spaces``
    false, no whitespace at all. Applied alike to the reference and to the OCR output."""
    import unicodedata

    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip() if spaces else re.sub(r"\s+", "", text)


def char_errors(reference: str, hypothesis: str, *, spaces: bool = True) -> tuple[int, int]:
    """(edits, reference length) of the two texts, both ``normalised``: the character error rate
    is edits / length, summed over pages before dividing."""
    ref, hyp = normalised(reference, spaces=spaces), normalised(hypothesis, spaces=spaces)
    return edit_distance(ref, hyp), len(ref)
