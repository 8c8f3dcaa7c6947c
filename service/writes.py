"""The write queue: uploads and deletes run one at a time on one writer thread, never on a request thread;
while one runs, queries take turns (``QueryTurns``).

Writes serialise on the ingest lock anyway, so waiting for it on the request thread pool only
took threads from reads (40 waiting uploads stalled every sync endpoint, ``/healthz`` included).
A write is admitted before its body is read: at most ``depth`` writes are in the service at
once (receiving, waiting or running); one more is answered ``503`` with ``Retry-After``. An
admitted write's job goes to the writer thread, and the request awaits its result without
holding a thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any, TypeVar

from docqa.core.process import name_os_thread

T = TypeVar("T")
log = logging.getLogger(__name__)


class QueueFull(Exception):
    """No room for another write; ``retry_after`` is a guess in seconds at when there will be."""

    def __init__(self, retry_after: int):
        super().__init__(f"the write queue is full; retry in {retry_after} s")
        self.retry_after = retry_after


class WriteQueue:
    """Admission (``admit``/``release``) and one writer thread that runs admitted jobs in order."""

    def __init__(self, depth: int, during: Callable[[], AbstractContextManager[object]] | None = None):
        """``during``: a context each job runs in (the searcher's ``yielding``: searches give a
        running write the cores)."""
        if depth < 1:
            raise ValueError("the write queue needs room for at least one write")
        self.depth = depth
        self._admitted = 0
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._during = during or nullcontext
        self._seconds = 2.0  # a running mean of how long a write takes, for Retry-After
        self._thread = threading.Thread(target=self._work, name="docqa-writer", daemon=True)
        self._thread.start()

    @property
    def admitted(self) -> int:
        return self._admitted

    def admit(self) -> None:
        """Take a place for one write, or raise ``QueueFull``."""
        with self._lock:
            if self._admitted >= self.depth:
                raise QueueFull(self.retry_after())
            self._admitted += 1

    def release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def retry_after(self) -> int:
        """Seconds until the writes now admitted are likely done (at least 1)."""
        return max(1, math.ceil(self._seconds * max(1, self._admitted)))

    async def run(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the writer thread (after the writes before it); await it without a thread.

        A request cancelled while its job waits takes the job out; one cancelled while its job
        runs waits for it, so the job's files (the upload) outlive it."""
        future: Future[T] = Future()
        self._jobs.put((job, future))
        waiter = asyncio.wrap_future(future)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            if not future.cancel():
                await asyncio.wait({waiter})
            raise

    def close(self) -> None:
        """Stop the writer once the jobs already queued are done."""
        self._jobs.put(None)
        self._thread.join(timeout=600)

    def _work(self) -> None:
        name_os_thread("docqa-writer")
        while (item := self._jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            started = time.monotonic()
            try:
                with self._during():
                    result = job()
                future.set_result(result)
            except BaseException as exc:  # noqa: BLE001 - handed to the request that awaits it
                future.set_exception(exc)
            self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)


class QueryTurns:
    """While a write runs, queries take turns, and rest between turns: one computes at a time,
    and the next starts only after a pause that holds the queries to ``share`` of one core (a
    query of 80 ms of CPU at share 0.25 is followed by 240 ms of rest; its CPU, not its wall
    time, which on busy cores grows with the other work and made the rests longer: search p95
    during the update 8.7 s at 100k at load 5). No thread of theirs runs
    meanwhile and none fails; they answer later. Four searching clients had four threads on two
    cores beside the write's two embedding workers, so the write got a third of the CPU; taking
    turns, two thirds, and the newsletter's upload at 100k passages took 20.5 s, of which the
    queries took 15 CPU seconds (``bench.scale_service``: ``update_s``, and
    ``search_p95_during_update_ms`` for what the searches pay). With no write in flight, queries
    run side by side as before, at once."""

    def __init__(self, share: float = 1.0) -> None:
        if not 0 < share <= 1:
            raise ValueError("the queries' share of a core during a write is in (0, 1]")
        self._rest = 1 / share - 1  # seconds of rest per second of a query's turn
        self._writes = 0
        self._lock = threading.Lock()
        self._turn = threading.Lock()
        self._ended = threading.Condition(self._lock)  # a write ended: a resting turn starts now
        self._next = 0.0  # monotonic time the next turn may start while a write runs

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The context a write runs in (``WriteQueue``'s ``during``)."""
        with self._lock:
            self._writes += 1
        try:
            yield
        finally:
            with self._lock:
                self._writes -= 1
                self._ended.notify_all()

    def run(self, work: Callable[[], T]) -> T:
        """``work()``, after the queries before it and their rest when a write is in flight."""
        if not self._writes:
            return work()
        with self._turn:
            with self._lock:  # the rest the turn before asked for, cut short when the writes end
                while self._writes and (wait := self._next - time.monotonic()) > 0:
                    self._ended.wait(wait)
            started = time.thread_time()  # the query's CPU (its passes run on this thread)
            try:
                return work()
            finally:
                self._next = time.monotonic() + (time.thread_time() - started) * self._rest


def during_both(*contexts: Callable[[], AbstractContextManager[object]] | None) -> Callable[[], ExitStack]:
    """One ``during`` for ``WriteQueue`` that enters each of ``contexts`` (None: skipped)."""

    def enter() -> ExitStack:
        stack = ExitStack()
        for context in contexts:
            if context is not None:
                stack.enter_context(context())
        return stack

    return enter
