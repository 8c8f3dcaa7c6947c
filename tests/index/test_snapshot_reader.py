"""A loaded generation reads its rows from the snapshot per hit (issue 12: memory that does not
grow with the archive), and what it reads is what the whole-table reads gave."""

from __future__ import annotations

import tracemalloc

import numpy as np

from docqa.index import generation
from docqa.index.records import Filters
from docqa.index.search import Searcher, date_range
from docqa.index.snapshot_reader import SnapshotReader


def _snapshot(settings):
    manifest = generation.read_manifest(settings.data_dir)
    return manifest, generation.open_snapshot(settings.data_dir, manifest)


def test_a_loaded_generation_holds_no_sentence_vectors(settings, embedder, kiwi, corpus_report):
    """numpy's allocations (tracemalloc's numpy domain) held by a freshly loaded searcher: the
    passage ids of the two indexes (8 bytes a passage each), not the sentence vectors (every
    one, 1.5 KB each, before issue 12). FAISS's own vectors are allocated outside Python."""
    manifest, store = _snapshot(settings)
    try:
        (sentence_bytes,) = store.conn.execute("SELECT sum(length(vector)) FROM sentences").fetchone()
    finally:
        store.close()
    numpy_only = [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)]
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot().filter_traces(numpy_only)
        searcher = Searcher(settings.data_dir, embedder, kiwi)
        after = tracemalloc.take_snapshot().filter_traces(numpy_only)
    finally:
        tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert searcher.manifest is not None and searcher.manifest.generation == manifest.generation
    assert held < sentence_bytes / 20, (held, sentence_bytes)
    assert searcher.search("쑤저우의 공업 기업 수", k=3).hits


def test_rows_terms_and_sentences_per_hit_are_the_snapshots(settings, searcher):
    manifest, store = _snapshot(settings)
    try:
        every = store.passage_rows()
        ids, stored_terms, _ = store.index_material()
        terms = generation.lexical_terms(store, ids, stored_terms, generation.alias_table(store))
        sentences = store.sentence_vectors()
        documents = {d["doc_id"]: d for d in store.documents()}
    finally:
        store.close()
    reader = searcher._state.rows
    assert isinstance(reader, SnapshotReader)
    picked = [int(i) for i in ids[:: max(1, len(ids) // 25)]]
    assert reader.rows(picked) == {pid: every[pid] for pid in picked}
    assert reader.rows([10**9]) == {}
    position = {int(pid): n for n, pid in enumerate(ids)}
    for pid in picked:
        assert reader.terms(pid) == frozenset(terms[position[pid]])
        row = every[pid]
        starts, matrix = sentences[row.passage.doc_id]
        found = reader.sentence_vectors(row)
        assert found is not None
        inside = (starts >= row.passage.start) & (starts < row.passage.end)
        assert np.array_equal(found[0], starts[inside]) and np.array_equal(found[1], matrix[inside])

    def brute(f: Filters) -> list[int]:
        def keep(pid: int) -> bool:
            doc = documents[every[pid].passage.doc_id]
            if f.source and doc["source"] != f.source:
                return False
            published = doc["published"]
            if f.published_from and (not published or date_range(published)[1] < f.published_from):
                return False
            return True

        return sorted(pid for pid in every if keep(pid))

    for f in (Filters(source="경향신문"), Filters(published_from="2025-01-01"), Filters(source="없는 출처")):
        assert reader.allowed(f).tolist() == brute(f), f
    assert len(reader.allowed(Filters(published_from="2025-01-01"))) > 0


def test_a_hits_e5_and_aligned_sentence_vectors_come_in_one_query(settings, searcher):
    """A cross-lingual hit reads both sentence columns with one SQL query (it took one per column),
    and each column is what the whole-table reads give."""
    manifest, store = _snapshot(settings)
    try:
        every = store.passage_rows()
        columns = {"vector": store.sentence_vectors(), "aligned": store.aligned_sentence_vectors()}
    finally:
        store.close()
    reader = searcher._state.rows
    assert isinstance(reader, SnapshotReader)
    statements: list[str] = []
    reader.store().conn.set_trace_callback(statements.append)
    try:
        for pid in sorted(every)[::7]:
            row = every[pid]
            statements.clear()
            found = reader.sentence_matrices(row, ("vector", "aligned"))
            assert len(statements) == 1, statements
            assert set(found) == {"vector", "aligned"}
            for column, by_doc in columns.items():
                starts, matrix = by_doc[row.passage.doc_id]
                inside = (starts >= row.passage.start) & (starts < row.passage.end)
                assert np.array_equal(found[column][0], starts[inside])
                assert np.array_equal(found[column][1], matrix[inside])
    finally:
        reader.store().conn.set_trace_callback(None)


def test_a_searchs_hits_read_their_sentence_vectors_in_one_query(settings, searcher):
    """The hits of a search read every one's sentence vectors with one SQL statement (it took one
    per hit), and each hit gets the arrays its own query gives, neighbouring windows included."""
    manifest, store = _snapshot(settings)
    try:
        every = store.passage_rows()
    finally:
        store.close()
    reader = searcher._state.rows
    assert isinstance(reader, SnapshotReader)
    rows = [every[pid] for pid in sorted(every)[:12]] + [every[pid] for pid in sorted(every)[-3:]]
    alone = [reader.sentence_matrices(row, ("vector", "aligned")) for row in rows]
    statements: list[str] = []
    reader.store().conn.set_trace_callback(statements.append)
    try:
        together = reader.sentence_matrices_of(rows, ("vector", "aligned"))
    finally:
        reader.store().conn.set_trace_callback(None)
    assert len(statements) == 1, statements
    assert sum(len(found.get("vector", ((), ()))[0]) for found in together) > len(rows)
    for one, many in zip(alone, together, strict=True):
        assert set(one) == set(many)
        for column, (starts, matrix) in one.items():
            assert np.array_equal(many[column][0], starts)
            assert np.array_equal(many[column][1], matrix)


def test_a_passages_terms_are_read_once_a_generation(settings, searcher):
    """The best lexical hit's terms (read every search) come from SQLite the first time only."""
    reader = searcher._state.rows
    assert isinstance(reader, SnapshotReader)
    first = reader.terms(3)
    statements: list[str] = []
    reader.store().conn.set_trace_callback(statements.append)
    try:
        assert reader.terms(3) == first and first
    finally:
        reader.store().conn.set_trace_callback(None)
    assert statements == []
