"""A generation's database snapshot that is not a copy of the whole database: a base and a delta.

A full snapshot (``VACUUM INTO``) copies every row: 12 s and 2.9 GB at 100k passages, for a
write of 200. Instead, a generation's ``snapshot.sqlite`` is a small *delta*: the rows, as
committed, of the documents written since a *base* (an earlier full snapshot, immutable, shared
by hard link as ``base.sqlite`` in every generation folder built on it), plus the ids of those
documents (table ``changed``: added, replaced or deleted). Opening it read-only attaches the base
and shadows each table with a temporary view, base rows of changed documents left out, so every
query of ``Store`` reads the revision whole (``attach_base``), without knowing it is two files.

Which documents changed is kept by triggers in the live database (``touched``: doc_id and the
revision it was changed at, bumped by each write's commit), so deltas follow every write path,
including those that rewrite rows of a document without replacing it (aligned vectors filled
in, aliases mined again). A delta that grows past ``MERGE_SHARE`` of its base's passages, a
base with another schema, or a database that had no triggers yet, gets a full snapshot instead,
which is then the base of the next ones: the cost of a write is what changed since the last
full one, and the disk is the live database, one base and small deltas.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

BASE = "base.sqlite"
SNAPSHOT = "snapshot.sqlite"
CHANGED = "changed"
TOUCHED = "touched"
BY_DOCUMENT = ("documents", "passages", "sentences", "aliases")  # tables keyed by doc_id
MERGE_SHARE = 0.1  # a delta that holds or hides more passages than this share of its base's: full

_REVISION = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'revision')"
TRIGGERS = [
    f"CREATE TABLE IF NOT EXISTS {TOUCHED} (doc_id TEXT PRIMARY KEY, revision INTEGER NOT NULL)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS touched_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
        f"INSERT OR REPLACE INTO {TOUCHED} VALUES ({row}.doc_id, coalesce({_REVISION}, 0)); END"
        for table, events in (
            ("documents", ("INSERT", "DELETE", "UPDATE")),
            ("passages", ("UPDATE",)),
            ("sentences", ("UPDATE",)),
            ("aliases", ("INSERT", "DELETE")),
        )
        for event in events
        for row in ("OLD" if event == "DELETE" else "NEW",)
    ),
]


def write(conn: sqlite3.Connection, live: Path, folder: Path, previous: Path | None) -> bool:
    """Write ``folder``'s snapshot of the committed database (``conn``: the writer's connection,
    under the ingest lock) as a delta on ``previous``'s base when it can, else in full; True
    for a delta. ``previous``: the current generation's folder."""
    had_triggers = _has_table(conn, TOUCHED)
    if not had_triggers:
        for sql in TRIGGERS:
            conn.execute(sql)
    base = _base_of(previous) if previous is not None and had_triggers else None
    if base is not None:
        os.link(base, folder / BASE)
        if _delta(live, folder):
            return True
        (folder / BASE).unlink()
        (folder / SNAPSHOT).unlink(missing_ok=True)
    conn.execute("VACUUM INTO ?", (str(folder / SNAPSHOT),))
    return False


def attach_base(conn: sqlite3.Connection, path: Path) -> None:
    """Make a read-only connection to a delta read as base + delta (nothing for a full snapshot)."""
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


def _base_of(previous: Path) -> Path | None:
    """The full snapshot the previous generation is (or is built on)."""
    if (previous / BASE).is_file():
        return previous / BASE
    if (previous / SNAPSHOT).is_file():
        probe = sqlite3.connect(f"{(previous / SNAPSHOT).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            return None if _has_table(probe, CHANGED) else previous / SNAPSHOT
        finally:
            probe.close()
    return None


def _delta(live: Path, folder: Path) -> bool:
    """Write ``folder/snapshot.sqlite`` as the rows of the documents changed since its base;
    False (nothing kept) when a full snapshot is the better one."""
    conn = sqlite3.connect(
        f"{(folder / SNAPSHOT).resolve().as_uri()}?mode=rwc", uri=True, isolation_level=None
    )
    try:
        conn.execute("ATTACH ? AS base", ((folder / BASE).resolve().as_uri() + "?mode=ro&immutable=1",))
        conn.execute("ATTACH ? AS live", (str(live),))
        conn.execute("BEGIN")  # one read of the live database: a consistent cut of every table
        schema = "SELECT name, sql FROM {}.sqlite_master WHERE type = 'table' AND name IN ({})"
        names = ",".join(f"'{t}'" for t in (*BY_DOCUMENT, "term_vectors", "meta"))
        tables = dict(conn.execute(schema.format("live", names)).fetchall())
        if tables != dict(conn.execute(schema.format("base", names)).fetchall()):
            return False  # a migration since the base: its rows have other columns
        since = int(conn.execute("SELECT value FROM base.meta WHERE key = 'revision'").fetchone()[0])
        for sql in tables.values():
            conn.execute(sql)
        conn.execute(f"CREATE TABLE {CHANGED} (doc_id TEXT PRIMARY KEY)")
        conn.execute(f"INSERT INTO {CHANGED} SELECT doc_id FROM live.{TOUCHED} WHERE revision >= ?", (since,))
        # the delta's own passages, and the base's it hides (a delete leaves them in the base)
        count = "SELECT count(*) FROM {}.passages WHERE doc_id IN (SELECT doc_id FROM main.changed)"
        changed = sum(conn.execute(count.format(db)).fetchone()[0] for db in ("live", "base"))
        base_passages = conn.execute("SELECT count(*) FROM base.passages").fetchone()[0]
        if changed > MERGE_SHARE * base_passages:
            return False
        for table in BY_DOCUMENT:
            conn.execute(
                f"INSERT INTO main.{table} SELECT * FROM live.{table} "
                f"WHERE doc_id IN (SELECT doc_id FROM {CHANGED})"
            )
        conn.execute("CREATE INDEX passages_doc ON passages(doc_id)")
        conn.execute(
            "INSERT INTO main.term_vectors SELECT * FROM live.term_vectors "
            "WHERE term NOT IN (SELECT term FROM base.term_vectors)"
        )
        conn.execute("INSERT INTO main.meta SELECT * FROM live.meta")
        conn.execute("COMMIT")
        return True
    finally:
        conn.close()


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        is not None
    )
