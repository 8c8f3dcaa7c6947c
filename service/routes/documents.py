"""Documents: list, read, add or replace (upload), delete; and GET /v1/stats.

Reads come from the current generation's own database snapshot, so listings, counts and
search results always describe the same index. Writes need the API key and return only once
their generation is live in this process, so a query sent after the response sees the change.
They run on the service's one writer thread (``service/writes.py``), never on a request thread:
a full queue is a 503 with Retry-After, a full disk a 507, an unwritable data directory a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException

from docqa.core.errors import StorageError
from docqa.index import generation
from docqa.index.pipeline import Indexer, Report
from docqa.index.search import Searcher
from docqa.index.store import Store
from docqa.service.deps import (
    CurrentSearcherDep,
    IndexerDep,
    SearcherDep,
    SettingsDep,
    UploadDep,
    WriteAccess,
    WriteSlotDep,
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
log = logging.getLogger(__name__)

# an upload that cannot be read, or is past a limit on the work one document may cause
_READ_ERRORS = {"unsupported": 415, "unreadable": 422, "missing": 422, "too_large": 413}
_WRITE_ERRORS = error_responses(400, 401, 403, 409, 503, 507)
_WRITE_ERRORS[503] |= {
    "description": "the write queue is full (DOCQA_WRITE_QUEUE; Retry-After says when to retry), "
    "or the data directory cannot be written, or the index cannot serve",
    "headers": {"Retry-After": {"description": "seconds (a full queue)", "schema": {"type": "integer"}}},
}
_READS = error_responses(400, 503)


def _snapshot(searcher: Searcher) -> Store | None:
    """The loaded generation's rows, or None before anything was ingested."""
    manifest = searcher.manifest
    if manifest is None:
        return None
    try:
        return searcher.open_rows(manifest)
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
                413: "the file is over DOCQA_MAX_UPLOAD_MB, or the document over DOCQA_MAX_PAGES, "
                "DOCQA_MAX_CHARS, DOCQA_MAX_PASSAGES or DOCQA_MAX_INGEST_SECONDS",
                422: "unreadable file (corrupt, encrypted, no text layer, a page with more text "
                "than DOCQA_MAX_PAGE_CHARS) or a bad field",
            },
        ),
    },
)
async def add_document(
    writes: WriteSlotDep, upload: UploadDep, indexer: IndexerDep, searcher: SearcherDep
) -> DocumentWriteOut:
    """Add a document from an uploaded file, or replace the one with the same doc_id.

    ``warnings`` says when the file was read but may not be whole (a truncated PDF MuPDF repaired)."""

    def ingest() -> Report:
        # the temporary folder means nothing later: the document records the file's name
        report = indexer.ingest_paths([upload.path], upload.fields.meta(), relative_to=upload.path.parent)
        if report.skipped:  # the one file could not be read
            failed = report.skipped[0]
            raise HTTPException(status_code=_READ_ERRORS[failed.kind], detail=failed.reason)
        return report

    return _written(await writes.run(lambda: _write(searcher, indexer, ingest)))


@router.delete(
    "/documents/{doc_id}",
    response_model=DocumentWriteOut,
    dependencies=[WriteAccess],
    responses={**_WRITE_ERRORS, **error_responses(404)},
)
async def delete_document(
    doc_id: str, writes: WriteSlotDep, indexer: IndexerDep, searcher: SearcherDep
) -> DocumentWriteOut:
    """Remove a document: its passages leave the dense and the lexical index."""
    report = await writes.run(lambda: _write(searcher, indexer, lambda: indexer.remove(doc_id)))
    if not report.outcomes:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    return _written(report)


def _written(report: Report) -> DocumentWriteOut:
    outcome = report.outcomes[0]
    return DocumentWriteOut(
        doc_id=outcome.doc_id,
        status=outcome.status,
        passages=outcome.passages,
        published_earlier=len(report.published),
        warnings=list(outcome.warnings),
    )


def _write(searcher: Searcher, indexer: Indexer, write: Callable[[], Report]) -> Report:
    """Run one write under the ingest lock, wait until its generation serves queries here, then
    remove what it superseded (on the writer thread: ``service/writes.py``)."""
    indexer.tidy_later = True
    try:
        report = write()
    except generation.ModelMismatch as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except generation.IndexUnavailable as exc:
        raise unavailable(exc) from exc
    except StorageError as exc:
        raise _not_written(exc) from exc
    searcher.refresh(wait=True)
    try:
        indexer.tidy()
    except Exception as exc:  # noqa: BLE001 - the write is live and served: it must not fail now
        log.warning("could not remove what a write superseded (the next write will): %s", exc)
    return report


def _not_written(exc: StorageError) -> HTTPException:
    """507 for a full disk, 503 for a data directory that cannot be written; the log gets the
    reason with its paths, the response what happened to the write without them."""
    log.error("a write failed: %s", exc)
    what = (
        "the disk holding the data directory is full" if exc.full else "the data directory cannot be written"
    )
    if exc.stored:
        happened = (
            f"{len(exc.stored)} document change(s) were stored but are not searchable yet; "
            "the next successful write publishes them"
        )
    else:
        happened = "nothing was stored"
    return HTTPException(507 if exc.full else 503, f"{what} (the server log says why): {happened}")


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
            encoder_runtime=_runtime(searcher),
            aligned_runtime=_aligned_runtime(searcher),
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
        encoder_runtime=_runtime(searcher),
        index_encoder_runtime=manifest.encoder_runtime or None,
        aligned_runtime=_aligned_runtime(searcher),
    )


def _runtime(searcher: Searcher) -> str | None:
    runtime = getattr(searcher.embedder, "runtime", None)
    return str(runtime) if runtime else None


def _aligned_runtime(searcher: Searcher) -> str | None:
    runtime = getattr(searcher.aligned, "runtime", None)
    return str(runtime) if runtime else None
