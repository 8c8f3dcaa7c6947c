"""Files → ``Document``: walk the inputs, pick the extractor by suffix, then clean and describe.

Every extractor (``formats/``) returns pages of lines; ``assemble`` turns them into the cleaned
text with page and article offsets, so offsets mean the same thing whatever the source format.
Metadata comes from the manifest row when it states it, else it is inferred (``metadata``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .assemble import Assembled, assemble
from .errors import IngestError, UnreadableDocument, UnsupportedFormat
from .formats import Extractor, decode, html, markdown, pdf, text
from .limits import Budget, Limits
from .metadata import guess_language, infer_date, infer_title, make_doc_id
from .records import Document

MANIFEST = "manifest.jsonl"
NOT_FOUND = "not found"  # the reason ``iter_inputs`` gives for a path that does not exist

# One row per suffix; the order is the one messages list them in.
EXTRACTORS: dict[str, Extractor] = {
    ".txt": text.extract,
    ".md": markdown.extract,
    ".markdown": markdown.extract,
    ".html": html.extract,
    ".htm": html.extract,
    ".pdf": pdf.extract,
}
SUPPORTED = tuple(EXTRACTORS)


# ---------------------------------------------------------------------------------------------
# One file


def read_path(path: Path | str, meta: dict[str, Any] | None = None, budget: Budget | None = None) -> Document:
    """Read one file into a ``Document``; ``meta`` (a manifest row) wins over inferred metadata.

    Raises ``UnsupportedFormat`` for unknown suffixes, ``UnreadableDocument`` for files
    without usable text (corrupt, encrypted, image-only PDF, empty), and ``TooLarge`` past one
    of ``budget``'s limits (default: ``Limits()``'s).
    """
    path = Path(path)
    meta = meta or {}
    budget = budget or Limits().start(path.name)
    extract = _extractor(path)
    try:
        budget.check_bytes(path.stat().st_size)
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    extracted = extract(raw, path.name, budget)
    budget.check_chars(sum(len(line) for page in extracted.pages for line in page))
    budget.check_time("reading the file")
    placeholder = meta.get("title") or extracted.title or path.stem
    built = assemble(
        extracted.pages,
        title=placeholder,
        with_pages=extracted.with_pages,
        paragraphs=extracted.paragraphs,
        ocr_pages=extracted.ocr_pages,
    )
    budget.check_time("cleaning the text")
    if not built.text.strip():
        raise UnreadableDocument(f"{path.name}: no text found in the file")
    title = meta.get("title") or extracted.title or infer_title(built.text) or path.stem
    return _document(path, raw, meta, _retitle(built, placeholder, title), title, extracted.warnings)


def _extractor(path: Path) -> Extractor:
    extract = EXTRACTORS.get(path.suffix.lower())
    if extract is None:
        raise UnsupportedFormat(f"{path.name}: {_unsupported_reason(path)}")
    return extract


def _document(
    path: Path, raw: bytes, meta: dict[str, Any], built: Assembled, title: str, warnings: tuple[str, ...]
) -> Document:
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
        warnings=warnings,
    )


def _retitle(built: Assembled, placeholder: str, title: str) -> Assembled:
    # The document-level part was titled before the title could be inferred from clean text.
    if placeholder == title:
        return built
    articles = tuple(replace(a, title=title) if a.title == placeholder else a for a in built.articles)
    return replace(built, articles=articles)


# ---------------------------------------------------------------------------------------------
# Inputs: files, folders and their manifests


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
            skipped.append((path, NOT_FOUND))
        elif path.suffix.lower() not in EXTRACTORS:
            skipped.append((path, _unsupported_reason(path)))
        else:
            yield path, _manifest_row(manifests, path.parent, path.name)


def _iter_folder(
    root: Path, skipped: list[tuple[Path, str]], manifests: dict[Path, dict[str, dict[str, Any]]]
) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts) or path.name == MANIFEST:
            continue
        if path.suffix.lower() not in EXTRACTORS:
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


__all__ = [
    "EXTRACTORS",
    "MANIFEST",
    "NOT_FOUND",
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
