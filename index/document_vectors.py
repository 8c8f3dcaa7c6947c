"""Steps 3-4 of an ingest for one document: its passages and sentences, and their vectors.

``cut_and_embed`` needs only Kiwi, the encoders and the vectors already stored (none for a new
document), not the store: ``Indexer`` (``pipeline.py``) runs it under its lock, and a Ray actor
(``ray_ingest.py``) runs the same code with the models loaded once per actor, its result handed
back to the pipeline (``made_elsewhere``), which writes it as if it had embedded it itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from docqa.index import aligned_ingest
from docqa.index.embedding import unit_vector
from docqa.index.store import to_blob
from docqa.ingest.errors import TooLarge
from docqa.ingest.limits import Budget
from docqa.ingest.records import Document, Passage, Span

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

    from docqa.index.embedding.aligned import AlignedEncoder

EMBED_CHUNK = 64  # passages per model call at ingest: the deadline is checked between calls
# Sentences embedded alone per forward pass: sorted by length, small batches pad least (the
# newsletter's 70: 4.8 s of CPU in batches of 32, 2.0 s in batches of 4; the same vectors)
ALONE_BATCH = 4

KnownE5 = tuple[list[tuple[Passage, bytes]], dict[str, bytes]]  # ``Store.known_vectors``
NOTHING_KNOWN: KnownE5 = ([], {})


class Encoder(Protocol):
    """What the pipeline uses of the embedder (``docqa.index.embedding.Embedder``)."""

    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    def encode_passages(self, texts: list[str], batch_size: int = ...) -> NDArray[Any]: ...
    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[NDArray[Any], list[list[NDArray[Any] | None]]]: ...


@dataclass(frozen=True)
class Embedded:
    """One document cut and embedded: passages and unique sentences with their vectors (blobs),
    the aligned encoder's too (None without one)."""

    passages: list[Passage]
    sentences: list[Span]
    passage_vecs: list[bytes]
    sentence_vecs: list[bytes]
    aligned_p: list[bytes] | None
    aligned_s: list[bytes] | None


# Given the documents to embed (those not stored as they are) and the seconds each took to read,
# what was made of each, in the same order: ``ray_ingest.RayEmbedding`` is one.
Elsewhere = Callable[[Sequence[Document], Sequence[float]], Iterator[Embedded | TooLarge]]


def cut_and_embed(
    doc: Document,
    kiwi: Kiwi,
    embedder: Encoder,
    aligned: AlignedEncoder | None,
    budget: Budget,
    known: KnownE5 = NOTHING_KNOWN,
    known_aligned: aligned_ingest.Known = ({}, {}),
) -> Embedded:
    """Steps 3 and 4: the passages and sentences (within ``budget``), then the vectors of the
    texts ``known`` and ``known_aligned`` (what is stored of the document) lack."""
    from docqa.ingest.chunk import make_passages

    passages = make_passages(doc, kiwi)  # 3. passages and their sentences
    budget.check_passages(len(passages))
    budget.check_time("cutting passages")
    sentences = unique_sentences(passages)
    passage_vecs, sentence_vecs = e5_vectors(embedder, doc, passages, sentences, known, budget)  # 4.
    budget.check_time("embedding sentences")
    aligned_p: list[bytes] | None = None
    aligned_s: list[bytes] | None = None
    if aligned is not None:  # 4b. the aligned encoder's
        aligned_p, aligned_s = aligned_ingest.vectors(
            aligned,
            [embed_text(p) for p in passages],
            [doc.text[s.start : s.end] for s in sentences],
            known_aligned,
        )
        budget.check_time("embedding passages with the aligned encoder")
    return Embedded(passages, sentences, passage_vecs, sentence_vecs, aligned_p, aligned_s)


