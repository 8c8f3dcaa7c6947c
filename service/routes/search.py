"""POST /v1/search and POST /v1/ask."""

from __future__ import annotations

from fastapi import APIRouter, Request

from docqa.index.answer import answer
from docqa.index.records import Citation
from docqa.service.deps import SearcherDep
from docqa.service.schemas import AskIn, AskOut, SearchIn, SearchOut, error_responses

router = APIRouter(prefix="/v1", tags=["search"])
_ERRORS = error_responses(400, 413, 422, 503)


@router.post("/search", response_model=SearchOut, responses=_ERRORS)
def search(body: SearchIn, searcher: SearcherDep, request: Request) -> SearchOut:
    filters = body.filters.domain() if body.filters else None
    with request.app.state.query_slots:
        result = searcher.search(body.query, k=body.k, mode=body.mode, filters=filters)
    return SearchOut(
        query=body.query,
        mode=body.mode,
        took_ms=round(result.took_ms, 2),
        results=[Citation.of(h) for h in result.hits],
    )


@router.post("/ask", response_model=AskOut, responses=_ERRORS)
def ask(body: AskIn, searcher: SearcherDep, request: Request) -> AskOut:
    filters = body.filters.domain() if body.filters else None
    with request.app.state.query_slots:
        result = answer(searcher.search(body.question, k=body.k, mode=body.mode, filters=filters))
    return AskOut(
        question=body.question,
        answer=result.answer,
        found=result.found,
        took_ms=round(result.took_ms, 2),
        citations=list(result.citations),
    )
