"""Applying one transaction of ``MilvusStore`` to the collections, in an order a crash cannot break.

1. reserve the passage ids (``next_id`` moves first, so a crash never hands an id out twice);
2. write each new version's rows under its stamp: text parts, passages, aligned vectors,
   sentences, alias pairs; nobody reads them yet (their head row still names the old stamp);
3. upsert the head rows (each document's commit point) and delete the heads of deleted documents;
4. record the replaced versions as retired (``collect`` deletes them after the grace period) and
   the new revision. A crash between 3 and 4 leaves unreachable rows; a crash before 3, nothing
   visible. Every write is an upsert, so writing the same rows again is harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from docqa.index.aliases import PairRecord
from docqa.index.milvus import client as mc
from docqa.index.store import from_blob
from docqa.ingest.records import Document, Passage, Span

BATCH = 500  # rows per upsert: well under gRPC's message limit at 384 + 512 floats a row
log = logging.getLogger(__name__)


class MilvusStore(Protocol):
    """What applying a transaction reads of ``store.MilvusStore`` (which imports this module)."""

    client: Any

    def _heads(self, doc_ids: Iterable[str] | None = None) -> dict[str, tuple[int, dict[str, Any]]]: ...
    def _meta(self, key: str) -> str | None: ...
    def _put_meta(self, values: dict[str, str]) -> None: ...
    def revision(self) -> int: ...
    def retired(self) -> list[tuple[str, int, float]]: ...


@dataclass
class _Version:
    """A document's new version, written at the end of the transaction."""

    doc: Document
    passages: list[tuple[Passage, str, bytes, bytes | None]] = field(default_factory=list)
    sentences: list[tuple[Span, bytes, bytes | None]] = field(default_factory=list)
    aliases: list[PairRecord] = field(default_factory=list)


@dataclass
class _Pending:
    versions: dict[str, _Version] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    aliases: dict[str, list[PairRecord]] = field(default_factory=dict)  # of stored documents (mining)
    aligned: list[tuple[str, dict[int, bytes], dict[int, bytes]]] = field(default_factory=list)
    term_vectors: dict[str, bytes] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    bumped: bool = False


def apply(store: MilvusStore, tx: _Pending, now: float) -> None:
    client = store.client
    touched = [*tx.versions, *tx.deleted, *tx.aliases, *(doc_id for doc_id, _, _ in tx.aligned)]
    old = store._heads(touched)
    revision = store.revision() + (1 if tx.bumped else 0)
    count = sum(len(v.passages) for v in tx.versions.values())
    next_id = int(store._meta("next_id") or 1)
    if count:
        store._put_meta({"next_id": str(next_id + count)})  # 1.
    heads = []
    for doc_id, version in tx.versions.items():  # 2.
        ids = list(range(next_id, next_id + len(version.passages)))
        next_id += len(version.passages)
        _write_version(client, version, ids, revision)
        previous = old.get(doc_id)
        info = _info(version.doc, len(ids), previous[1]["added_at"] if previous else now, now)
        heads.append(
            {
                "doc_id": doc_id,
                "stamp": revision,
                "info": json.dumps(info, ensure_ascii=False),
                "_v": mc.DUMMY,
            }
        )
    for doc_id, rows in tx.aliases.items():  # pairs mined again from a stored version
        if doc_id in old:
            _delete(
                client,
                mc.BLOBS,
                f"kind == 'aliases' and doc_id == {mc.quoted(doc_id)} and stamp == {old[doc_id][0]}",
            )
            _put_blob(client, "aliases", doc_id, old[doc_id][0], _aliases_json(rows))
    for doc_id, passages, sentences in tx.aligned:
        if doc_id in old:
            _backfill(client, doc_id, old[doc_id][0], passages, sentences)
    _upsert(
        client, mc.TERMS, [{"key": t, "vector": from_blob(v).tolist()} for t, v in tx.term_vectors.items()]
    )
    _upsert(client, mc.DOCUMENTS, heads)  # 3.
    gone = [doc_id for doc_id in tx.deleted if doc_id in old]
    if gone:
        client.delete(mc.DOCUMENTS, ids=gone)
    retired = [(doc_id, old[doc_id][0], now) for doc_id in [*tx.versions, *gone] if doc_id in old]
    meta = dict(tx.meta)  # 4.
    if retired:
        meta["retired"] = json.dumps([*store.retired(), *retired], ensure_ascii=False)
    if tx.bumped:
        meta["revision"] = str(revision)
    store._put_meta(meta)


def collect(store: MilvusStore, now: float, grace_s: float) -> int:
    """Delete the rows of versions retired more than ``grace_s`` ago; returns how many versions."""
    retired = store.retired()
    due = [(doc_id, stamp) for doc_id, stamp, when in retired if now - when >= grace_s]
    if not due:
        return 0
    for doc_id, stamp in due:
        where = f"doc_id == {mc.quoted(doc_id)} and stamp == {stamp}"
        for name in (mc.PASSAGES, mc.ALIGNED, mc.LEXICAL, mc.SENTENCES, mc.BLOBS):
            _delete(store.client, name, where)
    kept = [r for r in retired if (r[0], r[1]) not in set(due)]
    store._put_meta({"retired": json.dumps(kept, ensure_ascii=False)})
    return len(due)


