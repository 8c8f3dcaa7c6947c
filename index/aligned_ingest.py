"""Ingest steps for the aligned encoder's vectors, beside e5's (``pipeline.py`` calls them).

Passages are embedded from the text e5 sees (title + passage), sentences each on its own (USE
has no contextual token states to pool, as e5's late chunking does). As for e5, a text whose
vector is stored is never embedded again, and a database made before the aligned side existed
gets the missing vectors on the next ingest (``backfill``), documents unchanged or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from docqa.core.process import usable_cores
from docqa.index.embedding.aligned import AlignedEncoder
from docqa.index.embedding.usem3 import UseM3Encoder
from docqa.index.manifest import ModelMismatch
from docqa.index.store import ALIGNED_MODEL, Store, to_blob
from docqa.index.translation import is_korean_term
from docqa.ingest.records import Passage

Known = tuple[dict[str, bytes], dict[str, bytes]]  # passage text -> vector, sentence text -> vector


def check_store(store: Store, encoder: AlignedEncoder) -> None:
    """Refuse to add vectors of one aligned model to a database holding another's."""
    stored = store.get_meta(ALIGNED_MODEL)
    if stored and stored != encoder.name:
        raise ModelMismatch(
            f"the database holds aligned vectors of {stored!r}, but the configured aligned model is "
            f"{encoder.name!r}. Set DOCQA_ALIGNED_MODEL to {stored!r} (or none), or use another "
            "DOCQA_DATA_DIR and ingest again."
        )


def known(store: Store, doc_id: str, text_of: Callable[[Passage], str]) -> Known:
    """The stored aligned vectors of a document's current rows, keyed by the text embedded."""
    doc = store.document(doc_id)
    if doc is None:
        return {}, {}
    by_pid, by_span = store.aligned_rows(doc_id)
    rows = store.passage_rows(doc_id=doc_id)
    passages = {text_of(rows[pid].passage): blob for pid, blob in by_pid.items() if blob is not None}
    sentences = {doc.text[a:b]: blob for (a, b), blob in by_span.items() if blob is not None}
    return passages, sentences


def vectors(
    encoder: AlignedEncoder, passage_texts: Sequence[str], sentence_texts: Sequence[str], old: Known
) -> tuple[list[bytes], list[bytes]]:
    """Aligned vectors of the given passage and sentence texts; only unknown texts are embedded."""
    known_p, known_s = dict(old[0]), dict(old[1])
    todo_p = [t for t in dict.fromkeys(passage_texts) if t not in known_p]
    todo_s = [t for t in dict.fromkeys(sentence_texts) if t not in known_s]
    # One BLAS thread: with two, throughput halves when the cores are busy (118 -> 65 passages/s).
    with threadpool_limits(1, user_api="blas"):
        found = (
            _encode(encoder, todo_p + todo_s) if todo_p or todo_s else np.zeros((0, encoder.dim), np.float32)
        )
    for text, vector in zip(todo_p, found[: len(todo_p)], strict=True):
        known_p[text] = to_blob(vector)
    for text, vector in zip(todo_s, found[len(todo_p) :], strict=True):
        known_s[text] = to_blob(vector)
    return [known_p[t] for t in passage_texts], [known_s[t] for t in sentence_texts]


def term_vectors(
    encoder: AlignedEncoder, store: Store, term_lists: Iterable[Iterable[str]]
) -> dict[str, bytes]:
    """Aligned vectors of the Korean index terms (``translation.py``) that have none stored yet."""
    todo = store.terms_without_vectors(t for terms in term_lists for t in terms if is_korean_term(t))
    if not todo:
        return {}
    with threadpool_limits(1, user_api="blas"):
        found = _encode(encoder, todo)
    return {term: to_blob(vector) for term, vector in zip(todo, found, strict=True)}


def _encode(encoder: AlignedEncoder, texts: list[str]) -> np.ndarray:
    """A write's texts, on a thread per core where the encoder splits its batches (USE-m3's):
    one thread of one BLAS thread each, as the passes ran before, but side by side."""
    if isinstance(encoder, UseM3Encoder):
        return encoder.encode(texts, workers=usable_cores())
    return encoder.encode(texts)


def backfill(store: Store, encoder: AlignedEncoder, doc_id: str, text_of: Callable[[Passage], str]) -> bool:
    """Embed the aligned vectors a stored document lacks (passages, sentences, its terms) and
    write them in one transaction (under the ingest lock, as every write); False when it lacked none."""
    doc = store.document(doc_id)
    by_pid, by_span = store.aligned_rows(doc_id)
    missing_p = [pid for pid, blob in by_pid.items() if blob is None]
    missing_s = [span for span, blob in by_span.items() if blob is None]
    terms = term_vectors(encoder, store, store.document_terms(doc_id))
    if doc is None or not (missing_p or missing_s or terms):
        return False
    rows = store.passage_rows(doc_id=doc_id)
    p_vecs, s_vecs = vectors(
        encoder,
        [text_of(rows[pid].passage) for pid in missing_p],
        [doc.text[a:b] for a, b in missing_s],
        ({}, {}),
    )
    with store.transaction():
        store.put_aligned(
            doc_id,
            dict(zip(missing_p, p_vecs, strict=True)),
            {a: v for (a, _), v in zip(missing_s, s_vecs, strict=True)},
        )
        store.put_term_vectors(terms)
        store.set_meta(ALIGNED_MODEL, encoder.name)
        store.bump_revision()
    return True
