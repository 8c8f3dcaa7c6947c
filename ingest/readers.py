"""Files → ``Document``: one extractor per format, then the shared clean/structure chain.

Every extractor returns pages of lines; ``assemble`` turns them into the cleaned text with
page and article offsets, so offsets mean the same thing whatever the source format.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .assemble import Assembled, assemble
from .clean import space_between, split_layout_pages, toc_entry
from .errors import IngestError, UnreadableDocument, UnsupportedFormat
from .records import Document

MANIFEST = "manifest.jsonl"
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
TITLE_CHARS = 120


@dataclass(frozen=True)
class Extracted:
    pages: list[list[str]]
    title: str | None = None  # from markup: <title>, <h1>, "# heading"
    with_pages: bool = False  # the pages are real pages (PDF)


# ---------------------------------------------------------------------------------------------
# Public API


def read_path(path: Path | str, meta: dict[str, Any] | None = None) -> Document:
    """Read one file into a ``Document``; ``meta`` (a manifest row) wins over inferred metadata.

    Raises ``UnsupportedFormat`` for unknown suffixes and ``UnreadableDocument`` for files
    without usable text (corrupt, encrypted, image-only PDF, empty).
    """
    path = Path(path)
    meta = meta or {}
    extract = _extractor(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    extracted = extract(raw, path.name)
    placeholder = meta.get("title") or extracted.title or path.stem
    built = assemble(extracted.pages, title=placeholder, with_pages=extracted.with_pages)
    if not built.text.strip():
        raise UnreadableDocument(f"{path.name}: no text found in the file")
    title = meta.get("title") or extracted.title or infer_title(built.text) or path.stem
    return _document(path, raw, meta, _retitle(built, placeholder, title), title)


def read_manifest(folder: Path | str) -> dict[str, dict[str, Any]]:
    """Rows of ``folder/manifest.jsonl`` keyed by their ``file``; empty when there is none."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    rows: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not row.get("file"):
            raise IngestError(f"{path}:{number}: a manifest row needs a 'file' field")
        rows[str(row["file"])] = row
    return rows


def iter_inputs(
    paths: Iterable[Path | str], skipped: list[tuple[Path, str]] | None = None
) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """Expand files and folders (recursively) into ``(path, manifest row or None)``.

    Files that will not be read are appended to ``skipped`` as ``(path, reason)``; manifests
    and hidden files are passed over silently.
    """
    skipped = [] if skipped is None else skipped
    manifests: dict[Path, dict[str, dict[str, Any]]] = {}
    for path in map(Path, paths):
        if path.is_dir():
            yield from _iter_folder(path, skipped, manifests)
        elif not path.exists():
            skipped.append((path, "not found"))
        elif path.suffix.lower() not in SUPPORTED:
            skipped.append((path, _unsupported_reason(path)))
        else:
            yield path, _manifest_row(manifests, path.parent, path.name)


# ---------------------------------------------------------------------------------------------
# Inputs


def _iter_folder(
    root: Path, skipped: list[tuple[Path, str]], manifests: dict[Path, dict[str, dict[str, Any]]]
) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts) or path.name == MANIFEST:
            continue
        if path.suffix.lower() not in SUPPORTED:
            skipped.append((path, _unsupported_reason(path)))
            continue
        # A row in the file's own folder wins; a root manifest may also name "sub/file.txt".
        row = _manifest_row(manifests, path.parent, path.name) or _manifest_row(
            manifests, root, relative.as_posix()
        )
        yield path, row


def _manifest_row(
    cache: dict[Path, dict[str, dict[str, Any]]], folder: Path, name: str
) -> dict[str, Any] | None:
    if folder not in cache:
        cache[folder] = read_manifest(folder)
    return cache[folder].get(name)


def _unsupported_reason(path: Path) -> str:
    return f"unsupported format {path.suffix or '(no suffix)'}; supported: {', '.join(SUPPORTED)}"


def _extractor(path: Path) -> Callable[[bytes, str], Extracted]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return extract_pdf
    if suffix in (".html", ".htm"):
        return extract_html
    if suffix in (".md", ".markdown"):
        return extract_markdown
    if suffix == ".txt":
        return extract_text
    raise UnsupportedFormat(f"{path.name}: {_unsupported_reason(path)}")


# ---------------------------------------------------------------------------------------------
# Extractors


