"""The Milvus side: where to connect (Milvus Lite in a file, or a server), and the collections.

One ``MilvusClient`` per target and process: Milvus Lite allows one process per data file, and
the service's searcher and indexer share it. Every collection is created ``Strong``, so a read
sees every write acknowledged before it (a write returns once searches see it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docqa.core.errors import UsageError
from docqa.index.manifest import BackendUnavailable, IndexUnavailable

LITE_FILE = "milvus.db"  # DOCQA_MILVUS_URI's default, in the data directory: Milvus Lite embedded
PREFIX = "docqa_"
PART_CHARS = 16_000  # characters of a long text per row: at most 4 bytes each, under VARCHAR's 65,535
JSON_CHARS = 65_535 // 4  # a JSON field that always fits (passages are at most a few thousand chars)
KEY_CHARS = 1024
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 512  # as the local backend's HNSW (index/backends/faiss.py)
SCAN_BATCH = 2000
DUMMY = [0.0, 0.0]  # Milvus wants a vector field in every collection; rows without one carry this
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Where the collections live: a Milvus Lite file, or ``http://host:19530`` (a server or cluster)."""

    uri: str
    token: str | None = None

    @property
    def lite(self) -> bool:
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:"))

    @property
    def description(self) -> str:
        return f"Milvus Lite {self.uri}" if self.lite else f"Milvus at {self.uri}"


def target(uri: str | None, token: str | None, data_dir: Path) -> Target:
    """``DOCQA_MILVUS_URI`` (default: ``milvus.db`` in the data directory) and ``DOCQA_MILVUS_TOKEN``."""
    where = Target(uri or str(data_dir / LITE_FILE), token or None)
    if where.lite and not where.uri.endswith(".db"):
        raise UsageError(
            f"DOCQA_MILVUS_URI {where.uri!r}: a Milvus Lite file must end in .db, a server is http://host:19530"
        )
    return where


_clients: dict[Target, Any] = {}
_clients_lock = threading.Lock()


