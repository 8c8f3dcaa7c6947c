"""The FastAPI application: wiring only (routes, error handlers, start-up)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from docqa import runtime
from docqa.config import Settings
from docqa.core.process import cap_malloc_arenas, named_threads, usable_cores
from docqa.index.coalesce import MAX_TEXTS
from docqa.index.manifest import BackendUnavailable, IndexUnavailable
from docqa.index.milvus.client import failures as milvus_failures
from docqa.index.search import Searcher
from docqa.service.deps import unavailable
from docqa.service.headers import AllowedHosts, SecurityHeaders
from docqa.service.limits import BodyLimit
from docqa.service.methods import Methods
from docqa.service.routes import documents, page, search
from docqa.service.writes import QueryTurns, WriteQueue, during_both


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where or 'request body'}: {message}")
    return "; ".join(parts) or "invalid request"


# Queries that run at once, each on a thread of their own pool; more wait their turn without
# holding a thread. Each runs on one core (torch and FAISS get one thread per request), so more
# than the cores only interleave and hold more memory; except where concurrent questions share
# the encoder's passes (``index/coalesce.py``): there enough run at once for each lane to find a
# full batch waiting while it works, and a choice of lengths to fill it with (a pass is padded to
# its longest question). At 16 clients, a lane's batch went from 2.9 to 3.9 questions with twice
# a full batch of slots a lane, and its padding from 20% to 17% of its tokens.
QUERY_SLOTS = max(2, usable_cores())
BATCHED_QUERY_SLOTS = QUERY_SLOTS * MAX_TEXTS * 2


def query_slots(searcher: Searcher) -> int:
    return BATCHED_QUERY_SLOTS if searcher.query_vectors.coalesces else QUERY_SLOTS


class DocqaApp(FastAPI):
    """FastAPI with the security headers outermost, and an OpenAPI document that says only what the
    routes answer."""

    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's ServerErrorMiddleware, which answers a crash with a 500 of its own
        # that no user middleware sees: that one says nosniff too.
        return SecurityHeaders(super().build_middleware_stack())

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            _drop_implicit_422(schema)
            if not self.state.settings.api_key:
                _writes_off(schema)
        return self.openapi_schema  # type: ignore[return-value]


def _drop_implicit_422(schema: dict[str, Any]) -> None:
    """FastAPI documents a 422 of its own shape (``detail`` as an array) on every route with a
    parameter. Routes that can answer 422 declare it (``schemas.error_responses``, ``detail`` a
    string); a route whose parameters take any string (a doc_id in the path) never does."""
    implicit = "#/components/schemas/HTTPValidationError"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            body = answer.get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") == implicit:
                del operation["responses"]["422"]
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _writes_off(schema: dict[str, Any]) -> None:
    """A server without DOCQA_API_KEY takes no key: its writes answer 403 whatever is sent, and the
    document says so instead of asking for a bearer key no request can have."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if operation.pop("security", None) is not None:
                off = "Writes are disabled on this server (no DOCQA_API_KEY): every call answers 403."
                operation["description"] = f"{off}\n\n{operation.get('description', '')}".strip()
    schema.get("components", {}).pop("securitySchemes", None)


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cap_malloc_arenas()
        if getattr(app.state, "searcher", None) is None:
            app.state.searcher = runtime.serving_searcher(settings)
        # while a write runs, queries take turns (``QueryTurns``) and share one encoder pass at a
        # time (``coalesce.yielding``): the write gets the cores
        vectors = getattr(app.state.searcher, "query_vectors", None)
        app.state.turns = QueryTurns(settings.write_query_share)
        during = during_both(app.state.turns.writing, getattr(vectors, "yielding", None))
        app.state.writes = WriteQueue(settings.write_queue, during=during)
        slots = query_slots(app.state.searcher)
        app.state.queries = ThreadPoolExecutor(slots, **named_threads("docqa-query"))
        try:
            yield
        finally:
            app.state.writes.close()  # the writes admitted finish: each returns once its generation is live
            app.state.queries.shutdown(wait=True)

    app = DocqaApp(
        title="docqa",
        description="Questions over Korean documents, answered with cited passages.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.searcher = searcher
    # The last added runs first: the host check, the body limit, then OPTIONS, HEAD and 405 for a
    # whole path. The security headers wrap them all (DocqaApp.build_middleware_stack).
    app.add_middleware(Methods, routes=app.router.routes)
    app.add_middleware(BodyLimit)  # 413 before a JSON body over 64 KB is read (uploads have their own)
    if settings.allowed_hosts:  # against DNS rebinding: 400 for a Host header not in the list
        app.add_middleware(AllowedHosts, allowed_hosts=settings.allowed_hosts)
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

    @app.exception_handler(Exception)  # Starlette's outermost handler: it logs the traceback after
    async def _crashed(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=500, content={"detail": "internal error: the server log has the details"}
        )

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": unavailable(exc).detail})

    async def _backend_failed(request: Request, exc: Exception) -> JSONResponse:
        """A Milvus call that failed where no code of ours translated it (document reads, stats)."""
        failed = BackendUnavailable(f"{settings.backend} backend: {type(exc).__name__}: {exc}")
        return JSONResponse(status_code=503, content={"detail": unavailable(failed).detail})

    for failure in milvus_failures():
        app.add_exception_handler(failure, _backend_failed)

    return app


def _plain(exc: RequestValidationError) -> list[dict]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
