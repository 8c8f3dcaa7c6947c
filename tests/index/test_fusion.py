"""Pure maths of retrieval: normalisation, date intervals, filters."""

import numpy as np

from docqa.index.fusion import minmax, top_positive
from docqa.index.search import date_range


def test_minmax():
    assert minmax(np.array([1.0, 3.0, 2.0])).tolist() == [0.0, 1.0, 0.5]
    assert minmax(np.array([0.0, 0.0])).tolist() == [0.0, 0.0]  # a side that found nothing adds nothing
    assert minmax(np.array([2.0, 2.0])).tolist() == [1.0, 1.0]


def test_top_positive_skips_zero_scores():
    ids = np.array([10, 11, 12, 13])
    assert top_positive(ids, np.array([0.0, 2.0, 0.5, 0.0]), 10).tolist() == [11, 12]
    assert top_positive(ids, np.zeros(4), 10).tolist() == []


def test_partial_dates_are_intervals():
    assert date_range("2018") == ("2018-01-01", "2018-12-31")
    assert date_range("2025-06") == ("2025-06-01", "2025-06-31")
    assert date_range("2026-02-11") == ("2026-02-11", "2026-02-11")


class _CountingEmbedder:
    """Counts calls; the cache logic is what is under test, not the model."""

    def __init__(self):
        self.calls = 0

    def encode_queries(self, texts):
        self.calls += 1
        return np.full((len(texts), 3), float(len(texts[0])), dtype=np.float32)


def test_query_vectors_are_cached_and_bounded():
    from docqa.index.query_vectors import QueryVectors

    embedder = _CountingEmbedder()
    cache = QueryVectors(embedder, size=2)
    first = cache.get("쑤저우")
    assert cache.get("쑤저우") is first and embedder.calls == 1
    cache.get("항저우 인공지능")
    cache.get("화웨이")  # evicts the least recently used, "쑤저우"
    cache.get("쑤저우")
    assert embedder.calls == 4
    assert not first.flags.writeable
    off = QueryVectors(embedder, size=0)
    off.get("쑤저우")
    off.get("쑤저우")
    assert embedder.calls == 6


def test_dense_index_rows_and_exact_scores():
    from docqa.index.backends.faiss import FaissIndex

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(6, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.array([3, 5, 8, 13, 21, 34])
    index = FaissIndex.build(ids, vectors, 4)
    assert np.array_equal(index.matrix, vectors)  # a view of FAISS's own storage
    assert index.rows(np.array([21, 3])).tolist() == [4, 0]
    assert np.allclose(index.scores_for(vectors[2], np.array([8, 34])), [1.0, vectors[5] @ vectors[2]])
    found, scores = index.search(vectors[1], 2, allowed=np.array([5, 13]))
    assert found.tolist()[0] == 5 and abs(scores[0] - 1.0) < 1e-6


def test_large_corpora_get_an_inverted_file_that_filters_rescores_and_updates(tmp_path):
    from docqa.index.backends.faiss import FaissIndex, index_type

    assert index_type(249_999) == "flat" and index_type(250_000) == "ivf"
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(20, 16))
    vectors = (centres[rng.integers(0, 20, 2000)] + 0.3 * rng.normal(size=(2000, 16))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 2100)
    exact = FaissIndex.build(ids, vectors, 16)
    approx = FaissIndex.build(ids, vectors, 16, ivf_from=1000)
    assert (exact.kind, approx.kind) == ("flat", "ivf")
    assert "IVF" in approx.description and np.array_equal(approx.ids, ids)
    queries = vectors[rng.integers(0, 2000, 50)] + 0.05 * rng.normal(size=(50, 16)).astype(np.float32)
    overlap = [
        len(set(exact.search(q, 10)[0]) & set(approx.search(q, 10)[0])) / 10
        for q in queries.astype(np.float32)
    ]
    assert np.mean(overlap) >= 0.95  # recall@10 against exact
    allowed = ids[::97]  # a small filter is searched exactly, whichever lists its passages are in
    found, scores = approx.search(queries[0].astype(np.float32), 10, allowed=allowed)
    truth, _ = exact.search(queries[0].astype(np.float32), 10, allowed=allowed)
    assert found.tolist() == truth.tolist() and set(found) <= set(allowed)
    assert np.allclose(
        approx.scores_for(vectors[5], np.array([105, 106])),
        exact.scores_for(vectors[5], np.array([105, 106])),
        atol=2e-3,
    )  # noqa: E501
    # a write takes ids out and puts new ones in, without a new k-means
    moved = approx.moved(np.array([105, 300]), np.array([5000]), vectors[5:6])
    assert len(moved) == 1999 and moved.ids[-1] == 5000 and 105 not in set(moved.ids)
    assert moved.search(vectors[5], 1)[0].tolist() == [5000]
    assert moved.fits(2000, ivf_from=1000) and not moved.fits(20_000, ivf_from=1000)
    assert exact.fits(2000) and not exact.fits(300_000)
    moved.save(tmp_path)
    for mapped in (False, True):  # a searcher maps the lists from the file instead of reading them
        loaded = FaissIndex.load(tmp_path, 16, mapped=mapped)
        assert loaded.kind == "ivf" and np.array_equal(loaded.ids, moved.ids)
        assert np.array_equal(
            loaded.search(queries[1].astype(np.float32), 5)[0],
            moved.search(queries[1].astype(np.float32), 5)[0],
        )
        assert np.array_equal(loaded.scores_for(vectors[7], ids[7:9]), moved.scores_for(vectors[7], ids[7:9]))


