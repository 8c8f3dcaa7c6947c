"""Documents: list, read, add or replace (upload), delete; and GET /v1/stats.

Reads come from the current generation's own database snapshot, so listings, counts and
search results always describe the same index. Writes need the API key and return only once
their generation is live in this process, so a query sent after the response sees the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, HTTPException

from docqa.index import generation
from docqa.index.pipeline import Outcome
from docqa.index.search import Searcher
from docqa.index.store import Store
from docqa.service.deps import (
    CurrentSearcherDep,
    IndexerDep,
    SearcherDep,
    SettingsDep,
    UploadDep,
    WriteAccess,
    unavailable,
)
from docqa.service.schemas import (
    UPLOAD_FORM,
    ArticleOut,
    DocumentOut,
    DocumentSummary,
    DocumentWriteOut,
    PageOut,
    StatsOut,
    error_responses,
)

router = APIRouter(prefix="/v1", tags=["documents"])
T = TypeVar("T")

_READ_ERRORS = {"unsupported": 415, "unreadable": 422, "missing": 422}  # an upload that cannot be read
_WRITE_ERRORS = error_responses(400, 401, 403, 409, 503, 507)
_WRITE_ERRORS[503] |= {
    "description": "the write queue is full (Retry-After), or the index cannot serve",
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}
_READS = error_responses(400, 503)


def _snapshot(searcher: Searcher) -> Store | None:
    """The loaded generation's rows, or None before anything was ingested."""
    manifest = searcher.manifest
    if manifest is None:
        return None
    try:
        return generation.open_snapshot(searcher.data_dir, manifest)
    except generation.IndexUnavailable as exc:
        raise unavailable(exc) from exc


@router.get("/documents", response_model=list[DocumentSummary], responses=_READS)
def list_documents(searcher: CurrentSearcherDep) -> list[DocumentSummary]:
    store = _snapshot(searcher)
    if store is None:
        return []
    try:
        return [DocumentSummary(**row) for row in store.documents()]
    finally:
        store.close()


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses=error_responses(400, 404, 503))
def get_document(doc_id: str, searcher: CurrentSearcherDep) -> DocumentOut:
    store = _snapshot(searcher)
    doc, passages = None, 0
    if store is not None:
        try:
            doc, passages = store.document(doc_id), store.passage_count(doc_id)
        finally:
            store.close()
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    return DocumentOut(
        doc_id=doc.doc_id,
        title=doc.title,
        source=doc.source,
        published=doc.published,
        url=doc.url,
        lang=doc.lang,
        kind=doc.kind,
        passages=passages,
        articles=[ArticleOut(**a.__dict__) for a in doc.articles],
        pages=[PageOut(**p.__dict__) for p in doc.pages],
        text=doc.text,
    )


@router.post(
    "/documents",
    response_model=DocumentWriteOut,
    dependencies=[WriteAccess],
    openapi_extra=UPLOAD_FORM,
    responses={
        **_WRITE_ERRORS,
        **error_responses(
            413,
            415,
            422,
            described={
                413: "the file is over DOCQA_MAX_UPLOAD_MB",
                422: "unreadable file (corrupt, encrypted, no text layer) or a bad field",
            },
        ),
    },
)
def add_document(upload: UploadDep, indexer: IndexerDep, searcher: SearcherDep) -> DocumentWriteOut:
    """Add a document from an uploaded file, or replace the one with the same doc_id."""

    def ingest() -> Outcome:
        # the temporary folder means nothing later: the document records the file's name
        report = indexer.ingest_paths([upload.path], upload.fields.meta(), relative_to=upload.path.parent)
        if report.skipped:  # the one file could not be read
            failed = report.skipped[0]
            raise HTTPException(status_code=_READ_ERRORS[failed.kind], detail=failed.reason)
        return report.outcomes[0]

    outcome = _write(searcher, ingest)
    return DocumentWriteOut(doc_id=outcome.doc_id, status=outcome.status, passages=outcome.passages)


@router.delete(
    "/documents/{doc_id}",
    response_model=DocumentWriteOut,
    dependencies=[WriteAccess],
    responses={**_WRITE_ERRORS, **error_responses(404)},
)
def delete_document(doc_id: str, indexer: IndexerDep, searcher: SearcherDep) -> DocumentWriteOut:
    """Remove a document: its passages leave the dense and the lexical index."""
    outcome = _write(searcher, lambda: indexer.delete(doc_id))
    if outcome is None:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    return DocumentWriteOut(doc_id=outcome.doc_id, status=outcome.status, passages=outcome.passages)


def _write(searcher: Searcher, write: Callable[[], T]) -> T:
    """Run one write under the ingest lock, then wait until its generation serves queries here."""
    try:
        outcome = write()
    except generation.ModelMismatch as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except generation.IndexUnavailable as exc:
        raise unavailable(exc) from exc
    searcher.refresh(wait=True)
    return outcome


@router.get("/stats", response_model=StatsOut, responses=_READS)
def stats(searcher: CurrentSearcherDep, settings: SettingsDep) -> StatsOut:
    """Counts of the generation that answers queries; exact after every write."""
    manifest = searcher.manifest
    if manifest is None:  # nothing ingested yet
        return StatsOut(
            documents=0,
            passages=0,
            model=settings.model,
            dim=None,
            built_at=None,
            generation=None,
            index_type=None,
            backends=None,
        )
    return StatsOut(
        documents=manifest.documents,
        passages=manifest.passages,
        model=manifest.model,
        dim=manifest.dim,
        built_at=manifest.built_at,
        generation=manifest.generation,
        index_type=manifest.index_type,
        backends=manifest.backends,
        aliases=searcher.aliases.pairs,
    )
