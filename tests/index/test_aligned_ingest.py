"""The aligned encoder's vectors at ingest and at query time, on real models and real text.

Stored beside e5's and versioned by the manifest; re-ingest embeds only what is missing; a
database from before the aligned side gets its vectors on the next ingest; a Korean question
never computes an aligned query vector, an English one does.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from docqa.index import generation
from docqa.index.pipeline import Indexer, embed_text
from docqa.index.search import Searcher
from docqa.index.store import SCHEMA, Store
from docqa.index.translation import is_korean_term
from docqa.ingest.chunk import make_passages
from docqa.ingest.readers import read_path

TOPICS = ["배터리 재활용", "스마트 농업", "해상 풍력", "반도체 장비"]


def body(marker: str) -> str:
    parts = [
        " ".join(
            f"{topic} 분야의 {i + 1}번째 보고서는 지역 기업 {7 * (i + 1) + j}곳이 참여한 시범 사업의 결과를 "
            f"{j + 2}개 항목으로 정리했다."
            for j in range(4)
        )
        for i, topic in enumerate(TOPICS)
    ]
    parts.append(f"마지막으로 연구진은 {marker} 프로젝트의 다음 단계 계획을 공개했다.")
    return "제목: 산업 동향 보고서\n\n" + "\n\n".join(parts) + "\n"


def read(folder: Path, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.txt").write_text(text, encoding="utf-8")
    return read_path(folder / "report.txt", {})


class CountingAligned:
    """The real USE-m3 encoder, recording every text it embeds."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.name, self.dim, self.version = encoder.name, encoder.dim, encoder.version
        self.texts: list[str] = []
        self.queries: list[str] = []

    def encode(self, texts):
        self.texts.extend(texts)
        return self._encoder.encode(texts)

    def encode_queries(self, texts):
        self.queries.extend(texts)
        return self._encoder.encode_queries(texts)


def aligned_rows(data_dir: Path) -> tuple[int, int, int, int]:
    """(passages, passages with an aligned vector, sentences, sentences with one)."""
    store = Store(data_dir / generation.DATABASE)
    try:
        return store.conn.execute(
            "SELECT (SELECT count(*) FROM passages), (SELECT count(aligned) FROM passages), "
            "(SELECT count(*) FROM sentences), (SELECT count(aligned) FROM sentences)"
        ).fetchone()
    finally:
        store.close()


def term_vector_terms(data_dir: Path) -> set[str]:
    """The Korean index terms that have an aligned vector (translation.py)."""
    store = Store(data_dir / generation.DATABASE)
    try:
        return {t for (t,) in store.conn.execute("SELECT term FROM term_vectors")}
    finally:
        store.close()


def korean_terms(data_dir: Path) -> set[str]:
    store = Store(data_dir / generation.DATABASE)
    try:
        doc_ids = [d for (d,) in store.conn.execute("SELECT doc_id FROM documents")]
        return {t for d in doc_ids for terms in store.document_terms(d) for t in terms if is_korean_term(t)}
    finally:
        store.close()


def test_vectors_stored_versioned_and_embedded_once(tmp_path, embedder, kiwi, use_m3):
    counting = CountingAligned(use_m3)
    indexer = Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi, lambda: counting)
    old = read(tmp_path / "in", body("alderon"))
    manifest = indexer.ingest([old]).manifest
    assert manifest is not None
    assert (manifest.aligned_model, manifest.aligned_dim) == ("use-multilingual-v3", 512)
    assert manifest.aligned_version == use_m3.version and manifest.backends["aligned"] == "faiss"
    passages = make_passages(old, kiwi)
    sentences = {old.text[s.start : s.end] for p in passages for s in p.sentences}
    # each passage as e5 sees it, each sentence on its own, and each Korean index term, once
    terms = korean_terms(indexer.data_dir)
    assert {"보고서", "시범", "프로젝트"} <= terms and term_vector_terms(indexer.data_dir) == terms
    assert sorted(counting.texts) == sorted({embed_text(p) for p in passages} | sentences | terms)
    n_p, with_p, n_s, with_s = aligned_rows(indexer.data_dir)
    assert (with_p, with_s) == (n_p, n_s) and n_p == len(passages)
    gen = generation.load(indexer.data_dir, manifest)
    assert gen.aligned is not None and set(gen.aligned.ids.tolist()) == set(gen.dense.ids.tolist())
    stored = gen.aligned.scores_for(use_m3.encode([embed_text(passages[0])])[0], gen.aligned.ids[:1])
    assert stored[0] == pytest.approx(1.0, abs=1e-5)

    counting.texts.clear()
    new = read(tmp_path / "in", body("bluefinx"))
    assert indexer.ingest([new]).outcomes[0].status == "updated"
    new_passages = make_passages(new, kiwi)
    new_sentences = {new.text[s.start : s.end] for p in new_passages for s in p.sentences}
    changed = {embed_text(p) for p in new_passages} - {embed_text(p) for p in passages}
    assert 0 < len(changed) < len(new_passages)
    # only the edited passage and its new sentence (no new Korean term): the rest kept their vectors
    assert sorted(counting.texts) == sorted(changed | (new_sentences - sentences))
    assert term_vector_terms(indexer.data_dir) == terms
    assert aligned_rows(indexer.data_dir)[1::2] == aligned_rows(indexer.data_dir)[0::2]


