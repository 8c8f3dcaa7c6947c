"""A data directory that cannot serve: a 503 whose body names no server path (the log does)."""

from __future__ import annotations

import logging
import shutil

from fastapi.testclient import TestClient

from docqa.config import Settings
from docqa.index import generation
from docqa.index.search import Searcher
from docqa.service.app import create_app


def test_a_missing_snapshot_is_503_without_paths(settings, corpus_report, embedder, kiwi, tmp_path, caplog):
    data_dir = tmp_path / "data"
    shutil.copytree(settings.data_dir, data_dir, ignore=shutil.ignore_patterns(".ingest.lock"))
    searcher = Searcher(data_dir, embedder, kiwi)
    assert searcher.manifest is not None
    snapshot = data_dir / generation.GENERATIONS / searcher.manifest.generation / generation.SNAPSHOT
    snapshot.unlink()
    with TestClient(create_app(Settings(data_dir=data_dir), searcher)) as client:
        with caplog.at_level(logging.ERROR):
            responses = [client.get("/v1/documents"), client.get("/v1/documents/anything")]
    for response in responses:
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "unavailable" in detail and "server log" in detail
        assert str(tmp_path) not in response.text and "/" not in detail
    assert str(snapshot) in caplog.text  # the operator still learns which file is missing
