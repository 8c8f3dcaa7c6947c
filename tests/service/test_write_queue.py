"""Uploads do not starve other requests (issue 11, defect 4): they wait for the writer without a
request thread, a full write queue answers 503 with Retry-After, and /healthz and searches answer
meanwhile.

Waiting uploads used to block on the ingest lock inside the request thread pool; with about 40
of them (the pool's size) every sync endpoint stalled, /healthz included (15.7 s). Here the pool
is shrunk to 4 threads, so a dozen uploads would have shown the same.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time

import httpx
import pytest
from live_server import serving

from docqa.config import Settings
from docqa.index.pipeline import LOCK
from docqa.index.search import Searcher
from docqa.service.app import create_app
from docqa.service.writes import QueueFull, WriteQueue

KEY = "test-key-4f9c-0b7e-long-enough"
AUTH = {"Authorization": f"Bearer {KEY}"}
UPLOADS, DEPTH = 12, 3
BOUND_S = 2.0  # generous: a stalled /healthz took seconds; an answering one takes milliseconds


def document(i: int) -> bytes:
    """A few paragraphs of distinct sentences: an ingest that takes the writer a moment."""
    sentences = [
        f"제{i}호 보고서의 {j}번째 항목은 지역 기업 {i * 31 + j}곳이 참여한 시범 사업의 성과를 정리했다."
        for j in range(40)
    ]
    return "\n\n".join(" ".join(sentences[k : k + 4]) for k in range(0, 40, 4)).encode()


async def timed(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)
    return response, time.perf_counter() - started


async def storm(url: str) -> tuple[list[httpx.Response], list[tuple[int, float]], list[tuple[int, float]]]:
    """Fire the uploads at once; poll /healthz and search until they are all answered."""
    limits = httpx.Limits(max_connections=UPLOADS + 4)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits, trust_env=False) as client:
        uploads = [
            asyncio.create_task(
                client.post(
                    "/v1/documents",
                    files={"file": (f"r{i}.txt", document(i))},
                    data={"doc_id": f"r{i}"},
                    headers=AUTH,
                )
            )
            for i in range(UPLOADS)
        ]
        health, searches = [], []
        while not all(task.done() for task in uploads):
            response, seconds = await timed(client, "GET", "/healthz")
            health.append((response.status_code, seconds))
            response, seconds = await timed(
                client, "POST", "/v1/search", json={"query": "시범 사업 성과", "k": 3}
            )
            searches.append((response.status_code, seconds))
        return [task.result() for task in uploads], health, searches


@pytest.fixture
def busy_server(settings, corpus_report, embedder, kiwi, tmp_path):
    data_dir = shutil.copytree(settings.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns(LOCK))
    app = create_app(
        Settings(data_dir=data_dir, api_key=KEY, write_queue=DEPTH), Searcher(data_dir, embedder, kiwi)
    )
    with serving(app, threads=4) as url:
        yield url


def test_many_uploads_get_503_with_retry_after_and_healthz_answers_meanwhile(busy_server):
    uploads, health, searches = asyncio.run(storm(busy_server))

    statuses = sorted(r.status_code for r in uploads)
    assert set(statuses) <= {200, 503}, [r.text for r in uploads if r.status_code not in (200, 503)]
    refused = [r for r in uploads if r.status_code == 503]
    assert len(refused) >= UPLOADS - 2 * DEPTH, (
        statuses
    )  # at most DEPTH in at once (a few more as they finish)
    assert statuses.count(200) >= DEPTH
    for response in refused:
        assert int(response.headers["retry-after"]) >= 1
        assert "DOCQA_WRITE_QUEUE" in response.json()["detail"]
    for response in uploads:
        if response.status_code == 200:
            assert response.json()["status"] == "added"

    assert len(health) >= 3, "the uploads ended before /healthz was asked"
    assert all(status == 200 for status, _ in health + searches)
    assert max(seconds for _, seconds in health) < BOUND_S, health
    assert max(seconds for _, seconds in searches) < 10 * BOUND_S, searches


def test_the_write_queue_runs_jobs_in_order_on_one_thread_and_refuses_past_its_depth():
    queue = WriteQueue(depth=2)
    try:
        queue.admit()
        queue.admit()
        with pytest.raises(QueueFull) as full:
            queue.admit()
        assert full.value.retry_after >= 1
        queue.release()
        queue.admit()  # a place again once one is released

        async def two() -> list[object]:
            jobs = (queue.run(threading.get_ident), queue.run(lambda: 1 / 0))
            return list(await asyncio.gather(*jobs, return_exceptions=True))

        ident, error = asyncio.run(two())
        assert isinstance(ident, int) and ident != threading.get_ident()  # the writer's thread
        assert isinstance(error, ZeroDivisionError)  # a job's error reaches its request
    finally:
        queue.close()


def test_each_write_runs_inside_the_queues_context():
    from contextlib import contextmanager

    inside: list[bool] = []
    state = {"writing": False}

    @contextmanager
    def during():
        state["writing"] = True
        try:
            yield
        finally:
            state["writing"] = False

    queue = WriteQueue(depth=1, during=during)
    try:
        asyncio.run(queue.run(lambda: inside.append(state["writing"])))
    finally:
        queue.close()
    assert inside == [True] and not state["writing"]


def test_queries_take_turns_while_a_write_runs_and_run_side_by_side_otherwise():
    from concurrent.futures import ThreadPoolExecutor

    from docqa.service.writes import QueryTurns

    turns = QueryTurns()
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def work() -> int:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return 1

    def most_at_once() -> int:
        state["most"] = 0
        with ThreadPoolExecutor(4) as pool:
            assert sum(pool.map(lambda _: turns.run(work), range(8))) == 8  # every query answers
        return state["most"]

    assert most_at_once() > 1
    with turns.writing():
        assert most_at_once() == 1
    assert most_at_once() > 1  # the write is done: side by side again


def test_pool_threads_carry_their_name_into_the_os():
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from docqa.core.process import named_threads

    def comm(_: int) -> str:
        return Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip()

    with ThreadPoolExecutor(2, **named_threads("docqa-probe")) as pool:
        assert set(pool.map(comm, range(2))) == {"docqa-probe"}


def test_during_a_write_queries_rest_between_turns_and_stop_resting_when_it_ends():
    from docqa.service.writes import QueryTurns

    turns = QueryTurns(share=0.05)  # a turn of 50 ms of CPU is followed by 950 ms of rest
    done: list[float] = []

    def work() -> int:
        start = time.thread_time()
        while time.thread_time() - start < 0.05:  # CPU, as a search spends it
            pass
        done.append(time.monotonic())
        return 1

    with turns.writing():
        t0 = time.monotonic()
        assert turns.run(work) + turns.run(work) == 2
        assert done[0] - t0 < 0.5  # the first turn did not wait: nothing ran before it
        assert done[1] - done[0] >= 0.95  # the second began after the first's rest
        resting = threading.Thread(target=turns.run, args=(work,))
        resting.start()  # it rests ...
        time.sleep(0.02)
    ended = time.monotonic()  # ... until the write ends
    resting.join()
    assert done[2] - ended < 0.5  # not the 0.9 s of rest left
    assert turns.run(work) == 1 and done[3] - done[2] < 0.5  # no write: no turns, no rest
    with pytest.raises(ValueError):
        QueryTurns(share=0)