def decode(raw: bytes, name: str) -> str:
    """Bytes to text: UTF-8 (BOM optional), UTF-16 with BOM, then the Korean/Chinese legacy codecs."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    if b"\x00" in raw[:4096]:
        raise UnreadableDocument(f"{name}: looks like a binary file, not text")
    for encoding in ("utf-8-sig", "cp949", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument(f"{name}: text is not UTF-8, CP949 or GB18030")


def extract_text(raw: bytes, name: str) -> Extracted:
    # Plain text may be a PDF extraction: form feeds or layout page starts still mark pages,
    # which placing headings needs, but they are not page numbers anyone can cite.
    return Extracted(split_layout_pages(decode(raw, name)))


def extract_pdf(raw: bytes, name: str) -> Extracted:
    """Text layer of each page, in content order."""
    pymupdf = _import("pymupdf", "pymupdf")
    try:
        with pymupdf.open(stream=raw, filetype="pdf") as pdf:
            if pdf.needs_pass:
                raise UnreadableDocument(f"{name}: the PDF is encrypted; decrypt it first")
            if pdf.page_count == 0:  # MuPDF "repairs" garbage into an empty document
                raise UnreadableDocument(f"{name}: cannot read the PDF, the file is corrupt (no pages)")
            pages = [page.get_text("text").split("\n") for page in pdf]
            title = _pdf_title(pdf.metadata or {})
    except UnreadableDocument:
        raise
    except (RuntimeError, ValueError) as exc:  # pymupdf.FileDataError is a RuntimeError
        raise UnreadableDocument(
            f"{name}: cannot open the PDF, the file is corrupt or not a PDF ({exc})"
        ) from exc
    if not any(line.strip() for page in pages for line in page):
        raise UnreadableDocument(
            f"{name}: the PDF has no text layer (scanned or image-only pages); OCR it first"
        )
    return Extracted(pages, title=title, with_pages=True)


def _pdf_title(metadata: dict[str, Any]) -> str | None:
    # Producers often store the source file name ("Microsoft Word - 6월호.docx"): not a title.
    title = (metadata.get("title") or "").strip()
    if len(title) < 2 or re.search(
        r"\.(docx?|hwpx?|pptx?|xlsx?|pdf|indd)$|^microsoft|^untitled", title, re.I
    ):
        return None
    return title


_DROP_TAGS = "script, style, nav, noscript, template, svg, iframe, head"
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section summary table tbody thead tfoot tr ul br".split()
)
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol figure section article".split())
_CELL_TAGS = frozenset(("td", "th"))


def extract_html(raw: bytes, name: str) -> Extracted:
    """Visible text, one line per block element; script/style/nav and the head are dropped."""
    lexbor = _import("selectolax.lexbor", "selectolax")
    tree = lexbor.LexborHTMLParser(decode(raw, name))
    title = _node_text(tree.css_first("title")) or _node_text(tree.css_first("h1"))
    for node in tree.css(_DROP_TAGS):
        node.decompose()
    root = tree.body or tree.root
    lines = _html_lines(root) if root is not None else []
    return Extracted([lines], title=title)


def _node_text(node: Any) -> str | None:
    text = re.sub(r"\s+", " ", node.text()).strip() if node is not None else ""
    return text or None


def _html_lines(root: Any) -> list[str]:
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


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def extract_markdown(raw: bytes, name: str) -> Extracted:
    """Markdown to plain lines: markup removed, soft-wrapped paragraph lines joined (as a
    renderer would), headings, list items and table rows kept on their own lines."""
    text = decode(raw, name)
    body, front_title = _strip_front_matter(text)
    lines: list[str] = []
    paragraph: list[str] = []
    title = front_title
    in_code = False
    for raw_line in body.split("\n"):
        stripped = raw_line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            _flush(lines, paragraph)
            continue
        if in_code:
            lines.append(raw_line.rstrip())
            continue
        heading = _MD_HEADING.match(raw_line)
        if heading:
            _flush(lines, paragraph)
            lines.extend(["", _md_inline(heading[2]), ""])
            title = title or _md_inline(heading[2])
        elif not stripped or _MD_RULE.match(stripped) or _MD_TABLE_RULE.match(stripped):
            _flush(lines, paragraph)
            lines.append("")
        elif _MD_LIST.match(raw_line) or stripped.startswith(("|", ">")):
            _flush(lines, paragraph)
            lines.append(_md_inline(stripped.lstrip("> ").strip("|").strip()))
        else:
            paragraph.append(_md_inline(stripped))
    _flush(lines, paragraph)
    return Extracted([lines], title=title)


def _flush(lines: list[str], paragraph: list[str]) -> None:
    if paragraph:
        joined = paragraph[0]
        for line in paragraph[1:]:
            joined += space_between(joined, line) + line
        lines.append(joined)
        paragraph.clear()


def _md_inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # image → alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # link → its text
    text = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", text)  # bold, code
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)  # italics


def _strip_front_matter(text: str) -> tuple[str, str | None]:
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return text, None
    title = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", match[1], re.M)
    return text[match.end() :], title[1] if title else None


def _import(module: str, package: str) -> Any:
    # Heavy optional readers load only when a file of their type shows up.
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"reading this format needs {package}: pip install {package}") from exc


# ---------------------------------------------------------------------------------------------
# Metadata


def _document(path: Path, raw: bytes, meta: dict[str, Any], built: Assembled, title: str) -> Document:
    return Document(
        doc_id=str(meta.get("doc_id") or make_doc_id(path.stem)),
        title=title,
        text=built.text,
        source=meta.get("source"),
        # An explicit null in a manifest means "not stated"; only a missing field is inferred.
        published=meta["published"] if "published" in meta else infer_date(built.text),
        url=meta.get("url"),
        lang=meta.get("lang") or guess_language(built.text),
        kind=meta.get("kind"),
        path=str(path),
        content_hash=hashlib.sha256(raw).hexdigest(),
        pages=built.pages,
        articles=built.articles,
    )


def _retitle(built: Assembled, placeholder: str, title: str) -> Assembled:
    # The document-level part was titled before the title could be inferred from clean text.
    if placeholder == title:
        return built
    articles = tuple(replace(a, title=title) if a.title == placeholder else a for a in built.articles)
    return replace(built, articles=articles)


def make_doc_id(stem: str) -> str:
    """A URL-safe id from a file stem: kept when already [A-Za-z0-9_.-], else the safe characters
    plus a short hash of the original so different names never collide."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")
    if safe == stem and safe:
        return stem
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:10]
    return f"{safe}-{digest}" if safe else digest


