"""Query embeddings, cached: encoding is most of a query's cost on a CPU."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np


class QueryVectors:
    """A bounded LRU cache of query embeddings: encoding is most of a query's cost on a CPU,
    and the same question comes back often (ask and search from the page, eval modes)."""

    def __init__(self, embedder: Any, size: int = 2048):
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

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
        for query, vector in zip(missing, self.embedder.encode_queries(missing), strict=True):
            vector.setflags(write=False)
            found[query] = vector
        if self.size:
            with self._lock:
                self._cache.update((q, found[q]) for q in missing)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return found
