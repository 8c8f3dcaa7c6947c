"""Query embeddings, cached: encoding is most of a query's cost on a CPU."""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import numpy as np

from docqa.index.coalesce import Coalescing

# Encoder runtimes whose query vectors are bit for bit the same in any batch: e5 on ONNX Runtime
# (``Embedder.runtime``; each row's padding is masked, the kernels work row by row). torch's
# differ by ~1e-7 with the batch, and USE-m3's ONNX graph too: those encode each lookup alone.
BATCH_EXACT_RUNTIMES = frozenset({"onnx", "onnx-int8"})


def batch_exact(embedder: Any) -> bool:
    """Whether ``embedder``'s vectors do not depend on what else is in its batch."""
    return getattr(embedder, "runtime", None) in BATCH_EXACT_RUNTIMES


class QueryVectors:
    """A bounded LRU cache of query embeddings: encoding is most of a query's cost on a CPU,
    and the same question comes back often (ask and search from the page, eval modes)."""

    def __init__(self, embedder: Any, size: int = 2048, lanes: int = 0):
        """``lanes``: encode concurrent lookups as shared batches, at most that many at once
        (``coalesce.Coalescing``; for an encoder whose vectors do not depend on the batch); 0: each
        lookup encodes on its own."""
        self.embedder = embedder
        self.size = size
        self.coalesces = bool(lanes)
        length = getattr(embedder, "query_lengths", None)
        self._coalescing = Coalescing(embedder.encode_queries, lanes, length=length) if lanes else None
        self._encode = self._coalescing.encode if self._coalescing else embedder.encode_queries
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def yielding(self) -> AbstractContextManager[object]:
        """While it lasts (a write runs), the encodings share one pass at a time
        (``Coalescing.yielding``), each on one core (``Embedder.narrowed``)."""
        stack = ExitStack()
        if self._coalescing:
            stack.enter_context(self._coalescing.yielding())
        narrowed = getattr(self.embedder, "narrowed", None)
        if narrowed is not None:
            stack.enter_context(narrowed())
        return stack

    def get_many(self, queries: list[str]) -> np.ndarray:
        """The vectors of several queries as rows, the uncached ones encoded in one batch (for an
        encoder whose vectors do not depend on batching: USE-m3's, and e5's, whose padding is masked)."""
        found = self._lookup(queries)
        return np.vstack([found[q] for q in queries])

    def get(self, query: str) -> np.ndarray:
        return self._lookup([query])[query]

    def _lookup(self, queries: list[str]) -> dict[str, np.ndarray]:
        """Each query's vector (read-only: shared between requests), from the cache or encoded."""
        with self._lock:
            found = {q: self._cache[q] for q in queries if q in self._cache}
            for query in found:
                self._cache.move_to_end(query)
        missing = [q for q in dict.fromkeys(queries) if q not in found]
        if not missing:
            return found
        for query, vector in zip(missing, self._encode(missing), strict=True):
            vector.setflags(write=False)
            found[query] = vector
        if self.size:
            with self._lock:
                self._cache.update((q, found[q]) for q in missing)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return found

    def for_one_search(self) -> QueryVectors:
        """A view for one search: each text is encoded at most once while it lasts, whatever the
        cache size (a question's aligned vector serves its words' translations and the ranking)."""
        return _OneSearch(self)


class _OneSearch(QueryVectors):
    """``QueryVectors.for_one_search``: remembers what it looked up; not shared between threads."""

    def __init__(self, shared: QueryVectors) -> None:
        super().__init__(shared.embedder, 0)  # encodes through ``shared`` only
        self._shared = shared
        self._seen: dict[str, np.ndarray] = {}

    def _lookup(self, queries: list[str]) -> dict[str, np.ndarray]:
        missing = [q for q in queries if q not in self._seen]
        if missing:
            self._seen.update(self._shared._lookup(missing))
        return {q: self._seen[q] for q in queries}
