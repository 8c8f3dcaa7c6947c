"""A data directory of N passages made from the seed's real rows, without running a model.

Copy 0 of every seed document is the document as ingested; copy c > 0 is a new document
(``s<c>-<doc_id>``) with the same text, passages, sentences, terms and alias pairs, whose vectors
are moved towards a real neighbour (``extend``). The database is written directly, then a
generation is built by ``docqa.index.generation.build`` as an ingest would.

How vectors are extended (so that an approximate index's recall means what it would on real
e5 vectors, not on noise clusters): each new passage vector is an interpolation between a real
passage vector v and one of its 10 nearest real neighbours u, ``v + t (u - v)`` with t uniform in
[0, 0.5), plus Gaussian noise of a tenth of the distance |u - v|, renormalised (SMOTE's way of
growing a set along its own neighbourhood graph). Its sentence vectors and aligned vectors move
by the same t towards the same neighbour's, so a passage keeps its relation to its sentences.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

NEIGHBOURS = 10
STEP = 0.5  # interpolation t is uniform in [0, STEP)
NOISE = 0.1  # noise norm, as a share of the distance to the neighbour


def log(msg: str) -> None:
    print(f"[bench.scale_data {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def neighbours(vectors: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """For each row, the rows of its ``k`` nearest others (exact inner product)."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1)[:, :k]


