"""Generations made from the previous one (issue 12): the cost of what changed, the full build's result.

A write re-reads and re-analyses only the passages it added (and those of other documents that
write a Korean name whose gloss terms it changed), counted through the one function that
analyses them; the indexes it makes score like a full build of the same snapshot, and the BM25
postings score like bm25s itself, bit for bit.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from docqa.index import generation, incremental, snapshots
from docqa.index.backends.bm25s import Bm25sIndex
from docqa.index.backends.bm25tf import TfBm25Index
from docqa.index.pipeline import Indexer
from docqa.index.search import Searcher
from docqa.index.store import Store
from docqa.ingest.readers import read_path

GLOSSED = "쑤저우(蘇州)의 우칭원(吳慶文) 시장은 스마트 제조를 추진한다고 밝혔다. "
TOPICS = ["배터리 재활용", "스마트 농업", "해상 풍력", "반도체 장비"]


def body(marker: str, paragraphs: int = 4) -> str:
    """A few paragraphs of distinct sentences; ``marker`` is a made-up word only this text has."""
    parts = [
        " ".join(
            f"{topic} 분야의 {i + 1}번째 보고서는 기업 {7 * (i + 1) + j}곳의 결과를 정리했다."
            for j in range(4)
        )
        for i, topic in enumerate(TOPICS[:paragraphs])
    ]
    parts.append(f"마지막으로 연구진은 {marker} 프로젝트의 다음 단계 계획을 공개했다.")
    return "제목: 산업 동향 보고서\n\n" + "\n\n".join(parts) + "\n"


def read(folder, name: str, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return read_path(folder / name, {})


def doc_ids_found(searcher: Searcher, query: str) -> set[str]:
    searcher.refresh(wait=True)
    return {h.passage.doc_id for h in searcher.search(query, k=20, mode="lexical").hits}


@pytest.fixture
def indexer(tmp_path, embedder, kiwi) -> Indexer:
    return Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi)


@pytest.fixture
def analysed(monkeypatch) -> list[int]:
    """How many passages each generation built from the previous one read and analysed."""
    counts: list[int] = []
    real = incremental.with_alias_terms

    def counting(terms, texts, by_name):
        counts.append(len(texts))
        return real(terms, texts, by_name)

    monkeypatch.setattr(incremental, "with_alias_terms", counting)
    return counts


def snapshot_of(data_dir) -> Store:
    manifest = generation.read_manifest(data_dir)
    assert manifest is not None
    return generation.open_snapshot(data_dir, manifest)


def assert_like_a_full_build(data_dir) -> None:
    """The current generation's indexes hold and score what a full build of its snapshot does."""
    manifest = generation.read_manifest(data_dir)
    assert manifest is not None and manifest.backends["lexical"] == TfBm25Index.name
    gen = generation.load(data_dir, manifest)
    snapshot = snapshot_of(data_dir)
    try:
        gloss = generation.gloss_terms_by_name(generation.alias_table(snapshot))
        full = generation._full(snapshot, gloss, manifest.dim, 0)
        ids, terms, vectors = snapshot.index_material()
    finally:
        snapshot.close()
    assert np.array_equal(gen.dense.ids, full.dense.ids) and np.array_equal(gen.lexical.ids, full.lexical.ids)
    assert np.array_equal(gen.dense.scores_for(vectors[0], ids), full.dense.scores_for(vectors[0], ids))
    queries = [t[:4] for t in terms] + [["suzhou", "苏州", "쑤저우"]]
    for query in queries:
        assert np.array_equal(gen.lexical.scores_for(query, ids), full.lexical.scores_for(query, ids)), query


def test_bm25_postings_score_exactly_like_bm25s(searcher):
    snapshot = searcher.open_rows(searcher.manifest)
    try:
        ids, terms, _ = snapshot.index_material()
        terms = generation.lexical_terms(snapshot, ids, terms, generation.alias_table(snapshot))
    finally:
        snapshot.close()
    ours, theirs = TfBm25Index.build(ids, terms), Bm25sIndex.build(ids, terms)
    assert ours.doc_freq == theirs.doc_freq and len(ours) == len(theirs) > 100
    rng = np.random.default_rng(0)
    vocabulary = sorted(theirs.doc_freq)
    for passage_terms in terms[:60]:
        query = passage_terms[:3] + [vocabulary[i] for i in rng.integers(0, len(vocabulary), 3)]
        assert np.array_equal(ours._all_scores(query), theirs._all_scores(query)), query
        assert ours.idf(query[0]) == theirs.idf(query[0])
    # what stays and what comes: the same postings as built at once
    half = len(ids) // 2
    grown = TfBm25Index.build(ids[:half], terms[:half]).updated(
        ids[:5], np.r_[ids[:5], ids[half:]], terms[:5] + terms[half:]
    )
    for passage_terms in terms[:20]:
        assert np.array_equal(grown._all_scores(passage_terms[:4]), ours._all_scores(passage_terms[:4]))
    # a write's usual case (ids only grow): rows dropped, new ones appended, no sort of the rest
    dropped = np.isin(ids, ids[3:9:2])
    appended = TfBm25Index.build(ids[:half], terms[:half]).updated(ids[3:9:2], ids[half:], terms[half:])
    at_once = TfBm25Index.build(ids[~dropped], [t for t, d in zip(terms, dropped, strict=True) if not d])
    assert np.array_equal(appended._ids, at_once._ids) and appended.doc_freq == at_once.doc_freq
    for passage_terms in terms[:40]:
        query = passage_terms[:4]
        assert np.array_equal(appended._all_scores(query), at_once._all_scores(query)), query


