"""Markdown: markup removed, soft-wrapped lines joined, front matter and code blocks."""

from __future__ import annotations

from pathlib import Path

from docqa.ingest.readers import read_path

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
