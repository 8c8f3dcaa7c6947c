"""Concurrent query encodings run as shared batches: many questions in one forward pass.

Under load most of a search's CPU is the e5 pass over its question, and a pass over several
questions costs less per question than one pass each (bench/: 21 ms of thread CPU a question
alone, 16-17 ms in a batch of 2-4 on this CPU): the weights' blocks are unpacked once per pass, and
larger matrices run nearer the kernel's peak. A call that finds a lane free runs at once, with
the calls already waiting; one that finds every lane busy waits and is taken into the next
batch. So a lone query waits for nothing, and under load the questions that arrive while a
pass runs share the next. e5's vectors do not depend on the batch (each row's padding is
masked; bit for bit the same, ``tests/index/test_coalesce.py``), so nothing a search returns changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

MAX_TEXTS = 4  # per pass: more pads the shorter questions to the longest for no further gain


class _Call:
    __slots__ = ("texts", "vectors", "error", "taken", "done")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None
        self.taken = False  # in a pass (this thread's or another's)
        self.done = False


class Coalescing:
    """``encode`` shared by threads: at most ``lanes`` passes at once, each over the waiting calls
    (up to ``max_texts`` texts; a call's own texts are never split)."""

    def __init__(
        self, encode: Callable[[list[str]], np.ndarray], lanes: int, max_texts: int = MAX_TEXTS
    ) -> None:
        self._encode = encode
        self._lanes = max(1, lanes)
        self._max_texts = max(1, max_texts)
        self._waiting: list[_Call] = []
        self._running = 0
        self._yielding = 0  # writes in flight: while one is, a single lane (``yielding``)
        self._changed = threading.Condition()

    @contextmanager
    def yielding(self) -> Iterator[None]:
        """While it lasts, one pass at a time (over every question waiting): a write in flight
        gets the cores the other lanes would take. Nothing fails; questions wait for the lane."""
        with self._changed:
            self._yielding += 1
        try:
            yield
        finally:
            with self._changed:
                self._yielding -= 1
                self._changed.notify_all()

    def _lanes_now(self) -> int:
        return 1 if self._yielding else self._lanes

    def encode(self, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` (rows in order), as ``encode`` alone would give them."""
        call = _Call(list(texts))
        with self._changed:
            self._waiting.append(call)
            while not call.done and (call.taken or self._running >= self._lanes_now()):
                self._changed.wait()
            lead = not call.done
            if lead:  # a lane is free: this thread runs the next pass, its own call first
                batch = self._take(call)
                self._running += 1
        if lead:
            self._run(batch)
        if call.error is not None:
            raise call.error
        assert call.vectors is not None
        return call.vectors

    def _take(self, first: _Call) -> list[_Call]:
        """``first`` and the calls waiting longest, as many as fit in a pass; removed from the queue."""
        batch, size = [first], len(first.texts)
        for call in self._waiting:
            if call is not first and size + len(call.texts) <= self._max_texts:
                batch.append(call)
                size += len(call.texts)
        for call in batch:
            call.taken = True
        self._waiting = [c for c in self._waiting if not c.taken]
        return batch

    def _run(self, batch: list[_Call]) -> None:
        try:
            self._encode_each(batch)
        finally:
            with self._changed:
                self._running -= 1
                for call in batch:
                    call.done = True
                self._changed.notify_all()

    def _encode_each(self, batch: list[_Call]) -> None:
        """One pass for the whole batch; if it fails, each call alone, so that a text the model
        refuses fails its own search and no other."""
        try:
            vectors = self._encode([t for call in batch for t in call.texts])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for call in batch:
                self._encode_each([call])
            return
        start = 0
        for call in batch:
            call.vectors = vectors[start : start + len(call.texts)]
            start += len(call.texts)