def test_a_database_without_aligned_vectors_gets_them_on_the_next_ingest(tmp_path, embedder, kiwi, use_m3):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    conn = sqlite3.connect(data_dir / generation.DATABASE)  # the schema before the aligned columns
    conn.executescript(SCHEMA)
    conn.close()
    doc = read(tmp_path / "in", body("alderon"))
    before = Indexer(data_dir, lambda: embedder, lambda: kiwi).ingest([doc]).manifest  # e5 alone
    assert before is not None and before.aligned_model is None
    assert aligned_rows(data_dir)[1::2] == (0, 0)
    searcher = Searcher(data_dir, embedder, kiwi, aligned=use_m3)  # serves, with e5 alone
    assert searcher.search("next stage of the alderon project", k=3).hits

    counting = CountingAligned(use_m3)
    report = Indexer(data_dir, lambda: embedder, lambda: kiwi, lambda: counting).ingest([doc])
    assert [o.status for o in report.outcomes] == ["unchanged"]
    assert report.manifest is not None and report.manifest.aligned_model == "use-multilingual-v3"
    assert report.manifest.revision == before.revision + 1
    n_p, with_p, n_s, with_s = aligned_rows(data_dir)
    terms = korean_terms(data_dir)
    assert term_vector_terms(data_dir) == terms
    assert (with_p, with_s) == (n_p, n_s) and len(counting.texts) == n_p + n_s + len(terms)
    counting.texts.clear()
    again = Indexer(data_dir, lambda: embedder, lambda: kiwi, lambda: counting).ingest([doc])
    assert counting.texts == [] and again.manifest == report.manifest  # nothing left to add
    searcher.refresh(wait=True)
    assert searcher._state is not None and searcher._state.gen.aligned is not None


def test_another_aligned_model_is_a_clear_error(tmp_path, embedder, kiwi, use_m3, e5_dir):
    from docqa.index.embedding.aligned import load_aligned

    indexer = Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi, lambda: use_m3)
    indexer.ingest([read(tmp_path / "in", body("alderon"))])
    other = load_aligned(str(e5_dir), tmp_path)  # a sentence-transformers model in its place
    with pytest.raises(generation.ModelMismatch, match="aligned model 'use-multilingual-v3'"):
        Searcher(indexer.data_dir, embedder, kiwi, aligned=other)
    with pytest.raises(generation.ModelMismatch, match="DOCQA_ALIGNED_MODEL"):
        Indexer(indexer.data_dir, lambda: embedder, lambda: kiwi, lambda: other).ingest([])
    assert Searcher(indexer.data_dir, embedder, kiwi).search("alderon", k=1).hits  # off: e5 alone


def test_a_sentence_transformers_aligned_model_indexes_and_searches(tmp_path, embedder, kiwi, e5_dir):
    from docqa.index.embedding.aligned import load_aligned

    stand_in = load_aligned(str(e5_dir), tmp_path)
    assert stand_in is not None
    indexer = Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi, lambda: stand_in)
    manifest = indexer.ingest([read(tmp_path / "in", body("alderon"))]).manifest
    assert manifest is not None and (manifest.aligned_model, manifest.aligned_dim) == (str(e5_dir), 384)
    hits = (
        Searcher(indexer.data_dir, embedder, kiwi, aligned=stand_in).search("the alderon project", k=3).hits
    )
    assert hits and "alderon" in hits[0].passage.text


# --- query time, on the session's sample corpus ----------------------------------------------------
@pytest.fixture(scope="module")
def counted(settings, embedder, kiwi, corpus_report, use_m3):
    counting = CountingAligned(use_m3)
    return Searcher(settings.data_dir, embedder, kiwi, aligned=counting), counting


def test_korean_questions_never_compute_an_aligned_vector(counted, searcher):
    aligned_searcher, counting = counted
    question = "쑤저우에는 공업 기업이 몇 개 있나?"
    for mode in ("hybrid", "dense", "lexical"):
        ours = aligned_searcher.search(question, k=5, mode=mode)
        plain = Searcher(searcher.data_dir, searcher.embedder, searcher.kiwi).search(question, k=5, mode=mode)
        assert [(h.passage.passage_id, h.score, h.sentences) for h in ours.hits] == [
            (h.passage.passage_id, h.score, h.sentences) for h in plain.hits
        ]
    assert counting.queries == []


def test_english_and_chinese_questions_use_the_aligned_side(counted):
    aligned_searcher, counting = counted
    english = "What compound revenue growth has AISpeech posted over the past five years?"
    result = aligned_searcher.search(english, k=5)
    # the question, and its words in one batch (to translate them: translation.py)
    assert english in counting.queries and "revenue" in counting.queries
    assert any("복합 성장률이 50% 이상" in h.passage.text for h in result.hits[:5])
    asked = len(counting.queries)
    aligned_searcher.search(english, k=5, mode="dense")
    assert len(counting.queries) == asked  # cached, like e5's query vectors
    aligned_searcher.search("苏州有多少家工业企业？", k=5)
    assert "苏州有多少家工业企业？" in counting.queries[asked:]
    asked = len(counting.queries)
    assert aligned_searcher.search(english, k=5, mode="lexical").hits and len(counting.queries) == asked


def test_answer_sentences_blend_the_aligned_similarity(counted):
    from docqa.index.answer import answer

    aligned_searcher, _ = counted
    result = aligned_searcher.search(
        "What compound revenue growth has AISpeech posted over the past five years?", k=5
    )
    cosines = [s.score for h in result.hits for s in h.sentences]
    assert cosines and all(np.isfinite(cosines))
    reply = answer(result)
    assert reply.found and "50%" in reply.quoted[0]
