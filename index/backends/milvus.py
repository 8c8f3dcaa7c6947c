"""Dense and lexical backends that search Milvus collections (``docqa.index.milvus``).

Dense: the passages' e5 (or aligned) vectors in HNSW/COSINE. Lexical: Kiwi's terms, computed in
docqa, as BM25 weights in a sparse vector per passage (``bm25_weights``: the tf part of bm25s's
Lucene BM25, with the corpus's mean length when written); the query's sparse vector carries
each term's idf from the reader's own document frequencies, so the inner product Milvus computes
is the local backend's BM25 score. Both only return passages of the reader's loaded version
(``live``): rows of a version being written or retired are in the collections too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from docqa.index.backends.base import Floats, Ids, Terms, Units
from docqa.index.milvus.client import quoted

K1, B = 1.5, 0.75  # bm25s's defaults (method "lucene"): the local backend's scores
MAX_LIMIT = 16_384  # Milvus's largest top-k
SLACK = 32  # extra hits asked for, in place of rows of other versions that are dropped
EMPTY = {0: 1e-30}  # Milvus refuses an empty sparse vector; index 0 is no term's (term_index)
EF_SEARCH = 512


def term_index(term: str) -> int:
    """A term's dimension in the sparse vectors, stable across replicas (a 32-bit hash; 0 is unused)."""
    return (
        int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big") % (2**32 - 2) + 1
    )


def bm25_weights(terms: Sequence[str], avgdl: float) -> dict[int, float]:
    """A passage's sparse vector: ``tf / (tf + k1 (1 - b + b dl / avgdl))`` per term."""
    norm = K1 * (1 - B + B * len(terms) / max(avgdl, 1e-9))
    out: dict[int, float] = {}
    for term, tf in Counter(terms).items():
        index = term_index(term)
        out[index] = out.get(index, 0.0) + tf / (tf + norm)
    return out or dict(EMPTY)


class Live:
    """The passages of the reader's loaded revision: their ids (sorted) and each one's document.

    A search is scoped in Milvus by document (``doc_id in [...]``: the filters of ``Filters`` are
    per document, and a document list stays short where a passage list would not), then to the
    allowed and live ids here."""

    def __init__(self, ids: Ids, docs: Sequence[str]):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.docs = np.asarray(list(docs), dtype=object)

    @classmethod
    def of(cls, doc_of: dict[int, str]) -> Live:
        ids = sorted(doc_of)
        return cls(np.asarray(ids, dtype=np.int64), [doc_of[i] for i in ids])

    def __len__(self) -> int:
        return len(self.ids)

    def expression(self, allowed: Ids | None) -> str:
        if allowed is None:
            return ""
        rows = np.searchsorted(self.ids, np.asarray(allowed, dtype=np.int64))
        rows = rows[(rows < len(self.ids))]
        docs = sorted({str(d) for d in self.docs[rows]})
        return "doc_id in [" + ", ".join(quoted(d) for d in docs) + "]"

    def keep(self, ids: list[int], scores: list[float], allowed: Ids | None, k: int) -> tuple[Ids, Floats]:
        found = np.asarray(ids, dtype=np.int64)
        values = np.asarray(scores, dtype=np.float32)
        mask = np.isin(found, self.ids if allowed is None else np.intersect1d(self.ids, allowed))
        return found[mask][:k], values[mask][:k]


class MilvusDense:
    """Cosine search over one vector collection (passages' e5 vectors, or the aligned ones)."""

    name: ClassVar[str] = "milvus"

    def __init__(self, client: Any, collection: str, live: Live):
        self.client, self.collection, self.live = client, collection, live

    def __len__(self) -> int:
        return len(self.live)

    @property
    def ids(self) -> Ids:
        return self.live.ids

    @property
    def description(self) -> str:
        return f"Milvus {self.collection}: HNSW, COSINE (efSearch {EF_SEARCH})"

    def search(self, query: Floats, k: int, allowed: Ids | None = None) -> tuple[Ids, Floats]:
        if k <= 0 or not len(self.live) or (allowed is not None and not len(allowed)):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        limit = min(MAX_LIMIT, k + SLACK)
        hits = self.client.search(
            self.collection,
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=limit,
            filter=self.live.expression(allowed),
            search_params={"metric_type": "COSINE", "params": {"ef": max(EF_SEARCH, limit)}},
        )[0]
        return self.live.keep([h["id"] for h in hits], [h["distance"] for h in hits], allowed, k)

    def scores_for(self, query: Floats, ids: Ids) -> Floats:
        vectors = _fetch(self.client, self.collection, ids, "vector")
        q = np.asarray(query, dtype=np.float32)
        return np.asarray(
            [float(np.dot(vectors[int(i)], q)) if int(i) in vectors else 0.0 for i in ids], dtype=np.float32
        )


