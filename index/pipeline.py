"""Ingest pipeline: files in, database rows and a new index generation out.

1. read and clean each file (``ingest_paths``; failures, and files past the ``Limits`` of
``docqa.ingest.limits``, become ``report.skipped``), 2. skip it
when its bytes and metadata are those stored, 3. cut it into passages and sentences, 4. embed
only texts the database has no vector for, 5. replace the document's rows (passages, sentences,
the alias pairs mined from its text) in one transaction, 6. build a new generation and swap it
in. One ingest or delete runs at a time per data directory (an exclusive file lock), so two
never interleave. A process killed anywhere leaves
readers on the previous generation; the next run finds the database's revision ahead of the
index and publishes it, and reports those documents (``Report.published``). A full or
unwritable data directory raises a ``StorageError`` (``write_errors``) that names what was stored.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from docqa.core.errors import UsageError
from docqa.index import aliases, aligned_ingest, generation
from docqa.index.document_vectors import (
    Elsewhere,
    Embedded,
    Encoder,
    cut_and_embed,
    file_name,
    made_elsewhere,
)
from docqa.index.document_vectors import embed_text as embed_text
from docqa.index.generation import pause_for_test
from docqa.index.lexical import analyze, analyze_many
from docqa.index.manifest import Manifest
from docqa.index.store import ALIGNED_MODEL, FINGERPRINT, Store
from docqa.index.write_errors import Progress as WriteProgress
from docqa.index.write_errors import writing
from docqa.ingest.errors import IngestError, TooLarge, UnsupportedFormat
from docqa.ingest.limits import Budget, Limits
from docqa.ingest.readers import NOT_FOUND, iter_inputs, read_path
from docqa.ingest.records import Document, Passage

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

    from docqa.index.embedding.aligned import AlignedEncoder

LOCK = ".ingest.lock"
ALIASES_META = "aliases_miner"  # the miner version the stored pairs were mined with


class Meter(Protocol):
    """A progress counter (a tqdm bar is one)."""

    def update(self, n: int = 1) -> object: ...


# ("reading" | "indexing", how many) → a context that counts them; the CLI passes tqdm
Progress = Callable[[str, int], AbstractContextManager[Meter]]


Status = Literal["added", "updated", "unchanged", "deleted"]


@dataclass(frozen=True)
class Outcome:
    doc_id: str
    status: Status
    passages: int
    path: str | None = None
    warnings: tuple[str, ...] = ()  # how the file was read (a repaired PDF): ``Document.warnings``


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested; ``reason`` is the message for the user."""

    path: str
    reason: str
    kind: Literal["missing", "unsupported", "unreadable", "too_large"]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    manifest: Manifest | None = None
    # documents an earlier run committed but did not publish (it failed or was killed after its
    # commit), made searchable by this run although it did not write them
    published: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class Indexer:
    """Writes into one data directory; the embedders are loaded on first use.

    ``aligned_factory`` gives the aligned second encoder (``docqa.index.embedding.aligned``) or
    None: without one, passages get e5 vectors only, as before it existed. ``limits`` bound
    each document (pages, characters, passages, seconds); one past them is skipped."""

    def __init__(
        self,
        data_dir: Path,
        embedder_factory: Callable[[], object],
        kiwi_factory: Callable[[], object],
        aligned_factory: Callable[[], object] | None = None,
        limits: Limits | None = None,
    ):
        self.data_dir = data_dir
        self.limits = limits or Limits()
        self._embedder_factory = embedder_factory
        self._kiwi_factory = kiwi_factory
        self._aligned_factory = aligned_factory or (lambda: None)
        self._embedder: Encoder | None = None
        self._aligned: tuple[AlignedEncoder | None] | None = None
        self._kiwi: Kiwi | None = None
        # the service: a publish leaves removing what it superseded to ``tidy``, called once its
        # searcher serves the new generation (deleting old files took 0-0.6 s at 100k, 1.1 s at 1M)
        self.tidy_later = False

    @property
    def embedder(self) -> Encoder:
        if self._embedder is None:
            # The factories are typed loosely so that callers need not import the model's classes.
            self._embedder = cast(Encoder, self._embedder_factory())
        return self._embedder

    @property
    def aligned(self) -> AlignedEncoder | None:
        if self._aligned is None:
            self._aligned = (cast("AlignedEncoder | None", self._aligned_factory()),)
        return self._aligned[0]

    @property
    def kiwi(self) -> Kiwi:
        if self._kiwi is None:
            self._kiwi = cast("Kiwi", self._kiwi_factory())
        return self._kiwi

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Exclusive use of the data directory for one ingest or delete."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            store = self._open_store()
            try:
                manifest = self._current_manifest(store)
                generation.check_model(manifest, self.embedder.name, self.embedder.dim)
                if self.aligned is not None:
                    generation.check_aligned(manifest, self.aligned.name, self.aligned.dim)
                    aligned_ingest.check_store(store, self.aligned)
                self._mine_stored(store)
                yield store
            finally:
                store.close()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open_store(self) -> Store:
        """The rows this indexer writes (the Milvus backend's indexer opens its collections)."""
        return Store(self.data_dir / generation.DATABASE)

    def _current_manifest(self, store: Store) -> Manifest | None:
        return _readable_manifest(self.data_dir)

    def ingest_paths(
        self,
        paths: Sequence[Path | str],
        meta: dict[str, Any] | None = None,
        *,
        relative_to: Path | None = None,
        progress: Progress | None = None,
        elsewhere: Elsewhere | None = None,
    ) -> Report:
        """The whole ingest path for files and folders: read, clean, then ``ingest`` (steps 2-6).

        ``meta`` describes a single file and wins over its manifest row. ``relative_to`` records
        paths relative to that folder (an upload's temporary folder means nothing later). Inputs
        that cannot be read are ``report.skipped``; when none could be read, the data directory
        is left alone (no lock, no model). ``elsewhere`` cuts and embeds the documents instead of
        this process (``ray_ingest``); they are written here as if embedded here.
        """
        progress = progress or _silent
        if meta is not None and (len(paths) != 1 or Path(paths[0]).is_dir()):
            raise UsageError("metadata describes one file: name one file, not a folder or several paths")
        # 1. read and clean (``spent``: the seconds each document took, counted against its limit)
        documents, skipped, spent = read_inputs(paths, meta, relative_to, progress, self.limits)
        if skipped and not documents:
            return Report(skipped=skipped)
        with progress("indexing", len(documents)) as meter:
            report = self.ingest(documents, lambda _doc: meter.update(1), spent, elsewhere)  # 2.-6.
        report.skipped.extend(skipped)
        return report

    def ingest(
        self,
        documents: Sequence[Document],
        progress: Callable[[Document], object] | None = None,
        spent: Sequence[float] | None = None,
        elsewhere: Elsewhere | None = None,
    ) -> Report:
        """Add or replace documents, then publish a new generation if anything changed.

        A document past a limit is ``report.skipped`` and leaves nothing behind; ``spent`` is
        the seconds each took to read, counted against its ingest time. ``elsewhere`` is given
        the documents not stored as they are, and cuts and embeds them (``made_elsewhere``)."""
        report = Report()
        spent = spent or [0.0] * len(documents)
        with writing(self.data_dir) as written, self.locked() as store:
            earlier = self._unpublished(store, written)
            made = (
                made_elsewhere(
                    elsewhere, documents, spent, lambda d: store.fingerprint(d.doc_id) == fingerprint(d)
                )
                if elsewhere
                else iter([None] * len(documents))
            )
            for number, doc in enumerate(documents):
                budget = self.limits.start(file_name(doc), spent[number])
                try:
                    outcome = self._ingest_one(store, doc, budget, next(made))
                except TooLarge as exc:
                    report.skipped.append(_skipped(Path(doc.path or doc.doc_id), exc))
                else:
                    report.outcomes.append(outcome)
                    if outcome.status != "unchanged":
                        written.stored.append(doc.doc_id)
                if progress:
                    progress(doc)
            report.manifest = self._publish(store)
        mine = {o.doc_id for o in report.outcomes if o.status != "unchanged"}
        report.published = [doc_id for doc_id in earlier if doc_id not in mine]
        return report

    def delete(self, doc_id: str) -> Outcome | None:
        """Remove a document and publish a generation without it; None when there is no such one."""
        report = self.remove(doc_id)
        return report.outcomes[0] if report.outcomes else None

    def remove(self, doc_id: str) -> Report:
        """``delete``, reported like an ingest: the outcome (none for no such document) and what
        else this publish made visible (``Report.published``)."""
        with writing(self.data_dir) as written, self.locked() as store:
            earlier = self._unpublished(store, written)
            with store.transaction():
                passages = store.passage_count(doc_id)
                removed = store.delete_document(doc_id)  # passages and sentences cascade
                if removed:
                    store.bump_revision()
            if removed:
                written.stored.append(doc_id)
            pause_for_test("committed")
            manifest = self._publish(store)
        outcomes = [Outcome(doc_id, "deleted", passages)] if removed else []
        return Report(outcomes, manifest=manifest, published=[d for d in earlier if d != doc_id])

    def _unpublished(self, store: Store, written: WriteProgress) -> list[str]:
        """Documents whose committed rows differ from the current generation's (added, changed or
        deleted by a run that failed or was killed before publishing); they count as stored."""
        manifest = _readable_manifest(self.data_dir)
        if generation.is_current(self.data_dir, manifest, store.revision()):
            return []
        published: dict[str, float] = {}
        if manifest is not None:
            try:
                snapshot = generation.open_snapshot(self.data_dir, manifest)
            except generation.IndexUnavailable:
                return []  # what readers saw is unknown: claim nothing
            try:
                published = snapshot.document_stamps()
            finally:
                snapshot.close()
        stored = store.document_stamps()
        pending = sorted(d for d in stored.keys() | published.keys() if stored.get(d) != published.get(d))
        written.stored.extend(pending)
        return pending

    def _ingest_one(
        self, store: Store, doc: Document, budget: Budget, made: Embedded | TooLarge | None = None
    ) -> Outcome:
        """Steps 2-5 for one document, under the lock; ``budget`` stops it before anything is written.
        ``made``: steps 3-4 done elsewhere (``ingest``'s ``elsewhere``), or the limit it hit there."""
        previous = store.fingerprint(doc.doc_id)
        if previous == fingerprint(doc):  # 2. same bytes and metadata as stored
            if self.aligned is not None:  # a database from before the aligned side gets its vectors
                aligned_ingest.backfill(store, self.aligned, doc.doc_id, embed_text)
            count = store.passage_count(doc.doc_id)
            return Outcome(doc.doc_id, "unchanged", count, doc.path, doc.warnings)
        if isinstance(made, TooLarge):
            raise made
        if made is None:  # 3.-4. passages, sentences, and the vectors of texts with none stored
            aligned = aligned_ingest.known(store, doc.doc_id, embed_text) if self.aligned else ({}, {})
            made = cut_and_embed(
                doc, self.kiwi, self.embedder, self.aligned, budget, store.known_vectors(doc.doc_id), aligned
            )
        passages, sentences = made.passages, made.sentences
        terms = _lexical_terms(passages, self.kiwi)
        term_vecs = (
            aligned_ingest.term_vectors(self.aligned, store, map(json.loads, terms)) if self.aligned else {}
        )
        pairs = aliases.records(doc.doc_id, doc.text, self._analyse)
        budget.check_time("finding terms and aliases")
        pause_for_test("embedded")
        with store.transaction():  # 5. the document's rows, replaced at once
            store.put_document(doc)
            store.put_passages(passages, terms, made.passage_vecs, made.aligned_p)
            store.put_sentences(doc.doc_id, sentences, made.sentence_vecs, made.aligned_s)
            store.put_aliases(doc.doc_id, pairs)
            store.put_term_vectors(term_vecs)
            if self.aligned is not None:
                store.set_meta(ALIGNED_MODEL, self.aligned.name)
            store.bump_revision()
        pause_for_test("committed")
        status: Status = "updated" if previous else "added"
        return Outcome(doc.doc_id, status, len(passages), doc.path, doc.warnings)

    def _analyse(self, text: str) -> list[str]:
        return analyze(text, self.kiwi)

    def _mine_stored(self, store: Store) -> None:
        """Mine the alias pairs of every stored document when the database has none of this miner
        yet (made before the aliases table, or by older rules): the documents' cleaned text is
        stored, so the pairs are exactly those a re-ingest would find, and nothing is re-embedded."""
        if store.get_meta(ALIASES_META) == aliases.MINER_VERSION:
            return
        texts = list(store.document_texts())
        with store.transaction():
            for doc_id, text in texts:
                store.put_aliases(doc_id, aliases.records(doc_id, text, self._analyse))
            store.set_meta(ALIASES_META, aliases.MINER_VERSION)
            if texts:
                store.bump_revision()  # the next publish builds a generation with them

    def _publish(self, store: Store) -> Manifest:
        """6. Build a generation when the database moved past the current one (or a crash left it
        so), or when the current one lacks the configured aligned encoder's index."""
        manifest = _readable_manifest(self.data_dir)
        aligned = self.aligned
        if generation.is_current(self.data_dir, manifest, store.revision()):
            assert manifest is not None
            if aligned is None or manifest.aligned_model == aligned.name or not manifest.passages:
                return manifest
        # what embedded the passages (a bf16 ingest: ``torch-bf16``; ``Embedder.passage_runtime``)
        runtime = str(getattr(self.embedder, "passage_runtime", getattr(self.embedder, "runtime", "")))
        return generation.build(
            store, self.data_dir, self.embedder.name, self.embedder.dim, aligned, runtime, not self.tidy_later
        )

    def tidy(self) -> None:
        """What a publish with ``tidy_later`` left: superseded generations past their grace and the
        undo rows none can read, removed under the ingest lock."""
        with open(self.data_dir / LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            store = self._open_store()
            try:
                generation.tidy(store, self.data_dir)
            finally:
                store.close()
                fcntl.flock(lock, fcntl.LOCK_UN)


def read_inputs(
    paths: Sequence[Path | str],
    meta: dict[str, Any] | None,
    relative_to: Path | None,
    progress: Progress,
    limits: Limits | None = None,
) -> tuple[list[Document], list[Skipped], list[float]]:
    """1. Walk files and folders and read each file within ``limits``; what cannot be read
    becomes a ``Skipped``. The last list is the seconds each document took to read."""
    walked: list[tuple[Path, str]] = []
    inputs = list(iter_inputs(paths, walked))  # a broken manifest.jsonl stops the run (IngestError)
    skipped = [_skipped(path, reason) for path, reason in walked]
    documents: list[Document] = []
    spent: list[float] = []
    with progress("reading", len(inputs)) as meter:
        for path, row in inputs:
            budget = (limits or Limits()).start(path.name)
            try:
                doc = read_path(path, {**(row or {}), **(meta or {})}, budget)
            except IngestError as exc:
                skipped.append(_skipped(path, exc))
            else:
                documents.append(
                    doc if relative_to is None else replace(doc, path=str(path.relative_to(relative_to)))
                )
                spent.append(budget.spent())
            meter.update(1)
    return documents, skipped, spent


def _skipped(path: Path, why: str | IngestError) -> Skipped:
    """The one place a read failure gets its kind: the walk's reasons, or the reader's error."""
    if isinstance(why, UnsupportedFormat):
        return Skipped(str(path), str(why), "unsupported")
    if isinstance(why, TooLarge):  # over a limit (Overdrawn, a page bomb, is unreadable)
        return Skipped(str(path), str(why), "too_large")
    if isinstance(why, IngestError):
        return Skipped(str(path), str(why), "unreadable")
    return Skipped(str(path), why, "missing" if why == NOT_FOUND else "unsupported")


def _silent(step: str, total: int) -> AbstractContextManager[Meter]:
    return nullcontext(_NoMeter())


class _NoMeter:
    def update(self, n: int = 1) -> None:
        return None


def _lexical_terms(passages: Sequence[Passage], kiwi: Kiwi) -> list[str]:
    """Each passage's BM25 terms, as the JSON the store keeps."""
    return [
        json.dumps(t, ensure_ascii=False) for t in analyze_many([lexical_text(p) for p in passages], kiwi)
    ]


def lexical_text(passage: Passage) -> str:
    return embed_text(passage)


def _readable_manifest(data_dir: Path) -> Manifest | None:
    """The current manifest; None when there is none or it is unreadable (a build replaces it)."""
    try:
        return generation.read_manifest(data_dir)
    except generation.IndexUnavailable:
        return None


def fingerprint(doc: Document) -> tuple[object, ...]:
    """The new reading's counterpart of ``Store.fingerprint``."""
    return tuple(getattr(doc, name) for name in FINGERPRINT)
