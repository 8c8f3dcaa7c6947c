"""The runtime ``Embedder``: a sentence-transformers model, its prefixes, and late-chunked span vectors.

The built-in model is prepared once (``cache``) and loaded strictly offline, on ONNX Runtime
(``onnx_e5``: the file's 4-bit weights as they are) or on torch (sentence-transformers with docqa's
lighter parts swapped in: sentencepiece tokenizer, Q4_0 word rows); any other sentence-transformers
name or path is loaded as it is, on torch. torch, sentence-transformers and onnxruntime are imported
inside functions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docqa.index.embedding import bf16
from docqa.index.embedding.cache import prepare_e5_small, read_marker
from docqa.index.embedding.errors import EmbeddingModelError
from docqa.index.embedding.model import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX, MODEL_KWARGS
from docqa.index.embedding.q4 import WORD_BLOCKS_FILE, map_rows, use_q4_word_embeddings
from docqa.index.embedding.tokenizer import (
    MAX_SEQ_LENGTH,
    PLACEHOLDER_TOKENIZER_FILE,
    load_sentencepiece_tokenizer,
    use_sentencepiece,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "multilingual-e5-small"
DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, "intfloat/multilingual-e5-small"})
# Passages per forward pass at ingest. Passages of 110-400 tokens are long enough to keep the
# matrix products busy one at a time, and small batches pad less: the sample corpus took 19.3 s
# in batches of 4, 20.0 s of 16, 20.8 s of 32 and 25.0 s of 64 (2 cores).
INGEST_BATCH = 4
# DOCQA_ENCODER_RUNTIME: the built-in model on ONNX Runtime (float32 or int8 compute) or on torch.
RUNTIMES = ("onnx", "onnx-int8", "torch")
DEFAULT_RUNTIME = "onnx"


def is_default_model(model: str) -> bool:
    """True for the built-in model's names."""
    return model in DEFAULT_ALIASES


def default_prefixes(model: str) -> tuple[str, str]:
    """E5 models were trained with "query: " / "passage: " prefixes; others get none."""
    if "e5" in model.lower():
        return E5_QUERY_PREFIX, E5_PASSAGE_PREFIX
    return "", ""


def _use_all_cores() -> None:
    """Let torch use every core this process may run on (2 here)."""
    import torch

    from docqa.core.process import usable_cores

    torch.set_num_threads(usable_cores())


def _load_default(cache_dir: Path, runtime: str) -> Any:
    """Prepare (once) and load the built-in model strictly offline, on ``runtime``."""
    # Set before sentence_transformers/huggingface_hub are imported: they read these at import.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    path = prepare_e5_small(cache_dir / DEFAULT_MODEL)
    if runtime != "torch":
        from docqa.core.process import usable_cores
        from docqa.index.embedding.onnx_e5 import load_onnx_e5

        return load_onnx_e5(path, runtime, usable_cores())
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(
        str(path),
        device="cpu",
        local_files_only=True,
        model_kwargs=dict(MODEL_KWARGS),
        processor_kwargs={"tokenizer_file": str(path / PLACEHOLDER_TOKENIZER_FILE)},
    )
    use_sentencepiece(st, load_sentencepiece_tokenizer(path), read_marker(path) or {})
    transformer: Any = st[0]
    use_q4_word_embeddings(transformer.auto_model, map_rows(path / WORD_BLOCKS_FILE))
    return st


def _load_bf16(cache_dir: Path) -> bf16.Bf16E5:
    """The built-in model's pass on torch in bf16, a worker per core (``share_cores``: one)."""
    from docqa.core.process import usable_cores

    os.environ["HF_HUB_OFFLINE"] = "1"
    return bf16.load_bf16(prepare_e5_small(cache_dir / DEFAULT_MODEL), usable_cores())


def _load_named(model: str) -> SentenceTransformer:
    """Load any sentence-transformers model by hub name or local path."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model, device="cpu")


def _load_error(model: str, exc: Exception) -> EmbeddingModelError:
    """An error that names the model and the ways to fix it."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EmbeddingModelError(
        f"cannot load embedding model {model!r} ({reason}). Give the path of a local "
        f"sentence-transformers model directory, the name of a model already in the Hugging Face "
        f"cache (downloading one needs hub access and HF_HUB_OFFLINE unset), or use the built-in "
        f"{DEFAULT_MODEL!r}, which works offline."
    )


