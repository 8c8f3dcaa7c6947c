"""The Milvus backend (Milvus Lite) against the local one, on the sample corpus copied into it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from docqa.index.backends.base import Units
from docqa.index.backends.bm25s import Bm25sIndex
from docqa.index.backends.bm25tf import TfBm25Index
from docqa.index.backends.milvus import Live, MilvusLexical, _unit_score, bm25_weights
from docqa.index.milvus import client as mc
from docqa.index.milvus.store import MilvusStore
from docqa.index.store import Store

NEWSLETTER = "004_38555d9f2bda2031"
QUERIES = [
    "화웨이 AI 반도체 성텅",
    "쑤저우에는 공업 기업이 몇 개나 모여 있나?",
    "창안자동차와 둥펑자동차 통합 이후 예상 판매량은?",
    "How many industrial enterprises are clustered in Suzhou?",
    "华为的昇腾芯片",
]


def test_sparse_bm25_weights_score_as_bm25s():
    """Passage weights (tf part) . query weights (idf) = bm25s's Lucene BM25, repeated terms too."""
    terms = [
        ["화웨이", "성텅", "성텅", "칩"],
        ["쑤저우", "기업", "칩"],
        ["기업", "기업", "기업", "반도체", "ai"],
        [],
    ]
    ids = np.arange(10, 10 + len(terms), dtype=np.int64)
    local = Bm25sIndex.build(ids, terms)
    avgdl = float(np.mean([len(t) for t in terms]))
    live = Live(ids, ["doc"] * len(ids))
    lexical = MilvusLexical.of(None, mc.LEXICAL, live, dict(zip(ids.tolist(), terms, strict=True)))
    for query in (["성텅"], ["기업", "칩"], ["칩", "칩", "없는말"], ["ai", "화웨이", "쑤저우"]):
        weights = lexical._query(query)
        ours = [sum(w * bm25_weights(t, avgdl).get(d, 0.0) for d, w in weights.items()) for t in terms]
        np.testing.assert_allclose(ours, local.scores_for(query, ids), rtol=1e-5, atol=1e-7)
        assert [lexical.idf(t) for t in query] == pytest.approx([local.idf(t) for t in query])


def test_units_score_their_best_alternative_here_and_in_milvus():
    """A unit's alternatives count once (the best), a phrase's terms add up, units add up: the
    same in both local backends and in the sparse vectors Milvus holds."""
    terms = [["화웨이", "칩", "반도체"], ["쑤저우", "기업", "칩", "칩"], ["기업", "반도체"], ["성텅"]]
    ids = np.arange(10, 10 + len(terms), dtype=np.int64)
    avgdl = float(np.mean([len(t) for t in terms]))
    live = Live(ids, ["doc"] * len(ids))
    lexical = MilvusLexical.of(None, mc.LEXICAL, live, dict(zip(ids.tolist(), terms, strict=True)))
    query = Units(((("칩",), ("반도체",)), (("쑤저우", "기업"),), (("없는말",),)))
    for local in (Bm25sIndex.build(ids, terms), TfBm25Index.build(ids, terms)):
        one = {t: local.scores_for([t], ids) for t in ("칩", "반도체", "쑤저우", "기업")}
        expected = np.maximum(one["칩"], one["반도체"]) + one["쑤저우"] + one["기업"]
        np.testing.assert_allclose(local.scores_for(query, ids), expected, rtol=1e-6)
        assert not np.allclose(expected, local.scores_for(query.terms, ids))  # not the plain sum
        weights = lexical._unit_weights(query)
        ours = [_unit_score(bm25_weights(t, avgdl), query, weights) for t in terms]
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)


def test_milvus_store_answers_every_store_method():
    """A ``MilvusStore`` is passed where a ``Store`` is expected: none of its methods may fall
    through to SQLite."""
    public = {n for n, f in inspect.getmembers(Store, inspect.isfunction) if not n.startswith("_")}
    missing = {n for n in public if getattr(MilvusStore, n) is getattr(Store, n)}
    assert not missing


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_the_milvus_index_ranks_as_the_local_one(searcher, milvus_searcher, mode):
    for query in QUERIES:
        local = searcher.search(query, k=10, mode=mode).hits
        milvus = milvus_searcher.search(query, k=10, mode=mode).hits
        assert [h.passage.passage_id for h in milvus] == [h.passage.passage_id for h in local], query
        np.testing.assert_allclose([h.score for h in milvus], [h.score for h in local], atol=2e-4)
        assert [h.highlights for h in milvus] == [h.highlights for h in local], query


def test_rows_match_the_local_index_and_long_texts_span_rows(
    settings, searcher, milvus_settings, milvus_searcher
):
    from docqa import runtime

    local = searcher.open_rows(searcher.manifest)
    milvus = runtime.open_rows(milvus_settings, milvus_searcher.manifest)
    try:
        strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("_at")} for r in rows]  # noqa: E731
        assert strip(milvus.documents()) == strip(local.documents())
        newsletter = local.document(NEWSLETTER)
        assert newsletter is not None and len(newsletter.text.encode()) > 65_535  # past one VARCHAR
        assert milvus.document(NEWSLETTER) == newsletter
        assert milvus.alias_records() == local.alias_records()
        ids = sorted(local.passage_rows())
        some = [ids[5], ids[0], ids[-1], ids[-1] + 1000]  # a query's hits; an unknown id is absent
        assert milvus.passage_rows_of(some) == local.passage_rows_of(some)
        assert len(local.passage_rows_of(some)) == 3 and milvus.passage_rows_of([]) == {}
        parts = list(
            mc.scan(
                milvus.client, mc.BLOBS, ["part"], f"doc_id == {mc.quoted(NEWSLETTER)} and kind == 'text'"
            )
        )
        assert len(parts) > 1
    finally:
        local.close()
    manifest = milvus_searcher.manifest
    assert (manifest.documents, manifest.passages) == (
        searcher.manifest.documents,
        searcher.manifest.passages,
    )
    assert manifest.backends == {"dense": "milvus", "lexical": "milvus", "aligned": "milvus"}