def test_an_upsert_analyses_its_passages_only_and_scores_like_a_full_build(
    indexer, tmp_path, analysed, embedder, kiwi
):
    inputs = tmp_path / "in"
    mentions = "쑤저우 시는 올해 새 산업 단지를 열었다. "  # the name, without its gloss
    indexer.ingest(
        [read(inputs, "b.txt", mentions + body("bluefinx")), read(inputs, "c.txt", body("cobaltix"))]
    )
    assert analysed == []  # the first generation is a full build
    report = indexer.ingest([read(inputs, "d.txt", body("dravenor", paragraphs=2))])
    assert analysed == [report.outcomes[0].passages]  # the new document's passages, no other
    assert_like_a_full_build(indexer.data_dir)

    analysed.clear()
    report = indexer.ingest([read(inputs, "a.txt", GLOSSED + body("alderon"))])
    # a's passages, and b's passage that writes 쑤저우 (now glossed 蘇州: it gains the gloss terms)
    assert analysed == [report.outcomes[0].passages + 1]
    assert_like_a_full_build(indexer.data_dir)
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    assert doc_ids_found(searcher, "Suzhou") == {"a", "b"}

    analysed.clear()
    indexer.delete("c")
    assert analysed == [0]  # a delete reads no passage
    assert_like_a_full_build(indexer.data_dir)
    indexer.delete("a")  # the gloss goes: b's passage loses its gloss terms again
    assert analysed == [0, 1]
    assert_like_a_full_build(indexer.data_dir)
    assert doc_ids_found(searcher, "Suzhou") == set()


def everything(store: Store) -> tuple:
    """What readers ask of a snapshot, whole (rows, vectors, aliases, meta)."""
    conn = store.conn
    return (
        store.documents(),
        store.counts(),
        store.revision(),
        store.passage_rows(),
        store.passage_terms(),
        store.document_stamps(),
        conn.execute(
            "SELECT doc_id, start, end, vector, aligned FROM sentences ORDER BY doc_id, start"
        ).fetchall(),
        conn.execute("SELECT id, vector, aligned FROM passages ORDER BY id").fetchall(),
        store.alias_records(),
        store.term_vectors()[0],
    )


def undo_rows(data_dir) -> int:
    conn = sqlite3.connect(data_dir / generation.DATABASE)
    try:
        tables = (*snapshots.BY_DOCUMENT, "docs")
        return sum(int(conn.execute(f"SELECT count(*) FROM undo_{t}").fetchone()[0]) for t in tables)
    finally:
        conn.close()


def test_a_generation_pins_the_live_database_and_old_readers_keep_their_state(indexer, tmp_path):
    inputs = tmp_path / "in"
    data = indexer.data_dir
    indexer.ingest([read(inputs, f"{m}.txt", body(m)) for m in ("alderon", "bluefinx", "cobaltix")])
    first = generation.read_manifest(data)
    assert first is not None
    old_reader = generation.open_snapshot(data, first)  # a reader still on the first generation
    before = everything(old_reader)

    indexer.ingest([read(inputs, "d.txt", GLOSSED + body("dravenor", paragraphs=2))])
    second = generation.read_manifest(data)
    assert second is not None
    second_reader = generation.open_snapshot(data, second)
    middle = everything(second_reader)
    indexer.ingest([read(inputs, "bluefinx.txt", body("bluefinx", paragraphs=1))])  # a replacement
    assert indexer.delete("cobaltix") is not None
    third = generation.read_manifest(data)
    assert third is not None

    # no generation holds a copy of the database: a pin, and the live file once
    for manifest in (first, second, third):
        folder = data / generation.GENERATIONS / manifest.generation
        assert (folder / generation.PIN).is_file() and not list(folder.glob("*.sqlite"))
    live, snap = Store(data / generation.DATABASE), generation.open_snapshot(data, third)
    try:
        assert everything(snap) == everything(live)
        assert {d["doc_id"] for d in snap.documents()} == {"alderon", "bluefinx", "d"}
    finally:
        live.close()
        snap.close()
    # the superseded states, unchanged for their readers, and for a reader that opens one now
    assert everything(old_reader) == before and everything(second_reader) == middle
    reopened = generation.open_snapshot(data, first)
    assert everything(reopened) == before
    for store in (old_reader, second_reader):  # counted from the live tables, as the views read
        assert store.counts() == (len(store.documents()), len(store.passage_rows()))
    for store in (old_reader, second_reader, reopened):
        store.close()
    assert_like_a_full_build(data)


