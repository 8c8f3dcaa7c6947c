"""GET /: the search page, plain HTML, CSS and JS served from service/static (no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(tags=["page"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    # no-cache: the browser revalidates (ETag), so a new deployment shows at once
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def static_files() -> StaticFiles:
    """The page's stylesheet and script, mounted at /static."""
    return StaticFiles(directory=STATIC_DIR)
