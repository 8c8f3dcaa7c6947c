"""Concurrent query encodings shared as batches (index/coalesce.py), on the real e5 model."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from docqa.config import REPO_ROOT


def _questions(n_per_set: int) -> list[str]:
    out = []
    for path in sorted((REPO_ROOT / "eval" / "sets").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        out += [json.loads(line)["question"] for line in lines[:n_per_set]]
    return out


def test_e5_on_onnx_gives_every_question_the_same_vector_in_any_batch(e5_embedder, e5_torch):
    # what makes sharing passes safe: nothing a search returns may change with the load
    from docqa.index.query_vectors import batch_exact

    questions = _questions(12)  # long and short, Korean, English, Chinese, typos
    alone = np.vstack([e5_embedder.encode_queries([q]) for q in questions])
    rng = np.random.default_rng(16)
    for size in (2, 3, 4):
        order = rng.permutation(len(questions))
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            assert np.array_equal(e5_embedder.encode_queries([questions[i] for i in rows]), alone[rows])
    assert batch_exact(e5_embedder)
    assert not batch_exact(e5_torch)  # its GEMMs round differently with the batch: encoded alone


class _HeldFirst:
    """The real encoder; the first pass waits for ``release`` (a lane kept busy), every pass recorded."""

    def __init__(self, embedder):
        self.embedder, self.passes = embedder, []
        self.started, self.release = threading.Event(), threading.Event()

    def encode_queries(self, texts):
        self.passes.append(list(texts))
        if len(self.passes) == 1:
            self.started.set()
            assert self.release.wait(60)
        return self.embedder.encode_queries(texts)


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _in_threads(coalescing, calls: list[list]) -> list:
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = coalescing.encode(calls[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    return [threads, results]


def test_calls_that_wait_for_a_busy_lane_share_the_next_pass(e5_embedder):
    from docqa.index.coalesce import Coalescing

    held = _HeldFirst(e5_embedder)
    coalescing = Coalescing(held.encode_queries, lanes=1, max_texts=4)
    first = ["쑤저우에는 공업 기업이 몇 개나 모여 있나?"]
    waiting = [["What does Huawei make?"], ["苏州有多少家工业企业?", "쑤저우 공업 기업"], ["화웨이"]]
    threads, results = _in_threads(coalescing, [first])
    assert held.started.wait(60)
    more, more_results = _in_threads(coalescing, waiting)
    _wait_for(lambda: len(coalescing._waiting) == len(waiting))  # all three queued behind the lane
    held.release.set()
    for thread in threads + more:
        thread.join(60)
    # the three waiting calls went in one pass of four texts (whoever woke first leads it), each
    # call's texts kept together
    assert len(held.passes) == 2 and held.passes[0] == first
    assert sorted(held.passes[1]) == sorted(t for call in waiting for t in call)
    pair = held.passes[1].index(waiting[1][0])
    assert held.passes[1][pair : pair + 2] == waiting[1]
    for call, vectors in zip([first, *waiting], results + more_results, strict=True):
        assert np.array_equal(vectors, e5_embedder.encode_queries(call))


def test_a_text_the_model_refuses_fails_its_own_call_only(e5_embedder):
    from docqa.index.coalesce import Coalescing

    held = _HeldFirst(e5_embedder)
    coalescing = Coalescing(held.encode_queries, lanes=1)
    threads, results = _in_threads(coalescing, [["화웨이"]])
    assert held.started.wait(60)
    calls = [["쑤저우"], [None], ["What does Huawei make?"]]  # None is no text: its pass fails
    more, more_results = _in_threads(coalescing, calls)
    _wait_for(lambda: len(coalescing._waiting) == len(calls))
    held.release.set()
    for thread in threads + more:
        thread.join(60)
    assert len(held.passes) == 1 + 1 + len(calls)  # the shared pass failed: each call again alone
    good, bad, other = more_results
    assert isinstance(bad, Exception) and not isinstance(good, Exception)
    assert np.array_equal(good, e5_embedder.encode_queries(["쑤저우"]))
    assert np.array_equal(other, e5_embedder.encode_queries(["What does Huawei make?"]))
    with pytest.raises(type(bad)):
        e5_embedder.encode_queries([None])  # the same error as alone


def test_while_a_write_runs_one_pass_at_a_time_takes_every_waiting_call(e5_embedder):
    from docqa.index.coalesce import Coalescing

    held = _HeldFirst(e5_embedder)
    coalescing = Coalescing(held.encode_queries, lanes=2, max_texts=4)
    with coalescing.yielding():  # a write in flight: the second lane is the write's
        threads, results = _in_threads(coalescing, [["화웨이"]])
        assert held.started.wait(60)
        more, more_results = _in_threads(coalescing, [["쑤저우"], ["What does Huawei make?"]])
        _wait_for(lambda: len(coalescing._waiting) == 2)  # queued: lanes 2, but one while yielding
        time.sleep(0.2)
        assert len(held.passes) == 1
        held.release.set()
        for thread in threads + more:
            thread.join(60)
    assert len(held.passes) == 2 and sorted(held.passes[1]) == ["What does Huawei make?", "쑤저우"]
    assert np.array_equal(more_results[0], e5_embedder.encode_queries(["쑤저우"]))
    # the write done, two passes run at once again
    held2 = _HeldFirst(e5_embedder)
    coalescing._encode = held2.encode_queries
    threads, _ = _in_threads(coalescing, [["화웨이"]])
    assert held2.started.wait(60)
    more, more_results = _in_threads(coalescing, [["쑤저우"]])
    more[0].join(60)  # ran beside the held pass
    assert np.array_equal(more_results[0], e5_embedder.encode_queries(["쑤저우"]))
    held2.release.set()
    threads[0].join(60)


def test_a_pass_takes_the_waiting_calls_nearest_its_lead_in_length(e5_embedder):
    from docqa.index.coalesce import Coalescing

    held = _HeldFirst(e5_embedder)
    coalescing = Coalescing(held.encode_queries, lanes=1, max_texts=2, length=e5_embedder.query_lengths)
    long_one = ["쑤저우가 가진 국가급 첨단 제조 클러스터는 몇 개이고, 대표로 거론된 분야는 무엇인가?"]
    short = ["화웨이"]
    long_two = ["What are the six national advanced manufacturing clusters of Suzhou, and which fields lead?"]
    lengths = e5_embedder.query_lengths([long_one[0], short[0], long_two[0]])
    assert abs(lengths[2] - lengths[0]) < abs(lengths[1] - lengths[0])
    threads, _ = _in_threads(coalescing, [["쑤저우"]])
    assert held.started.wait(60)
    more, results = [], []
    for queued, call in enumerate((long_one, short, long_two), 1):  # in this order behind the lane
        t, r = _in_threads(coalescing, [call])
        _wait_for(lambda n=queued: len(coalescing._waiting) == n)
        more += t
        results.append(r)
    held.release.set()
    for thread in threads + more:
        thread.join(60)
    more_results = [r[0] for r in results]
    # the longest waiting leads the next pass and takes the one nearest its length, not the next in line
    assert held.passes[1:] == [long_one + long_two, short]
    for call, vectors in zip((long_one, short, long_two), more_results, strict=True):
        assert np.array_equal(vectors, e5_embedder.encode_queries(call))
