"""Retrieval over one index generation: lexical, dense and hybrid, with sentence highlights.

Hybrid fuses min-max-normalised dense cosines and BM25 scores (the convex combination that
beat RRF on Korean text, see the README). The lexical weight shrinks with how much of the
question the best lexical match covers, so an English or Chinese question asked of Korean
text, whose words the lexical side mostly cannot see, is ranked by the dense side alone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from docqa.core.text import scrub
from docqa.index import generation
from docqa.index.lexical import analyze
from docqa.index.store import PassageRow
from docqa.ingest.records import Span

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[str, ...] = ("hybrid", "dense", "lexical")
LEXICAL_WEIGHT = 0.5  # at full coverage; measured in eval/ (README figures)
FULL_COVERAGE = 0.6  # coverage at which the lexical side gets its full weight
SENTENCE_LEXICAL_BONUS = 0.08  # how much a sentence's term overlap adds to its cosine
RETRY_S = 1.0  # after a failed load, wait this long before a query triggers another attempt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    doc_id: str | None = None
    source: str | None = None
    published_from: str | None = None
    published_to: str | None = None

    def active(self) -> bool:
        return any((self.doc_id, self.source, self.published_from, self.published_to))


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    row: PassageRow
    highlights: tuple[Span, ...]  # offsets inside the passage text
    cosine: float | None = None


@dataclass(frozen=True)
class SearchResult:
    query: str
    mode: str
    hits: list[Hit]
    took_ms: float
    coverage: float = 0.0  # share of the query's idf mass the best lexical match contains
    terms: tuple[str, ...] = ()
    qvec: np.ndarray | None = None


@dataclass
class _State:
    """Everything a query reads, swapped as one object when a new generation appears."""

    manifest: dict
    gen: generation.Generation
    rows: dict[int, PassageRow]
    terms: dict[int, frozenset[str]]
    sentences: dict[str, tuple[np.ndarray, np.ndarray]]
    lexical_row: dict[int, int] = field(default_factory=dict)
    # Kiwi terms of each sentence, (doc_id, start) -> terms, filled as queries touch them:
    # analysing the sentences of every hit on every query was most of a lexical query's time.
    sentence_terms: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)



class QueryVectors:
    """A bounded LRU cache of query embeddings: encoding is most of a query's cost on a CPU,
    and the same question comes back often (ask and search from the page, eval modes)."""

    def __init__(self, embedder, size: int = 2048):
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> np.ndarray:
        with self._lock:
            if query in self._cache:
                self._cache.move_to_end(query)
                return self._cache[query]
        vector = self.embedder.encode_queries([query])[0]
        vector.setflags(write=False)  # shared between requests
        if self.size == 0:
            return vector
        with self._lock:
            self._cache[query] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector


class Searcher:
    """Answers queries from the current generation; reloads when another one is made current."""

    def __init__(self, data_dir: Path, embedder, kiwi, query_cache_size: int = 2048):
        self.data_dir = data_dir
        self.embedder = embedder
        self.query_vectors = QueryVectors(embedder, query_cache_size)
        self.kiwi = kiwi
        self._loading = threading.Lock()  # one load at a time
        self._state: _State | None = None
        self._previous: _State | None = None  # for sentence scores of a hit found just before a swap
        self._stamp: tuple[int, int, int] | None = None
        self._retry_at = 0.0
        stamp = self._disk_stamp()
        if stamp is not None:
            self._reload(stamp, strict=True)  # a broken index is an error at start-up, not later

    # --- loading ----------------------------------------------------------------------
    def refresh(self, wait: bool = False) -> None:
        """Pick up the generation made current by any process, without ever failing a query.

        Queries keep reading the loaded state meanwhile. By default a newer generation loads in
        a background thread and is swapped in whole; with ``wait`` the call returns once it is
        live (after a write, or for exact counts). A load that fails (a generation dropped
        under us, a broken folder) is logged, leaves the old state serving and is retried.
        """
        stamp = self._disk_stamp()
        if stamp is None or stamp == self._stamp:
            return
        if wait or self._state is None:
            with self._loading:
                self._reload(stamp)
        elif time.monotonic() >= self._retry_at and self._loading.acquire(blocking=False):
            threading.Thread(target=self._reload_then_release, args=(stamp,), daemon=True).start()

    def _disk_stamp(self) -> tuple[int, int, int] | None:
        """Identity of the manifest file: os.replace gives every new manifest a new inode."""
        try:
            st = os.stat(self.data_dir / generation.MANIFEST)
        except FileNotFoundError:
            return None  # nothing ingested yet: queries find nothing
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _reload_then_release(self, stamp: tuple[int, int, int]) -> None:
        try:
            self._reload(stamp)
        finally:
            self._loading.release()

    def _reload(self, stamp: tuple[int, int, int], strict: bool = False) -> None:
        """Load the manifest's generation unless it is the loaded one; swap it in as one object."""
        if stamp == self._stamp:
            return
        try:
            manifest = generation.read_manifest(self.data_dir)
            if manifest is None:
                return
            generation.check_model(manifest, self.embedder.name, self.embedder.dim)
            current = self._state
            if current is None or current.manifest["generation"] != manifest["generation"]:
                loaded = self._load(manifest)
                self._previous, self._state = current, loaded
            self._stamp = stamp
        except Exception as exc:
            if strict:
                raise
            self._retry_at = time.monotonic() + RETRY_S
            log.warning("still serving generation %s: cannot load the new one (%s)", self._generation(), exc)

    def _generation(self) -> str | None:
        return self._state.manifest.get("generation") if self._state else None

    def _load(self, manifest: dict) -> _State:
        """Everything a query needs, from the generation's files and its own database snapshot."""
        gen = generation.load(self.data_dir, manifest)
        store = generation.open_snapshot(self.data_dir, manifest)
        try:
            rows = store.passage_rows()
            terms = store.passage_terms()
            sentences = store.sentence_vectors()
        finally:
            store.close()
        wanted = set(int(i) for i in gen.dense.ids)
        rows = {pid: row for pid, row in rows.items() if pid in wanted}
        if len(rows) != len(wanted):
            raise generation.IndexUnavailable(f"generation {manifest['generation']} lacks passage rows")
        term_sets = {pid: t for pid, t in terms.items() if pid in wanted}
        lexical_row = {int(pid): i for i, pid in enumerate(gen.lexical.ids)}
        return _State(manifest, gen, rows, term_sets, sentences, lexical_row)

    @property
    def manifest(self) -> dict | None:
        return self._state.manifest if self._state else None

    # --- querying ---------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        started = time.perf_counter()
        state = self._state
        if state is None or not state.rows:
            return SearchResult(query, mode, [], (time.perf_counter() - started) * 1000)
        filters = filters or Filters()
        allowed = self._allowed(state, filters) if filters.active() else None
        text = scrub(query)  # Kiwi and the tokenizer take only text that encodes as UTF-8
        terms = analyze(text, self.kiwi)
        qvec = self.query_vectors.get(text) if mode != "lexical" else None
        ranked, coverage = self._rank(state, terms, qvec, k, mode, allowed)
        hits = [
            Hit(rank, score, state.rows[pid], self._highlights(state, state.rows[pid], terms, qvec), cos)
            for rank, (pid, score, cos) in enumerate(ranked, start=1)
        ]
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query, mode, hits, took, coverage, tuple(terms), qvec)

    def _rank(self, state, terms, qvec, k, mode, allowed):
        gen = state.gen
        n_cand = max(100, 5 * k)
        lex_all = gen.lexical.scores(terms)
        lex_ids = gen.lexical.ids
        if allowed is not None:
            mask = np.isin(lex_ids, allowed)
            lex_all = np.where(mask, lex_all, 0.0)
        lex_top = _top_positive(lex_ids, lex_all, n_cand)
        coverage = self._coverage(state, terms, lex_top[:1])
        if mode == "lexical":
            return [(int(pid), float(lex_all[state.lexical_row[int(pid)]]), None) for pid in lex_top[:k]], coverage
        dense_ids, dense_scores = gen.dense.search(qvec, n_cand, allowed)
        if mode == "dense":
            return [(int(p), float(s), float(s)) for p, s in zip(dense_ids[:k], dense_scores[:k], strict=True)], coverage
        union = np.unique(np.concatenate([dense_ids, lex_top]))
        cos = gen.dense.scores_for(qvec, union)
        lex = np.array([lex_all[state.lexical_row[int(p)]] for p in union], dtype=np.float32)
        weight = LEXICAL_WEIGHT * min(1.0, coverage / FULL_COVERAGE)
        fused = (1 - weight) * _minmax(cos) + weight * _minmax(lex)
        order = np.argsort(-fused, kind="stable")[:k]
        return [(int(union[i]), float(fused[i]), float(cos[i])) for i in order], coverage

    def _coverage(self, state: _State, terms: list[str], top: np.ndarray) -> float:
        """Share of the query's idf mass that the best lexical passage contains."""
        unique = set(terms)
        if not unique or not len(top):
            return 0.0
        lexical = state.gen.lexical
        weights = {t: lexical.idf(t) for t in unique}
        found = state.terms.get(int(top[0]), frozenset())
        return sum(w for t, w in weights.items() if t in found) / (sum(weights.values()) or 1.0)

    def _allowed(self, state: _State, filters: Filters) -> np.ndarray:
        keep = [pid for pid, row in state.rows.items() if _matches(row, filters)]
        return np.asarray(keep, dtype=np.int64)

    # --- sentences --------------------------------------------------------------------
    def sentence_scores(
        self, row: PassageRow, terms: list[str], qvec: np.ndarray | None, state: _State | None = None
    ) -> list[tuple[Span, float]]:
        """Each sentence of a passage with how well it answers the query."""
        state = state or self._state_of(row)
        spans = row.passage.sentences
        if not spans:
            return []
        cos = np.zeros(len(spans), dtype=np.float32)
        if qvec is not None and row.passage.doc_id in state.sentences:
            starts, matrix = state.sentences[row.passage.doc_id]
            pos = np.searchsorted(starts, [s.start for s in spans])
            pos = np.clip(pos, 0, len(starts) - 1)
            cos = matrix[pos] @ qvec
        unique = set(terms)
        weights = {t: state.gen.lexical.idf(t) for t in unique}
        total = sum(weights.values()) or 1.0
        found = self._sentence_terms(state, row, spans) if unique else [frozenset()] * len(spans)
        overlap = [sum(w for t, w in weights.items() if t in terms_) / total for terms_ in found]
        return [(s, float(c) + SENTENCE_LEXICAL_BONUS * o) for s, c, o in zip(spans, cos, overlap, strict=True)]

    def _sentence_terms(self, state: _State, row: PassageRow, spans: tuple[Span, ...]) -> list[frozenset[str]]:
        """Each sentence's index terms, analysed once per generation and then remembered."""
        doc_id, base = row.passage.doc_id, row.passage.start
        missing = [s for s in spans if (doc_id, s.start) not in state.sentence_terms]
        if missing:
            texts = [row.passage.text[s.start - base : s.end - base] for s in missing]
            for span, tokens in zip(missing, self.kiwi.tokenize(texts), strict=True):
                state.sentence_terms[(doc_id, span.start)] = frozenset(_terms_of(tokens))
        return [state.sentence_terms[(doc_id, s.start)] for s in spans]

    def _state_of(self, row: PassageRow) -> _State:
        """The loaded state that holds this passage (a generation swap may fall between calls)."""
        state, previous = self._state, self._previous
        assert state is not None
        if row.id not in state.rows and previous is not None and row.id in previous.rows:
            return previous
        return state

    def _highlights(self, state, row: PassageRow, terms, qvec) -> tuple[Span, ...]:
        scored = self.sentence_scores(row, terms, qvec, state)
        if not scored:
            return ()
        best = max(score for _, score in scored)
        margin = 0.02 if qvec is not None else 0.0
        chosen = sorted((s for s, score in scored if score >= best - margin and score > 0), key=lambda s: s.start)[:2]
        base = row.passage.start
        return tuple(Span(s.start - base, s.end - base) for s in chosen)