class MilvusLexical:
    """BM25 over the passages' sparse vectors (collection ``docqa_lexical``), the idf kept here."""

    name: ClassVar[str] = "milvus"

    def __init__(self, client: Any, collection: str, live: Live, doc_freq: dict[str, int]):
        self.client, self.collection, self.live = client, collection, live
        self.doc_freq = doc_freq

    @classmethod
    def of(cls, client: Any, collection: str, live: Live, terms: dict[int, Sequence[str]]) -> MilvusLexical:
        """From each live passage's lexical terms (their document frequencies give the idf)."""
        doc_freq: Counter[str] = Counter()
        for passage_terms in terms.values():
            doc_freq.update(set(passage_terms))
        return cls(client, collection, live, dict(doc_freq))

    def __len__(self) -> int:
        return len(self.live)

    @property
    def ids(self) -> Ids:
        return self.live.ids

    def known(self, terms: Iterable[str]) -> list[str]:
        return [t for t in terms if t in self.doc_freq]

    def idf(self, term: str) -> float:
        """Lucene-style idf, as ``Bm25sIndex.idf``; an unseen term weighs like a term seen once."""
        n = max(len(self.live), 1)
        df = max(self.doc_freq.get(term, 0), 1)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def _query(self, terms: Terms) -> dict[int, float]:
        """The sparse query vector; for ``Units``, every term once (the candidates' query)."""
        out: dict[int, float] = {}
        plain = terms.terms if isinstance(terms, Units) else terms
        for term, count in Counter(self.known(plain)).items():  # a repeated term counts again, as in bm25s
            index = term_index(term)
            out[index] = out.get(index, 0.0) + count * self.idf(term)
        return out

    def search(self, terms: Terms, k: int, allowed: Ids | None = None) -> tuple[Ids, Floats]:
        """For ``Units``, Milvus's inner product finds twice ``k`` candidates by the plain sum, and
        ``scores_for`` ranks them by the units' scores, as the local backend does."""
        query = self._query(terms)
        if not query or k <= 0 or not len(self.live) or (allowed is not None and not len(allowed)):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        grouped = isinstance(terms, Units)
        hits = self.client.search(
            self.collection,
            data=[query],
            anns_field="sparse",
            limit=min(MAX_LIMIT, (2 * k if grouped else k) + SLACK),
            filter=self.live.expression(allowed),
            search_params={"metric_type": "IP"},
        )[0]
        hits = [h for h in hits if h["distance"] > 0]
        found, scores = [h["id"] for h in hits], [h["distance"] for h in hits]
        if grouped and found:
            exact = self.scores_for(terms, np.asarray(found, dtype=np.int64))
            order = np.argsort(-exact, kind="stable")
            found, scores = [found[i] for i in order], [float(exact[i]) for i in order]
        return self.live.keep(found, scores, allowed, k)

    def scores_for(self, terms: Terms, ids: Ids) -> Floats:
        query = self._query(terms)
        if not query:
            return np.zeros(len(ids), dtype=np.float32)
        vectors = _fetch(self.client, self.collection, ids, "sparse")
        if isinstance(terms, Units):
            weights = self._unit_weights(terms)
            scores = [_unit_score(vectors.get(int(i), {}), terms, weights) for i in ids]
            return np.asarray(scores, dtype=np.float32)
        return np.asarray(
            [sum(w * vectors.get(int(i), {}).get(d, 0.0) for d, w in query.items()) for i in ids],
            dtype=np.float32,
        )

    def _unit_weights(self, query: Units) -> dict[str, tuple[int, float]]:
        """Each term of ``query`` the index knows, with its sparse index and idf."""
        return {t: (term_index(t), self.idf(t)) for t in self.known(query.terms)}


def _unit_score(vector: dict[int, float], query: Units, weights: dict[str, tuple[int, float]]) -> float:
    """A passage's score for ``Units`` (``weights``: each known term's index and idf)."""

    def held(term: str) -> float:
        index, idf = weights.get(term, (0, 0.0))
        return idf * vector.get(index, 0.0)

    return query.best(held)


def _fetch(client: Any, collection: str, ids: Ids, field: str) -> dict[int, Any]:
    """``field`` of the given rows by id (rows deleted meanwhile are simply absent)."""
    if not len(ids):
        return {}
    rows = client.query(collection, ids=np.asarray(ids, dtype=np.int64).tolist(), output_fields=[field])
    if field == "sparse":
        return {int(r["id"]): {int(d): float(w) for d, w in r[field].items()} for r in rows}
    return {int(r["id"]): np.asarray(r[field], dtype=np.float32) for r in rows}
