"""Bulk ingest on Ray (``docqa ingest --ray``, the ``docqa[ray]`` extra): a cluster cuts and embeds.

The driver (the ``docqa ingest`` process) reads and cleans the files, as a plain ingest does
(so the files need not be on the cluster's nodes, and a bad file is skipped with the same
report), and sends the documents not stored as they are to a Ray Data ``map_batches`` over
``CutAndEmbed`` actors: each loads e5, the aligned encoder and Kiwi once, from the driver's
settings, and runs the pipeline's own steps 3-4 (``document_vectors.cut_and_embed``: passages,
e5 passage vectors and late-chunked sentence vectors, the aligned vectors). The driver writes
each result as it streams back, in the documents' order, through the same ``Indexer`` (local or
Milvus) under its lock: the lexical terms, the Korean terms' aligned vectors (the vocabulary's
new words only) and the alias pairs are the driver's. A re-run sends nothing; an updated
document is embedded whole on the cluster (the plain ingest reuses its stored vectors).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from docqa.core.errors import UsageError
from docqa.index.document_vectors import Embedded, Encoder, cut_and_embed, file_name
from docqa.ingest.errors import TooLarge
from docqa.ingest.limits import Limits
from docqa.ingest.records import Document

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

    from docqa.index.embedding.aligned import AlignedEncoder

# What one actor loads (``docqa.runtime.ray_models``): e5, the aligned encoder (None when off), Kiwi
Models = tuple[Encoder, "AlignedEncoder | None", "Kiwi"]
INSTALL = "pip install 'docqa[ray]'"


def _ray() -> Any:
    """The ``ray`` module, or a usage error naming the install command."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data is in ray[data], not in plain ray)
    except ImportError as exc:
        raise UsageError(f"--ray needs Ray Data, which is not installed: {INSTALL}") from exc
    return ray


class CutAndEmbed:
    """A Ray Data actor: the models loaded once, then each batch of (pickled) documents cut and
    embedded; a document past its limits comes back as its ``TooLarge``, skipped by the driver."""

    def __init__(self, load: Callable[[], Models], limits: Limits) -> None:
        self.embedder, self.aligned, self.kiwi = load()
        self.limits = limits

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        made = [pickle.dumps(self._one(*pickle.loads(item))) for item in batch["doc"]]
        return {"n": batch["n"], "made": np.array(made, dtype=object)}

    def _one(self, doc: Document, spent: float) -> Embedded | TooLarge:
        budget = self.limits.start(file_name(doc), spent)  # the reading counts, as in the pipeline
        try:
            return cut_and_embed(doc, self.kiwi, self.embedder, self.aligned, budget)
        except TooLarge as exc:
            return exc


class RayEmbedding:
    """The ``Indexer``'s ``elsewhere``: documents in, what ``CutAndEmbed`` made of each out, in order.

    ``address`` is ``auto`` (``ray.init()``: ``RAY_ADDRESS`` or a new local instance) or a
    cluster's (``ray://head:10001``); Ray is started on the first document sent, so a run with
    nothing new does not start it, and used as it is if this process started it already (the
    tests). ``actors``: how many, default one per CPU of the cluster. ``sent`` counts documents."""

    def __init__(
        self,
        address: str,
        load: Callable[[], Models],
        limits: Limits,
        actors: int | None = None,
        progress: bool = True,
    ) -> None:
        _ray()  # fail before reading any file when Ray is not installed
        self.address = address
        self.load = load
        self.limits = limits
        self.actors = actors
        self.progress = progress
        self.sent = 0

    def __call__(
        self, documents: Sequence[Document], spent: Sequence[float]
    ) -> Iterator[Embedded | TooLarge]:
        self.sent += len(documents)
        return self._stream(documents, spent) if documents else iter(())

    def _stream(self, documents: Sequence[Document], spent: Sequence[float]) -> Iterator[Embedded | TooLarge]:
        ray = _ray()
        started = self._connect(ray)
        try:
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True
            context.enable_progress_bars = self.progress
            rows = [
                {"n": n, "doc": pickle.dumps((d, t))}
                for n, (d, t) in enumerate(zip(documents, spent, strict=True))
            ]
            actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
            dataset = ray.data.from_items(rows).map_batches(
                CutAndEmbed,
                fn_constructor_kwargs={"load": self.load, "limits": self.limits},
                compute=ray.data.ActorPoolStrategy(size=min(actors, len(documents))),
                batch_size=1,  # one document per call: a long one does not hold others back
                batch_format="numpy",
                num_cpus=1,
            )
            waiting: dict[int, bytes] = {}  # arrived ahead of an earlier document
            expect = 0
            for row in dataset.iter_rows():
                waiting[int(row["n"])] = row["made"]
                while expect in waiting:
                    yield pickle.loads(waiting.pop(expect))
                    expect += 1
        finally:
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join (or start) the cluster; True when this call started the connection."""
        if ray.is_initialized():
            return False
        try:
            if self.address == "auto":
                ray.init(include_dashboard=False, logging_level="WARNING")
            else:
                ray.init(address=self.address, logging_level="WARNING")
        except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError... for an address
            raise UsageError(f"could not start or reach Ray at {self.address!r}: {exc}") from exc
        return True
