"""Pure maths of retrieval: normalisation, date intervals, filters."""

import numpy as np

from index.search import _minmax, _top_positive, date_range


def test_minmax():
    assert _minmax(np.array([1.0, 3.0, 2.0])).tolist() == [0.0, 1.0, 0.5]
    assert _minmax(np.array([0.0, 0.0])).tolist() == [0.0, 0.0]  # a side that found nothing adds nothing
    assert _minmax(np.array([2.0, 2.0])).tolist() == [1.0, 1.0]


def test_top_positive_skips_zero_scores():
    ids = np.array([10, 11, 12, 13])
    assert _top_positive(ids, np.array([0.0, 2.0, 0.5, 0.0]), 10).tolist() == [11, 12]
    assert _top_positive(ids, np.zeros(4), 10).tolist() == []


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
    from index.search import QueryVectors

    embedder = _CountingEmbedder()
    cache = QueryVectors(embedder, size=2)
    first = cache.get("쑤저우")
    assert cache.get("쑤저우") is first and embedder.calls == 1
    cache.get("항저우 인공지능")
    cache.get("화웨이")  # evicts the least recently used, "쑤저우"
    cache.get("쑤저우")
    assert embedder.calls == 4
    assert not first.flags.writeable


def test_dense_index_rows_and_exact_scores():
    from index.dense import DenseIndex

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(6, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.array([3, 5, 8, 13, 21, 34])
    index = DenseIndex.build(ids, vectors, 4)
    assert np.array_equal(index.matrix, vectors)  # a view of FAISS's own storage
    assert index.rows(np.array([21, 3])).tolist() == [4, 0]
    assert np.allclose(index.scores_for(vectors[2], np.array([8, 34])), [1.0, vectors[5] @ vectors[2]])
    found, scores = index.search(vectors[1], 2, allowed=np.array([5, 13]))
    assert found.tolist()[0] == 5 and abs(scores[0] - 1.0) < 1e-6