def test_a_lite_uri_must_name_a_db_file(tmp_path):
    from docqa.core.errors import UsageError

    with pytest.raises(UsageError, match="must end in .db"):
        mc.target(str(tmp_path / "milvus"), None, tmp_path)
    assert mc.target("http://milvus:19530", "root:Milvus", tmp_path).lite is False
    assert mc.target(None, None, tmp_path).uri == str(tmp_path / "milvus.db")


def test_migrate_wants_empty_collections(settings, milvus_settings):
    from docqa import runtime
    from docqa.core.errors import UsageError
    from docqa.index.milvus.migrate import migrate

    with pytest.raises(UsageError, match="already holds an index"):
        migrate(settings.data_dir, runtime.milvus_target(milvus_settings))


def test_a_replaced_version_stays_for_readers_until_its_grace_is_over(settings, embedder, kiwi, tmp_path):
    """Replace a document: the new version serves at once with exact counts, the old version's rows
    stay for readers still on the previous revision, and go once their grace period is over."""
    from docqa import runtime
    from docqa.index.milvus.store import GRACE_S
    from docqa.index.milvus.write import collect
    from docqa.ingest.readers import read_path

    milvus = settings.model_copy(update={"data_dir": tmp_path / "data", "backend": "milvus"})
    indexer = runtime.indexer(milvus, model=embedder, analyser=kiwi)
    source = tmp_path / "memo.txt"
    versions = [
        "한빛수소는 신형 수소 트럭 '바람개비'를 출시했다. 충전 시간은 15분이다.",
        "한빛수소는 신형 수소 트럭 '해오라기'를 출시했다. 충전 시간은 12분이다.",
    ]
    for text in versions:
        source.write_text(text, encoding="utf-8")
        report = indexer.ingest([read_path(source, {"doc_id": "memo"})])
        assert report.manifest is not None and (report.manifest.documents, report.manifest.passages) == (1, 1)
    store = MilvusStore(runtime.milvus_target(milvus))
    searcher = runtime.searcher(milvus, model=embedder, analyser=kiwi)
    hits = searcher.search("수소 트럭의 이름", k=5).hits
    assert [h.passage.text for h in hits] == [versions[1]]
    rows = lambda: list(mc.scan(store.client, mc.PASSAGES, ["stamp"], 'doc_id == "memo"'))  # noqa: E731
    assert len(rows()) == 2 and len(store.retired()) == 1  # the first version, kept for its readers
    assert collect(store, store.retired()[0][2] + GRACE_S - 1, GRACE_S) == 0
    assert collect(store, store.retired()[0][2] + GRACE_S, GRACE_S) == 1
    assert len(rows()) == 1 and store.retired() == []
    assert store.document("memo").text == versions[1] and store.counts() == (1, 1)


def test_a_filtered_search_is_scoped_by_document_in_milvus_and_by_passage_here():
    live = Live(np.array([3, 5, 8, 9]), ["a", "b", "b", 'c"d'])
    assert live.expression(None) == ""
    assert live.expression(np.array([5, 9])) == 'doc_id in ["b", "c\\"d"]'
    ids, scores = live.keep([9, 8, 5, 12], [0.9, 0.8, 0.5, 0.4], np.array([5, 9]), k=5)
    assert ids.tolist() == [9, 5] and scores.tolist() == pytest.approx([0.9, 0.5])
    assert live.keep([12, 3], [0.7, 0.6], None, k=1)[0].tolist() == [3]  # 12: another version's row


def test_the_ocr_flag_of_a_scanned_page_survives_milvus_rows():
    """Milvus keeps what SQLite keeps: which pages were OCR'd, and so which passages are flagged."""
    from docqa.index.milvus.store import _document, _stored
    from docqa.index.milvus.write import _body, _info
    from docqa.ingest.records import Document, Page

    text = "첫 쪽은 글자 층이 있다.\n둘째 쪽은 스캔이다."
    pages = (Page(1, 0, 14), Page(2, 15, len(text), ocr=True))
    doc = Document("d", "t", text, "s", "2025-01-01", "", "ko", "pdf", "d.pdf", "h", pages=pages)
    info = _info(doc, 2, 0.0, 0.0)
    assert _document("d", info, _body(doc)).pages == pages
    row = {"doc_id": "d", "ordinal": 0, "text": "", "sentences": [], "article": None, "section": None}
    first = _stored(1, {**row, "start": 0, "end": 14, "page": 1}, info).passage
    second = _stored(2, {**row, "start": 15, "end": len(text), "page": 2}, info).passage
    assert not first.ocr and second.ocr
