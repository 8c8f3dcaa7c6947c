"""A flat index's next file written from its previous file is the file faiss writes for the
index ``FaissIndex.moved`` makes, byte for byte; other index types are read as before. A
searcher maps a flat file's rows instead of reading them, and finds the same."""

from __future__ import annotations

import numpy as np
import pytest

from docqa.index.backends import faiss as faiss_backend
from docqa.index.backends.faiss import FaissIndex
from docqa.index.backends.flat_file import FlatFile

DIM = 16


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("removed", "added"),
    [
        ([], [200, 201, 202]),  # an upload: ids only grow
        ([3, 4, 5, 40, 99], [200, 201]),  # a replacement: runs and single rows go, rows come
        ([0, 1, 98, 99], []),  # a delete at both ends
        (list(range(100)), [300]),  # every old row goes
    ],
)
def test_the_next_file_is_the_one_faiss_writes_for_the_moved_index(tmp_path, removed, added):
    rng = np.random.default_rng(7)
    ids = np.arange(100, dtype=np.int64) * 2  # passage ids with gaps, in order
    FaissIndex.build(ids, unit_rows(rng, len(ids)), DIM).save(tmp_path)
    removed = ids[removed] if removed else np.zeros(0, np.int64)
    added, vectors = np.asarray(added, dtype=np.int64), unit_rows(rng, len(added))

    flat = FlatFile.open(tmp_path / FaissIndex.FILE, DIM)
    assert flat is not None and np.array_equal(flat.ids, ids)
    moved = flat.moved(removed, added, vectors)
    (ours := tmp_path / "ours").mkdir()
    moved.save(ours)
    theirs = FaissIndex.load(tmp_path, DIM).moved(removed, added, vectors)
    (tmp_path / "theirs").mkdir()
    theirs.save(tmp_path / "theirs")

    assert (ours / FaissIndex.FILE).read_bytes() == (tmp_path / "theirs" / FaissIndex.FILE).read_bytes()
    assert len(moved) == len(theirs) and moved.description == theirs.description
    loaded = FaissIndex.load(ours, DIM)
    assert np.array_equal(loaded.ids, moved.ids) and np.array_equal(loaded.matrix, theirs.matrix)


def test_other_indexes_and_other_dimensions_are_not_taken_for_a_flat_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    ids = np.arange(60, dtype=np.int64)
    FaissIndex.build(ids, unit_rows(rng, len(ids)), DIM).save(tmp_path)
    assert FlatFile.open(tmp_path / FaissIndex.FILE, DIM * 2) is None
    assert FlatFile.open(tmp_path / "missing.faiss", DIM) is None
    monkeypatch.setattr(faiss_backend, "IVF_FROM", 1)
    (ivf := tmp_path / "ivf").mkdir()
    FaissIndex.build(ids, unit_rows(rng, len(ids)), DIM).save(ivf)
    assert FlatFile.open(ivf / FaissIndex.FILE, DIM) is None
    (tmp_path / "cut.faiss").write_bytes((tmp_path / FaissIndex.FILE).read_bytes()[:-8])
    assert FlatFile.open(tmp_path / "cut.faiss", DIM) is None  # a short file: read as before


def test_a_searcher_maps_a_flat_index_and_finds_what_the_read_one_finds(tmp_path):
    rng = np.random.default_rng(11)
    ids = np.arange(300, dtype=np.int64) + 5
    vectors = unit_rows(rng, len(ids))
    FaissIndex.build(ids, vectors, DIM).save(tmp_path)
    read, mapped = FaissIndex.load(tmp_path, DIM), FaissIndex.load(tmp_path, DIM, mapped=True)
    assert mapped.kind == "flat" and np.array_equal(mapped.ids, read.ids)
    assert np.array_equal(mapped.matrix, vectors) and not mapped.matrix.flags.writeable
    for query in unit_rows(rng, 5):
        for allowed in (None, ids[::7]):  # the whole index, and a filter searched exactly
            found, scores = mapped.search(query, 10, allowed=allowed)
            assert np.array_equal(found, read.search(query, 10, allowed=allowed)[0])
            assert np.array_equal(scores, read.search(query, 10, allowed=allowed)[1])
        assert np.array_equal(mapped.scores_for(query, ids[3:9]), read.scores_for(query, ids[3:9]))
