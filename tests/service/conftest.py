"""A real uvicorn server in this process, over the session's index (raw HTTP, the browser tests),
and one with an API key over a copy of it (the OpenAPI probe's writes and deletes)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

API_KEY = "test-key-" + "0123456789abcdef"  # the key of the keyed_live server


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` on 127.0.0.1 on a free port, served by uvicorn in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn bound: no other process can take the port meanwhile
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


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
