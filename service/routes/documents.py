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
from docqa.ingest.readers import SUPPORTED
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
    UPLOAD_FIELDS,
    ArticleOut,
    DocumentOut,
    DocumentSummary,
    DocumentWriteOut,
    PageOut,
    StatsOut,
)

router = APIRouter(prefix="/v1", tags=["documents"])
T = TypeVar("T")

_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": ", ".join(SUPPORTED)},
                        **{name: {"type": "string"} for name in UPLOAD_FIELDS[1:]},
                    },
                }
            }
        },
    }
}
# an upload that cannot be read, or is past a limit on the work one document may cause
_READ_ERRORS = {"unsupported": 415, "unreadable": 422, "missing": 422, "too_large": 413}
_WRITE_ERRORS: dict[int | str, dict] = {
    401: {"description": "no API key sent"},
    403: {"description": "wrong API key, or writes disabled (no DOCQA_API_KEY)"},
}


def _snapshot(searcher: Searcher) -> Store | None:
    """The loaded generation's rows, or None before anything was ingested."""
    manifest = searcher.manifest
    if manifest is None:
        return None
    try:
        return generation.open_snapshot(searcher.data_dir, manifest)
    except generation.IndexUnavailable as exc:
        raise unavailable(exc) from exc


@router.get("/documents", response_model=list[DocumentSummary])
def list_documents(searcher: CurrentSearcherDep) -> list[DocumentSummary]:
    store = _snapshot(searcher)
    if store is None:
        return []
    try:
        return [DocumentSummary(**row) for row in store.documents()]
    finally:
        store.close()


@router.get("/documents/{doc_id}", response_model=DocumentOut)
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
    openapi_extra=_UPLOAD_FORM,
    responses={
        **_WRITE_ERRORS,
        413: {
            "description": "the file is over DOCQA_MAX_UPLOAD_MB, or the document over DOCQA_MAX_PAGES, "
            "DOCQA_MAX_CHARS, DOCQA_MAX_PASSAGES or DOCQA_MAX_INGEST_SECONDS"
        },
        415: {"description": "unsupported file type"},
        422: {
            "description": "unreadable file (corrupt, encrypted, no text layer, a page with more text "
            "than DOCQA_MAX_PAGE_CHARS) or a bad field"
        },
    },
)
def add_document(upload: UploadDep, indexer: IndexerDep, searcher: SearcherDep) -> DocumentWriteOut:
    """Add a document from an uploaded file, or replace the one with the same doc_id.

    ``warnings`` says when the file was read but may not be whole (a truncated PDF MuPDF repaired)."""

    def ingest() -> Outcome:
        # the temporary folder means nothing later: the document records the file's name
        report = indexer.ingest_paths([upload.path], upload.fields.meta(), relative_to=upload.path.parent)
        if report.skipped:  # the one file could not be read
            failed = report.skipped[0]
            raise HTTPException(status_code=_READ_ERRORS[failed.kind], detail=failed.reason)
        return report.outcomes[0]

    outcome = _write(searcher, ingest)
    return DocumentWriteOut(
        doc_id=outcome.doc_id,
        status=outcome.status,
        passages=outcome.passages,
        warnings=list(outcome.warnings),
    )


@router.delete(
    "/documents/{doc_id}",
    response_model=DocumentWriteOut,
    dependencies=[WriteAccess],
    responses={**_WRITE_ERRORS, 404: {"description": "no such document"}},
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


@router.get("/stats", response_model=StatsOut)
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
