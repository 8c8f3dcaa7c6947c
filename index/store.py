"""The SQLite database: documents, passages, sentences, their vectors, lexical terms and aliases.

The database is the source of truth for writers. Each index generation pins it at an epoch
(``snapshots.py``) beside FAISS and BM25 files derived from that state, and readers read it as
of that epoch, so a reader never pairs an index with rows of another revision. Vectors are kept here so
that rebuilding never re-embeds a passage whose text did not change.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from docqa.index import snapshots
from docqa.index.aliases import Pair, PairRecord
from docqa.index.records import DocumentInfo, StoredPassage
from docqa.ingest.records import Article, Document, Page, Passage, Span

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT, published TEXT, url TEXT, lang TEXT, kind TEXT, path TEXT,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]',
    articles TEXT NOT NULL DEFAULT '[]',
    added_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    page INTEGER, article TEXT, section TEXT,
    text TEXT NOT NULL,
    sentences TEXT NOT NULL,
    terms TEXT NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (doc_id, start)
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
-- Korean name + gloss pairs mined from each document's text (index/aliases.py); a database made
-- before this table gets it here and its pairs from the pipeline (Indexer.locked).
CREATE TABLE IF NOT EXISTS aliases (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    korean TEXT NOT NULL,
    gloss TEXT NOT NULL,
    script TEXT NOT NULL,
    count INTEGER NOT NULL,
    korean_terms TEXT NOT NULL,
    gloss_terms TEXT NOT NULL,
    PRIMARY KEY (doc_id, korean, gloss)
);
-- The aligned encoder's vector of each Korean index term (index/translation.py), embedded once;
-- a term no passage uses any more keeps its row (it costs a vector, and comes back often).
CREATE TABLE IF NOT EXISTS term_vectors (
    term TEXT PRIMARY KEY,
    aligned BLOB NOT NULL
);
"""
# Columns added after the first release, each with its migration: a database made before them
# opens, and its rows get the missing vectors on the next ingest.
MIGRATIONS = (
    ("passages", "aligned", "ALTER TABLE passages ADD COLUMN aligned BLOB"),  # aligned encoder
    ("sentences", "aligned", "ALTER TABLE sentences ADD COLUMN aligned BLOB"),
)
ALIGNED_MODEL = "aligned_model"  # meta key: the model of the stored aligned vectors


# Document fields that make a re-ingest "unchanged" when all are equal (the path is not one).
FINGERPRINT = ("content_hash", "title", "source", "published", "url", "lang", "kind")


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


