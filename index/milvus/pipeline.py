"""The ingest pipeline writing to Milvus: ``Indexer``'s steps, with the rows in Milvus collections.

Reading, cutting, embedding only what has no stored vector, and the alias pairs are the local
pipeline's own (``index/pipeline.py``); the store is a ``MilvusStore`` and step 6 publishes a
revision (``publish.py``) instead of building a generation folder.

One writer at a time. Milvus has no compare-and-set, so a lease kept in a collection could be
taken by two writers at once; instead writes go to one ingest worker: the service's one writer
thread (``service/writes.py``) or `docqa ingest`, under the data directory's exclusive file lock
as in the local backend. With several replicas, the proxy sends writes to one of them (deploy/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from docqa.index.manifest import BackendUnavailable, Manifest
from docqa.index.milvus import client as mc
from docqa.index.milvus.publish import is_current, publish
from docqa.index.milvus.store import MilvusStore
from docqa.index.pipeline import Indexer
from docqa.index.store import Store
from docqa.index.write_errors import Progress as WriteProgress
from docqa.ingest.limits import Limits


class MilvusIndexer(Indexer):
    def __init__(
        self,
        where: mc.Target,
        data_dir: Path,
        embedder_factory: Callable[[], object],
        kiwi_factory: Callable[[], object],
        aligned_factory: Callable[[], object] | None = None,
        limits: Limits | None = None,
    ):
        super().__init__(data_dir, embedder_factory, kiwi_factory, aligned_factory, limits)
        self.where = where

    def _open_store(self) -> Store:
        aligned = self.aligned
        return MilvusStore(self.where, self.embedder.dim, aligned.dim if aligned is not None else 0)

    def _current_manifest(self, store: Store) -> Manifest | None:
        return _milvus(store).manifest()

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """The ingest lock, and Milvus failures as ``BackendUnavailable`` (a 503, not a 500)."""
        from pymilvus.exceptions import MilvusException

        try:
            with super().locked() as store:
                yield store
        except MilvusException as exc:
            raise BackendUnavailable(f"{self.where.description} failed: {exc}") from exc

    def _publish(self, store: Store) -> Manifest:
        milvus = _milvus(store)
        manifest = milvus.manifest()
        if is_current(manifest, milvus, self.aligned):
            assert manifest is not None
            return manifest
        runtime = str(getattr(self.embedder, "passage_runtime", getattr(self.embedder, "runtime", "")))
        return publish(milvus, self.embedder.name, self.embedder.dim, self.aligned, runtime)

    def tidy(self) -> None:
        """Nothing to remove: Milvus keeps no generation folders."""

    def _unpublished(self, store: Store, written: WriteProgress) -> list[str]:
        """Documents committed after the published revision (a write that failed before publishing)."""
        milvus = _milvus(store)
        manifest = milvus.manifest()
        if manifest is not None and manifest.revision == milvus.revision():
            return []
        since = manifest.revision if manifest is not None else 0
        pending = sorted(doc_id for doc_id, stamp in milvus.document_stamps().items() if stamp > since)
        written.stored.extend(pending)
        return pending


def _milvus(store: Any) -> MilvusStore:
    assert isinstance(store, MilvusStore)
    return store