def infer_title(text: str) -> str | None:
    """First line that reads like a title (two words, a few letters), trimmed to ~120 chars."""
    for line in text.split("\n"):
        line = line.strip()
        letters = sum(c.isalpha() for c in line)
        wide = sum(1 for c in line if c.isalpha() and not c.isascii())  # Hangul/Han need no spaces
        if letters >= 4 and (len(line.split()) >= 2 or wide >= 4) and toc_entry(line) is None:
            return _trim(line, TITLE_CHARS)
    return None


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_MONTH_NAME = r"(?P<mname>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATES = [
    r"(?<!\d)(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일",
    r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日",
    r"(?<![\d.])(?P<y>\d{4})([-./])\s?(?P<m>\d{1,2})\2\s?(?P<d>\d{1,2})(?![\d])",
    rf"\b{_MONTH_NAME}\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b",
    rf"\b(?P<d>\d{{1,2}})\s+{_MONTH_NAME}\s+(?P<y>\d{{4}})\b",
]
_PARTIAL_DATES = [
    r"(?<!\d)(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월",
    r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月",
    r"(?<![\d.])(?P<y>\d{4})[-./]\s?(?P<m>\d{1,2})(?![\d.])",
    rf"\b{_MONTH_NAME}\s+(?P<y>\d{{4}})\b",
]


def infer_date(text: str, head_lines: int = 10) -> str | None:
    """Publication date stated at the top of the text, as ISO "2025-06-11" or "2025-06".

    Only the first lines are searched: dates deeper in are events the text reports, not when
    it was published.
    """
    lines = [line for line in text.split("\n") if line.strip()][:head_lines]
    head = "\n".join(line for line in lines if len(line) <= 100)  # datelines, not body sentences
    for patterns in (_FULL_DATES, _PARTIAL_DATES):
        found = [m for p in patterns for m in re.finditer(p, head, re.I) if _valid(m)]
        if found:
            return _iso(min(found, key=lambda m: m.start()))
    return None


def _parts(match: re.Match[str]) -> tuple[int, int, int | None]:
    groups = match.groupdict()
    month = _MONTHS[groups["mname"][:3].lower()] if groups.get("mname") else int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else None
    return int(groups["y"]), month, day


def _valid(match: re.Match[str]) -> bool:
    year, month, day = _parts(match)
    return 1900 <= year <= 2100 and 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def _iso(match: re.Match[str]) -> str:
    year, month, day = _parts(match)
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def guess_language(text: str) -> str | None:
    """ "ko", "zh" or "en" from the letters used; Korean text quoting Chinese names stays "ko"."""
    hangul = sum(1 for c in text if "\uac00" <= c <= "\ud7a3")
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    total = hangul + han + latin
    if not total:
        return None
    if hangul >= 0.2 * total:
        return "ko"
    if han >= 0.3 * total:
        return "zh"
    return "en" if latin >= 0.5 * total else None


__all__ = [
    "MANIFEST",
    "SUPPORTED",
    "decode",
    "guess_language",
    "infer_date",
    "infer_title",
    "iter_inputs",
    "make_doc_id",
    "read_manifest",
    "read_path",
]
