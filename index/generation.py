"""Index generations: the database pinned at one state plus FAISS + BM25 files, swapped atomically.

A generation folder holds ``pin.json`` (the live database's epoch it was built at: readers read
the database as of then, ``snapshots.py``), the indexes built from that state, and its
manifest. ``DATA_DIR/manifest.json`` names the current one. A build writes a new folder, then
replaces the manifest with ``os.replace`` (atomic on POSIX), so a reader sees the old
generation or the new one, never half of one, and never an index paired with rows of another
revision. A crash before the swap leaves the old generation
current; the next ingest sees that the database's revision is newer and builds again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from docqa.index import incremental, snapshots
from docqa.index.aliases import (
    AliasTable,
    Pair,
    PairRecord,
    build_table,
    gloss_terms_by_name,
    with_alias_terms,
)
from docqa.index.backends import (
    DEFAULT_DENSE,
    DEFAULT_LEXICAL,
    dense_backend,
    lexical_backend,
)
from docqa.index.backends.base import DenseIndex, Ids, LexicalIndex
from docqa.index.backends.bm25tf import TfBm25Index
from docqa.index.backends.faiss import FaissIndex
from docqa.index.lexical import fold_han
from docqa.index.manifest import (  # re-exported: the names readers of a data directory use
    FORMAT,
    MANIFEST,
    IndexUnavailable,
    Manifest,
    ModelMismatch,
    check_aligned,
    check_model,
    read_manifest,
)
from docqa.index.readings import pinyin_syllables
from docqa.index.store import Store

if TYPE_CHECKING:
    from docqa.index.embedding.aligned import AlignedEncoder

__all__ = [
    "DATABASE",
    "FORMAT",
    "GENERATIONS",
    "MANIFEST",
    "PIN",
    "SNAPSHOT",
    "Generation",
    "alias_table",
    "generation_alias_table",
    "IndexUnavailable",
    "Manifest",
    "ModelMismatch",
    "build",
    "check_aligned",
    "check_model",
    "current_name",
    "is_current",
    "lexical_terms",
    "load",
    "open_snapshot",
    "pause_for_test",
    "read_manifest",
    "tidy",
]

DATABASE = "docqa.sqlite"
GENERATIONS = "generations"
SNAPSHOT = snapshots.SNAPSHOT  # older folders' own copy of the database; new ones pin it (PIN)
PIN = snapshots.PIN
ALIGNED = "aligned"  # subfolder of a generation: the aligned encoder's dense index (same backend)
GRACE_S = 60.0  # a superseded generation stays this long for readers that read the old manifest
PAUSE_ENV = "DOCQA_TEST_PAUSE"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    manifest: Manifest
    # the query side of a backend: a generation folder's files, or Milvus collections (index/milvus/)
    dense: DenseIndex
    lexical: LexicalIndex
    aligned: DenseIndex | None = None  # the aligned encoder's passage vectors, if the manifest has them


def _versions() -> dict[str, str]:
    out = {}
    for dist in (
        "docqa",
        "faiss-cpu",
        "bm25s",
        "kiwipiepy",
        "sentence-transformers",
        "transformers",
        "torch",
        "onnxruntime",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def build(
    store: Store,
    data_dir: Path,
    model: str,
    dim: int,
    aligned: AlignedEncoder | None = None,
    encoder_runtime: str = "",
    tidy_up: bool = True,
) -> Manifest:
    """Write a new generation from the database and make it current; returns its manifest.

    With ``aligned``, the generation also gets a dense index of the aligned vectors, provided
    every passage has one (the pipeline embeds what is missing before it builds). The indexes
    are the current generation's updated by what changed when they can be (``incremental``).
    ``tidy_up`` False leaves removing what it superseded to a later ``tidy`` (the service's,
    once its searcher has the new generation)."""
    name = f"gen-{store.revision():06d}-{time.time_ns()}"
    folder = data_dir / GENERATIONS / name
    folder.mkdir(parents=True)
    previous = _readable(data_dir)
    snapshots.pin(store.conn, folder, store.path)
    manifest = _index_snapshot(folder, name, model, dim, aligned, encoder_runtime, previous, data_dir)
    _fsync_tree(folder)
    pause_for_test("built")
    _replace_json(data_dir / MANIFEST, manifest.to_json())
    try:
        _retire(data_dir, previous.generation if previous else None)
    except OSError as exc:  # the new generation is live: its grace then counts from its build
        log.warning("could not stamp the superseded generation: %s", exc)
    if tidy_up:
        tidy(store, data_dir)
    return manifest


def tidy(store: Store, data_dir: Path) -> None:
    """Remove the generations superseded more than ``GRACE_S`` ago (and half-built ones), then
    the undo rows no generation left can read; the current one is kept whatever its age."""
    current = current_name(data_dir)
    if current is None:
        return  # no readable manifest: which generation readers use is unknown, keep them all
    try:
        _drop_old_generations(data_dir, keep={current})
        snapshots.prune(store.conn, data_dir / GENERATIONS)
    except OSError as exc:  # the new generation is live: tidying up is left to the next build
        log.warning("could not remove superseded generations: %s", exc)


def _readable(data_dir: Path) -> Manifest | None:
    try:
        return read_manifest(data_dir)
    except IndexUnavailable:
        return None


def _index_snapshot(
    folder: Path,
    name: str,
    model: str,
    dim: int,
    aligned: AlignedEncoder | None,
    encoder_runtime: str,
    previous: Manifest | None = None,
    data_dir: Path | None = None,
) -> Manifest:
    """Build the indexes and the manifest from the generation's own snapshot, so all agree."""
    snapshot = Store(folder / PIN, readonly=True)
    try:
        table = alias_table(snapshot)
        _LAST_BUILT[:] = [(name, table)]  # the service's searcher loads this generation next
        gloss = gloss_terms_by_name(table)
        documents, passages = snapshot.counts()
        revision = snapshot.revision()
        with_aligned = aligned is not None and passages > 0 and _all_aligned(snapshot)
        prev_folder = data_dir / GENERATIONS / previous.generation if previous and data_dir else folder
        made = incremental.update(
            previous,
            prev_folder,
            snapshot,
            gloss,
            dim,
            aligned.dim if aligned and with_aligned else 0,
            ALIGNED,
        )
        if made is None:
            made = _full(snapshot, gloss, dim, aligned.dim if aligned and with_aligned else 0)
    finally:
        snapshot.close()
    dense = made.dense
    dense.save(folder)
    made.lexical.save(folder)
    incremental.save_gloss(folder, gloss)
    backends = {"dense": DEFAULT_DENSE, "lexical": DEFAULT_LEXICAL}
    aligned_model, aligned_dim, aligned_version = None, 0, ""
    if aligned is not None and made.aligned is not None:
        (folder / ALIGNED).mkdir()
        made.aligned.save(folder / ALIGNED)
        backends["aligned"] = DEFAULT_DENSE
        aligned_model, aligned_dim, aligned_version = aligned.name, aligned.dim, aligned.version
    manifest = Manifest(
        generation=name,
        model=model,
        dim=dim,
        revision=revision,
        documents=documents,
        passages=passages,
        index_type=dense.description,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=_versions(),
        backends=backends,
        aligned_model=aligned_model,
        aligned_dim=aligned_dim,
        aligned_version=aligned_version,
        encoder_runtime=encoder_runtime,
    )
    (folder / MANIFEST).write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return manifest


