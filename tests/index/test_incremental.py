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


def own_passages(snapshot_path) -> int:
    """Passages stored in a snapshot file itself (not through its base)."""
    conn = sqlite3.connect(f"{snapshot_path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    finally:
        conn.close()


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


def test_a_write_snapshots_its_documents_only_on_a_shared_base(indexer, tmp_path, monkeypatch):
    monkeypatch.setattr(generation, "GRACE_S", 0.0)
    monkeypatch.setattr(snapshots, "MERGE_SHARE", 10.0)  # no merge in this test: the deltas grow
    inputs = tmp_path / "in"
    data = indexer.data_dir
    indexer.ingest([read(inputs, f"{m}.txt", body(m)) for m in ("alderon", "bluefinx", "cobaltix")])
    first = generation.read_manifest(data)
    assert first is not None
    full = data / generation.GENERATIONS / first.generation / generation.SNAPSHOT
    assert not (full.parent / snapshots.BASE).exists()  # the first snapshot is a full one
    base_inode = full.stat().st_ino
    old_reader = generation.open_snapshot(data, first)  # a reader still on the first generation
    before = everything(old_reader)

    report = indexer.ingest([read(inputs, "d.txt", GLOSSED + body("dravenor", paragraphs=2))])
    second = generation.read_manifest(data)
    assert second is not None
    folder = data / generation.GENERATIONS / second.generation
    assert (folder / snapshots.BASE).stat().st_ino == base_inode  # the base is shared, not copied
    assert own_passages(folder / generation.SNAPSHOT) == report.outcomes[0].passages
    replaced = indexer.ingest([read(inputs, "bluefinx.txt", body("bluefinx", paragraphs=1))])  # a replacement
    assert indexer.delete("cobaltix") is not None
    third = generation.read_manifest(data)
    assert third is not None
    folder = data / generation.GENERATIONS / third.generation
    assert (folder / snapshots.BASE).stat().st_ino == base_inode
    assert (
        own_passages(folder / generation.SNAPSHOT)
        == report.outcomes[0].passages + replaced.outcomes[0].passages
    )

    # base + delta reads as the database at that revision, whole
    live, snap = Store(data / generation.DATABASE), generation.open_snapshot(data, third)
    try:
        assert everything(snap) == everything(live)
        assert {d["doc_id"] for d in snap.documents()} == {"alderon", "bluefinx", "d"}
    finally:
        live.close()
        snap.close()
    assert everything(old_reader) == before  # the superseded state, unchanged for its reader
    old_reader.close()
    assert_like_a_full_build(data)


def test_a_delta_past_its_share_of_the_base_is_merged_into_a_full_snapshot(indexer, tmp_path):
    inputs = tmp_path / "in"
    indexer.ingest([read(inputs, "a.txt", body("alderon"))])
    indexer.ingest([read(inputs, "b.txt", body("bluefinx"))])  # as many passages as the base: merged
    manifest = generation.read_manifest(indexer.data_dir)
    assert manifest is not None
    folder = indexer.data_dir / generation.GENERATIONS / manifest.generation
    assert not (folder / snapshots.BASE).exists()
    assert own_passages(folder / generation.SNAPSHOT) == manifest.passages
    assert_like_a_full_build(indexer.data_dir)
    # a delete leaves its rows in the base, hidden by the delta: they count towards the share
    indexer.delete("a")
    manifest = generation.read_manifest(indexer.data_dir)
    assert manifest is not None
    folder = indexer.data_dir / generation.GENERATIONS / manifest.generation
    assert not (folder / snapshots.BASE).exists()
    assert own_passages(folder / generation.SNAPSHOT) == manifest.passages


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