# --- the aligned encoder's weights and the dense / sentence fusion -------------------------------
def test_korean_questions_never_use_the_aligned_side():
    from docqa.index.fusion import LEXICAL_WEIGHT, SCRIPT_WEIGHTS, ScriptWeights, weights_for

    assert weights_for("hangul") == ScriptWeights(0.0, LEXICAL_WEIGHT, 0.0)
    assert weights_for("somewhere else") == weights_for("hangul")
    for script_ in ("latin", "han", "kana"):  # other scripts do, with a smaller lexical share
        assert SCRIPT_WEIGHTS[script_].aligned > 0 and SCRIPT_WEIGHTS[script_].sentences > 0
        assert SCRIPT_WEIGHTS[script_].lexical <= LEXICAL_WEIGHT


def test_fuse_dense_by_hand():
    from docqa.index.fusion import fuse_dense

    e5 = np.array([0.80, 0.90, 0.85], dtype=np.float32)
    use = np.array([0.50, 0.10, 0.30], dtype=np.float32)
    assert fuse_dense(e5, None, 1.0) is e5  # no aligned side: the cosines as they are
    assert fuse_dense(e5, use, 0.0) is e5
    # minmax: e5 [0, 1, .5], use [1, 0, .5] -> sum [1, 1, 1]; with weight 2: [2, 1, 1.5]
    assert np.allclose(fuse_dense(e5, use, 1.0), [1.0, 1.0, 1.0])
    assert np.allclose(fuse_dense(e5, use, 2.0), [2.0, 1.0, 1.5])


def test_with_best_sentences_by_hand():
    from docqa.index.fusion import SENTENCE_RERANK_WEIGHT, with_best_sentences

    fused = np.array([0.9, 0.8, 0.1, 0.7], dtype=np.float32)
    top = np.array([0, 1, 3])
    e5 = np.array([0.80, 0.90, 0.85], dtype=np.float32)  # minmax [0, 1, .5]
    use = np.array([0.20, 0.10, 0.60], dtype=np.float32)  # minmax [.2, 0, 1]
    out = with_best_sentences(fused, top, e5, use, 1.0)
    w = SENTENCE_RERANK_WEIGHT
    assert np.allclose(out, [0.9 + 0.2 * w, 0.8 + 1.0 * w, 0.1, 0.7 + 1.5 * w])
    assert np.allclose(fused, [0.9, 0.8, 0.1, 0.7])  # a new array: the caller's scores stay


def test_sentence_similarity_by_hand():
    from docqa.index.fusion import sentence_similarity

    e5 = np.array([0.80, 0.90, 0.85, 0.70], dtype=np.float32)
    use = np.array([0.60, 0.20, 0.40, 0.90], dtype=np.float32)
    assert sentence_similarity(e5, use, 0.0) is e5
    # over the first three (the 4th is too short to quote): e5 mm [0, 1, .5], use mm [1, 0, .5];
    # b = 2: mix [2/3, 1/3, 1/2] -> back onto [.80, .90]: [.8667, .8333, .85]; the 4th maps alike:
    # e5 mm -1, use mm 1.75 -> (-1 + 3.5) / 3 = .8333 -> .8833
    within = np.array([True, True, True, False])
    sims = sentence_similarity(e5, use, 2.0, within)
    assert np.allclose(sims, [0.86667, 0.83333, 0.85, 0.88333], atol=1e-4)
    # nothing quotable: scaled over all
    assert np.allclose(
        sentence_similarity(e5, use, 2.0, np.zeros(4, bool)), sentence_similarity(e5, use, 2.0)
    )
    flat = np.full(3, 0.5, dtype=np.float32)
    assert np.allclose(sentence_similarity(flat, use[:3], 2.0), 0.5)  # one e5 value: nothing to spread


def test_lexical_weight_scales_with_the_scripts_weight():
    from docqa.index.fusion import lexical_weight

    assert lexical_weight(0.3) == 0.25 and lexical_weight(0.9) == 0.5
    assert lexical_weight(0.9, 0.0) == 0.0
