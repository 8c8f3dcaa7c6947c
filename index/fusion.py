"""Pure score fusion: min-max normalisation, the coverage-weighted convex combination, top-n,
and the per-script weights of the aligned second encoder (``SCRIPT_WEIGHTS``).

Hybrid fuses min-max-normalised dense cosines and BM25 scores (the convex combination that
beat RRF on Korean text, see the README). The lexical weight shrinks with how much of the
question the best lexical match covers, so an English or Chinese question asked of Korean
text, whose words the lexical side mostly cannot see, is ranked by the dense side alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LEXICAL_WEIGHT = 0.5  # at full coverage; measured in eval/ (README figures)
FULL_COVERAGE = 0.6  # coverage at which the lexical side gets its full weight

Floats = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ScriptWeights:
    """How a question in one writing system is ranked and answered.

    ``aligned``: weight of the aligned encoder's min-max cosines added to e5's (0: not used,
    and no aligned query vector is computed); ``lexical``: the lexical side's weight at full
    coverage; ``sentences``: weight b of the aligned sentence cosines in answer selection;
    ``rendering``: weight of the e5 vector of the question's Korean rendering
    (``expansion.rendering``) added to the question's own before ranking passages and sentences
    (0: none is embedded).
    """

    aligned: float = 0.0
    lexical: float = LEXICAL_WEIGHT
    sentences: float = 0.0
    rendering: float = 0.0


# Measured on eval/sets/corpus_v1.jsonl (174 passages; 159 ko / 45 en / 26 zh questions, script =
# language there), aligned = USE-m3, hybrid Hit@5 / MRR@10 and answers' evidence-in-answer /
# in-first-sentence; every choice held on both folds of the questions (id parity):
# - hangul as before (no aligned side): ko .994 / .950, answers .874 / .805. Aligned 1.0 there
#   gave +.009 MRR (p = .19) and lost 2 first sentences; kept off, so KorQuAD cannot move.
# - latin: aligned 1.0 (plateau .72-.73 for a in 1..1.5 with e5 alone plus BM25 before aliases).
#   With the alias expansions the lexical side speaks again; lexical weight at full coverage
#   0 / .25 / .35 / .5 / .75 gave en MRR .733 / .827 / .807 / .780 / .722 (folds .775/.685,
#   .838/.813, .808/.806, .752/.812, .657/.795): .25. Answers b = 2: .400 / .244 -> .622 / .467.
# - han: aligned 1.0; lexical 0 / .25 / .35 / .5 / .75 gave zh MRR .711 / .707 / .723 / .731 / .727
#   (folds .718/.706, .705/.708, .735/.715, .689/.761, .632/.797): .35, the one that gains on both.
# - With the aligned term translations (translation.py) the lexical side speaks for English and
#   Chinese words too, so it earns more weight: (latin, han) lexical (.25, .35) / (.35, .5) /
#   (.4, .6) / (.5, .65) / (.45, .8) gave en MRR .834 / .869 / .869 / .859 / .863 and zh MRR
#   .791 / .795 / .796 / .803 / .777 (Hit@5 en .933 / .956 / .933 / .956 / .956, zh .885 / .923 ...):
#   (.35, .5).
# - kana: no Japanese questions were measured; it follows han.
# - The question's Korean rendering embedded by e5 (Korean to Korean, e5's strength), its vector
#   added to the question's with weight r: en / zh MRR@10 .869 / .795 at r = 0, .875 / .818 at 1,
#   .877 / .856 at 2, .881 / .856 at 3 and 5 (a plateau); evidence in answer en .844 -> .867, zh
#   .769 -> .808; in first sentence en .689 -> .711, zh .692 -> .731 at 2. Hit@5 unchanged.
SCRIPT_WEIGHTS: dict[str, ScriptWeights] = {
    "hangul": ScriptWeights(),
    "latin": ScriptWeights(aligned=1.0, lexical=0.35, sentences=2.0, rendering=2.0),
    "han": ScriptWeights(aligned=1.0, lexical=0.5, sentences=2.0, rendering=2.0),
    "kana": ScriptWeights(aligned=1.0, lexical=0.35, sentences=2.0, rendering=2.0),
}


def weights_for(script: str) -> ScriptWeights:
    """The weights of a question's script (``index/answer.py script``); unknown ones as hangul."""
    return SCRIPT_WEIGHTS.get(script, SCRIPT_WEIGHTS["hangul"])


