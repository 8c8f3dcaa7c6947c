"""Retrieval over one index generation: lexical, dense and hybrid, each hit with its sentences scored.

The fusion itself is pure and lives in ``fusion.py``; the indexes are backends (``backends/``).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from docqa.core.process import usable_cores
from docqa.core.text import has_content, scrub
from docqa.index import generation
from docqa.index.aliases import AliasTable, gloss_terms_by_name
from docqa.index.answer import MIN_SENTENCE_CHARS, script
from docqa.index.expansion import LexicalQuery, coverage, rendering
from docqa.index.fusion import (
    SENTENCE_RERANK_DEPTH,
    ScriptWeights,
    convex,
    fuse_dense,
    lexical_weight,
    sentence_similarity,
    weights_for,
    with_best_sentences,
)
from docqa.index.glossary import glosses
from docqa.index.lexical import analyze, terms_from_tokens
from docqa.index.manifest import Manifest
from docqa.index.query_vectors import QueryVectors, batch_exact
from docqa.index.question_terms import foreign_expansions, known_to
from docqa.index.records import Filters, Hit, Mode, ScoredSentence, SearchResult, StoredPassage
from docqa.index.sentence_scoring import SentenceScoring
from docqa.index.snapshot_reader import Rows, SearchReads, SnapshotReader
from docqa.index.snapshot_reader import date_range as date_range  # where callers found it
from docqa.index.spelling import Spellings, spelling_expansions
from docqa.index.store import Store
from docqa.index.translation import TermVectors
from docqa.ingest.records import Span

RETRY_S = 1.0  # after a failed load, wait this long before a query triggers another attempt
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

log = logging.getLogger(__name__)

Ranked = list[tuple[int, float, float | None]]  # (passage id, score, cosine)
AS_BEFORE = ScriptWeights()  # e5 alone, lexical weight as measured for Korean


@dataclass
class _State:
    """Everything a query reads, swapped as one object when a new generation appears. Rows,
    terms and sentence vectors are read per hit from the generation's snapshot (``rows``)."""

    manifest: Manifest
    gen: generation.Generation
    rows: Rows
    # the aligned vectors of the Korean index terms, for translating a question's words
    term_vectors: TermVectors = field(default_factory=TermVectors)
    aliases: AliasTable = field(default_factory=AliasTable)  # mined from the generation's documents
    spellings: Spellings | None = None  # built from term_vectors on the first Korean question