def connect(where: Target) -> Any:
    """The process's client of ``where``, made on first use."""
    with _clients_lock:
        if where not in _clients:
            try:
                from pymilvus import MilvusClient
            except ImportError as exc:
                raise IndexUnavailable(
                    "DOCQA_BACKEND=milvus needs pymilvus and milvus-lite: pip install 'docqa[milvus]'"
                ) from exc
            # pymilvus warns on every scan that Milvus Lite gives no server timestamp (it uses its
            # own), and Milvus Lite's gRPC server logs the call it does not implement
            logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
            if where.lite:
                logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
            if where.lite:
                Path(where.uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = MilvusClient(uri=where.uri, token=where.token or "")
                for name in ALL:  # a reopened Milvus Lite file has its collections released
                    if client.has_collection(name):
                        client.load_collection(name)
            except Exception as exc:  # pymilvus raises MilvusException or grpc errors
                raise BackendUnavailable(f"cannot connect to {where.description}: {exc}") from exc
            _clients[where] = client
        return _clients[where]


def failures() -> tuple[type[Exception], ...]:
    """What the Milvus client raises when the server is away or fails a call (none without
    pymilvus): the service answers them with a 503 (``BackendUnavailable``), not a 500."""
    try:
        from grpc import RpcError
        from pymilvus.exceptions import MilvusException
    except ImportError:
        return ()
    return (MilvusException, RpcError)


def disconnect(where: Target) -> None:
    """Close the process's client of ``where`` (tests, and `docqa migrate` before it reports)."""
    with _clients_lock:
        client = _clients.pop(where, None)
    if client is not None:
        client.close()
    if where.lite:  # the file is free for another process (Milvus Lite serves it from this one)
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(where.uri)


# --- collections ---------------------------------------------------------------------------
META = PREFIX + "meta"  # key -> value: the manifest, revision, next passage id, retired rows
DOCUMENTS = PREFIX + "documents"  # one head row per document: its stamp and metadata (the commit point)
BLOBS = PREFIX + "blobs"  # long texts cut into parts: a document's text, pages, articles; its alias pairs
PASSAGES = PREFIX + "passages"  # a passage's row and its e5 vector (HNSW, COSINE)
ALIGNED = PREFIX + "aligned"  # a passage's aligned-encoder vector (HNSW, COSINE)
LEXICAL = PREFIX + "lexical"  # a passage's Kiwi terms and their BM25 weights (sparse, inner product)
SENTENCES = PREFIX + "sentences"  # a sentence's e5 and aligned vectors (read whole, never searched)
TERMS = PREFIX + "term_vectors"  # aligned vectors of Korean index terms (index/translation.py)
ALL = (META, DOCUMENTS, BLOBS, PASSAGES, ALIGNED, LEXICAL, SENTENCES, TERMS)


def exists(client: Any, name: str) -> bool:
    return bool(client.has_collection(name))


def ensure(client: Any, dim: int, aligned_dim: int) -> None:
    """Create the collections that are missing (vector sizes from the models that fill them)."""
    from pymilvus import DataType

    def schema(key: tuple[str, Any], *fields: Field) -> Any:
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        name, kind = key
        s.add_field(
            name, kind, is_primary=True, **({"max_length": KEY_CHARS} if kind == DataType.VARCHAR else {})
        )
        for field, ftype, params in fields:
            s.add_field(field, ftype, **params)
        return s

    Field = tuple[str, Any, dict[str, Any]]

    def text(name: str, n: int) -> Field:
        return (name, DataType.VARCHAR, {"max_length": n})

    doc = text("doc_id", KEY_CHARS)
    stamp: Field = ("stamp", DataType.INT64, {})
    dummy: Field = ("_v", DataType.FLOAT_VECTOR, {"dim": 2})
    hnsw = {
        "index_type": "HNSW",
        "metric_type": "COSINE",
        "params": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
    }
    flat = {"index_type": "FLAT", "metric_type": "L2"}
    ip = {"index_type": "FLAT", "metric_type": "IP"}
    key_str = ("key", DataType.VARCHAR)
    key_id = ("id", DataType.INT64)
    layout: dict[str, tuple[Any, dict[str, dict[str, Any]]]] = {
        META: (schema(key_str, text("value", 65_535), dummy), {"_v": flat}),
        DOCUMENTS: (
            schema(("doc_id", DataType.VARCHAR), stamp, text("info", 65_535), dummy),
            {"_v": flat},
        ),
        BLOBS: (
            schema(
                key_str,
                doc,
                stamp,
                text("kind", 32),
                ("part", DataType.INT64, {}),
                text("data", 65_535),
                dummy,
            ),
            {"_v": flat},
        ),
        PASSAGES: (
            schema(key_id, doc, stamp, text("row", 65_535), ("vector", DataType.FLOAT_VECTOR, {"dim": dim})),
            {"vector": hnsw},
        ),
        ALIGNED: (
            schema(key_id, doc, stamp, ("vector", DataType.FLOAT_VECTOR, {"dim": max(aligned_dim, 2)})),
            {"vector": hnsw},
        ),
        LEXICAL: (
            schema(
                key_id,
                doc,
                stamp,
                text("terms", 65_535),
                ("avgdl", DataType.DOUBLE, {}),
                ("sparse", DataType.SPARSE_FLOAT_VECTOR, {}),
            ),
            {"sparse": {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP"}},
        ),
        SENTENCES: (
            schema(
                key_str,
                doc,
                stamp,
                ("start", DataType.INT64, {}),
                ("end", DataType.INT64, {}),
                ("has_aligned", DataType.BOOL, {}),
                ("vector", DataType.FLOAT_VECTOR, {"dim": dim}),
                ("aligned", DataType.FLOAT_VECTOR, {"dim": max(aligned_dim, 2)}),
            ),
            {"vector": ip, "aligned": ip},
        ),
        TERMS: (
            schema(key_str, ("vector", DataType.FLOAT_VECTOR, {"dim": max(aligned_dim, 2)})),
            {"vector": ip},
        ),
    }
    for name, (fields, indexes) in layout.items():
        if exists(client, name):
            continue
        params = client.prepare_index_params()
        for field, spec in indexes.items():
            params.add_index(field, **spec)
        client.create_collection(name, schema=fields, index_params=params, consistency_level="Strong")


def scan(client: Any, name: str, fields: Sequence[str], where: str = "") -> Iterator[dict[str, Any]]:
    """Every row of a collection matching ``where``, a batch at a time (no result-window limit)."""
    if not exists(client, name):
        return
    it = client.query_iterator(name, batch_size=SCAN_BATCH, filter=where, output_fields=list(fields))
    try:
        while batch := it.next():
            yield from batch
    finally:
        it.close()


def quoted(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parts(text: str) -> list[str]:
    """A long text as the rows that hold it (at least one, possibly empty)."""
    return [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