# A question in another script than the documents asks for a fact that one sentence states, and
# its words meet that sentence's vectors better than the whole passage's: the best
# SENTENCE_RERANK_DEPTH passages of the hybrid get SENTENCE_RERANK_WEIGHT x the dense fusion
# (``fuse_dense``, the script's aligned weight) of their closest sentence's e5 and aligned
# cosines, min-max scaled over those passages. Hybrid MRR@10 en / zh, before -> after, on
# corpus_v1 .903 / .865 -> .904 / .865; crosslingual_v1 .910 / .824 -> .922 / .854; a
# KorQuAD check (51 dev questions translated by hand, kept out of the repository: CC BY-ND)
# .673 / .694 -> .715 / .727. Weight .15: .904 / .863, .933 / .858, .703 / .741; .25 costs zh on
# corpus_v1 (.838); depth 10 or 40 the same within .02. Korean questions (e5 alone): KorQuAD ko
# .944 -> .935 at .05-.1, corpus_v1 .965 -> .966: not used.
SENTENCE_RERANK_WEIGHT = 0.1
SENTENCE_RERANK_DEPTH = 20


def with_best_sentences(
    fused: Floats, top: npt.NDArray[np.intp], e5: Floats, aligned: Floats, aligned_weight: float
) -> Floats:
    """``fused`` plus SENTENCE_RERANK_WEIGHT x ``fuse_dense(e5, aligned)`` at the positions ``top``
    (``e5``, ``aligned``: each of those passages' best sentence cosine)."""
    out: Floats = fused.astype(np.float32, copy=True)
    out[top] += SENTENCE_RERANK_WEIGHT * fuse_dense(e5, aligned, aligned_weight)
    return out


def minmax(values: Floats) -> Floats:
    """Scale to [0, 1]; a side whose scores are all equal gives 1 if positive (else 0) to each."""
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values) if hi > 0 else np.zeros_like(values)
    return (values - lo) / (hi - lo)


def lexical_weight(coverage: float, full: float = LEXICAL_WEIGHT) -> float:
    """The lexical side's share of a hybrid score, given the coverage of its best match."""
    return full * min(1.0, coverage / FULL_COVERAGE)


def fuse_dense(e5: Floats, aligned: Floats | None, weight: float) -> Floats:
    """The dense side: e5 cosines as they are, or ``minmax(e5) + weight * minmax(aligned)``."""
    if aligned is None or weight == 0:
        return e5
    fused: Floats = minmax(e5) + weight * minmax(aligned)
    return fused


def sentence_similarity(
    e5: Floats, aligned: Floats, weight: float, within: npt.NDArray[np.bool_] | None = None
) -> Floats:
    """``(mm(e5) + weight * mm(aligned)) / (1 + weight)`` mapped back onto e5's cosine range, so the
    bonus, prior and margins calibrated on e5 cosines keep their meaning (``weight`` 0: e5 as is).

    ``mm`` scales by the minimum and maximum of the ``within`` entries (the sentences an answer
    may quote), or of all; the same map applies to the others."""
    if weight == 0 or not len(e5):
        return e5
    ref = within if within is not None and within.any() else np.ones(len(e5), dtype=bool)
    lo, hi = float(e5[ref].min()), float(e5[ref].max())
    mix = (_scaled(e5, ref) + weight * _scaled(aligned, ref)) / (1 + weight)
    sim: Floats = (lo + mix * (hi - lo)).astype(np.float32)
    return sim


def _scaled(values: Floats, ref: npt.NDArray[np.bool_]) -> Floats:
    """``values`` min-max scaled by the range of ``values[ref]`` (0 everywhere if that is flat)."""
    lo, hi = float(values[ref].min()), float(values[ref].max())
    if hi - lo < 1e-9:
        return np.zeros_like(values)
    scaled: Floats = (values - lo) / (hi - lo)
    return scaled


def convex(dense: Floats, lexical: Floats, weight: float) -> Floats:
    """``(1 - weight) * minmax(dense) + weight * minmax(lexical)``, element by element."""
    fused: Floats = (1 - weight) * minmax(dense) + weight * minmax(lexical)
    return fused


def top_positive(ids: Ids, scores: Floats, n: int) -> Ids:
    """The ids of the ``n`` best positive scores, best first (ties keep id order)."""
    positive = np.flatnonzero(scores > 0)
    if not len(positive):
        return np.zeros(0, dtype=np.int64)
    n = min(n, len(positive))
    part = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    best: Ids = ids[part[np.argsort(-scores[part], kind="stable")]]
    return best
