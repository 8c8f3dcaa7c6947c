"""A real uvicorn server in this process, over the session's index (raw HTTP, the browser tests)."""

from __future__ import annotations

import pytest
from live_server import serving


@pytest.fixture(scope="session")
def live_url(settings, searcher):
    """The service over the session's index (writes off); yields its base URL."""
    from docqa.service.app import create_app

    with serving(create_app(settings, searcher)) as url:
        yield url