class Embedder:
    """One sentence-transformers model plus the prefixes it expects for queries and passages."""

    def __init__(
        self,
        model: Any,
        name: str,
        query_prefix: str,
        passage_prefix: str,
        runtime: str = "torch",
        passage_model: Callable[[], Any] | None = None,
    ) -> None:
        self._model = model
        self._name = name
        self._runtime = runtime
        # ``passage_model`` loads what embeds passages when that is not ``model`` (bf16.py):
        # on first use, so a service that never ingests never loads it
        self._passage_loader = passage_model
        self._passage: Any = None
        self._passage_lock = threading.Lock()
        self._shared = False
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        # sentence-transformers 6 renamed get_sentence_embedding_dimension; 5.x has only the old name.
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim())

    @classmethod
    def load(
        cls,
        model: str,
        cache_dir: Path,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        runtime: str = DEFAULT_RUNTIME,
        ingest_precision: str = "float32",
    ) -> Embedder:
        """Load ``model`` (the built-in e5-small, a hub name or a local path) on the CPU.

        ``runtime`` (one of RUNTIMES) applies to the built-in model; any other runs on torch.
        ``ingest_precision`` (one of ``bf16.PRECISIONS``) is how the built-in model embeds
        passages: bf16 runs them on torch with bf16 linear layers (``bf16.py``).
        """
        if runtime not in RUNTIMES:
            raise EmbeddingModelError(
                f"unknown encoder runtime {runtime!r}; use one of {', '.join(RUNTIMES)}"
            )
        runtime = runtime if is_default_model(model) else "torch"
        try:
            st = _load_default(Path(cache_dir), runtime) if is_default_model(model) else _load_named(model)
        except EmbeddingModelError:
            raise
        except Exception as exc:  # library errors vary (OSError, ValueError, HF errors)
            raise _load_error(model, exc) from exc
        if runtime == "torch":
            _use_all_cores()
        if ingest_precision not in bf16.PRECISIONS:
            raise EmbeddingModelError(
                f"unknown ingest precision {ingest_precision!r}; use one of {', '.join(bf16.PRECISIONS)}"
            )
        passages: Callable[[], Any] | None = None
        if is_default_model(model) and bf16.resolve(ingest_precision) == "bf16":
            passages = lambda: _load_bf16(Path(cache_dir))  # noqa: E731
        default_query, default_passage = default_prefixes(model)
        return cls(
            st,
            model,
            default_query if query_prefix is None else query_prefix,
            default_passage if passage_prefix is None else passage_prefix,
            runtime,
            passages,
        )

    @property
    def name(self) -> str:
        """The model name as configured (recorded in index manifests)."""
        return self._name

    @property
    def runtime(self) -> str:
        """The runtime the model runs on (one of RUNTIMES; /v1/stats)."""
        return self._runtime

    @property
    def passage_runtime(self) -> str:
        """What embeds passages: ``runtime``, or ``bf16.RUNTIME`` (recorded in manifests)."""
        return bf16.RUNTIME if self._passage_loader is not None else self._runtime

    def warm_passages(self) -> None:
        """Load what embeds passages now, not in the first write (a service that takes writes)."""
        if self._passage_loader is not None:
            self.encode_passages(["준비"])

    def _passage_model(self) -> Any:
        if self._passage_loader is None:  # ONNX Runtime's: a worker per core (``onnx_e5.for_passages``)
            for_passages = getattr(self._model, "for_passages", None)
            return for_passages() if for_passages is not None else self._model
        with self._passage_lock:
            if self._passage is None:
                self._passage = self._passage_loader()
                if self._shared:
                    self._passage.share_cores()
        return self._passage

    def share_cores(self) -> None:
        """Serve many calls at once: a lone call may still use every core (ONNX Runtime), calls
        side by side one core each. torch's thread count is process-wide; the service sets it."""
        self._shared = True
        for model in (self._model, self._passage):
            share = getattr(model, "share_cores", None)
            if share is not None:
                share()

    def narrowed(self) -> AbstractContextManager[object]:
        """While it lasts, questions are embedded on one core, alone or not (a write runs:
        ``OnnxE5.narrowed``); a no-op for a model without that choice."""
        narrowed = getattr(self._model, "narrowed", None)
        return narrowed() if narrowed is not None else nullcontext()

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return self._dim

    @property
    def tokenizer(self) -> Any:
        """The tokenizer the model runs with (a transformers tokenizer)."""
        return self._model.tokenizer

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions with the query prefix: float32, L2-normalised, shape (n, dim)."""
        return self._encode([self.query_prefix + t for t in _as_list(texts)], 32, False)

    def query_lengths(self, texts: list[str]) -> list[int]:
        """Each question's tokens with the query prefix, as ``encode_queries`` pads them (what a
        shared pass costs: ``coalesce.Coalescing`` groups questions of like length)."""
        prefixed = [self.query_prefix + t for t in _as_list(texts)]
        lengths = getattr(self._model, "token_lengths", None)  # ONNX Runtime: keeps the ids for the pass
        if lengths is not None:
            return list(lengths(prefixed))
        ids = self.tokenizer(prefixed, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        return [len(row) for row in ids]

    def encode_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Embed passages with the passage prefix: float32, L2-normalised, shape (n, dim)."""
        prefixed = [self.passage_prefix + t for t in _as_list(texts)]
        return self._encode(prefixed, batch_size, show_progress, self._passage_model())

    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = INGEST_BATCH
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Embed passages and, from the same forward pass, character spans inside them.

        A span's vector is the mean of the contextual vectors of its tokens ("late chunking"),
        L2-normalised; spans are sorted, disjoint offsets into each unprefixed text. A span gets
        None when its tokens fell past the model's length limit, or when it does not start and
        end between tokens (its text tokenized alone would differ). The passage vectors are
        those of ``encode_passages``: the model's own pooling of the same pass.
        """
        texts = _as_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        prefixed = [self.passage_prefix + t for t in texts]
        outputs = self._passage_model().encode(
            prefixed, batch_size=batch_size, output_value=None, convert_to_numpy=False
        )
        shift = len(self.passage_prefix)
        # numpy arrays (ONNX Runtime) or CPU float32 tensors (torch) alike
        passages = np.stack([unit_vector(np.asarray(o["sentence_embedding"])) for o in outputs])
        pooled = []
        for out, text, wanted in zip(outputs, prefixed, spans, strict=True):
            real = np.asarray(out["attention_mask"]).astype(bool)
            tokens = np.asarray(out["token_embeddings"], dtype=np.float32)[real][1:-1]  # without <s>, </s>
            ids = np.asarray(out["input_ids"])[real].tolist()[1:-1]
            ranges = self._token_ranges(text, [(a + shift, b + shift) for a, b in wanted], ids)
            row: list[np.ndarray | None] = []
            for found in ranges:
                if found is None or found[0] >= found[1]:
                    row.append(None)
                else:
                    row.append(unit_vector(tokens[found[0] : found[1]].mean(axis=0)))
            pooled.append(row)
        return passages, pooled

    def _token_ranges(
        self, text: str, spans: list[tuple[int, int]], ids: list[int]
    ) -> list[tuple[int, int] | None]:
        """Token index ranges of ``spans`` in ``text``, whose tokens (maybe cut short) are ``ids``.

        The text is cut at every span boundary and each piece tokenized alone; where the pieces'
        tokens put together are the text's own, each span's tokens are known exactly.
        """
        cuts = [0, *(x for span in spans for x in span), len(text)]
        pieces = [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
        piece_ids = self._model.tokenizer(pieces, add_special_tokens=False)["input_ids"]
        if [i for piece in piece_ids for i in piece][: len(ids)] != ids:
            return [None] * len(spans)
        bounds = np.cumsum([0, *map(len, piece_ids)])
        return [(int(bounds[2 * k + 1]), min(int(bounds[2 * k + 2]), len(ids))) for k in range(len(spans))]

    def _encode(
        self, texts: list[str], batch_size: int, show_progress: bool, model: Any = None
    ) -> np.ndarray:
        """Run the model; normalise here too, in case a named model has no Normalize module."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = (model or self._model).encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def unit_vector(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length, as float32."""
    vector = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _as_list(texts: list[str]) -> list[str]:
    """Reject a bare string, which would otherwise be split into one text per character."""
    if isinstance(texts, str):
        raise TypeError("expected a list of texts, got a single str")
    return list(texts)