def _all_aligned(snapshot: Store) -> bool:
    missing: int = snapshot.conn.execute("SELECT count(*) FROM passages WHERE aligned IS NULL").fetchone()[0]
    return missing == 0


def _full(
    snapshot: Store, gloss: dict[str, tuple[str, ...]], dim: int, aligned_dim: int
) -> incremental.Indexes:
    """Every index built from every passage of the snapshot."""
    ids, terms, vectors = snapshot.index_material()
    texts = snapshot.passage_texts()
    terms = with_alias_terms(terms, [texts[int(i)] for i in ids], gloss)
    del texts  # each side's material let go once it is indexed: at 1M passages, GBs each
    lexical = lexical_backend(DEFAULT_LEXICAL).build(ids, terms)
    del terms
    dense = dense_backend(DEFAULT_DENSE).build(ids, vectors, dim)
    del vectors
    aligned = None
    if aligned_dim:
        aligned_ids, aligned_vectors = snapshot.aligned_material()
        if np.array_equal(aligned_ids, ids):
            aligned = dense_backend(DEFAULT_DENSE).build(ids, aligned_vectors, aligned_dim)
    assert isinstance(dense, FaissIndex) and isinstance(lexical, TfBm25Index)
    assert aligned is None or isinstance(aligned, FaissIndex)
    return incremental.Indexes(dense, lexical, aligned, len(ids), 0)


# The alias table of the generation this process built last: the service's searcher loads that
# generation next, and grouping its alias rows again took 1 s of the write at 1M passages
_LAST_BUILT: list[tuple[str, AliasTable]] = []


def generation_alias_table(store: Store, generation: str) -> AliasTable:
    """``alias_table`` of ``generation``'s snapshot ``store``: this process's own table when it
    built that generation (the same rows, the same table)."""
    for name, table in list(_LAST_BUILT):
        if name == generation:
            return table
    return alias_table(store)


def alias_table(store: Store) -> AliasTable:
    """The aliases mined from every document of ``store`` (a generation's snapshot)."""
    # a local database groups them in SQL; a Milvus store (no connection) gives every row
    records = alias_groups(store) if getattr(store, "conn", None) is not None else store.alias_records()
    return build_table(records, fold_han, pinyin_syllables)


