"""Session-wide fixtures: the real model, real Kiwi, and the sample corpus indexed once.

The sample corpus index is built into a temporary data directory once per test session
(a few minutes on 2 cores, most of it embedding); every test reads it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docqa.config import SAMPLE_CORPUS, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return SAMPLE_CORPUS


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("docqa-data"))


@pytest.fixture(scope="session")
def embedder(settings):
    from docqa import runtime

    return runtime.embedder(settings)


@pytest.fixture(scope="session")
def kiwi():
    from docqa.ingest.kiwi import get_kiwi

    return get_kiwi()


@pytest.fixture(scope="session")
def corpus_report(settings, embedder, kiwi, corpus_dir):
    """The sample corpus, ingested through the same path as `docqa ingest data/corpus`."""
    from docqa import runtime

    report = runtime.indexer(settings, model=embedder, analyser=kiwi).ingest_paths([corpus_dir])
    assert not report.skipped
    return report


@pytest.fixture(scope="session")
def searcher(settings, embedder, kiwi, corpus_report):
    from docqa import runtime

    return runtime.searcher(settings, model=embedder, analyser=kiwi)


@pytest.fixture(scope="session")
def client(settings, searcher):
    from fastapi.testclient import TestClient

    from docqa.service.app import create_app

    with TestClient(create_app(settings, searcher), raise_server_exceptions=False) as test_client:
        yield test_client


# --- the Milvus backend (Milvus Lite): the same index, for the tests run on both backends ----------
@pytest.fixture(scope="session")
def milvus_settings(settings, corpus_report, tmp_path_factory) -> Settings:
    """The session's index copied into Milvus Lite once (`docqa migrate --to milvus`: no re-embedding)."""
    from docqa import runtime
    from docqa.index.milvus.migrate import migrate

    milvus = settings.model_copy(
        update={"data_dir": tmp_path_factory.mktemp("docqa-milvus"), "backend": "milvus"}
    )
    migrate(settings.data_dir, runtime.milvus_target(milvus))
    return milvus


@pytest.fixture(scope="session")
def milvus_searcher(milvus_settings, embedder, kiwi):
    from docqa import runtime

    return runtime.searcher(milvus_settings, model=embedder, analyser=kiwi)


@pytest.fixture(scope="session")
def milvus_client(milvus_settings, milvus_searcher):
    from fastapi.testclient import TestClient

    from docqa.service.app import create_app

    with TestClient(
        create_app(milvus_settings, milvus_searcher), raise_server_exceptions=False
    ) as test_client:
        yield test_client
