"""How one search scores its hits' sentences against the question (``Searcher._sentence_scores``).

A sentence's score is its similarity to the question plus its share of the question's terms and,
for a question with expansions, its coverage of the question. What those shares weigh (each
term's idf, the coverage's units) depends on the question only: worked out once a search here,
not once a hit and a sentence; the sums run over the same terms in the same order as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from docqa.index.backends.base import Units
from docqa.index.expansion import Coverage, LexicalQuery
from docqa.index.records import ScoredSentence
from docqa.ingest.records import Span

SENTENCE_LEXICAL_BONUS = 0.08  # how much a sentence's term overlap adds to its cosine
# and, for a question with expansions, its coverage of the question (measured for issue 14 on
# eval/sets/corpus_v1.jsonl, en / zh evidence in first sentence: 0 .533 / .500, .03 .578 / .538,
# .06 .622 / .615, .1 .622 / .615; with the answer type of answer.py .667 / .654 at .06)
SENTENCE_COVERAGE_BONUS = 0.06
# A name the question writes in its own script (Hangzhou, 武汉东湖, Lee Jin-su) found the passage
# through its alias, romanisation or transliteration; inside the hits it is what every sentence
# about its subject shares, so it says which passage, not which sentence. In the sentence overlap
# and coverage it weighs NAME_WEIGHT of its idf: the relation words (output, slogan, 总出口额)
# choose the sentence. Measured for issue 14 (evidence in first sentence, hybrid, k 5), names
# weighing 1 -> .3 -> 0: corpus_v1 en .733 -> .778 -> .778, zh .769 -> .769 -> .769 (in answer
# .962 -> .923 -> .923); crosslingual_v1 en .705 -> .721 -> .738, zh .770 -> .787 -> .787;
# KorQuAD check 3 en .550 -> .525 -> .525 (in answer .725 -> .800 -> .800), zh .525 unchanged.
# Loanwords counted as names too (town -> 타운, 特斯拉 -> 테슬라) gained nothing more (.756 / .731
# / .787 / .770 / .525 / .525). Korean questions have no such expansions: unchanged.
NAME_KINDS = frozenset({"alias", "romanised", "transliteration"})
NAME_WEIGHT = 0.0


class SentenceScoring:
    """The question's side of the sentence scores, for every hit of one search."""

    def __init__(self, query: LexicalQuery, idf: Callable[[str], float]) -> None:
        names = {t for e in query.expansions if e.kind in NAME_KINDS for t in (*e.source, *e.terms)}
        if names:
            idf = _discounted(idf, frozenset(names))
        weights = {t: idf(t) for t in set(query.all)}
        self.any_terms = bool(weights)
        self._weights = list(weights.items())
        self._total = sum(weights.values()) or 1.0
        # with expansions, the overlap counts in BM25's units (``LexicalQuery.scored``): a unit's
        # best alternative, so a word's two translations in one sentence count once
        scored = query.scored()
        self._idf = weights
        self._units = scored if isinstance(scored, Units) else None
        self._unit_total = (self._units.best(weights.__getitem__) if self._units else 0.0) or 1.0
        self._coverage = Coverage(query.terms, query.expansions, idf) if query.expansions else None

    def scores(
        self, spans: Sequence[Span], cosines: np.ndarray, found: Sequence[frozenset[str]]
    ) -> tuple[ScoredSentence, ...]:
        """Each sentence (``spans``, its similarity in ``cosines``, its terms in ``found``) scored."""
        overlap = [self._overlap(terms) for terms in found]
        cover = self._coverage
        covered = [cover.of(terms) for terms in found] if cover is not None else [0.0] * len(spans)
        return tuple(
            ScoredSentence(s, float(c) + SENTENCE_LEXICAL_BONUS * o + SENTENCE_COVERAGE_BONUS * v)
            for s, c, o, v in zip(spans, cosines, overlap, covered, strict=True)
        )

    def _overlap(self, terms: frozenset[str]) -> float:
        """The idf-weighted share of the question's terms (or units) that a sentence holds."""
        if self._units is None:
            return sum(w for t, w in self._weights if t in terms) / self._total
        idf = self._idf
        return self._units.best(lambda t: idf[t] if t in terms else 0.0) / self._unit_total


def _discounted(idf: Callable[[str], float], names: frozenset[str]) -> Callable[[str], float]:
    """``idf`` with the question's names at :data:`NAME_WEIGHT` of theirs."""

    def weight(term: str) -> float:
        return idf(term) * NAME_WEIGHT if term in names else idf(term)

    return weight