def _terms_of(tokens) -> list[str]:
    from docqa.index.lexical import terms_from_tokens

    return terms_from_tokens(tokens)


def _top_positive(ids: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    positive = np.flatnonzero(scores > 0)
    if not len(positive):
        return np.zeros(0, dtype=np.int64)
    n = min(n, len(positive))
    part = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return ids[part[np.argsort(-scores[part], kind="stable")]]


def _minmax(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values) if hi > 0 else np.zeros_like(values)
    return (values - lo) / (hi - lo)


def date_range(published: str) -> tuple[str, str]:
    """A partial ISO date as the interval it names: "2018" -> ("2018-01-01", "2018-12-31")."""
    parts = published.split("-")
    start = "-".join(parts + ["01"] * (3 - len(parts)))
    end = "-".join(parts + (["12", "31"] if len(parts) == 1 else ["31"] if len(parts) == 2 else []))
    return start, end


def _matches(row: PassageRow, filters: Filters) -> bool:
    if filters.doc_id and row.passage.doc_id != filters.doc_id:
        return False
    if filters.source and row.source != filters.source:
        return False
    if filters.published_from or filters.published_to:
        if not row.published:
            return False
        start, end = date_range(row.published)
        if filters.published_from and end < filters.published_from:
            return False
        if filters.published_to and start > filters.published_to:
            return False
    return True
