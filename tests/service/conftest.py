"""A real uvicorn server in this process, over the session's index (raw HTTP, the browser tests)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn


@pytest.fixture(scope="session")
def live_url(settings, searcher):
    """The service on 127.0.0.1 on a free port, served by uvicorn in a thread; yields its base URL."""
    from docqa.service.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn bound: no other process can take the port meanwhile
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, searcher), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