def e5_vectors(
    embedder: Encoder,
    doc: Document,
    passages: Sequence[Passage],
    sentences: Sequence[Span],
    old: KnownE5,
    budget: Budget,
) -> tuple[list[bytes], list[bytes]]:
    """Vectors of the passages and sentences; only texts without a stored vector (``old``)
    are embedded, ``EMBED_CHUNK`` at a time with the deadline checked in between.

    A sentence's vector comes from the forward pass of its passage (the mean of its tokens'
    contextual vectors), so sentences cost no model run of their own. A sentence seen in two
    overlapping passages gets the mean of both; one beyond the model's length limit, or whose
    passages' tokens cannot be cut at its bounds, is embedded alone.
    """
    old_passages, old_sentences = old
    known = {embed_text(p): blob for p, blob in old_passages}
    texts = [embed_text(p) for p in passages]
    # longest first, as the model batches them: the chunks pad as one call would
    todo = sorted((t for t in dict.fromkeys(texts) if t not in known), key=len, reverse=True)
    owners = {t: p for p, t in zip(passages, texts, strict=True)}
    sentence_text = {s.start: doc.text[s.start : s.end] for s in sentences}
    found: dict[str, list[NDArray[Any]]] = {}
    for lo in range(0, len(todo), EMBED_CHUNK):
        budget.check_time(f"embedding passages ({lo:,} of {len(todo):,} done)")
        chunk = todo[lo : lo + EMBED_CHUNK]
        spans = [sentence_offsets(owners[t]) for t in chunk]
        vectors, pooled = embedder.encode_passages_with_spans(chunk, spans)
        for t, v, row in zip(chunk, vectors, pooled, strict=True):
            known[t] = to_blob(v)
            for s, sv in zip(owners[t].sentences, row, strict=True):
                if sv is not None and sentence_text[s.start] not in old_sentences:
                    found.setdefault(sentence_text[s.start], []).append(sv)
    sentence_known = dict(old_sentences)
    for text, vs in found.items():
        sentence_known[text] = to_blob(unit_vector(np.mean(vs, axis=0)))
    missing = sorted({t for t in sentence_text.values() if t not in sentence_known})
    if missing:  # past the length limit of every passage that holds them
        for text, v in zip(missing, embedder.encode_passages(missing, batch_size=ALONE_BATCH), strict=True):
            sentence_known[text] = to_blob(v)
    return [known[t] for t in texts], [sentence_known[sentence_text[s.start]] for s in sentences]


def made_elsewhere(
    elsewhere: Elsewhere,
    documents: Sequence[Document],
    spent: Sequence[float],
    stored_as_is: Callable[[Document], bool],
) -> Iterator[Embedded | TooLarge | None]:
    """One item per document, in order: what ``elsewhere`` made of it, or None for a document it
    was not sent (stored as it is, so a re-run embeds nothing). Which those are is decided before
    the first item, so results stream in while earlier documents are written."""
    sent = [not stored_as_is(doc) for doc in documents]
    made = elsewhere(
        [doc for doc, s in zip(documents, sent, strict=True) if s],
        [t for t, s in zip(spent, sent, strict=True) if s],
    )
    for s in sent:
        yield next(made) if s else None


def file_name(doc: Document) -> str:
    """How messages name a document: its file's name, else its doc_id."""
    return Path(doc.path).name if doc.path else doc.doc_id


def embed_text(passage: Passage) -> str:
    """What the dense side sees: the article title gives a passage its subject."""
    return f"{passage.article}\n{passage.text}" if passage.article else passage.text


def sentence_offsets(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences as character offsets into its ``embed_text``."""
    shift = (len(passage.article) + 1 if passage.article else 0) - passage.start
    return [(s.start + shift, s.end + shift) for s in passage.sentences]


def unique_sentences(passages: Sequence[Passage]) -> list[Span]:
    seen: dict[int, Span] = {}
    for passage in passages:
        for span in passage.sentences:
            seen.setdefault(span.start, span)
    return [seen[k] for k in sorted(seen)]
