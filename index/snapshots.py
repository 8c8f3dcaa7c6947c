"""A generation's view of the database that costs no copy: the live database, pinned at an epoch.

A generation used to freeze the database as a file of its own (``VACUUM INTO``: 12 s and 2.9 GB
at 100k passages), later as a delta on a shared full copy; either way the data directory held
the database twice at rest (~60 GB at a million passages). Now a generation holds only
``pin.json``: the *epoch* of the live database it was built at, its ``meta`` rows and how far
``term_vectors`` went. Readers open the live database read-only (WAL: they never block the
writer, nor it them) and see it as it was at that epoch through temporary views:

- each write's first change to a document (insert, update or delete of any of its rows) copies
  that document's rows, as they were, into ``undo_<table>`` stamped with the epoch being written,
  and records ``undo_docs`` (doc_id, epoch) — triggers, in the write's own transaction, so a
  rolled-back or killed write leaves no trace;
- a reader at epoch ``e`` takes the live rows of every document not changed after ``e``, and for
  the others the rows saved at the first change after ``e`` (none: the document did not exist).

A build pins the current epoch and starts the next (``pin``); once superseded generations are
gone, the undo rows no generation can need any more are deleted (``prune``). So the disk is the
database once, the undo rows of the documents written within the grace period, and the indexes;
there is no copy to merge and no full snapshot to make. Folders written before this
(``snapshot.sqlite``, alone or as a delta on ``base.sqlite``) are still read (``attach_base``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

PIN = "pin.json"  # a generation folder's view of the live database
BASE = "base.sqlite"  # older folders: a full snapshot shared by the deltas built on it
SNAPSHOT = "snapshot.sqlite"  # older folders: the snapshot (full, or a delta with ``changed``)
CHANGED = "changed"
UNDO_DOCS = "undo_docs"
BY_DOCUMENT = ("documents", "passages", "sentences", "aliases")  # tables keyed by doc_id
UNDO_INDEXES = {"documents": "doc_id", "passages": "id", "sentences": "doc_id, start", "aliases": "doc_id"}
EPOCH = "epoch"  # meta key: the epoch writes are stamped with (the next generation's)
_EPOCH = f"coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{EPOCH}'), 0)"
_OLD_TRIGGERS = [  # the delta design's change log, dropped: nothing reads it any more
    f"touched_{table}_{event}"
    for table, events in (
        ("documents", ("insert", "delete", "update")),
        ("passages", ("update",)),
        ("sentences", ("update",)),
        ("aliases", ("insert", "delete")),
    )
    for event in events
]


def pin(conn: sqlite3.Connection, folder: Path, database: Path) -> None:
    """Write ``folder/pin.json`` for the committed state of ``database`` and start the next epoch.
    ``conn``: the writer's connection, under the ingest lock, outside a transaction."""
    conn.execute("BEGIN IMMEDIATE")  # the triggers, the pin and the next epoch: all or nothing
    try:
        _ensure_undo(conn)
        epoch = int(conn.execute(f"SELECT {_EPOCH}").fetchone()[0])
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        terms = conn.execute("SELECT coalesce(max(rowid), 0) FROM term_vectors").fetchone()[0]
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (EPOCH, str(epoch + 1)))
        payload = {"database": database.name, "epoch": epoch, "term_rowid": terms, "meta": meta}
        _write_durably(folder / PIN, json.dumps(payload, ensure_ascii=False))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def prune(conn: sqlite3.Connection, generations: Path) -> None:
    """Delete the undo rows no generation still in ``generations`` can read."""
    epochs = [_pinned_epoch(f / PIN) for f in generations.iterdir() if (f / PIN).is_file()]
    if not epochs:
        return
    oldest = min(epochs)  # a reader at e reads undo rows stamped after e
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in (*BY_DOCUMENT, "docs"):
            conn.execute(f"DELETE FROM undo_{table} WHERE epoch <= ?", (oldest,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def open_pinned(path: Path) -> tuple[sqlite3.Connection, int]:
    """A read-only connection to the live database that reads as it was at ``path``'s epoch
    (returned with it)."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    live = path.parent.parent.parent / payload["database"]  # data_dir/generations/<name>/pin.json
    if not live.is_file():
        raise FileNotFoundError(live)
    conn = sqlite3.connect(live.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    epoch = int(payload["epoch"])
    later = f"SELECT doc_id FROM main.{UNDO_DOCS} WHERE epoch > {epoch}"
    first_after = (
        f"(SELECT min(d.epoch) FROM main.{UNDO_DOCS} d WHERE d.doc_id = u.doc_id AND d.epoch > {epoch})"
    )
    for table in BY_DOCUMENT:
        columns = ", ".join(_columns(conn, table))
        conn.execute(
            f"CREATE TEMP VIEW {table} AS SELECT {columns} FROM main.{table} WHERE doc_id NOT IN ({later}) "
            f"UNION ALL SELECT {columns} FROM main.undo_{table} u WHERE u.epoch = {first_after}"
        )
    conn.execute(
        "CREATE TEMP VIEW term_vectors AS SELECT term, aligned FROM main.term_vectors "
        f"WHERE rowid <= {int(payload['term_rowid'])}"
    )
    conn.execute("CREATE TEMP TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.executemany("INSERT INTO temp.meta VALUES (?, ?)", payload["meta"].items())
    return conn, epoch


def counts(conn: sqlite3.Connection, epoch: int) -> tuple[int, int]:
    """(documents, passages) at ``epoch``: the live counts less the changed documents' plus their
    saved rows. Through the views, SQLite would scan each table itself (GBs at a million
    passages); these come from the doc_id indexes."""
    later = f"SELECT doc_id FROM main.{UNDO_DOCS} WHERE epoch > {epoch}"
    first_after = (
        f"(SELECT min(d.epoch) FROM main.{UNDO_DOCS} d WHERE d.doc_id = u.doc_id AND d.epoch > {epoch})"
    )
    sql = (
        "SELECT (SELECT count(*) FROM main.{0}) - (SELECT count(*) FROM main.{0} WHERE doc_id IN ({1})) "
        "+ (SELECT count(*) FROM main.undo_{0} u WHERE u.epoch = {2})"
    )
    documents, passages = (
        int(conn.execute(sql.format(table, later, first_after)).fetchone()[0])
        for table in ("documents", "passages")
    )
    return documents, passages


def attach_base(conn: sqlite3.Connection, path: Path) -> None:
    """Make a read-only connection to an older folder's delta read as base + delta (nothing for
    a full snapshot)."""
    if not _has_table(conn, CHANGED):
        return
    base = path.with_name(BASE)
    conn.execute("ATTACH ? AS base", (base.resolve().as_uri() + "?mode=ro&immutable=1",))
    for table in BY_DOCUMENT:
        conn.execute(
            f"CREATE TEMP VIEW {table} AS SELECT * FROM base.{table} "
            f"WHERE doc_id NOT IN (SELECT doc_id FROM main.{CHANGED}) UNION ALL SELECT * FROM main.{table}"
        )
    conn.execute(
        "CREATE TEMP VIEW term_vectors AS "
        "SELECT * FROM base.term_vectors UNION ALL SELECT * FROM main.term_vectors"
    )


def _ensure_undo(conn: sqlite3.Connection) -> None:
    """The undo tables and their triggers, made again when a migration changed a table's columns
    (the undo rows saved before it are dropped then: the older generations read live rows)."""
    for name in _OLD_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DROP TABLE IF EXISTS touched")
    # what a build asks of every passage ("all aligned?") answered from an index, not a table scan
    conn.execute("CREATE INDEX IF NOT EXISTS passages_unaligned ON passages(id) WHERE aligned IS NULL")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {UNDO_DOCS} (doc_id TEXT NOT NULL, epoch INTEGER NOT NULL, "
        "PRIMARY KEY (doc_id, epoch))"
    )
    for table in BY_DOCUMENT:
        if _has_table(conn, f"undo_{table}") and _columns(conn, f"undo_{table}") != [
            "epoch",
            *_columns(conn, table),
        ]:
            conn.execute(f"DROP TABLE undo_{table}")
            conn.execute(f"DELETE FROM {UNDO_DOCS}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS undo_{table} AS SELECT 0 AS epoch, * FROM {table} WHERE 0")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS undo_{table}_key ON undo_{table}({UNDO_INDEXES[table]}, epoch)"
        )
    saves = " ".join(
        f"INSERT INTO undo_{t} SELECT {_EPOCH}, * FROM {t} WHERE doc_id = {{row}}.doc_id;"
        for t in BY_DOCUMENT
    )
    for table in BY_DOCUMENT:
        for event in ("INSERT", "UPDATE", "DELETE"):
            row = "OLD" if event == "DELETE" else "NEW"
            conn.execute(f"DROP TRIGGER IF EXISTS undo_{table}_{event.lower()}")
            first = f"NOT EXISTS (SELECT 1 FROM {UNDO_DOCS} WHERE doc_id = {row}.doc_id AND epoch = {_EPOCH})"
            conn.execute(
                f"CREATE TRIGGER undo_{table}_{event.lower()} BEFORE {event} ON {table} WHEN {first} "
                f"BEGIN INSERT INTO {UNDO_DOCS} VALUES ({row}.doc_id, {_EPOCH}); {saves.format(row=row)} END"
            )


def _pinned_epoch(path: Path) -> int:
    return int(json.loads(path.read_text(encoding="utf-8"))["epoch"])


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        is not None
    )