class Searcher:
    """Answers queries from the current generation; reloads when another one is made current."""

    def __init__(
        self, data_dir: Path, embedder: Any, kiwi: Any, query_cache_size: int = 2048, aligned: Any = None
    ):
        self.data_dir = data_dir
        self.embedder = embedder
        # where the vectors are the same in any batch, concurrent searches share the encoder's passes
        lanes = usable_cores() if batch_exact(embedder) else 0
        self.query_vectors = QueryVectors(embedder, query_cache_size, lanes)
        # the aligned second encoder (index/embedding/aligned.py), with a query cache of its own
        self.aligned = aligned
        self.aligned_vectors = QueryVectors(aligned, query_cache_size) if aligned is not None else None
        if aligned is not None:  # read the glossary now, not on the first Chinese question (~2 s)
            threading.Thread(target=glosses, name="glossary", daemon=True).start()
        self.kiwi = kiwi
        self._loading = threading.Lock()  # one load at a time
        self._state: _State | None = None
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
            manifest = self._read_manifest()
            if manifest is None:
                return
            generation.check_model(manifest, self.embedder.name, self.embedder.dim)
            if self.aligned is not None:
                generation.check_aligned(manifest, self.aligned.name, self.aligned.dim)
            current = self._state
            if current is None or current.manifest.generation != manifest.generation:
                self._state = self._load(manifest)
            self._stamp = stamp
        except Exception as exc:
            if strict:
                raise
            self._retry_at = time.monotonic() + RETRY_S
            log.warning("still serving generation %s: cannot load the new one (%s)", self._generation(), exc)

    def _read_manifest(self) -> Manifest | None:
        return generation.read_manifest(self.data_dir)

    def open_rows(self, manifest: Manifest) -> Store:
        """The rows ``manifest``'s generation was built from (listings, documents), read-only."""
        return generation.open_snapshot(self.data_dir, manifest)

    def _generation(self) -> str | None:
        return self._state.manifest.generation if self._state else None

    def _load(self, manifest: Manifest) -> _State:
        """The generation's indexes, and a reader of its own database snapshot for the rows."""
        gen = generation.load(self.data_dir, manifest)
        store = generation.open_snapshot(self.data_dir, manifest)
        try:
            aliases = generation.generation_alias_table(store, manifest.generation)
            words = TermVectors.of(*store.term_vectors()) if gen.aligned and self.aligned else TermVectors()
        finally:
            store.close()
        rows = SnapshotReader(self.data_dir, manifest, gloss_terms_by_name(aliases))
        if rows.count() != len(gen.dense):
            rows.close()
            raise generation.IndexUnavailable(f"generation {manifest.generation} lacks passage rows")
        if self.aligned is not None and gen.aligned is None:
            log.warning(
                "generation %s has no aligned vectors: ranking with e5 alone until the next ingest adds them",
                manifest.generation,
            )
        return _State(manifest, gen, rows, aliases=aliases, term_vectors=words)

    @property
    def manifest(self) -> Manifest | None:
        return self._state.manifest if self._state else None

    @property
    def aliases(self) -> AliasTable:
        return self._state.aliases if self._state else AliasTable()

    # --- querying ---------------------------------------------------------------------
    def search(
        self, query: str, k: int = 10, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> SearchResult:
        started = time.perf_counter()
        state = self._state
        if (
            state is None or not len(state.gen.dense) or not has_content(query)
        ):  # "???", emoji only: nothing asked
            return SearchResult(query, mode, [], (time.perf_counter() - started) * 1000)
        filters = filters or Filters()
        allowed = self._allowed(state, filters) if filters.active() else None
        text = scrub(query)  # Kiwi and the tokenizer take only text that encodes as UTF-8
        terms = analyze(text, self.kiwi)
        # the question's aligned vector is wanted twice (its words' translations, the ranking)
        aligned = self.aligned_vectors.for_one_search() if self.aligned_vectors is not None else None
        lexical = self._lexical_query(state, text, terms, aligned)
        weights = weights_for(script(text))
        qvec, rvec = self._query_vectors(text, lexical, mode, weights.rendering)
        avec = self._aligned_query(state, text, mode, weights, aligned)
        reads = SearchReads(state.rows)
        ranked, coverage, best_aligned = self._rank(
            state, lexical.for_ranking(), qvec, k, mode, allowed, reads, avec, weights, rvec
        )
        found = reads.rows([pid for pid, _, _ in ranked])
        rows = [found[pid] for pid, _, _ in ranked]
        cosines = self._sentence_similarities(state, rows, rvec, avec, weights.sentences, reads)
        idf = functools.lru_cache(maxsize=None)(state.gen.lexical.idf)  # the hits ask for the same terms
        scoring = SentenceScoring(lexical, idf)  # the question's side, once for every hit
        hits = [
            self._hit(state, rank, row, score, cos, scoring, rvec, sims)
            for rank, ((_, score, cos), row, sims) in enumerate(zip(ranked, rows, cosines, strict=True), 1)
        ]
        took = (time.perf_counter() - started) * 1000
        return SearchResult(query, mode, hits, took, coverage, best_aligned)

    def _aligned_query(
        self, state: _State, text: str, mode: Mode, weights: ScriptWeights, aligned: QueryVectors | None
    ) -> np.ndarray | None:
        """The aligned query vector, only where the question's script uses it (never for Hangul)."""
        if aligned is None or state.gen.aligned is None or mode == "lexical":
            return None
        return aligned.get(text) if weights.aligned or weights.sentences else None

    def _query_vectors(
        self, text: str, query: LexicalQuery, mode: Mode, weight: float
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The question's e5 vector, and the one passages and sentences are ranked by: the same,
        or for a question with expansions that plus ``weight`` times its Korean rendering's (unit
        length; both encoded in one batch, which gives each the vector it has alone)."""
        if mode == "lexical":
            return None, None
        korean = rendering(text, query.expansions) if weight else ""
        if not korean:
            qvec = self.query_vectors.get(text)
            return qvec, qvec
        qvec, kvec = self.query_vectors.get_many([text, korean])
        mixed = qvec + weight * kvec
        unit: np.ndarray = (mixed / np.linalg.norm(mixed)).astype(np.float32)
        return qvec, unit

    def _rank(
        self,
        state: _State,
        query: LexicalQuery,
        qvec: np.ndarray | None,
        k: int,
        mode: Mode,
        allowed: np.ndarray | None,
        reads: SearchReads,
        avec: np.ndarray | None = None,
        weights: ScriptWeights = AS_BEFORE,
        rvec: np.ndarray | None = None,
    ) -> tuple[Ranked, float, float | None]:
        """Top ``k`` as (passage id, score, e5 cosine), the coverage, and the best aligned cosine.
        With ``avec``, the dense side is e5's and the aligned encoder's min-max cosines added
        (``fusion.fuse_dense``), over the union of both top lists and the lexical one, and the
        hybrid's best passages weigh their closest sentence too (``_best_sentences``). e5 ranks by
        ``rvec`` (``_query_vectors``; default ``qvec``); the cosine reported is the question's own."""
        gen = state.gen
        n_cand = max(100, 5 * k)
        scored = query.scored()
        lex_top, lex_scores = gen.lexical.search(scored, n_cand, allowed)
        best = state.rows.terms(int(lex_top[0])) if len(lex_top) else None  # read once, used twice
        coverage = self._coverage(state, query, best)
        if mode == "lexical":
            return (
                [(int(p), float(s), None) for p, s in zip(lex_top[:k], lex_scores[:k], strict=True)],
                coverage,
                None,
            )
        assert qvec is not None
        rvec = qvec if rvec is None else rvec
        dense_ids, dense_scores = gen.dense.search(rvec, n_cand, allowed)
        second = gen.aligned if avec is not None and weights.aligned > 0 else None
        if mode == "dense" and second is None:
            top = dense_ids[:k]
            own = dense_scores[:k] if rvec is qvec else gen.dense.scores_for(qvec, top)
            return (
                [(int(p), float(s), float(c)) for p, s, c in zip(top, dense_scores[:k], own, strict=True)],
                coverage,
                None,
            )
        lists = [dense_ids] if mode == "dense" else [dense_ids, lex_top]
        if second is not None and avec is not None:
            lists.append(second.search(avec, n_cand, allowed)[0])
        union = np.unique(np.concatenate(lists))
        cos = gen.dense.scores_for(qvec, union)
        near = cos if rvec is qvec else gen.dense.scores_for(rvec, union)
        aligned = second.scores_for(avec, union) if second is not None and avec is not None else None
        dense = fuse_dense(near, aligned, weights.aligned)
        if mode == "dense":
            fused = dense
        else:
            lexical = gen.lexical.scores_for(scored, union)
            seen = self._coverage(state, query, best, seen_only=True)
            fused = convex(dense, lexical, lexical_weight(seen, weights.lexical))
            if aligned is not None and avec is not None:
                fused = self._best_sentences(reads, union, fused, rvec, avec, weights)
        order = np.argsort(-fused, kind="stable")[:k]
        best_aligned = float(aligned.max()) if aligned is not None and len(aligned) else None
        return [(int(union[i]), float(fused[i]), float(cos[i])) for i in order], coverage, best_aligned

    def _best_sentences(
        self,
        reads: SearchReads,
        union: np.ndarray,
        fused: np.ndarray,
        rvec: np.ndarray,
        avec: np.ndarray,
        weights: ScriptWeights,
    ) -> np.ndarray:
        """``fused`` with its best passages raised by how close their closest sentence comes to
        the question (``fusion.with_best_sentences``)."""
        top = np.argsort(-fused, kind="stable")[:SENTENCE_RERANK_DEPTH]
        ids = [int(union[i]) for i in top]
        found = reads.rows(ids)
        reads.prefetch([found[pid] for pid in ids])
        stored = [reads.sentence_matrices(found[pid]) for pid in ids]
        e5 = np.array([_best_cosine(s.get("vector"), rvec) for s in stored], dtype=np.float32)
        aligned = np.array([_best_cosine(s.get("aligned"), avec) for s in stored], dtype=np.float32)
        return with_best_sentences(fused, top, e5, aligned, weights.aligned)

    def _lexical_query(
        self, state: _State, text: str, terms: list[str], aligned: QueryVectors | None = None
    ) -> LexicalQuery:
        """The question's terms plus, for a question without Hangul, the Korean terms its words
        stand for (``question_terms.foreign_expansions``). Korean questions get only typo
        expansions (a word the index never saw, one jamo from one it has): they already write
        the Korean name (aliases cost .003-.008 MRR)."""
        if _HANGUL.search(text):
            known = known_to(state.gen.lexical)
            return LexicalQuery(
                tuple(terms), tuple(spelling_expansions(terms, self._spellings(state), known))
            )
        aligned = aligned if aligned is not None else self.aligned_vectors  # the search's view, or the cache
        expansions = foreign_expansions(
            text, self.kiwi, state.gen.lexical, state.aliases, state.term_vectors, aligned
        )
        return LexicalQuery(tuple(terms), tuple(expansions))

    def _spellings(self, state: _State) -> Spellings:
        if state.spellings is None:  # two first queries may both build it: the same table
            state.spellings = Spellings(state.term_vectors.terms)
        return state.spellings

    def _coverage(
        self, state: _State, query: LexicalQuery, found: frozenset[str] | None, seen_only: bool = False
    ) -> float:
        """Share of the question's idf mass that the best lexical passage (its terms ``found``;
        None: no passage) contains; an expansion counts for the question term it came from.
        ``seen_only`` (the hybrid's weight) leaves out terms the index has never seen; the
        reported coverage (refusal) keeps them."""
        if found is None:
            return 0.0
        lexical = state.gen.lexical
        known = known_to(lexical) if seen_only else None
        return coverage(query.terms, query.expansions, found, lexical.idf, known)

    def _allowed(self, state: _State, filters: Filters) -> np.ndarray:
        return state.rows.allowed(filters)

    # --- sentences --------------------------------------------------------------------
    def _hit(
        self,
        state: _State,
        rank: int,
        row: StoredPassage,
        score: float,
        cos: float | None,
        scoring: SentenceScoring,
        qvec: np.ndarray | None,
        cosines: np.ndarray | None = None,
    ) -> Hit:
        """A ranked passage with each of its sentences scored, and the best ones as highlights."""
        scored = self._sentence_scores(state, row, scoring, qvec, cosines)
        return Hit(rank, score, row.passage, row.doc, _highlights(row, scored, qvec is not None), scored, cos)

    def _sentence_similarities(
        self,
        state: _State,
        rows: list[StoredPassage],
        qvec: np.ndarray | None,
        avec: np.ndarray | None,
        weight: float,
        reads: SearchReads,
    ) -> list[np.ndarray | None]:
        """Each hit's sentence similarities to the query: e5 cosines, or with ``avec`` those blended
        with the aligned cosines (``fusion.sentence_similarity``), scaled over the sentences an
        answer may quote from all hits; e5 cosines alone without ``avec``; None without ``qvec``."""
        if qvec is None:
            return [None] * len(rows)
        reads.prefetch(rows)  # every hit's sentence vectors in one query, read once a search
        both = [reads.sentence_matrices(row) for row in rows]
        e5 = [_cosines_of(stored.get("vector"), row, qvec) for stored, row in zip(both, rows, strict=True)]
        if avec is None or not weight or state.gen.aligned is None or not rows:
            return list(e5)
        aligned = [
            _cosines_of(stored.get("aligned"), row, avec) for stored, row in zip(both, rows, strict=True)
        ]
        sims = sentence_similarity(np.concatenate(e5), np.concatenate(aligned), weight, _quotable(rows))
        bounds = np.cumsum([0, *(len(c) for c in e5)])
        return [sims[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def _sentence_scores(
        self,
        state: _State,
        row: StoredPassage,
        scoring: SentenceScoring,
        qvec: np.ndarray | None,
        cosines: np.ndarray | None = None,
    ) -> tuple[ScoredSentence, ...]:
        """Each sentence of a passage with how well it answers the query (``cosines``: the
        similarities already computed, else the e5 cosines), plus its share of the query's terms
        and expansions; for a question with expansions (no Hangul) also its coverage of the
        question, each word counted once whichever language found it (``scoring``: the
        question's side, worked out once a search)."""
        spans = row.passage.sentences
        if not spans:
            return ()
        cos = cosines if cosines is not None else np.zeros(len(spans), dtype=np.float32)  # lexical: none
        found = self._sentence_terms(state, row, spans) if scoring.any_terms else [frozenset()] * len(spans)
        return scoring.scores(spans, cos, found)

    def _sentence_terms(
        self, state: _State, row: StoredPassage, spans: tuple[Span, ...]
    ) -> list[frozenset[str]]:
        """Each sentence's index terms, analysed once per generation and then remembered."""
        doc_id, base = row.passage.doc_id, row.passage.start
        found = {s.start: state.rows.sentence_terms.get((doc_id, s.start)) for s in spans}
        missing = [s for s in spans if found[s.start] is None]
        if missing:
            texts = [row.passage.text[s.start - base : s.end - base] for s in missing]
            for span, tokens in zip(missing, self.kiwi.tokenize(texts), strict=True):
                terms = found[span.start] = frozenset(terms_from_tokens(tokens))
                state.rows.remember_terms((doc_id, span.start), terms)
        return [found[s.start] or frozenset() for s in spans]


def _cosines_of(
    stored: tuple[np.ndarray, np.ndarray] | None, row: StoredPassage, vec: np.ndarray
) -> np.ndarray:
    """``_cosines`` from the passage's stored (starts, vectors) of one column."""
    spans = row.passage.sentences
    if stored is None:
        return np.zeros(len(spans), dtype=np.float32)
    starts, matrix = stored
    pos = np.clip(np.searchsorted(starts, [s.start for s in spans]), 0, len(starts) - 1)
    cos: np.ndarray = matrix[pos] @ vec
    return cos


def _best_cosine(stored: tuple[np.ndarray, np.ndarray] | None, vec: np.ndarray) -> float:
    """The highest cosine of a passage's stored sentence vectors (one column) to ``vec``; 0 without."""
    if stored is None or not len(stored[1]):
        return 0.0
    return float((stored[1] @ vec).max())


def _quotable(rows: list[StoredPassage]) -> np.ndarray:
    """Which sentences of the hits an answer may quote (``answer.py``: long enough to be one)."""
    flags = []
    for row in rows:
        p = row.passage
        flags += [
            len(" ".join(p.text[s.start - p.start : s.end - p.start].split())) >= MIN_SENTENCE_CHARS
            for s in p.sentences
        ]
    return np.asarray(flags, dtype=bool)


def _highlights(row: StoredPassage, scored: Iterable[ScoredSentence], dense: bool) -> tuple[Span, ...]:
    """Up to two best sentences (within a small margin of the best when cosines take part)."""
    scored = list(scored)
    if not scored:
        return ()
    best = max(s.score for s in scored)
    margin = 0.02 if dense else 0.0
    chosen = sorted(
        (s.span for s in scored if s.score >= best - margin and s.score > 0), key=lambda s: s.start
    )[:2]
    base = row.passage.start
    return tuple(Span(s.start - base, s.end - base) for s in chosen)