class Store:
    """Thin typed access to the database file; one connection per thread."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = path
        self.epoch: int | None = None  # a generation's pin (pin.json): the live database at its epoch
        if readonly and path.name == snapshots.PIN:
            self.conn, self.epoch = snapshots.open_pinned(path)
            return
        if readonly:
            # An older generation's snapshot never changes once written: immutable reads take no locks.
            uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            snapshots.attach_base(self.conn, path)  # a delta reads as its base + its rows
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=FULL")  # committed = on disk: generations read this file
        self.conn.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        for table, column, sql in MIGRATIONS:
            if column not in {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}:
                self.conn.execute(sql)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a crash inside leaves the database as it was."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # the failure ended the transaction already (a full disk can)
                pass
            raise
        self.conn.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def revision(self) -> int:
        return int(self.get_meta("revision") or 0)

    def bump_revision(self) -> None:
        self.set_meta("revision", str(self.revision() + 1))

    # --- documents --------------------------------------------------------------------
    def content_hash(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def fingerprint(self, doc_id: str) -> tuple[object, ...] | None:
        """What makes a stored document the same as a new reading: file bytes plus metadata."""
        row = self.conn.execute(
            f"SELECT {', '.join(FINGERPRINT)} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return tuple(row) if row else None

    def passage_count(self, doc_id: str) -> int:
        count: int = self.conn.execute(
            "SELECT count(*) FROM passages WHERE doc_id = ?", (doc_id,)
        ).fetchone()[0]
        return count

    def put_document(self, doc: Document) -> None:
        now = time.time()
        added = self.conn.execute("SELECT added_at FROM documents WHERE doc_id = ?", (doc.doc_id,)).fetchone()
        self.conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc.doc_id,))
        self.conn.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.doc_id,
                doc.title,
                doc.source,
                doc.published,
                doc.url,
                doc.lang,
                doc.kind,
                doc.path,
                doc.content_hash,
                doc.text,
                json.dumps([[p.number, p.start, p.end, *([1] if p.ocr else [])] for p in doc.pages]),
                json.dumps([_article_json(a) for a in doc.articles], ensure_ascii=False),
                added[0] if added else now,
                now,
            ),
        )

    def document_stamps(self) -> dict[str, float]:
        """Each document's last write time: two copies of the database differ where these do."""
        return dict(self.conn.execute("SELECT doc_id, updated_at FROM documents"))

    def delete_document(self, doc_id: str) -> bool:
        return self.conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    def document(self, doc_id: str) -> Document | None:
        row = self.conn.execute(
            "SELECT doc_id, title, text, source, published, url, lang, kind, path, content_hash, pages, articles "  # noqa: E501
            "FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        pages = tuple(Page(p[0], p[1], p[2], len(p) > 3 and bool(p[3])) for p in json.loads(row[10]))
        articles = tuple(Article(**a) for a in json.loads(row[11]))
        doc_id_, title, text, source, published, url, lang, kind, path, content_hash = row[:10]
        return Document(
            doc_id_,
            title,
            text,
            source,
            published,
            url,
            lang,
            kind,
            path,
            content_hash,
            pages=pages,
            articles=articles,
        )

    def documents(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT d.doc_id, d.title, d.source, d.published, d.url, d.lang, d.kind, d.content_hash, "
            "length(d.text), d.added_at, d.updated_at, "
            "(SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id) "
            "FROM documents d ORDER BY d.doc_id"
        ).fetchall()
        keys: tuple[str, ...] = ("doc_id", "title", "source", "published", "url", "lang", "kind")
        keys += ("content_hash", "chars", "added_at", "updated_at", "passages")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def counts(self) -> tuple[int, int]:
        if self.epoch is not None:  # from the live tables' indexes, not a scan through the views
            return snapshots.counts(self.conn, self.epoch)
        sql = "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages)"
        docs, passages = self.conn.execute(sql).fetchone()
        return int(docs), int(passages)

    # --- passages and sentences -------------------------------------------------------
    def known_vectors(self, doc_id: str) -> tuple[list[tuple[Passage, bytes]], dict[str, bytes]]:
        """Vectors of a document's current passages, and of its sentences keyed by their text."""
        doc = self.document(doc_id)
        if doc is None:
            return [], {}
        passages = [(row.passage, blob) for row, blob in self._passages_with_vectors(doc_id)]
        sentences = {
            doc.text[start:end]: blob
            for start, end, blob in self.conn.execute(
                "SELECT start, end, vector FROM sentences WHERE doc_id = ?", (doc_id,)
            )
        }
        return passages, sentences

    def _passages_with_vectors(self, doc_id: str) -> list[tuple[StoredPassage, bytes]]:
        rows = self.passage_rows(doc_id=doc_id)
        vectors = dict(self.conn.execute("SELECT id, vector FROM passages WHERE doc_id = ?", (doc_id,)))
        return [(row, vectors[pid]) for pid, row in rows.items()]

    def put_passages(
        self,
        passages: Sequence[Passage],
        terms: Sequence[str],
        vectors: Sequence[bytes],
        aligned: Sequence[bytes | None] | None = None,
    ) -> None:
        aligned = aligned if aligned is not None else [None] * len(passages)
        self.conn.executemany(
            "INSERT INTO passages(doc_id, ordinal, start, end, page, article, section, text, sentences, terms, vector, aligned) "  # noqa: E501
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    p.doc_id,
                    p.ordinal,
                    p.start,
                    p.end,
                    p.page,
                    p.article,
                    p.section,
                    p.text,
                    json.dumps([[s.start, s.end] for s in p.sentences]),
                    t,
                    v,
                    a,
                )
                for p, t, v, a in zip(passages, terms, vectors, aligned, strict=True)
            ],
        )

    def put_sentences(
        self,
        doc_id: str,
        spans: Sequence[Span],
        vectors: Sequence[bytes],
        aligned: Sequence[bytes | None] | None = None,
    ) -> None:
        aligned = aligned if aligned is not None else [None] * len(spans)
        self.conn.executemany(
            "INSERT OR REPLACE INTO sentences(doc_id, start, end, vector, aligned) VALUES (?,?,?,?,?)",
            [(doc_id, s.start, s.end, v, a) for s, v, a in zip(spans, vectors, aligned, strict=True)],
        )

    # --- aligned vectors (the second encoder's) ---------------------------------------
    def aligned_rows(
        self, doc_id: str
    ) -> tuple[dict[int, bytes | None], dict[tuple[int, int], bytes | None]]:
        """A document's aligned vectors (None where missing): by passage id, by sentence (start, end)."""
        passages = dict(self.conn.execute("SELECT id, aligned FROM passages WHERE doc_id = ?", (doc_id,)))
        sentences = {
            (start, end): blob
            for start, end, blob in self.conn.execute(
                "SELECT start, end, aligned FROM sentences WHERE doc_id = ?", (doc_id,)
            )
        }
        return passages, sentences

    def put_aligned(self, doc_id: str, passages: dict[int, bytes], sentences: dict[int, bytes]) -> None:
        """Fill in aligned vectors of existing rows (passage ids, sentence starts of ``doc_id``)."""
        self.conn.executemany(
            "UPDATE passages SET aligned = ? WHERE id = ?", [(v, pid) for pid, v in passages.items()]
        )
        self.conn.executemany(
            "UPDATE sentences SET aligned = ? WHERE doc_id = ? AND start = ?",
            [(v, doc_id, start) for start, v in sentences.items()],
        )

    def terms_without_vectors(self, terms: Iterable[str]) -> list[str]:
        """Those of ``terms`` that have no aligned term vector yet, in their first order."""
        wanted = list(dict.fromkeys(terms))
        have: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            have.update(
                t
                for (t,) in self.conn.execute(f"SELECT term FROM term_vectors WHERE term IN ({marks})", chunk)
            )
        return [t for t in wanted if t not in have]

    def put_term_vectors(self, vectors: dict[str, bytes]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO term_vectors(term, aligned) VALUES (?,?)", vectors.items()
        )

    def term_vectors(self) -> tuple[list[str], np.ndarray | None]:
        """(terms, unit aligned vectors as rows), in term order."""
        terms: list[str] = []
        rows: list[np.ndarray] = []
        for term, blob in self.conn.execute("SELECT term, aligned FROM term_vectors ORDER BY term"):
            terms.append(term)
            rows.append(from_blob(blob))
        return terms, (np.vstack(rows) if rows else None)

    def aligned_material(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, aligned vectors) of the passages that have one, in id order."""
        ids, vectors = [], []
        for pid, blob in self.conn.execute(
            "SELECT id, aligned FROM passages WHERE aligned IS NOT NULL ORDER BY id"
        ):
            ids.append(pid)
            vectors.append(from_blob(blob))
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
        return np.asarray(ids, dtype=np.int64), matrix

    def aligned_sentence_vectors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """doc_id -> (sorted sentence starts, aligned vectors), for the sentences that have one."""
        return self._sentence_matrices("aligned")

    def passage_rows(self, doc_id: str | None = None) -> dict[int, StoredPassage]:
        """Passages with their citation metadata, keyed by passage id (one document's, or all)."""
        if doc_id is None:
            return self._rows("", ())
        return self._rows("WHERE p.doc_id = ?", (doc_id,))

    def passage_rows_of(self, ids: Sequence[int]) -> dict[int, StoredPassage]:
        """The rows of the given passage ids (a query's hits), keyed by id; unknown ids are absent."""
        out: dict[int, StoredPassage] = {}
        wanted = list(dict.fromkeys(int(i) for i in ids))
        for lo in range(0, len(wanted), 500):
            chunk = wanted[lo : lo + 500]
            out.update(self._rows(f"WHERE p.id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def _rows(self, where: str, params: Sequence[object]) -> dict[int, StoredPassage]:
        sql = (
            "SELECT p.id, p.doc_id, p.ordinal, p.start, p.end, p.text, p.sentences, p.page, p.article, p.section, "  # noqa: E501
            "d.title, d.source, d.published, d.url, d.pages FROM passages p JOIN documents d USING (doc_id) "
            f"{where} ORDER BY p.id"
        )
        out: dict[int, StoredPassage] = {}
        ocr_pages: dict[str, list[tuple[int, int]]] = {}  # doc_id -> spans of its OCR'd pages
        for r in self.conn.execute(sql, params).fetchall():
            if r[1] not in ocr_pages:
                ocr_pages[r[1]] = [(p[1], p[2]) for p in json.loads(r[14]) if len(p) > 3 and p[3]]
            ocr = any(a < max(r[4], r[3] + 1) and r[3] < b for a, b in ocr_pages[r[1]])
            spans = tuple(Span(a, b) for a, b in json.loads(r[6]))
            passage = Passage(r[1], r[2], r[3], r[4], r[5], spans, r[7], r[8], r[9], ocr)
            out[r[0]] = StoredPassage(r[0], passage, DocumentInfo(r[10], r[11], r[12], r[13]))
        return out

    def passage_terms(self) -> dict[int, frozenset[str]]:
        """Each passage's lexical terms, without reading its vector."""
        return {
            pid: frozenset(json.loads(t)) for pid, t in self.conn.execute("SELECT id, terms FROM passages")
        }

    def document_terms(self, doc_id: str) -> list[list[str]]:
        """The lexical terms of each of a document's passages."""
        rows = self.conn.execute("SELECT terms FROM passages WHERE doc_id = ?", (doc_id,))
        return [json.loads(t) for (t,) in rows]

    def index_material(self) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
        """(ids, terms, vectors) of every passage, in id order: what a generation is built from."""
        ids, terms, vectors = [], [], []
        for pid, t, blob in self.conn.execute("SELECT id, terms, vector FROM passages ORDER BY id"):
            ids.append(pid)
            terms.append(json.loads(t))
            vectors.append(from_blob(blob))
        dim = len(vectors[0]) if vectors else 0
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
        return np.asarray(ids, dtype=np.int64), terms, matrix

    def sentence_vectors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """doc_id -> (sorted sentence starts, matrix of their vectors)."""
        return self._sentence_matrices("vector")

    def _sentence_matrices(self, column: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        by_doc: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        for doc_id, start, blob in self.conn.execute(
            f"SELECT doc_id, start, {column} FROM sentences WHERE {column} IS NOT NULL ORDER BY doc_id, start"
        ):
            starts, vecs = by_doc.setdefault(doc_id, ([], []))
            starts.append(start)
            vecs.append(from_blob(blob))
        return {d: (np.asarray(s), np.vstack(v)) for d, (s, v) in by_doc.items()}

    # --- aliases ----------------------------------------------------------------------
    def put_aliases(self, doc_id: str, rows: Sequence[PairRecord]) -> None:
        """Replace a document's pairs (a new ``put_document`` has already dropped the old ones)."""
        self.conn.execute("DELETE FROM aliases WHERE doc_id = ?", (doc_id,))
        self.conn.executemany(
            "INSERT INTO aliases(doc_id, korean, gloss, script, count, korean_terms, gloss_terms) "
            "VALUES (?,?,?,?,?,?,?)",
            [
                (
                    doc_id,
                    r.pair.korean,
                    r.pair.gloss,
                    r.pair.script,
                    r.count,
                    json.dumps(r.korean_terms, ensure_ascii=False),
                    json.dumps(r.gloss_terms, ensure_ascii=False),
                )
                for r in rows
            ],
        )

    def alias_records(self) -> list[PairRecord]:
        """Every document's pairs; none in a snapshot made before the table existed."""
        try:
            rows = self.conn.execute(
                "SELECT doc_id, korean, gloss, script, count, korean_terms, gloss_terms FROM aliases "
                "ORDER BY doc_id, korean, gloss"
            ).fetchall()
        except sqlite3.OperationalError:  # no such table (a read-only snapshot of an old database)
            return []
        return [
            PairRecord(d, Pair(k, g, s), n, tuple(json.loads(kt)), tuple(json.loads(gt)))
            for d, k, g, s, n, kt, gt in rows
        ]

    def document_texts(self) -> Iterator[tuple[str, str]]:
        """(doc_id, cleaned text) of every document, one at a time."""
        yield from self.conn.execute("SELECT doc_id, text FROM documents ORDER BY doc_id")

    def passage_texts(self) -> dict[int, str]:
        return dict(self.conn.execute("SELECT id, text FROM passages"))


def _article_json(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "start": article.start,
        "end": article.end,
        "section": article.section,
        "page": article.page,
    }
