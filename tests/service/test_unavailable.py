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
    snapshot = data_dir / generation.GENERATIONS / searcher.manifest.generation / generation.PIN
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


def test_a_milvus_server_gone_is_503_without_paths(settings, corpus_report, embedder, kiwi, tmp_path, caplog):
    """Milvus stops answering after start-up (here: its Milvus Lite server is shut down under the
    connected client): reads and searches are 503s that name no server path, not 500s."""
    from milvus_lite.server_manager import server_manager_instance

    from docqa import runtime
    from docqa.index.milvus.client import disconnect
    from docqa.index.milvus.migrate import migrate

    milvus = settings.model_copy(update={"data_dir": tmp_path / "milvus", "backend": "milvus"})
    where = runtime.milvus_target(milvus)
    migrate(settings.data_dir, where)
    searcher = runtime.searcher(milvus, model=embedder, analyser=kiwi)
    question = {"query": "쑤저우에는 공업 기업이 몇 개 있나?", "k": 3}
    try:
        with TestClient(create_app(milvus, searcher), raise_server_exceptions=False) as client:
            assert client.post("/v1/search", json=question).status_code == 200
            doc_id = client.get("/v1/documents").json()[0]["doc_id"]
            server_manager_instance.release_server(where.uri)
            with caplog.at_level(logging.ERROR):
                responses = [
                    client.post("/v1/search", json=question),
                    client.get("/v1/documents"),
                    client.get(f"/v1/documents/{doc_id}"),
                ]
    finally:
        disconnect(where)
    for response in responses:
        assert response.status_code == 503, response.text
        detail = response.json()["detail"]
        assert "Milvus" in detail and "server log" in detail
        assert str(tmp_path) not in response.text
    assert "milvus" in caplog.text.lower()