def alias_groups(store: Store) -> list[PairRecord]:
    """One record per (Korean name, gloss, script) with the counts of every document summed, in
    the order of each group's first row: ``build_table`` makes the same table of them as of
    every document's rows (it sums counts, and keeps the first row's terms per slot), without
    a Python object per document's pair (58,000 rows at 100k passages, 817 groups)."""
    sql = (
        "SELECT min(doc_id) AS first, korean, gloss, script, sum(count), korean_terms, gloss_terms "
        "FROM aliases GROUP BY korean, gloss, script ORDER BY first, korean, gloss"
    )
    try:
        rows = store.conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # no such table (a read-only snapshot of an old database)
        return []
    return [
        PairRecord(d, Pair(k, g, s), n, tuple(json.loads(kt)), tuple(json.loads(gt)))
        for d, k, g, s, n, kt, gt in rows
    ]


def lexical_terms(store: Store, ids: Ids, terms: list[list[str]], table: AliasTable) -> list[list[str]]:
    """What BM25 indexes and coverage reads: each passage's stored terms plus the gloss terms of
    the Korean names it writes. They depend on the whole corpus's aliases, so they are derived
    per generation rather than stored (a new alias reaches passages of other documents)."""
    texts = store.passage_texts()
    return with_alias_terms(terms, [texts[int(i)] for i in ids], gloss_terms_by_name(table))


def load(data_dir: Path, manifest: Manifest) -> Generation:
    folder = data_dir / GENERATIONS / manifest.generation
    if not folder.is_dir():
        raise IndexUnavailable(f"{folder} is missing; re-run `docqa ingest` to rebuild the index")
    try:
        dense, lexical = (
            dense_backend(manifest.backends["dense"]),
            lexical_backend(manifest.backends["lexical"]),
        )
    except (KeyError, ValueError) as exc:
        raise IndexUnavailable(f"generation {manifest.generation} names no usable backend ({exc})") from exc
    aligned = None
    if manifest.aligned_model:
        try:
            aligned = dense_backend(manifest.backends["aligned"]).load(
                folder / ALIGNED, manifest.aligned_dim, mapped=True
            )
        except (KeyError, ValueError) as exc:
            raise IndexUnavailable(
                f"generation {manifest.generation} has no usable aligned index ({exc})"
            ) from exc
    return Generation(manifest, dense.load(folder, manifest.dim, mapped=True), lexical.load(folder), aligned)


def open_snapshot(data_dir: Path, manifest: Manifest) -> Store:
    """The rows a generation was built from, read-only: the live database as of its pin (older
    folders: their own snapshot file; format 1 had none: the live database)."""
    folder = data_dir / GENERATIONS / manifest.generation
    if manifest.format < 2:
        return Store(data_dir / DATABASE)
    for path in (folder / PIN, folder / SNAPSHOT):
        if path.is_file():
            try:
                return Store(path, readonly=True)
            except (OSError, sqlite3.Error) as exc:
                raise IndexUnavailable(f"generation {manifest.generation} cannot be read ({exc})") from exc
    raise IndexUnavailable(f"{folder / PIN} is missing; re-run `docqa ingest` to rebuild the index")


def is_current(data_dir: Path, manifest: Manifest | None, revision: int) -> bool:
    """Whether ``manifest`` names a complete generation of this format at database ``revision``."""
    return (
        manifest is not None
        and manifest.format == FORMAT
        and manifest.revision == revision
        and (data_dir / GENERATIONS / manifest.generation / MANIFEST).is_file()
    )


def current_name(data_dir: Path) -> str | None:
    """The current generation's folder name, or None (no manifest, or an unreadable one)."""
    try:
        manifest = read_manifest(data_dir)
    except IndexUnavailable:
        return None
    return manifest.generation if manifest else None


def pause_for_test(step: str) -> None:
    """Crash-test hook: with DOCQA_TEST_PAUSE=<step>, say so on stderr and sleep there until killed.

    Steps: ``embedded`` (vectors made, nothing written), ``committed`` (database ahead of the
    index), ``built`` (new generation written, not yet current). Unset, it costs one lookup.
    """
    if os.environ.get(PAUSE_ENV) == step:
        print(f"{PAUSE_ENV} {step}", file=sys.stderr, flush=True)
        time.sleep(600)


def _replace_json(path: Path, payload: dict[str, object]) -> None:
    """Write beside ``path``, flush to disk, then rename over it: readers see old or new, whole."""
    tmp = path.with_name(f".{path.name}.tmp")  # one writer at a time (the ingest lock)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _fsync_tree(folder: Path) -> None:
    """Make a generation durable before it is named current (a power cut, not just a kill)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _retire(data_dir: Path, name: str | None) -> None:
    """Stamp a superseded generation, so its grace period counts from now, not from its build."""
    if name:
        folder = data_dir / GENERATIONS / name
        if folder.is_dir():
            os.utime(folder)


def _drop_old_generations(data_dir: Path, keep: set[str]) -> None:
    """Remove superseded (and half-built) generations once no reader can still be opening them."""
    now = time.time()
    for folder in (data_dir / GENERATIONS).iterdir():
        if folder.name in keep:
            continue
        if now - folder.stat().st_mtime >= GRACE_S:
            shutil.rmtree(folder, ignore_errors=True)
