"""Ingest pipeline: documents in, database rows and a new index generation out.

1. read and clean each file (``ingest``), 2. skip it when its bytes and metadata are those
stored, 3. cut it into passages and sentences, 4. embed only texts the database has no vector
for, 5. replace the document's rows in one transaction, 6. build a new generation and swap it
in. One ingest or delete runs at a time per data directory (an exclusive file lock), so two
never interleave. A process killed anywhere leaves readers on the previous generation; the
next run finds the database's revision ahead of the index and publishes it.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from docqa.index import generation
from docqa.index.embedding import unit_vector
from docqa.index.generation import pause_for_test
from docqa.index.lexical import analyze_many
from docqa.index.store import FINGERPRINT, Store, to_blob
from docqa.ingest.records import Document, Passage, Span

LOCK = ".ingest.lock"


@dataclass(frozen=True)
class Outcome:
    doc_id: str
    status: str  # added | updated | unchanged | deleted
    passages: int
    path: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    manifest: dict | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class Indexer:
    """Writes into one data directory; the embedder is loaded on first use."""

    def __init__(self, data_dir: Path, embedder_factory: Callable[[], object], kiwi_factory: Callable[[], object]):
        self.data_dir = data_dir
        self._embedder_factory = embedder_factory
        self._kiwi_factory = kiwi_factory
        self._embedder = None
        self._kiwi = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    @property
    def kiwi(self):
        if self._kiwi is None:
            self._kiwi = self._kiwi_factory()
        return self._kiwi

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Exclusive use of the data directory for one ingest or delete."""
        with open(self.data_dir / LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            store = Store(self.data_dir / generation.DATABASE)
            try:
                manifest = _readable_manifest(self.data_dir)
                generation.check_model(manifest, self.embedder.name, self.embedder.dim)
                yield store
            finally:
                store.close()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ingest(self, documents: Sequence[Document], progress: Callable[[Document], None] | None = None) -> Report:
        """Add or replace documents, then publish a new generation if anything changed."""
        report = Report()
        with self.locked() as store:
            for doc in documents:
                report.outcomes.append(self._ingest_one(store, doc))
                if progress:
                    progress(doc)
            report.manifest = self._publish(store)
        return report

    def delete(self, doc_id: str) -> Outcome | None:
        """Remove a document and publish a generation without it; None when there is no such one."""
        with self.locked() as store:
            with store.transaction():
                passages = store.passage_count(doc_id)
                removed = store.delete_document(doc_id)  # passages and sentences cascade
                if removed:
                    store.bump_revision()
            pause_for_test("committed")
            self._publish(store)
        return Outcome(doc_id, "deleted", passages) if removed else None

    def _ingest_one(self, store: Store, doc: Document) -> Outcome:
        previous = store.fingerprint(doc.doc_id)
        if previous == fingerprint(doc):
            return Outcome(doc.doc_id, "unchanged", store.passage_count(doc.doc_id), doc.path)
        from docqa.ingest.chunk import make_passages

        passages = make_passages(doc, self.kiwi)
        sentences = _unique_sentences(passages)
        old_passages, old_sentences = store.known_vectors(doc.doc_id)
        passage_vecs, sentence_vecs = self._vectors(doc, passages, sentences, old_passages, old_sentences)
        terms = [json.dumps(t, ensure_ascii=False) for t in analyze_many([lexical_text(p) for p in passages], self.kiwi)]
        pause_for_test("embedded")
        with store.transaction():
            store.put_document(doc)
            store.put_passages(passages, terms, passage_vecs)
            store.put_sentences(doc.doc_id, sentences, sentence_vecs)
            store.bump_revision()
        pause_for_test("committed")
        return Outcome(doc.doc_id, "updated" if previous else "added", len(passages), doc.path)

    def _vectors(
        self,
        doc: Document,
        passages: Sequence[Passage],
        sentences: Sequence[Span],
        old_passages: list[tuple[Passage, bytes]],
        old_sentences: dict[str, bytes],
    ) -> tuple[list[bytes], list[bytes]]:
        """Vectors of the passages and sentences; only texts without a stored vector are embedded.

        A sentence's vector comes from the forward pass of its passage (the mean of its tokens'
        contextual vectors), so sentences cost no model run of their own. A sentence seen in two
        overlapping passages gets the mean of both; one beyond the model's length limit is
        embedded alone.
        """
        known = {embed_text(p): blob for p, blob in old_passages}
        texts = [embed_text(p) for p in passages]
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        owners = {t: p for p, t in zip(passages, texts, strict=True)}
        sentence_text = {s.start: doc.text[s.start : s.end] for s in sentences}
        spans = [_sentence_offsets(owners[t]) for t in todo]
        found: dict[str, list[np.ndarray]] = {}
        if todo:
            vectors, pooled = self.embedder.encode_passages_with_spans(todo, spans)
            for t, v, row in zip(todo, vectors, pooled, strict=True):
                known[t] = to_blob(v)
                for s, sv in zip(owners[t].sentences, row, strict=True):
                    if sv is not None and sentence_text[s.start] not in old_sentences:
                        found.setdefault(sentence_text[s.start], []).append(sv)
        sentence_known = dict(old_sentences)
        for text, vs in found.items():
            sentence_known[text] = to_blob(unit_vector(np.mean(vs, axis=0)))
        missing = sorted({t for t in sentence_text.values() if t not in sentence_known})
        if missing:  # past the length limit of every passage that holds them
            for text, v in zip(missing, self.embedder.encode_passages(missing), strict=True):
                sentence_known[text] = to_blob(v)
        return [known[t] for t in texts], [sentence_known[sentence_text[s.start]] for s in sentences]

    def _publish(self, store: Store) -> dict:
        """Build a generation when the database moved past the current one (or a crash left it so)."""
        manifest = _readable_manifest(self.data_dir)
        if generation.is_current(self.data_dir, manifest, store.revision()):
            assert manifest is not None
            return manifest
        return generation.build(store, self.data_dir, self.embedder.name, self.embedder.dim)


def embed_text(passage: Passage) -> str:
    """What the dense side sees: the article title gives a passage its subject."""
    return f"{passage.article}\n{passage.text}" if passage.article else passage.text


def _sentence_offsets(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences as character offsets into its ``embed_text``."""
    shift = (len(passage.article) + 1 if passage.article else 0) - passage.start
    return [(s.start + shift, s.end + shift) for s in passage.sentences]


def lexical_text(passage: Passage) -> str:
    return embed_text(passage)


def _unique_sentences(passages: Sequence[Passage]) -> list[Span]:
    seen: dict[int, Span] = {}
    for passage in passages:
        for span in passage.sentences:
            seen.setdefault(span.start, span)
    return [seen[k] for k in sorted(seen)]


def _readable_manifest(data_dir: Path) -> dict | None:
    """The current manifest; None when there is none or it is unreadable (a build replaces it)."""
    try:
        return generation.read_manifest(data_dir)
    except generation.IndexUnavailable:
        return None


def fingerprint(doc: Document) -> tuple:
    """The new reading's counterpart of ``Store.fingerprint``."""
    return tuple(getattr(doc, name) for name in FINGERPRINT)
