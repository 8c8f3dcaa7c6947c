"""Lexical backend: BM25 over pre-analysed passages with bm25s; row i of the index is ``ids[i]``."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from docqa.index.backends.base import Floats, Ids, Terms, Units
from docqa.index.fusion import top_positive

SCORE_CACHE = 8  # queries whose full score vector is kept: a hybrid query asks for top and for fused ids


class Bm25sIndex:
    name: ClassVar[str] = "bm25s"

    def __init__(self, retriever: Any, ids: Ids, doc_freq: dict[str, int]):
        self.retriever = retriever
        self._ids = ids
        # Rows are in id order when built from a snapshot, so a binary search maps ids to rows
        # without a dict entry per passage; otherwise the dict.
        self._sorted = bool(np.all(ids[1:] > ids[:-1]))
        self._row = {} if self._sorted else {int(pid): i for i, pid in enumerate(ids)}
        self.doc_freq = doc_freq
        self._scores: OrderedDict[tuple[str, ...] | Units, Floats] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def build(cls, ids: Ids, terms: Sequence[list[str]]) -> Bm25sIndex:
        import bm25s

        retriever = bm25s.BM25()
        # bm25s cannot index an empty corpus; a placeholder row keeps the shapes valid.
        retriever.index([list(t) for t in terms] or [[""]], show_progress=False)
        doc_freq: dict[str, int] = {}
        for passage_terms in terms:
            for term in set(passage_terms):
                doc_freq[term] = doc_freq.get(term, 0) + 1
        return cls(retriever, np.asarray(ids, dtype=np.int64), doc_freq)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder / "bm25"))
        np.save(folder / "bm25_ids.npy", self._ids)
        (folder / "bm25_df.json").write_text(json.dumps(self.doc_freq, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Bm25sIndex:
        import bm25s

        # The postings stay in their files (memory-mapped): a query reads those of its terms.
        retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
        doc_freq = json.loads((folder / "bm25_df.json").read_text(encoding="utf-8"))
        return cls(retriever, np.load(folder / "bm25_ids.npy"), doc_freq)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> Ids:
        return self._ids

    def known(self, terms: Iterable[str]) -> list[str]:
        return [t for t in terms if t in self.doc_freq]

    def _all_scores(self, terms: Terms) -> Floats:
        """BM25 score of every row (zeros when no term is in the vocabulary); recent queries cached."""
        key: tuple[str, ...] | Units = terms if isinstance(terms, Units) else tuple(terms)
        with self._lock:
            if key in self._scores:
                self._scores.move_to_end(key)
                return self._scores[key]
        known = self.known(terms.terms if isinstance(terms, Units) else terms)
        if not known or not len(self._ids):
            scores: Floats = np.zeros(len(self._ids), dtype=np.float32)
        elif isinstance(terms, Units):
            scores = self._unit_scores(terms)
        else:
            scores = self._scores_of(known)
        scores.setflags(write=False)
        with self._lock:
            self._scores[key] = scores
            while len(self._scores) > SCORE_CACHE:
                self._scores.popitem(last=False)
        return scores

    def _unit_scores(self, query: Units) -> Floats:
        """Every row's sum over the units of its best alternative's score (``Units``)."""
        total = np.zeros(len(self._ids), dtype=np.float32)
        for unit in query.units:
            best: Floats | None = None
            for phrase in unit:
                known = self.known(phrase)
                if known:
                    scores = self._scores_of(known)
                    best = scores if best is None else np.maximum(best, scores)
            if best is not None:
                total += best
        return total

    def _scores_of(self, known: list[str]) -> Floats:
        """BM25 score of every row for terms that are all in the vocabulary."""
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)[: len(self._ids)]

    def search(self, terms: Terms, k: int, allowed: Ids | None = None) -> tuple[Ids, Floats]:
        scores = self._all_scores(terms)
        if allowed is not None:
            scores = np.where(np.isin(self._ids, allowed), scores, 0.0).astype(np.float32)
        top = top_positive(self._ids, scores, k)
        return top, self.scores_for(terms, top)

    def scores_for(self, terms: Terms, ids: Ids) -> Floats:
        scores = self._all_scores(terms)
        return np.asarray(scores[self.rows(ids)], dtype=np.float32)

    def rows(self, ids: Ids) -> Ids:
        """Row of each passage id in the score vector."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._sorted:
            return np.searchsorted(self._ids, ids).astype(np.int64)
        return np.fromiter((self._row[int(i)] for i in ids), dtype=np.int64, count=len(ids))

    def idf(self, term: str) -> float:
        """Lucene-style idf; an unseen term weighs like a term seen once."""
        n = max(len(self._ids), 1)
        df = max(self.doc_freq.get(term, 0), 1)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
