"""Pure score fusion: min-max normalisation, the coverage-weighted convex combination, top-n.

Hybrid fuses min-max-normalised dense cosines and BM25 scores (the convex combination that
beat RRF on Korean text, see the README). The lexical weight shrinks with how much of the
question the best lexical match covers, so an English or Chinese question asked of Korean
text, whose words the lexical side mostly cannot see, is ranked by the dense side alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

LEXICAL_WEIGHT = 0.5  # at full coverage; measured in eval/ (README figures)
FULL_COVERAGE = 0.6  # coverage at which the lexical side gets its full weight

Floats = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


def minmax(values: Floats) -> Floats:
    """Scale to [0, 1]; a side whose scores are all equal gives 1 if positive (else 0) to each."""
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values) if hi > 0 else np.zeros_like(values)
    return (values - lo) / (hi - lo)


def lexical_weight(coverage: float) -> float:
    """The lexical side's share of a hybrid score, given the coverage of its best match."""
    return LEXICAL_WEIGHT * min(1.0, coverage / FULL_COVERAGE)


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
