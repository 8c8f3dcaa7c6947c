"""Dependencies shared by the routes: the settings and the searcher, kept on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from docqa.config import Settings
from index.search import Searcher


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_searcher(request: Request) -> Searcher:
    """The searcher, refreshed so a generation ingested by another process shows at once."""
    searcher: Searcher = request.app.state.searcher
    searcher.refresh()
    return searcher


SettingsDep = Annotated[Settings, Depends(get_settings)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
