"""HTML (.html, .htm) through selectolax's lexbor parser: visible text, one line per block."""

from __future__ import annotations

import re
from typing import Any

from ..limits import Budget
from .base import Extracted, decode, optional_import

_DROP_TAGS = "script, style, nav, noscript, template, svg, iframe, head"
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section summary table tbody thead tfoot tr ul br".split()
)
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol figure section article".split())
_CELL_TAGS = frozenset(("td", "th"))


def extract(raw: bytes, name: str, budget: Budget) -> Extracted:
    """Visible text, one line per block element; script/style/nav and the head are dropped.

    The character limit applies to the visible text (``read_path`` checks it): markup can be
    most of a page's bytes."""
    lexbor = optional_import("selectolax.lexbor", "selectolax")
    tree = lexbor.LexborHTMLParser(decode(raw, name))
    title = _node_text(tree.css_first("title")) or _node_text(tree.css_first("h1"))
    for node in tree.css(_DROP_TAGS):
        node.decompose()
    root = tree.body or tree.root
    lines = _lines(root) if root is not None else []
    return Extracted([lines], title=title)


def _node_text(node: Any) -> str | None:
    text = re.sub(r"\s+", " ", node.text()).strip() if node is not None else ""
    return text or None


def _lines(root: Any) -> list[str]:
    # Walk the tree without recursion. Block elements end the current line, paragraph-like
    # ones also leave an empty line (a paragraph break); table cells are joined by " | ".
    out: list[str] = []
    buffer: list[str] = []

    def end_line() -> None:
        line = re.sub(r"\s+", " ", "".join(buffer)).strip()
        buffer.clear()
        if line:
            out.append(line)

    def end_block(tag: str) -> None:
        end_line()
        if tag in _PARAGRAPH_TAGS and out and out[-1]:
            out.append("")

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if tag == "-text":
            buffer.append(node.text(deep=False))
            continue
        if tag in _BLOCK_TAGS:
            end_block(tag)
        elif tag in _CELL_TAGS and not leaving and "".join(buffer).strip():
            buffer.append(" | ")
        if not leaving:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
    end_line()
    return out


def _children(node: Any) -> list[Any]:
    children = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children
