"""HTML: visible text one line per block, the title from <title> or <h1>."""

from __future__ import annotations

from pathlib import Path

from docqa.ingest.readers import read_path

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
