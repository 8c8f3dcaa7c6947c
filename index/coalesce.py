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
    __slots__ = ("texts", "length", "vectors", "error", "taken", "done", "wake")

    def __init__(self, texts: list[str], length: int, lock: threading.Lock) -> None:
        self.texts = texts
        self.length = length  # its longest text's, in what a pass pads to (e5: tokens)
        self.wake = threading.Condition(lock)  # this call's own: a pass wakes only whom it concerns
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None
        self.taken = False  # in a pass (this thread's or another's)
        self.done = False


class Coalescing:
    """``encode`` shared by threads: at most ``lanes`` passes at once, each over the waiting calls
    (up to ``max_texts`` texts; a call's own texts are never split)."""

    def __init__(
        self,
        encode: Callable[[list[str]], np.ndarray],
        lanes: int,
        max_texts: int = MAX_TEXTS,
        length: Callable[[list[str]], list[int]] | None = None,
    ) -> None:
        self._encode = encode
        # each text's length as the pass pads it (e5: its tokens); a pass takes the waiting calls
        # nearest the lead's in length, so that less of it is padding (``_take``)
        self._length = length or (lambda texts: [len(t) for t in texts])
        self._lanes = max(1, lanes)
        self._max_texts = max(1, max_texts)
        self._waiting: list[_Call] = []
        self._running = 0
        self._yielding = 0  # writes in flight: while one is, a single lane (``yielding``)
        # One lock; each waiting call sleeps on a condition of its own, woken when its pass is done
        # or when a lane frees and it is the longest waiting: a pass's end wakes two or three
        # threads, not every one of the 16 clients' (which then went back to sleep, each taking
        # the GIL on the way: 5% of the GIL's samples at 16 clients, py-spy --gil).
        self._lock = threading.Lock()

    @contextmanager
    def yielding(self) -> Iterator[None]:
        """While it lasts, one pass at a time (over every question waiting): a write in flight
        gets the cores the other lanes would take. Nothing fails; questions wait for the lane."""
        with self._lock:
            self._yielding += 1
        try:
            yield
        finally:
            with self._lock:
                self._yielding -= 1
                self._wake_leads()

    def _lanes_now(self) -> int:
        return 1 if self._yielding else self._lanes

    def encode(self, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` (rows in order), as ``encode`` alone would give them."""
        texts = list(texts)
        call = _Call(texts, self._longest(texts), self._lock)
        with self._lock:
            self._waiting.append(call)
            while not call.done and (call.taken or self._running >= self._lanes_now()):
                call.wake.wait()
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

    def _longest(self, texts: list[str]) -> int:
        try:
            return max(self._length(texts), default=0)
        except Exception:  # a text the model refuses: its pass says so (``_encode_each``)
            return 0

    def _take(self, first: _Call) -> list[_Call]:
        """``first`` and the waiting calls nearest it in length (the longest waiting first among
        equals), as many as fit in a pass; removed from the queue. A pass costs its texts times
        its longest: at 16 clients, taking the calls in arrival order padded 20% of its tokens.
        A call left waiting leads a pass of its own once it is the longest waiting (``_wake_leads``)."""
        batch, size = [first], len(first.texts)
        others = sorted(
            (c for c in self._waiting if c is not first), key=lambda c: abs(c.length - first.length)
        )
        for call in others:
            if size + len(call.texts) <= self._max_texts:
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
            with self._lock:
                self._running -= 1
                for call in batch:
                    call.done = True
                    call.wake.notify()
                self._wake_leads()

    def _wake_leads(self) -> None:
        """Wake the longest waiting calls, one for each free lane: each runs the next pass (a call
        that arrives first may take the lane; the one woken then waits for the next). Lock held."""
        free = self._lanes_now() - self._running
        for call in self._waiting[: max(0, free)]:
            call.wake.notify()

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
