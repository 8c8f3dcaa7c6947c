"""The Milvus backend's rows: the same reads and writes as the SQLite ``Store``, in Milvus collections.

A replica keeps nothing on disk: documents, passages, sentences, offsets, vectors, terms and
alias pairs all live in the collections of ``client.py``. Milvus has no transactions, so each
document version carries a ``stamp`` (the revision that wrote it) and its head row in
``documents`` is written last: readers take a passage, sentence or text part only when its
stamp is its document's, so a write is seen whole or not at all, and the rows of a replaced
version stay until ``GRACE_S`` after they were retired (readers still on the previous manifest
read them), then ``collect`` deletes them by ``doc_id`` and stamp.

One writer at a time: the service's one writer thread, or `docqa ingest`, under the data
directory's ingest lock (``pipeline.py``); see the README for why there is no lease.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index.aliases import Pair, PairRecord
from docqa.index.manifest import IndexUnavailable, Manifest
from docqa.index.milvus import client as mc
from docqa.index.milvus.write import _Pending, _Version, apply
from docqa.index.records import DocumentInfo, StoredPassage
from docqa.index.store import FINGERPRINT, Store, from_blob
from docqa.ingest.records import Article, Document, Page, Passage, Span

GRACE_S = 60.0  # as the local backend keeps a superseded generation (index/generation.py)
TEXT, ALIASES = "text", "aliases"  # kinds of blob


class MilvusStore(Store):
    """``Store``'s interface over the collections; writes inside ``transaction()`` are buffered and
    applied at its end, head rows last. Every public method of ``Store`` is overridden (a test
    checks), so nothing reaches SQLite."""

    def __init__(self, where: mc.Target, dim: int = 0, aligned_dim: int = 0):
        self.where = where
        self.client = mc.connect(where)
        self.dim, self.aligned_dim = dim, aligned_dim
        self._tx: _Pending | None = None

    def close(self) -> None:
        return None  # the client is the process's, shared with the searcher

    # --- meta -------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        if not mc.exists(self.client, mc.META):
            return None
        rows = self.client.query(mc.META, filter=f"key == {mc.quoted(key)}", output_fields=["value"])
        return str(rows[0]["value"]) if rows else None

    def _put_meta(self, values: dict[str, str]) -> None:
        if values:
            self.client.upsert(mc.META, [{"key": k, "value": v, "_v": mc.DUMMY} for k, v in values.items()])

    def get_meta(self, key: str) -> str | None:
        return self._meta("m:" + key)

    def set_meta(self, key: str, value: str) -> None:
        if self._tx is not None:
            self._tx.meta["m:" + key] = value
        else:
            self._put_meta({"m:" + key: value})

    def revision(self) -> int:
        return int(self._meta("revision") or 0)

    def bump_revision(self) -> None:
        assert self._tx is not None, "bump_revision belongs in a transaction"
        self._tx.bumped = True

    def manifest(self) -> Manifest | None:
        """The published manifest (``publish.py`` writes it last): what readers load."""
        value = self._meta("manifest")
        return Manifest.from_json(json.loads(value)) if value else None

    def retired(self) -> list[tuple[str, int, float]]:
        """Replaced document versions, (doc_id, stamp, when), until ``collect`` deletes them."""
        return [(str(d), int(s), float(t)) for d, s, t in json.loads(self._meta("retired") or "[]")]

    def snapshot(self, path: Path) -> None:
        """A Milvus index has no file to copy: back up the collections (README, deploy/)."""
        raise IndexUnavailable(f"{self.where.description} has no SQLite snapshot to copy to {path.name}")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        self._tx = _Pending()
        try:
            yield
            pending = self._tx
        finally:
            self._tx = None
        self._commit(pending)

    # --- documents --------------------------------------------------------------------
    def _heads(self, doc_ids: Iterable[str] | None = None) -> dict[str, tuple[int, dict[str, Any]]]:
        """doc_id -> (stamp, metadata) of the documents' current versions (of all without ``doc_ids``)."""
        if doc_ids is None:
            rows: Iterable[dict[str, Any]] = mc.scan(self.client, mc.DOCUMENTS, ["stamp", "info"])
        else:
            wanted = sorted(set(doc_ids))
            if not wanted or not mc.exists(self.client, mc.DOCUMENTS):
                return {}
            rows = self.client.query(mc.DOCUMENTS, ids=wanted, output_fields=["stamp", "info"])
        return {r["doc_id"]: (int(r["stamp"]), json.loads(r["info"])) for r in rows}

    def _head(self, doc_id: str) -> tuple[int, dict[str, Any]] | None:
        return self._heads([doc_id]).get(doc_id)

    def content_hash(self, doc_id: str) -> str | None:
        head = self._head(doc_id)
        return head[1]["content_hash"] if head else None

    def fingerprint(self, doc_id: str) -> tuple[object, ...] | None:
        head = self._head(doc_id)
        return tuple(head[1][name] for name in FINGERPRINT) if head else None

    def passage_count(self, doc_id: str) -> int:
        head = self._head(doc_id)
        return int(head[1]["passages"]) if head else 0

    def put_document(self, doc: Document) -> None:
        assert self._tx is not None
        self._tx.versions[doc.doc_id] = _Version(doc)

    def delete_document(self, doc_id: str) -> bool:
        assert self._tx is not None
        found = self._head(doc_id) is not None
        if found:
            self._tx.deleted.append(doc_id)
        return found

    def document_stamps(self) -> dict[str, float]:
        return {doc_id: float(stamp) for doc_id, (stamp, _) in self._heads().items()}

    def _blob(self, kind: str, doc_id: str, stamp: int) -> str:
        where = f"kind == {mc.quoted(kind)} and doc_id == {mc.quoted(doc_id)} and stamp == {stamp}"
        rows = list(mc.scan(self.client, mc.BLOBS, ["part", "data"], where))
        return "".join(r["data"] for r in sorted(rows, key=lambda r: r["part"]))

    def _blobs(self, kind: str, heads: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, str]:
        """doc_id -> the blob of its current version, for every document in ``heads``."""
        found: dict[str, list[tuple[int, str]]] = {}
        for r in mc.scan(
            self.client, mc.BLOBS, ["doc_id", "stamp", "part", "data"], f"kind == {mc.quoted(kind)}"
        ):
            head = heads.get(r["doc_id"])
            if head is not None and head[0] == r["stamp"]:
                found.setdefault(r["doc_id"], []).append((int(r["part"]), r["data"]))
        return {d: "".join(text for _, text in sorted(ps)) for d, ps in found.items()}

    def document(self, doc_id: str) -> Document | None:
        head = self._head(doc_id)
        if head is None:
            return None
        return _document(doc_id, head[1], json.loads(self._blob(TEXT, doc_id, head[0])))

    def documents(self) -> list[dict[str, Any]]:
        keys = ("title", "source", "published", "url", "lang", "kind", "content_hash", "chars")
        rows = []
        for doc_id, (_, info) in sorted(self._heads().items()):
            rows.append(
                {
                    "doc_id": doc_id,
                    **{k: info[k] for k in keys},
                    "added_at": info["added_at"],
                    "updated_at": info["updated_at"],
                    "passages": info["passages"],
                }
            )
        return rows

    def counts(self) -> tuple[int, int]:
        heads = self._heads()
        return len(heads), sum(int(info["passages"]) for _, info in heads.values())

    def document_texts(self) -> Iterator[tuple[str, str]]:
        heads = self._heads()
        for doc_id, blob in sorted(self._blobs(TEXT, heads).items()):
            yield doc_id, json.loads(blob)["text"]

    # --- passages and sentences -------------------------------------------------------
    def _passage_rows(
        self, heads: dict[str, tuple[int, dict[str, Any]]], where: str, vectors: bool = False
    ) -> Iterator[tuple[int, dict[str, Any], list[float] | None]]:
        fields = ["doc_id", "stamp", "row", *(["vector"] if vectors else [])]
        for r in mc.scan(self.client, mc.PASSAGES, fields, where):
            head = heads.get(r["doc_id"])
            if head is not None and head[0] == r["stamp"]:
                yield int(r["id"]), {"doc_id": r["doc_id"], **json.loads(r["row"])}, r.get("vector")

    def _live(self, doc_id: str | None) -> tuple[dict[str, tuple[int, dict[str, Any]]], str]:
        heads = self._heads(None if doc_id is None else [doc_id])
        return heads, "" if doc_id is None else f"doc_id == {mc.quoted(doc_id)}"

    def passage_rows(self, doc_id: str | None = None) -> dict[int, StoredPassage]:
        heads, where = self._live(doc_id)
        out = {
            pid: _stored(pid, row, heads[row["doc_id"]][1])
            for pid, row, _ in self._passage_rows(heads, where)
        }
        return dict(sorted(out.items()))

    def passage_rows_of(self, ids: Sequence[int]) -> dict[int, StoredPassage]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return {}
        heads, _ = self._live(None)
        rows = self._passage_rows(heads, f"id in {wanted}")
        return {pid: _stored(pid, row, heads[row["doc_id"]][1]) for pid, row, _ in rows}

    def passage_terms(self) -> dict[int, frozenset[str]]:
        heads, where = self._live(None)
        return {pid: frozenset(row["terms"]) for pid, row, _ in self._passage_rows(heads, where)}

    def passage_texts(self) -> dict[int, str]:
        heads, where = self._live(None)
        return {pid: row["text"] for pid, row, _ in self._passage_rows(heads, where)}

    def document_terms(self, doc_id: str) -> list[list[str]]:
        heads, where = self._live(doc_id)
        return [row["terms"] for _, row, _ in sorted(self._passage_rows(heads, where), key=lambda r: r[0])]

    def known_vectors(self, doc_id: str) -> tuple[list[tuple[Passage, bytes]], dict[str, bytes]]:
        doc = self.document(doc_id)
        if doc is None:
            return [], {}
        heads, where = self._live(doc_id)
        passages = [
            (_stored(pid, row, heads[doc_id][1]).passage, _blob_of(vec or []))
            for pid, row, vec in self._passage_rows(heads, where, vectors=True)
        ]
        sentences = {doc.text[s["start"] : s["end"]]: _blob_of(s["vector"]) for s in self._sentences(doc_id)}
        return passages, sentences

    def _sentences(self, doc_id: str | None, fields: Sequence[str] = ("vector",)) -> Iterator[dict[str, Any]]:
        heads, where = self._live(doc_id)
        for r in mc.scan(
            self.client, mc.SENTENCES, ["doc_id", "stamp", "start", "end", "has_aligned", *fields], where
        ):
            head = heads.get(r["doc_id"])
            if head is not None and head[0] == r["stamp"]:
                yield r

    def index_material(self) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
        heads, where = self._live(None)
        rows = sorted(
            ((pid, row["terms"], vec) for pid, row, vec in self._passage_rows(heads, where, True)),
            key=lambda r: r[0],
        )
        matrix = np.asarray([v for _, _, v in rows], dtype=np.float32).reshape(len(rows), -1)
        return np.asarray([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows], matrix

    def sentence_vectors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return _matrices((r["doc_id"], r["start"], r["vector"]) for r in self._sentences(None))

    def aligned_sentence_vectors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        rows = self._sentences(None, ("aligned",))
        return _matrices((r["doc_id"], r["start"], r["aligned"]) for r in rows if r["has_aligned"])

    def put_passages(
        self,
        passages: Sequence[Passage],
        terms: Sequence[str],
        vectors: Sequence[bytes],
        aligned: Sequence[bytes | None] | None = None,
    ) -> None:
        assert self._tx is not None
        version = self._tx.versions[passages[0].doc_id] if passages else None
        for p, t, v, a in zip(passages, terms, vectors, aligned or [None] * len(passages), strict=True):
            assert version is not None and p.doc_id == version.doc.doc_id
            version.passages.append((p, t, v, a))

    def put_sentences(
        self,
        doc_id: str,
        spans: Sequence[Span],
        vectors: Sequence[bytes],
        aligned: Sequence[bytes | None] | None = None,
    ) -> None:
        assert self._tx is not None
        self._tx.versions[doc_id].sentences.extend(
            zip(spans, vectors, aligned or [None] * len(spans), strict=True)
        )

    # --- aligned vectors --------------------------------------------------------------
    def aligned_rows(
        self, doc_id: str
    ) -> tuple[dict[int, bytes | None], dict[tuple[int, int], bytes | None]]:
        head = self._head(doc_id)
        if head is None:
            return {}, {}
        rows = self.passage_rows(doc_id)
        found = {}
        if rows and mc.exists(self.client, mc.ALIGNED):
            hits = self.client.query(mc.ALIGNED, ids=sorted(rows), output_fields=["vector"])
            found = {int(h["id"]): _blob_of(h["vector"]) for h in hits}
        sentences = {
            (int(s["start"]), int(s["end"])): _blob_of(s["aligned"]) if s["has_aligned"] else None
            for s in self._sentences(doc_id, ("aligned",))
        }
        return {pid: found.get(pid) for pid in rows}, sentences

    def put_aligned(self, doc_id: str, passages: dict[int, bytes], sentences: dict[int, bytes]) -> None:
        assert self._tx is not None
        self._tx.aligned.append((doc_id, passages, sentences))

    def aligned_material(self) -> tuple[np.ndarray, np.ndarray]:
        heads = self._heads()
        ids, vectors = [], []
        for r in mc.scan(self.client, mc.ALIGNED, ["doc_id", "stamp", "vector"]):
            if heads.get(r["doc_id"], (None,))[0] == r["stamp"]:
                ids.append(int(r["id"]))
                vectors.append(np.asarray(r["vector"], dtype=np.float32))
        order = np.argsort(ids)
        matrix = np.vstack(vectors)[order] if vectors else np.zeros((0, 0), np.float32)
        return np.asarray(ids, dtype=np.int64)[order], matrix

    def terms_without_vectors(self, terms: Iterable[str]) -> list[str]:
        wanted = [t for t in dict.fromkeys(terms) if len(t) <= mc.KEY_CHARS // 4]
        have: set[str] = set()
        if mc.exists(self.client, mc.TERMS):
            for i in range(0, len(wanted), 500):
                have.update(
                    r["key"]
                    for r in self.client.query(mc.TERMS, ids=wanted[i : i + 500], output_fields=["key"])
                )
        return [t for t in wanted if t not in have]

    def put_term_vectors(self, vectors: dict[str, bytes]) -> None:
        assert self._tx is not None
        self._tx.term_vectors.update(vectors)

    def term_vectors(self) -> tuple[list[str], np.ndarray | None]:
        rows = sorted((r["key"], r["vector"]) for r in mc.scan(self.client, mc.TERMS, ["vector"]))
        if not rows:
            return [], None
        return [t for t, _ in rows], np.asarray([v for _, v in rows], dtype=np.float32)

    # --- aliases ----------------------------------------------------------------------
    def put_aliases(self, doc_id: str, rows: Sequence[PairRecord]) -> None:
        assert self._tx is not None
        if doc_id in self._tx.versions:
            self._tx.versions[doc_id].aliases = list(rows)
        else:
            self._tx.aliases[doc_id] = list(rows)

    def alias_records(self) -> list[PairRecord]:
        records = []
        for doc_id, blob in self._blobs(ALIASES, self._heads()).items():
            for k, g, s, n, kt, gt in json.loads(blob):
                records.append(PairRecord(doc_id, Pair(k, g, s), n, tuple(kt), tuple(gt)))
        return sorted(records, key=lambda r: (r.doc_id, r.pair.korean, r.pair.gloss))

    # --- the write itself -------------------------------------------------------------
    def _commit(self, tx: _Pending) -> None:
        """Apply a transaction: new rows first, each document's head row last (its commit point)."""
        if tx.versions or tx.aligned or tx.term_vectors or tx.aliases or tx.deleted or tx.meta or tx.bumped:
            mc.ensure(self.client, self.dim or _dim_of(tx), self.aligned_dim or _aligned_dim_of(tx))
            apply(self, tx, time.time())


def _dim_of(tx: _Pending) -> int:
    for version in tx.versions.values():
        for _, _, vector, _ in version.passages:
            return len(from_blob(vector))
    return 2


def _aligned_dim_of(tx: _Pending) -> int:
    for version in tx.versions.values():
        for _, _, _, aligned in version.passages:
            if aligned is not None:
                return len(from_blob(aligned))
    return 2


def _blob_of(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _matrices(rows: Iterable[tuple[str, int, Sequence[float]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    by_doc: dict[str, list[tuple[int, Sequence[float]]]] = {}
    for doc_id, start, vector in rows:
        by_doc.setdefault(doc_id, []).append((int(start), vector))
    out = {}
    for doc_id, items in by_doc.items():
        items.sort(key=lambda item: item[0])
        out[doc_id] = (np.asarray([s for s, _ in items]), np.asarray([v for _, v in items], dtype=np.float32))
    return out


def _document(doc_id: str, info: dict[str, Any], body: dict[str, Any]) -> Document:
    return Document(
        doc_id,
        info["title"],
        body["text"],
        info["source"],
        info["published"],
        info["url"],
        info["lang"],
        info["kind"],
        info["path"],
        info["content_hash"],
        pages=tuple(Page(n, a, b, bool(rest and rest[0])) for n, a, b, *rest in body["pages"]),
        articles=tuple(Article(**a) for a in body["articles"]),
    )


def _stored(pid: int, row: dict[str, Any], info: dict[str, Any]) -> StoredPassage:
    spans = tuple(Span(a, b) for a, b in row["sentences"])
    passage = Passage(
        row["doc_id"],
        row["ordinal"],
        row["start"],
        row["end"],
        row["text"],
        spans,
        row["page"],
        row["article"],
        row["section"],
        any(a < max(row["end"], row["start"] + 1) and row["start"] < b for a, b in info.get("ocr_pages", ())),
    )
    return StoredPassage(
        pid, passage, DocumentInfo(info["title"], info["source"], info["published"], info["url"])
    )
