"""The FastAPI application: wiring only (routes, error handlers, start-up)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware

from docqa import runtime
from docqa.config import Settings
from docqa.core.process import cap_malloc_arenas, usable_cores
from docqa.index.manifest import IndexUnavailable
from docqa.index.search import Searcher
from docqa.service.deps import unavailable
from docqa.service.headers import SecurityHeaders
from docqa.service.limits import BodyLimit
from docqa.service.routes import documents, page, search
from docqa.service.writes import WriteQueue


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where or 'request body'}: {message}")
    return "; ".join(parts) or "invalid request"


# Queries that run at once, each on a thread of their own pool; more wait their turn without
# holding a thread. Each runs on one core (torch and FAISS get one thread per request), so more
# than the cores only interleave and hold more memory.
QUERY_SLOTS = max(2, usable_cores())


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cap_malloc_arenas()
        if getattr(app.state, "searcher", None) is None:
            app.state.searcher = runtime.serving_searcher(settings)
        app.state.writes = WriteQueue(settings.write_queue)
        app.state.queries = ThreadPoolExecutor(QUERY_SLOTS, thread_name_prefix="docqa-query")
        try:
            yield
        finally:
            app.state.writes.close()  # the writes admitted finish: each returns once its generation is live
            app.state.queries.shutdown(wait=True)

    app = FastAPI(
        title="docqa",
        description="Questions over Korean documents, answered with cited passages.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.searcher = searcher
    # The last added runs first: the headers on every answer (400 and 413 too), then the host check,
    # then the body limit.
    app.add_middleware(BodyLimit)  # 413 before a JSON body over 64 KB is read (uploads have their own)
    if settings.allowed_hosts:  # against DNS rebinding: 400 for a Host header not in the list
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts, www_redirect=False)
    app.add_middleware(SecurityHeaders)
    app.include_router(search.router)
    app.include_router(documents.router)
    app.include_router(page.router)
    app.mount("/static", page.static_files(), name="static")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:  # on the event loop: no thread needed, whatever the writers do
        return {"status": "ok"}

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": _validation_message(exc), "errors": _plain(exc)}
        )

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": unavailable(exc).detail})

    return app


def _plain(exc: RequestValidationError) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