def _write_version(client: Any, version: _Version, ids: list[int], stamp: int) -> None:
    doc = version.doc
    body = _body(doc)
    _put_blob(client, "text", doc.doc_id, stamp, json.dumps(body, ensure_ascii=False))
    base = {"doc_id": doc.doc_id, "stamp": stamp}
    passages, aligned = [], []
    for pid, (p, terms, vector, second) in zip(ids, version.passages, strict=True):
        row = {
            "ordinal": p.ordinal,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "sentences": [[s.start, s.end] for s in p.sentences],
            "page": p.page,
            "article": p.article,
            "section": p.section,
            "terms": json.loads(terms),
        }
        passages.append(
            {
                "id": pid,
                **base,
                "row": json.dumps(row, ensure_ascii=False),
                "vector": from_blob(vector).tolist(),
            }
        )
        if second is not None:
            aligned.append({"id": pid, **base, "vector": from_blob(second).tolist()})
    _upsert(client, mc.PASSAGES, passages)
    _upsert(client, mc.ALIGNED, aligned)
    dim = _aligned_dim(client)
    sentences = [
        {
            "key": f"{doc.doc_id}/{stamp}/{span.start}",
            **base,
            "start": span.start,
            "end": span.end,
            "has_aligned": second is not None,
            "vector": from_blob(vector).tolist(),
            "aligned": from_blob(second).tolist() if second is not None else [0.0] * dim,
        }
        for span, vector, second in version.sentences
    ]
    _upsert(client, mc.SENTENCES, sentences)
    _put_blob(client, "aliases", doc.doc_id, stamp, _aliases_json(version.aliases))


def _backfill(
    client: Any, doc_id: str, stamp: int, passages: dict[int, bytes], sentences: dict[int, bytes]
) -> None:
    """Aligned vectors for rows of a stored version (made before an aligned encoder was set)."""
    base = {"doc_id": doc_id, "stamp": stamp}
    _upsert(
        client,
        mc.ALIGNED,
        [{"id": pid, **base, "vector": from_blob(v).tolist()} for pid, v in passages.items()],
    )
    if not sentences:
        return
    where = f"doc_id == {mc.quoted(doc_id)} and stamp == {stamp}"
    rows = [
        r
        for r in mc.scan(client, mc.SENTENCES, ["doc_id", "stamp", "start", "end", "vector"], where)
        if r["start"] in sentences
    ]
    for r in rows:
        r.update(has_aligned=True, aligned=from_blob(sentences[r["start"]]).tolist())
    _upsert(client, mc.SENTENCES, rows)


def _put_blob(client: Any, kind: str, doc_id: str, stamp: int, data: str) -> None:
    rows = [
        {
            "key": f"{kind}/{doc_id}/{stamp}/{i}",
            "doc_id": doc_id,
            "stamp": stamp,
            "kind": kind,
            "part": i,
            "data": part,
            "_v": mc.DUMMY,
        }
        for i, part in enumerate(mc.parts(data))
    ]
    _upsert(client, mc.BLOBS, rows)


def _aliases_json(rows: Iterable[PairRecord]) -> str:
    return json.dumps(
        [[r.pair.korean, r.pair.gloss, r.pair.script, r.count, r.korean_terms, r.gloss_terms] for r in rows],
        ensure_ascii=False,
    )


def _body(doc: Document) -> dict[str, Any]:
    """The document's text, pages (an OCR'd page with a fourth entry, 1, as in SQLite) and articles."""
    return {
        "text": doc.text,
        "pages": [[p.number, p.start, p.end, *([1] if p.ocr else [])] for p in doc.pages],
        "articles": [
            {"title": a.title, "start": a.start, "end": a.end, "section": a.section, "page": a.page}
            for a in doc.articles
        ],
    }


def _info(doc: Document, passages: int, added_at: float, now: float) -> dict[str, Any]:
    return {
        "title": doc.title,
        "source": doc.source,
        "published": doc.published,
        "url": doc.url,
        "lang": doc.lang,
        "kind": doc.kind,
        "path": doc.path,
        "content_hash": doc.content_hash,
        "chars": len(doc.text),
        "passages": passages,
        "ocr_pages": [[p.start, p.end] for p in doc.pages if p.ocr],  # a passage on one is flagged
        "added_at": added_at,
        "updated_at": now,
    }


def _aligned_dim(client: Any) -> int:
    fields = client.describe_collection(mc.SENTENCES)["fields"]
    return int(next(f for f in fields if f["name"] == "aligned")["params"]["dim"])


def _upsert(client: Any, name: str, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        client.upsert(name, rows[i : i + BATCH])


def _delete(client: Any, name: str, where: str) -> None:
    if mc.exists(client, name):
        client.delete(name, filter=where)
