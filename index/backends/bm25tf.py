"""Lexical backend: bm25s's BM25 from term-frequency postings, weighted again per generation.

bm25s bakes each passage's score for each term into its index, so its figures depend on the
whole corpus (idf, mean length) and one new passage means indexing every passage again. This
index keeps what those scores are made of: per term the rows that hold it and how often (CSC
postings), each row's length and the vocabulary. A generation is then the previous one with the
rows of removed passages dropped and the new rows added (``updated``: array work, no analysis of
the rows that stayed). A query's terms' postings get bm25s's ``lucene`` scores when it asks (idf
and mean length change with every write: weighing every posting again took 15 s a write at 1M
passages), with the same operations in the same types, so queries sum them as bm25s does and
the scores equal bm25s's bit for bit (``tests/index/test_incremental.py``). The arrays are
memory-mapped, like bm25s's.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from docqa.index.backends.base import Floats, Ids
from docqa.index.backends.bm25s import Bm25sIndex

K1 = 1.5  # bm25s's defaults: lucene idf and term-frequency component
B = 0.75
FILES = ("tf_ids.npy", "tf_indptr.npy", "tf_rows.npy", "tf_counts.npy", "tf_lengths.npy")
VOCAB = "tf_vocab.json"
I32 = np.int32


class TfBm25Index(Bm25sIndex):
    name: ClassVar[str] = "bm25"

    def __init__(
        self,
        ids: Ids,
        vocab: list[str],
        indptr: np.ndarray,
        rows: np.ndarray,
        counts: np.ndarray,
        lengths: np.ndarray,
    ):
        doc_freq = np.diff(indptr)
        super().__init__(None, ids, {t: int(df) for t, df in zip(vocab, doc_freq, strict=True) if df})
        self.vocab = vocab
        self._term_id = {t: i for i, t in enumerate(vocab)}
        self.indptr, self.postings, self.counts, self.lengths = indptr, rows, counts, lengths
        self.avgdl = np.array(lengths, dtype=np.int64).mean() if len(lengths) else np.float64(1.0)
        # what a posting's score is made of besides its count: the term's idf (float32, from
        # ``math.log`` as bm25s takes it) and the row's length part, k1 (1 - b + b dl / avgdl) in
        # float64; the scores of a query's terms are made from them (``_term_weights``)
        n = len(self._ids)
        self.idf_of = np.asarray(
            [math.log(1 + (n - df + 0.5) / (df + 0.5)) for df in doc_freq.tolist()], dtype=np.float32
        )
        self.norm = K1 * ((1 - B) + B * np.asarray(lengths, dtype=np.int64) / self.avgdl)

    # --- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, ids: Ids, terms: Sequence[list[str]]) -> TfBm25Index:
        new_vocab: list[str] = []
        postings = _postings_of(terms, {}, new_vocab)
        return cls._from_rows(np.asarray(ids, dtype=np.int64), [], *postings, new_vocab)

    @classmethod
    def _from_rows(
        cls,
        ids: Ids,
        vocab: list[str],
        term_of: np.ndarray,
        row_of: np.ndarray,
        count_of: np.ndarray,
        lengths: np.ndarray,
        new_vocab: list[str],
    ) -> TfBm25Index:
        """From COO postings (term id, row, count) in any order."""
        vocab = vocab + new_vocab
        order = np.lexsort((row_of, term_of))
        term_of, row_of, count_of = term_of[order], row_of[order], count_of[order]
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_of, minlength=len(vocab)), out=indptr[1:])
        return cls(ids, vocab, indptr, row_of.astype(I32), count_of.astype(I32), lengths.astype(I32))

    def updated(self, removed: Ids, added: Ids, added_terms: Sequence[list[str]]) -> TfBm25Index:
        """This index without the rows of ``removed`` ids, plus ``added`` ids (with their terms):
        the postings of every other row are carried over as they are."""
        removed = np.asarray(removed, dtype=np.int64)
        keep = ~np.isin(self._ids, removed)
        added = np.asarray(added, dtype=np.int64)
        if not len(added) or not keep.any() or added.min() > self._ids[keep].max():
            return self._appended(keep, added, added_terms)
        ids = np.concatenate([self._ids[keep], np.asarray(added, dtype=np.int64)])
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        new_row = np.empty(len(order), dtype=np.int64)
        new_row[order] = np.arange(len(order))  # position of each (kept, then added) row in id order
        kept_rows = np.flatnonzero(keep)
        renumber = np.full(len(self._ids), -1, dtype=np.int64)
        renumber[kept_rows] = new_row[: len(kept_rows)]
        term_old = np.repeat(np.arange(len(self.vocab), dtype=np.int64), np.diff(self.indptr))
        row_old = renumber[np.asarray(self.postings, dtype=np.int64)]
        stays = row_old >= 0
        new_vocab: list[str] = []
        term_new, row_new, count_new, len_new = _postings_of(added_terms, self._term_id, new_vocab)
        lengths = np.empty(len(ids), dtype=np.int64)
        lengths[new_row[: len(kept_rows)]] = np.asarray(self.lengths)[kept_rows]
        lengths[new_row[len(kept_rows) :]] = len_new
        # The carried postings stay in (term, row) order (rows are renumbered in order), so the
        # few new ones are merged in by binary search instead of sorting every posting again.
        term_old, row_old = term_old[stays], row_old[stays]
        row_new = new_row[len(kept_rows) :][row_new]
        order = np.lexsort((row_new, term_new))
        term_new, row_new, count_new = term_new[order], row_new[order], count_new[order]
        width = max(len(ids), 1)
        at = np.searchsorted(term_old * width + row_old, term_new * width + row_new)
        vocab = self.vocab + new_vocab
        terms = np.insert(term_old, at, term_new)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocab)), out=indptr[1:])
        rows = np.insert(row_old, at, row_new).astype(I32)
        counts = np.insert(np.asarray(self.counts)[stays], at, count_new).astype(I32)
        return TfBm25Index(ids, vocab, indptr, rows, counts, lengths.astype(I32))

    def _appended(self, keep: np.ndarray, added: Ids, added_terms: Sequence[list[str]]) -> TfBm25Index:
        """``updated`` when every added id is above every kept one (ids only grow): kept rows keep
        their order, new rows come last, so each new posting goes at the end of its term's
        postings and nothing is sorted or keyed again (at 1M passages: 75M postings)."""
        rows_kept, counts_kept, indptr = self.postings, self.counts, np.asarray(self.indptr, dtype=np.int64)
        kept = int(keep.sum())
        if kept < len(keep):
            renumber = np.where(keep, np.cumsum(keep) - 1, -1).astype(I32)
            row_old = renumber[self.postings]
            gone = np.flatnonzero(row_old < 0)  # the removed rows' postings (few)
            per_term = np.bincount(np.searchsorted(indptr, gone, side="right") - 1, minlength=len(self.vocab))
            indptr = indptr - np.concatenate([[0], np.cumsum(per_term)])
            stays = row_old >= 0
            rows_kept, counts_kept = row_old[stays], np.asarray(self.counts)[stays]
        new_vocab: list[str] = []
        term_new, row_new, count_new, len_new = _postings_of(added_terms, self._term_id, new_vocab)
        order = np.lexsort((row_new, term_new))  # by term, then row: each term's new rows in order
        term_new, row_new, count_new = term_new[order], row_new[order] + kept, count_new[order]
        vocab = self.vocab + new_vocab
        indptr = np.concatenate([indptr, np.full(len(new_vocab), indptr[-1])])
        at = indptr[term_new + 1]  # the end of each new posting's term, in the kept postings
        rows = np.insert(np.asarray(rows_kept, dtype=I32), at, row_new.astype(I32))
        counts = np.insert(np.asarray(counts_kept, dtype=I32), at, count_new.astype(I32))
        indptr = indptr + np.concatenate([[0], np.cumsum(np.bincount(term_new, minlength=len(vocab)))])
        ids = np.concatenate([self._ids[keep], added])
        lengths = np.concatenate([np.asarray(self.lengths)[keep], len_new]).astype(I32)
        return TfBm25Index(ids, vocab, indptr, rows, counts, lengths)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = (self._ids, self.indptr, self.postings, self.counts, self.lengths)
        for name, array in zip(FILES, arrays, strict=True):
            np.save(folder / name, np.asarray(array))
        (folder / VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TfBm25Index:
        ids, indptr, rows, counts, lengths = (np.load(folder / name, mmap_mode="r") for name in FILES)
        vocab = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        return cls(np.asarray(ids), vocab, np.asarray(indptr), rows, counts, np.asarray(lengths))

    # --- scoring --------------------------------------------------------------------------
    def _term_weights(self, j: int, start: int, end: int) -> np.ndarray:
        """bm25s's ``lucene`` score of term ``j``'s postings: idf x tf / (tf + k1 (1 - b + b dl /
        avgdl)), in float64 with the float32 idf and tf, stored as float32: the operations bm25s
        bakes into its index, per query term instead of for every posting at every write (idf
        and avgdl change with each write: 75M postings at 1M passages)."""
        tf = np.asarray(self.counts[start:end], dtype=np.float32)
        tfc = tf / (self.norm[self.postings[start:end]] + tf)
        weights: np.ndarray = (self.idf_of[j] * tfc).astype(np.float32)
        return weights

    def _scores_of(self, known: list[str]) -> Floats:
        """The scores of every row, summed term by term in float32 (as bm25s does)."""
        scores = np.zeros(len(self._ids), dtype=np.float32)
        for term in known:
            j = self._term_id[term]
            start, end = int(self.indptr[j]), int(self.indptr[j + 1])
            rows = np.asarray(self.postings[start:end], dtype=np.int64)
            np.add.at(scores, rows, self._term_weights(j, start, end))
        return scores


def _postings_of(
    terms: Sequence[list[str]], term_id: dict[str, int], new_vocab: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """COO postings (term id, row, count) and lengths of ``terms``' rows; terms missing from
    ``term_id`` get ids after it, in first-seen order, appended to ``new_vocab``."""
    base = len(term_id)
    fresh: dict[str, int] = {}
    term_of: list[int] = []
    row_of: list[int] = []
    count_of: list[int] = []
    for row, passage_terms in enumerate(terms):
        for term, count in Counter(passage_terms).items():
            j = term_id.get(term)
            if j is None:
                j = fresh.setdefault(term, base + len(fresh))
            term_of.append(j)
            row_of.append(row)
            count_of.append(count)
    new_vocab.extend(fresh)
    lengths = np.asarray([len(t) for t in terms], dtype=np.int64)
    return (
        np.asarray(term_of, dtype=np.int64),
        np.asarray(row_of, dtype=np.int64),
        np.asarray(count_of, dtype=np.int64),
        lengths,
    )