def extend(
    vectors: np.ndarray, n: int, rng: np.random.Generator, near: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` new unit vectors grown from ``vectors`` along their neighbourhoods.
    Returns (new vectors, source row, neighbour row, t) so that related vectors can follow."""
    near = neighbours(vectors) if near is None else near
    src = rng.integers(0, len(vectors), n)
    nb = near[src, rng.integers(0, near.shape[1], n)]
    t = rng.uniform(0, STEP, n).astype(np.float32)[:, None]
    v, u = vectors[src], vectors[nb]
    gap = np.linalg.norm(u - v, axis=1, keepdims=True)
    noise = unit(rng.standard_normal(v.shape).astype(np.float32)) * gap * NOISE
    return unit(v + t * (u - v) + noise), src, nb, t[:, 0]


def _blob(x: np.ndarray) -> bytes:
    return np.asarray(x, dtype=np.float32).tobytes()


def _vec(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


def build(seed_dir: Path, data_dir: Path, passages: int, seed: int = 0) -> dict:
    """Write ``data_dir`` with ``passages`` passages (whole documents: it stops at the first copy
    that reaches the count) and publish its generation; returns what was made."""
    from docqa.index import generation
    from docqa.index.store import Store

    rng = np.random.default_rng(seed)
    src = sqlite3.connect(f"file:{seed_dir / generation.DATABASE}?mode=ro", uri=True)
    docs = src.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
    doc_cols = [d[0] for d in src.execute("SELECT * FROM documents LIMIT 0").description]
    prow = src.execute(
        "SELECT doc_id, ordinal, start, end, page, article, section, text, sentences, terms, vector, aligned "
        "FROM passages ORDER BY id"
    ).fetchall()
    srow = src.execute("SELECT doc_id, start, end, vector, aligned FROM sentences").fetchall()
    arow = src.execute("SELECT * FROM aliases").fetchall()
    meta = src.execute("SELECT key, value FROM meta").fetchall()
    terms = src.execute("SELECT term, aligned FROM term_vectors").fetchall()
    manifest = generation.read_manifest(seed_dir)
    src.close()
    assert manifest is not None, f"{seed_dir} has no generation: run python -m bench.scale_seed"

    pvec = np.vstack([_vec(r[10]) for r in prow])
    near = neighbours(pvec)
    has_aligned = all(r[11] is not None for r in prow)
    avec = np.vstack([_vec(r[11]) for r in prow]) if has_aligned else None
    by_doc: dict[str, list[int]] = {}
    for i, r in enumerate(prow):
        by_doc.setdefault(r[0], []).append(i)
    sent_of: dict[str, list[tuple]] = {}
    for r in srow:
        sent_of.setdefault(r[0], []).append(r)
    alias_of: dict[str, list[tuple]] = {}
    for r in arow:
        alias_of.setdefault(r[0], []).append(r)

    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / generation.DATABASE)
    conn = store.conn
    made, copy, t0 = 0, 0, time.perf_counter()
    conn.execute("PRAGMA synchronous=OFF")
    while made < passages:
        conn.execute("BEGIN")
        if copy == 0:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
            conn.executemany("INSERT OR REPLACE INTO term_vectors VALUES (?, ?)", terms)
        for doc in docs:
            if made >= passages:
                break
            made += _copy_document(
                conn, doc, doc_cols, copy, by_doc, prow, sent_of, alias_of, pvec, avec, near, rng
            )
        conn.execute("COMMIT")
        copy += 1
        log(f"{made:,} passages ({copy} copies) in {time.perf_counter() - t0:.0f} s")
    store.set_meta("revision", str(copy))
    conn.execute("PRAGMA synchronous=NORMAL")
    aligned = (
        SimpleNamespace(
            name=manifest.aligned_model, dim=manifest.aligned_dim, version=manifest.aligned_version
        )
        if manifest.aligned_model and has_aligned
        else None
    )
    t1 = time.perf_counter()
    built = generation.build(store, data_dir, manifest.model, manifest.dim, aligned)
    build_s = time.perf_counter() - t1
    store.close()
    log(
        f"generation {built.generation}: {built.passages:,} passages, {built.index_type}, "
        f"built in {build_s:.0f} s"
    )
    return {
        "passages": built.passages,
        "documents": built.documents,
        "build_s": round(build_s, 1),
        "index_type": built.index_type,
        "write_s": round(t1 - t0, 1),
    }


def _copy_document(conn, doc, doc_cols, copy, by_doc, prow, sent_of, alias_of, pvec, avec, near, rng):
    """Insert copy ``copy`` of one seed document; returns its passage count."""
    doc_id = doc[0]
    rows = by_doc.get(doc_id, [])
    new_id = doc_id if copy == 0 else f"s{copy}-{doc_id}"
    values = dict(zip(doc_cols, doc, strict=True))
    values["doc_id"] = new_id
    if copy:
        values["content_hash"] = f"{values['content_hash']}-{copy}"
        values["title"] = f"{values['title']} ({copy})"
    conn.execute(
        f"INSERT INTO documents ({','.join(values)}) VALUES ({','.join('?' * len(values))})",
        list(values.values()),
    )
    if not rows:
        return 0
    idx = np.asarray(rows)
    if copy == 0:
        new_p, nb, t = pvec[idx], idx, np.zeros(len(idx), np.float32)
    else:
        new_p, nb, t = _around(pvec, idx, near, rng)
    new_a = (
        None
        if avec is None
        else (avec[idx] if copy == 0 else unit(avec[idx] + t[:, None] * (avec[nb] - avec[idx])))
    )
    conn.executemany(
        "INSERT INTO passages(doc_id, ordinal, start, end, page, article, section, text, sentences, "
        "terms, vector, aligned) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (new_id, *prow[i][1:10], _blob(new_p[j]), None if new_a is None else _blob(new_a[j]))
            for j, i in enumerate(rows)
        ],
    )
    sentences = []
    starts = [prow[i][2] for i in rows]
    for s in sent_of.get(doc_id, []):
        j = max(0, int(np.searchsorted(starts, s[1], side="right")) - 1)  # the passage it opens in
        v, a = _vec(s[3]), _vec(s[4])
        if copy:
            v = unit(v + (new_p[j] - pvec[rows[j]]))
            if a is not None and new_a is not None:
                a = unit(a + (new_a[j] - avec[rows[j]]))
        sentences.append((new_id, s[1], s[2], _blob(v), None if a is None else _blob(a)))
    conn.executemany(
        "INSERT INTO sentences(doc_id, start, end, vector, aligned) VALUES (?,?,?,?,?)", sentences
    )
    conn.executemany(
        f"INSERT INTO aliases VALUES ({','.join('?' * 7)})",
        [(new_id, *r[1:]) for r in alias_of.get(doc_id, [])],
    )
    return len(rows)


def _around(pvec, idx, near, rng):
    """Each of the passages ``idx`` moved towards one of its own real neighbours (see the module)."""
    nb = near[idx, rng.integers(0, near.shape[1], len(idx))]
    t = rng.uniform(0, STEP, len(idx)).astype(np.float32)
    v, u = pvec[idx], pvec[nb]
    gap = np.linalg.norm(u - v, axis=1, keepdims=True)
    noise = unit(rng.standard_normal(v.shape).astype(np.float32)) * gap * NOISE
    return unit(v + t[:, None] * (u - v) + noise), nb, t
