"""A generation's indexes made from the previous generation's, at the cost of what changed.

A full build reads every passage's vector and terms, finds the alias names in every passage's
text and indexes it all again (at 100k passages: 35 s of name look-ups, 27 s of BM25, 5 s of
reading). Passage ids are never reused (``AUTOINCREMENT``), so two revisions differ by the ids
that left and the ids that came: a new generation is the previous one's FAISS index with the
removed ids taken out and the new ones added (a flat index's file copied run by run, the new
rows appended: ``backends/flat_file.py``), and its BM25 postings (``backends/bm25tf.py``) with
the same rows dropped and added; an IVF index (from 250k passages) by ``remove_ids`` /
``add_with_ids``, until its lists are 4x longer or shorter than its k-means was made for. The
gloss terms a passage gets for the Korean names it writes depend on the whole corpus's aliases
(``generation.lexical_terms``); each generation records the name -> gloss terms map it used
(``gloss.json``), and the passages of the previous one that write a name whose gloss terms
changed are analysed again with the new map, so the result is the full build's.

Falls back to the full build (returns None) where that is not possible: no previous generation
of this format, another backend or model, an older generation's HNSW index (it cannot remove),
a change of index type with the size, an IVF past its size range, aligned vectors that came or
went, or too many changed names.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docqa.index.aliases import with_alias_terms
from docqa.index.backends.base import Ids
from docqa.index.backends.bm25tf import TfBm25Index
from docqa.index.backends.faiss import FaissIndex, index_type
from docqa.index.backends.flat_file import FlatFile, MovedFlat
from docqa.index.manifest import FORMAT, Manifest
from docqa.index.store import Store, from_blob

GLOSS = "gloss.json"  # in a generation folder: the Korean name -> gloss terms map its BM25 used
CHANGED_NAMES_MAX = 200  # more names whose gloss terms changed than this: the full build
CHUNK = 500  # ids per SQL ``IN (...)``
log = logging.getLogger(__name__)


# a dense index as a generation saves it: in memory, or a flat one as its next file (flat_file)
Dense = FaissIndex | MovedFlat


@dataclass
class Indexes:
    dense: Dense
    lexical: TfBm25Index
    aligned: Dense | None
    changed: int  # passages whose rows were read and analysed (added, or with changed gloss terms)
    removed: int


def save_gloss(folder: Path, gloss: dict[str, tuple[str, ...]]) -> None:
    (folder / GLOSS).write_text(json.dumps(gloss, ensure_ascii=False), encoding="utf-8")


def update(
    previous: Manifest | None,
    prev_folder: Path,
    snapshot: Store,
    gloss: dict[str, tuple[str, ...]],
    dim: int,
    aligned_dim: int,
    aligned_folder: str,
) -> Indexes | None:
    """The indexes of ``snapshot`` from the previous generation's, or None for a full build.
    ``aligned_dim``: 0 when the new generation has no aligned index."""
    if not _usable(previous, prev_folder, dim, aligned_dim):
        return None
    old_gloss = json.loads((prev_folder / GLOSS).read_text(encoding="utf-8"))
    changed_names = sorted(
        n for n in gloss.keys() | old_gloss.keys() if tuple(old_gloss.get(n, ())) != tuple(gloss.get(n, ()))
    )
    if len(changed_names) > CHANGED_NAMES_MAX:
        log.info("%d alias names changed their gloss terms: indexing every passage", len(changed_names))
        return None
    # sorted here: ORDER BY would read the table's pages in id order, not its doc_id index
    ids = np.sort(
        np.asarray([i for (i,) in snapshot.conn.execute("SELECT id FROM passages")], dtype=np.int64)
    )
    previous_dense = _previous(prev_folder, dim)
    if not _fits(previous_dense, len(ids)):
        return None
    removed = np.setdiff1d(previous_dense.ids, ids, assume_unique=True)
    added = np.setdiff1d(ids, previous_dense.ids, assume_unique=True)
    kept = np.setdiff1d(previous_dense.ids, removed, assume_unique=True)
    regloss = _writing(snapshot, kept, changed_names)
    todo = np.union1d(added, regloss)
    rows = _rows(snapshot, todo, aligned_dim > 0)
    terms = with_alias_terms([r[0] for r in rows], [r[1] for r in rows], gloss)
    lexical = TfBm25Index.load(prev_folder).updated(np.union1d(removed, regloss), todo, terms)
    fresh = np.isin(todo, added)
    dense = _moved(
        previous_dense,
        removed,
        added,
        np.asarray([r[2] for r, new in zip(rows, fresh, strict=True) if new]),
        dim,
    )
    aligned = None
    if aligned_dim:
        vectors = np.asarray([r[3] for r, new in zip(rows, fresh, strict=True) if new])
        previous_aligned = _previous(prev_folder / aligned_folder, aligned_dim)
        if not _fits(previous_aligned, len(ids)):
            return None
        aligned = _moved(previous_aligned, removed, added, vectors, aligned_dim)
    return Indexes(dense, lexical, aligned, len(todo), len(removed))


def _previous(folder: Path, dim: int) -> FaissIndex | FlatFile:
    """The previous generation's dense index: a flat one as its file (its rows are copied into
    the next file, not read), any other read into memory."""
    return FlatFile.open(folder / FaissIndex.FILE, dim) or FaissIndex.load(folder, dim)


def _fits(index: FaissIndex | FlatFile, n: int) -> bool:
    """Whether ``index`` may be updated for ``n`` passages (a flat file: while they get a flat index)."""
    return index.fits(n) if isinstance(index, FaissIndex) else index_type(n) == "flat"


def _usable(previous: Manifest | None, folder: Path, dim: int, aligned_dim: int) -> bool:
    if previous is None or previous.format != FORMAT or previous.dim != dim:
        return False
    if (
        previous.backends.get("dense") != FaissIndex.name
        or previous.backends.get("lexical") != TfBm25Index.name
    ):
        return False
    if bool(previous.aligned_model) != bool(aligned_dim) or (
        aligned_dim and previous.aligned_dim != aligned_dim
    ):
        return False
    return (folder / GLOSS).is_file() and (folder / FaissIndex.FILE).is_file()


def _writing(snapshot: Store, kept: Ids, names: list[str]) -> Ids:
    """The ``kept`` passages whose text writes one of ``names``."""
    if not names:
        return np.zeros(0, np.int64)
    found: list[int] = []
    for lo in range(0, len(names), CHUNK):
        chunk = names[lo : lo + CHUNK]
        where = " OR ".join("instr(text, ?) > 0" for _ in chunk)
        found += [i for (i,) in snapshot.conn.execute(f"SELECT id FROM passages WHERE {where}", chunk)]
    return np.intersect1d(np.asarray(found, dtype=np.int64), kept)


def _rows(
    snapshot: Store, ids: Ids, with_aligned: bool
) -> list[tuple[list[str], str, np.ndarray, np.ndarray | None]]:
    """(terms, text, e5 vector, aligned vector) of each id, in id order."""
    out: dict[int, tuple[list[str], str, np.ndarray, np.ndarray | None]] = {}
    column = "aligned" if with_aligned else "NULL"
    wanted = [int(i) for i in ids]
    for lo in range(0, len(wanted), CHUNK):
        chunk = wanted[lo : lo + CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, terms, text, vector, {column} FROM passages WHERE id IN ({marks})"
        for pid, terms, text, vector, aligned in snapshot.conn.execute(sql, chunk):
            out[pid] = (json.loads(terms), text, from_blob(vector), from_blob(aligned) if aligned else None)
    return [out[i] for i in wanted]


def _moved(index: FaissIndex | FlatFile, removed: Ids, added: Ids, vectors: np.ndarray, dim: int) -> Dense:
    """``index`` without ``removed`` ids and with ``added`` ones (rows of ``vectors``)."""
    return index.moved(removed, added, vectors.reshape(len(added), dim) if len(added) else vectors)
