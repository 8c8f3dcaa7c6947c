"""The ingest pipeline within its limits (issue 11, defects 5 and 9): a document past the passage
or time limit is skipped with a message and leaves nothing stored; the others go on; a damaged
PDF's warnings reach the outcome."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pdf_samples
import pytest

from docqa import runtime
from docqa.config import Settings
from docqa.index import document_vectors, generation
from docqa.index.pipeline import Indexer
from docqa.index.store import Store
from docqa.ingest.limits import Limits


def paragraph(topic: str, count: int) -> str:
    return "\n\n".join(
        f"{topic} 분야의 {n}번째 보고서는 지역 기업 {n * 7}곳이 참여한 시범 사업의 결과를 자세히 정리했다. "
        f"연구진은 {topic} 설비의 가동률이 {n + 40}% 수준까지 올라갔다고 밝혔고, 내년에는 참여 기업을 "
        f"두 배로 늘릴 계획이라고 설명했다."
        for n in range(1, count + 1)
    )


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def stored_documents(data_dir: Path) -> list[str]:
    store = Store(data_dir / generation.DATABASE)
    try:
        return sorted(row["doc_id"] for row in store.documents())
    finally:
        store.close()


class SlowEmbedder:
    """The session model; each call to embed passages then takes ``delay`` seconds more, as on
    a loaded machine. Records how many calls it served."""

    def __init__(self, embedder, delay: float):
        self._embedder, self.delay, self.calls = embedder, delay, 0
        self.name, self.dim = embedder.name, embedder.dim

    def encode_passages(self, texts, **kwargs):
        return self._embedder.encode_passages(texts, **kwargs)

    def encode_passages_with_spans(self, texts, spans, **kwargs):
        self.calls += 1
        result = self._embedder.encode_passages_with_spans(texts, spans, **kwargs)
        time.sleep(self.delay)
        return result


def test_a_document_over_the_passage_limit_is_skipped_and_the_others_ingested(tmp_path, embedder, kiwi):
    inputs = tmp_path / "in"
    write(inputs, "small.txt", paragraph("해상 풍력", 1))
    write(inputs, "large.txt", paragraph("배터리 재활용", 12))
    indexer = Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi, limits=Limits(passages=3))
    report = indexer.ingest_paths([inputs])
    assert [(o.doc_id, o.status) for o in report.outcomes] == [("small", "added")]
    [skipped] = report.skipped
    assert skipped.kind == "too_large" and skipped.path == str(inputs / "large.txt")
    assert skipped.reason.startswith("large.txt: the document makes ")
    assert "passages; the limit is 3 passages per document (DOCQA_MAX_PASSAGES)" in skipped.reason
    assert stored_documents(indexer.data_dir) == ["small"]


def test_the_time_limit_stops_embedding_between_chunks(tmp_path, embedder, kiwi, monkeypatch):
    """Two passages per model call, the first call outlasts the limit: the next check stops the
    document, and nothing of it is stored."""
    monkeypatch.setattr(document_vectors, "EMBED_CHUNK", 2)
    slow = SlowEmbedder(embedder, delay=3.0)
    path = write(tmp_path / "in", "slow.txt", paragraph("스마트 농업", 8))
    indexer = Indexer(tmp_path / "data", lambda: slow, lambda: kiwi, limits=Limits(seconds=2))
    report = indexer.ingest_paths([path])
    assert not report.outcomes and slow.calls == 1
    [skipped] = report.skipped
    assert skipped.kind == "too_large"
    assert re.fullmatch(
        r"slow\.txt: ingest took longer than the limit of 2 s per document \(DOCQA_MAX_INGEST_SECONDS\); "
        r"stopped after \d+ s while embedding passages \(2 of \d+ done\), nothing was stored: "
        r"raise it or split the file",
        skipped.reason,
    ), skipped.reason
    assert stored_documents(indexer.data_dir) == []


@pytest.mark.parametrize("again", [False, True])
def test_a_damaged_pdf_is_ingested_with_its_warnings(tmp_path, embedder, kiwi, again):
    path = tmp_path / "in" / "half.pdf"
    path.parent.mkdir()
    path.write_bytes(pdf_samples.truncated())
    indexer = Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi)
    outcome = indexer.ingest_paths([path]).outcomes[0]
    if again:  # unchanged: the file is still damaged, and still says so
        outcome = indexer.ingest_paths([path]).outcomes[0]
    assert outcome.status == ("unchanged" if again else "added") and outcome.passages > 0
    assert outcome.warnings[0].startswith("the PDF is damaged (truncated or corrupt) and MuPDF repaired it")


def test_the_settings_give_the_documented_defaults(tmp_path):
    assert runtime.limits(Settings(data_dir=tmp_path)) == Limits()
    assert Limits() == Limits(pages=500, chars=2_000_000, page_chars=30_000, passages=5_000, seconds=3_600)