def test_undo_rows_go_once_no_generation_can_read_them(indexer, tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    indexer.ingest([read(inputs, "a.txt", body("alderon")), read(inputs, "b.txt", body("bluefinx"))])
    indexer.ingest([read(inputs, "a.txt", body("alderon", paragraphs=2))])
    assert indexer.delete("b") is not None
    assert undo_rows(indexer.data_dir) > 0  # a's and b's rows as the superseded generations had them
    monkeypatch.setattr(generation, "GRACE_S", 0.0)
    indexer.ingest([read(inputs, "c.txt", body("cobaltix", paragraphs=1))])
    assert undo_rows(indexer.data_dir) == 0  # only the current generation is left: it reads live rows
    folders = list((indexer.data_dir / generation.GENERATIONS).iterdir())
    assert len(folders) == 1
    assert_like_a_full_build(indexer.data_dir)


def test_alias_rows_grouped_in_sql_make_the_table_of_every_row(searcher):
    from docqa.index.aliases import build_table
    from docqa.index.lexical import fold_han
    from docqa.index.readings import pinyin_syllables

    snapshot = searcher.open_rows(searcher.manifest)
    try:
        by_row = build_table(snapshot.alias_records(), fold_han, pinyin_syllables)
        by_group = generation.alias_table(snapshot)
    finally:
        snapshot.close()
    assert by_group.pairs == by_row.pairs > 0
    assert by_group.aliases() == by_row.aliases()
    assert generation.gloss_terms_by_name(by_group) == generation.gloss_terms_by_name(by_row)


def test_an_inverted_file_is_updated_by_a_write_not_trained_again(indexer, tmp_path, monkeypatch):
    """From IVF_FROM passages (250k; here every size) the dense index is an IVF: a write removes
    and adds ids in the previous generation's lists, the k-means of its first build kept."""
    import faiss

    from docqa.index.backends import faiss as faiss_backend

    monkeypatch.setattr(faiss_backend, "IVF_FROM", 1)
    inputs = tmp_path / "in"
    indexer.ingest([read(inputs, f"{m}.txt", body(m)) for m in ("alderon", "bluefinx", "cobaltix")])
    first = generation.read_manifest(indexer.data_dir)
    assert first is not None and "IVF" in first.index_type

    def centroids(manifest) -> np.ndarray:
        gen = generation.load(indexer.data_dir, manifest)
        quantizer = faiss.downcast_index(gen.dense.index.quantizer)
        return faiss.rev_swig_ptr(quantizer.get_xb(), quantizer.ntotal * quantizer.d).copy()

    indexer.ingest([read(inputs, "d.txt", body("dravenor", paragraphs=3))])
    assert indexer.delete("bluefinx") is not None
    last = generation.read_manifest(indexer.data_dir)
    assert last is not None and "IVF" in last.index_type
    assert np.array_equal(centroids(last), centroids(first))  # updated, not built again
    assert_like_a_full_build(indexer.data_dir)  # the same ids, and the same (float16) cosines


def test_a_searcher_takes_the_alias_table_its_process_built_for_the_generation(
    indexer, tmp_path, embedder, kiwi
):
    indexer.ingest([read(tmp_path / "in", "a.txt", GLOSSED + body("alderon"))])
    manifest = generation.read_manifest(indexer.data_dir)
    assert manifest is not None
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    searcher.refresh(wait=True)
    snapshot = snapshot_of(indexer.data_dir)
    try:
        fresh = generation.alias_table(snapshot)
        assert generation.generation_alias_table(snapshot, "gen-elsewhere") == fresh  # not built here
    finally:
        snapshot.close()
    assert searcher.aliases is generation._LAST_BUILT[0][1]  # the build's own, not grouped again
    assert searcher.aliases == fresh and fresh.pairs > 0
