"""A real uvicorn server in this process, over the session's index (raw HTTP, the browser tests),
and one with an API key over a copy of it (the OpenAPI probe's writes and deletes)."""

from __future__ import annotations

import shutil

import pytest
from live_server import serving

API_KEY = "test-key-" + "0123456789abcdef"  # the key of the keyed_live server


@pytest.fixture(scope="session")
def live_url(settings, searcher):
    """The service over the session's index, writes off (no API key)."""
    from docqa.service.app import create_app

    with serving(create_app(settings, searcher)) as url:
        yield url


@pytest.fixture(scope="session")
def keyed_live(settings, searcher, embedder, kiwi, tmp_path_factory):
    """The service with an API key over a copy of the session's index (its writes change only the
    copy); yields its base URL and the key."""
    from docqa import runtime
    from docqa.service.app import create_app

    copy = tmp_path_factory.mktemp("docqa-keyed") / "data"
    shutil.copytree(settings.data_dir, copy)
    keyed = settings.model_copy(update={"data_dir": copy, "api_key": API_KEY})
    with serving(create_app(keyed, runtime.searcher(keyed, model=embedder, analyser=kiwi))) as url:
        yield url, API_KEY
