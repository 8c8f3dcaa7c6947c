"""POST /v1/search and POST /v1/ask.

The handlers are async and run the search on the service's query pool (``app.state.queries``,
one thread per core), so queries neither wait for nor take threads of the pool that uploads use;
while a write runs they take turns (``service.writes.QueryTurns``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request

from docqa.index.answer import answer
from docqa.index.records import Citation
from docqa.service.deps import SearcherDep
from docqa.service.schemas import AskIn, AskOut, SearchIn, SearchOut, error_responses

router = APIRouter(prefix="/v1", tags=["search"])
_ERRORS = error_responses(400, 413, 422, 503)
T = TypeVar("T")


async def _on_query_pool(request: Request, work: Callable[[], T]) -> T:
    turns = request.app.state.turns  # while a write runs, one query at a time (``QueryTurns``)
    return await asyncio.get_running_loop().run_in_executor(request.app.state.queries, turns.run, work)


@router.post("/search", response_model=SearchOut, responses=_ERRORS)
async def search(body: SearchIn, searcher: SearcherDep, request: Request) -> SearchOut:
    filters = body.filters.domain() if body.filters else None
    result = await _on_query_pool(
        request, lambda: searcher.search(body.query, k=body.k, mode=body.mode, filters=filters)
    )
    return SearchOut(
        query=body.query,
        mode=body.mode,
        took_ms=round(result.took_ms, 2),
        results=[Citation.of(h) for h in result.hits],
    )


@router.post("/ask", response_model=AskOut, responses=_ERRORS)
async def ask(body: AskIn, searcher: SearcherDep, request: Request) -> AskOut:
    filters = body.filters.domain() if body.filters else None
    result = await _on_query_pool(
        request, lambda: answer(searcher.search(body.question, k=body.k, mode=body.mode, filters=filters))
    )
    return AskOut(
        question=body.question,
        answer=result.answer,
        found=result.found,
        took_ms=round(result.took_ms, 2),
        citations=list(result.citations),
    )
