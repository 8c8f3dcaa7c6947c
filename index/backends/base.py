"""The backend interface: what the searcher and the generation builder ask of an index.

A dense backend holds normalised passage vectors and answers inner-product (cosine) queries; a
lexical backend holds each passage's Kiwi terms and scores a query's terms with BM25. Both are
keyed by the passage's row id in the database. One backend per file beside this one; the
factory in ``__init__`` maps the names a manifest records to their classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, Self

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Units:
    """A lexical query in units, for a question whose words were expanded: each unit scores its
    best alternative, an alternative the sum of its terms' BM25 scores, and the units add up (a
    word's two translations or a typo's near spellings count once, as Lucene's synonym query
    does). A plain list of terms is the query where every term is a unit of its own."""

    units: tuple[tuple[tuple[str, ...], ...], ...]

    @property
    def terms(self) -> list[str]:
        """Every term of every alternative, once each, in order."""
        return list(dict.fromkeys(t for unit in self.units for phrase in unit for t in phrase))

    def best(self, weight: Callable[[str], float]) -> float:
        """The units' sum of their best alternative, an alternative weighing its terms' sum."""
        return sum(max(sum(weight(t) for t in phrase) for phrase in unit) for unit in self.units)


Terms = Sequence[str] | Units


class DenseIndex(Protocol):
    """What a query asks of a dense index (a Milvus collection is one: ``milvus.py``)."""

    name: ClassVar[str]

    def __len__(self) -> int: ...

    @property
    def ids(self) -> Ids:
        """Every passage id in the index."""
        ...

    @property
    def description(self) -> str: ...

    def search(self, query: Floats, k: int, allowed: Ids | None = None) -> tuple[Ids, Floats]:
        """The ``k`` nearest passages as (ids, cosines), best first; only ``allowed`` ids if given."""
        ...

    def scores_for(self, query: Floats, ids: Ids) -> Floats:
        """Exact cosines of the given passages."""
        ...


class DenseBackend(DenseIndex, Protocol):
    """A dense index a generation builds into its folder and loads from it."""

    @classmethod
    def build(cls, ids: Ids, vectors: Floats, dim: int) -> Self: ...

    @classmethod
    def load(cls, folder: Path, dim: int, mapped: bool = False) -> Self: ...

    def save(self, folder: Path) -> None: ...


class LexicalIndex(Protocol):
    """What a query asks of a lexical index."""

    name: ClassVar[str]

    def __len__(self) -> int: ...

    @property
    def ids(self) -> Ids:
        """Every passage id in the index."""
        ...

    def search(self, terms: Terms, k: int, allowed: Ids | None = None) -> tuple[Ids, Floats]:
        """The ``k`` best passages with a positive score, as (ids, scores), best first."""
        ...

    def scores_for(self, terms: Terms, ids: Ids) -> Floats:
        """The score of each given passage (0 where none of the terms occurs)."""
        ...

    def idf(self, term: str) -> float:
        """How rare a term is in the index (an unseen term weighs like one seen once)."""
        ...

    def known(self, terms: Iterable[str]) -> list[str]:
        """The given terms that occur in the index."""
        ...


class LexicalBackend(LexicalIndex, Protocol):
    """A lexical index a generation builds into its folder and loads from it."""

    @classmethod
    def build(cls, ids: Ids, terms: Sequence[list[str]]) -> Self: ...

    @classmethod
    def load(cls, folder: Path) -> Self: ...

    def save(self, folder: Path) -> None: ...
