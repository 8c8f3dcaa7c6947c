"""Readers: the corpus's manifest and inferred metadata, walking inputs, the suffix table.

Each format's extractor is tested in ``formats/``, metadata inference in ``test_metadata.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from docqa.ingest.errors import IngestError, TooLarge, UnreadableDocument, UnsupportedFormat
from docqa.ingest.limits import Limits
from docqa.ingest.readers import EXTRACTORS, SUPPORTED, iter_inputs, read_manifest, read_path
from docqa.ingest.records import Document

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


def test_one_extractor_per_suffix() -> None:
    assert SUPPORTED == (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")  # the order messages list
    assert {suffix: f.__module__.rsplit(".", 1)[-1] for suffix, f in EXTRACTORS.items()} == {
        ".txt": "text",
        ".md": "markdown",
        ".markdown": "markdown",
        ".html": "html",
        ".htm": "html",
        ".pdf": "pdf",
    }


def test_errors() -> None:
    assert issubclass(UnreadableDocument, IngestError) and issubclass(UnsupportedFormat, IngestError)
    assert issubclass(IngestError, ValueError)
    with pytest.raises(UnsupportedFormat, match="unsupported format .docx"):
        read_path(Path("report.docx"))


# ---------------------------------------------------------------------------------------------
# The character limit, for every format (issue 11, defect 5)


@pytest.mark.parametrize(
    ("name", "data", "found"),
    [
        ("notes.txt", "가나다라마 " * 200, "1,200 characters"),  # checked once decoded, before cleaning
        ("notes.md", "# 제목\n\n" + "가나다라마 " * 200, "1,206 characters"),
        # HTML is counted by its visible text (the markup here is most of the bytes)
        (
            "page.html",
            "<html><body>" + "<p class='body-text'>가나다라마</p>" * 201 + "</body></html>",
            "1,005 characters",
        ),
    ],
)
def test_the_character_limit_holds_for_every_format(tmp_path: Path, name: str, data: str, found: str) -> None:
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    assert read_path(path).text  # under the default limits
    with pytest.raises(TooLarge) as refused:
        read_path(path, budget=Limits(chars=1_000).start(name))
    message = str(refused.value)
    assert message.startswith(f"{name}: the text is longer than the limit of 1,000 characters per document")
    assert "(DOCQA_MAX_CHARS)" in message and found in message


def test_corpus_documents_are_well_within_the_default_limits(corpus: dict[str, Document]) -> None:
    limits = Limits()
    assert max(len(doc.text) for doc in corpus.values()) < limits.chars // 10
