"""GET /v1/documents, GET /v1/documents/{doc_id}, GET /v1/stats."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from index import generation
from index.store import Store
from service.deps import SearcherDep, SettingsDep
from service.schemas import ArticleOut, DocumentOut, DocumentSummary, PageOut, StatsOut

router = APIRouter(prefix="/v1", tags=["documents"])


def _store(settings) -> Store:
    return Store(settings.data_dir / generation.DATABASE)


@router.get("/documents", response_model=list[DocumentSummary])
def list_documents(settings: SettingsDep) -> list[DocumentSummary]:
    store = _store(settings)
    try:
        return [DocumentSummary(**row) for row in store.documents()]
    finally:
        store.close()


@router.get("/documents/{doc_id}", response_model=DocumentOut)
def get_document(doc_id: str, settings: SettingsDep) -> DocumentOut:
    store = _store(settings)
    try:
        doc = store.document(doc_id)
        passages = store.conn.execute("SELECT count(*) FROM passages WHERE doc_id = ?", (doc_id,)).fetchone()[0]
    finally:
        store.close()
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    return DocumentOut(
        doc_id=doc.doc_id, title=doc.title, source=doc.source, published=doc.published, url=doc.url,
        lang=doc.lang, kind=doc.kind, passages=passages,
        articles=[ArticleOut(**a.__dict__) for a in doc.articles],
        pages=[PageOut(**p.__dict__) for p in doc.pages],
        text=doc.text,
    )


@router.get("/stats", response_model=StatsOut)
def stats(searcher: SearcherDep, settings: SettingsDep) -> StatsOut:
    manifest = searcher.manifest or {}
    return StatsOut(
        documents=manifest.get("documents", 0),
        passages=manifest.get("passages", 0),
        model=manifest.get("model", settings.model),
        dim=manifest.get("dim"),
        built_at=manifest.get("built_at"),
        generation=manifest.get("generation"),
        index_type=manifest.get("index_type"),
    )
