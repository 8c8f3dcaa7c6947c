"""GET /: the search page, plain HTML, CSS and JS served from service/static (no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from docqa.service.headers import PAGE_CSP

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(tags=["page"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    # no-cache: the browser revalidates (ETag), so a new deployment shows at once
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP}
    return FileResponse(STATIC_DIR / "index.html", headers=headers)


def static_files() -> StaticFiles:
    """The page's stylesheet and script, mounted at /static."""
    return StaticFiles(directory=STATIC_DIR)
