"""What one upload may cost (issue 11, defect 5) and damaged PDFs (defect 9), over HTTP.

The PDFs are written with PyMuPDF (``tests/pdf_samples.py``); the app writes into a copy of the
session's indexed data directory."""

from __future__ import annotations

import shutil

import httpx
import pdf_samples
import pytest
from fastapi.testclient import TestClient

from docqa.config import Settings
from docqa.index.search import Searcher
from docqa.service.app import create_app

KEY = "test-key-limits-0b7e-long-enough"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def data_dir(settings, corpus_report, tmp_path_factory):
    target = tmp_path_factory.mktemp("limits") / "data"
    shutil.copytree(settings.data_dir, target, ignore=shutil.ignore_patterns(".ingest.lock"))
    return target


@pytest.fixture(scope="module")
def writer(data_dir, embedder, kiwi):
    """The default limits (only the key is set)."""
    with TestClient(
        create_app(Settings(data_dir=data_dir, api_key=KEY), Searcher(data_dir, embedder, kiwi))
    ) as c:
        yield c


def upload(client: TestClient, name: str, data: bytes) -> httpx.Response:
    return client.post("/v1/documents", files={"file": (name, data)}, headers=AUTH)


OVERDRAWN = ("bomb.pdf: page 1 draws at least 30,0", "(the limit is 30,000 per page, DOCQA_MAX_PAGE_CHARS)")


@pytest.mark.parametrize(
    ("name", "data", "status", "says"),
    [
        ("bomb.pdf", pdf_samples.overdrawn(20_000), 422, OVERDRAWN),
        ("bomb.pdf", pdf_samples.nested_forms(4, 30), 422, OVERDRAWN),
        (
            "thousand.pdf",
            pdf_samples.many_pages(1_000),
            413,
            ("thousand.pdf: the PDF has 1,000 pages; the limit is 500 pages per document (DOCQA_MAX_PAGES)",),
        ),
    ],
    ids=["overdrawn", "nested-forms", "1000-pages"],
)
def test_an_upload_past_a_limit_is_refused_and_changes_nothing(writer, name, data, status, says):
    before = writer.get("/v1/stats").json()
    response = upload(writer, name, data)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail.startswith(says[0]) and all(part in detail for part in says), detail
    assert writer.get("/v1/stats").json() == before


def test_the_passage_limit_is_a_setting_of_the_service(writer, data_dir, embedder, kiwi):
    settings = Settings(data_dir=data_dir, api_key=KEY, max_passages=2)
    with TestClient(create_app(settings, writer.app.state.searcher)) as client:
        text = "\n\n".join(
            f"{n}번째 문단은 해상 풍력 단지의 발전량과 설비 가동률을 자세히 설명한다. " * 8 for n in range(6)
        )
        response = upload(client, "long.txt", text.encode())
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("long.txt: the document makes ") and "limit is 2 passages" in detail
    assert "DOCQA_MAX_PASSAGES" in detail and "/tmp" not in detail


def test_a_truncated_pdf_is_added_with_warnings(writer):
    """The first half of a 3-page PDF: MuPDF repairs it, and the response says so."""
    response = upload(writer, "half.pdf", pdf_samples.truncated())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "added" and body["passages"] > 0
    assert body["warnings"][0] == (
        "the PDF is damaged (truncated or corrupt) and MuPDF repaired it: its text may be "
        "incomplete (3 pages read, no text on page 3)"
    )
    assert "MuPDF: format error: cannot find startxref" in body["warnings"]
    whole = upload(writer, "whole.pdf", pdf_samples.three_pages()).json()
    assert whole["status"] == "added" and whole["warnings"] == []


def test_the_write_schema_documents_warnings_and_limits(writer):
    spec = writer.get("/openapi.json").json()
    warnings = spec["components"]["schemas"]["DocumentWriteOut"]["properties"]["warnings"]
    assert warnings["type"] == "array" and warnings["items"] == {"type": "string"}
    responses = spec["paths"]["/v1/documents"]["post"]["responses"]
    assert "DOCQA_MAX_PAGES" in responses["413"]["description"]
    assert "DOCQA_MAX_PAGE_CHARS" in responses["422"]["description"]
