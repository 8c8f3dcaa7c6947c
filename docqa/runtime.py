"""Start-up in one place: the CLI, the service, eval and bench build their parts here from one ``Settings``.

So a setting is honoured by every command or by none (``DOCQA_QUERY_CACHE_SIZE`` reaches
``docqa search`` and ``docqa eval`` as it reaches the service). Heavy libraries load inside the
functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docqa.config import Settings
from docqa.core.errors import UsageError

if TYPE_CHECKING:
    from docqa.index.embedding import Embedder
    from docqa.index.embedding.aligned import AlignedEncoder
    from docqa.index.manifest import Manifest
    from docqa.index.milvus.client import Target as MilvusTarget
    from docqa.index.pipeline import Indexer
    from docqa.index.ray_ingest import RayEmbedding
    from docqa.index.search import Searcher
    from docqa.index.store import Store
    from docqa.ingest.limits import Limits


def settings(**overrides: Any) -> Settings:
    """The environment's settings with the given overrides (``None`` values are not overrides)."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise UsageError("bad setting: " + "; ".join(_setting_error(e) for e in exc.errors())) from exc
    except ValueError as exc:  # pydantic-settings' SettingsError (an environment value it cannot parse)
        raise UsageError(f"bad setting: {exc}") from exc


def _setting_error(error: Any) -> str:
    """One line per bad setting, naming its variable (the value is not repeated: it may be a key)."""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    name = "DOCQA_" + "_".join(str(part) for part in error.get("loc", ())).upper()
    return message if message.startswith(name) else f"{name}: {message}"


def embedder(settings: Settings) -> Embedder:
    from docqa.index.embedding import Embedder

    return Embedder.load(
        settings.model,
        settings.model_cache,
        settings.query_prefix,
        settings.passage_prefix,
        settings.encoder_runtime,
        settings.ingest_precision,
    )


def aligned(settings: Settings) -> AlignedEncoder | None:
    """The aligned second encoder (``DOCQA_ALIGNED_MODEL``), once per process; None when off."""
    from docqa.index.embedding.aligned import load_aligned

    return load_aligned(settings.aligned_model, settings.model_cache, settings.aligned_runtime)


def kiwi() -> Any:
    from docqa.ingest.kiwi import get_kiwi

    return get_kiwi()


def searcher(
    settings: Settings, *, model: Embedder | None = None, analyser: Any = None, data_dir: Path | None = None
) -> Searcher:
    """A searcher on ``data_dir`` (default: the settings'), loading the model and Kiwi unless given;
    with ``DOCQA_BACKEND=milvus``, on the Milvus collections."""
    from docqa.index.search import Searcher

    folder = data_dir or settings.data_dir
    parts = (
        model if model is not None else embedder(settings),
        analyser if analyser is not None else kiwi(),
        settings.query_cache_size,
        aligned(settings),
    )
    if settings.backend == "milvus":
        from docqa.index.milvus.search import MilvusSearcher

        return MilvusSearcher(milvus_target(settings, folder), folder, *parts)
    return Searcher(folder, *parts)


def milvus_target(settings: Settings, data_dir: Path | None = None) -> MilvusTarget:
    """``DOCQA_MILVUS_URI`` (default: Milvus Lite in ``data_dir``/milvus.db) and ``DOCQA_MILVUS_TOKEN``."""
    from docqa.index.milvus.client import target

    return target(settings.milvus_uri, settings.milvus_token, data_dir or settings.data_dir)


def read_manifest(settings: Settings, data_dir: Path | None = None) -> Manifest | None:
    """The served index's manifest on the configured backend; None before anything was ingested."""
    if settings.backend == "milvus":
        from docqa.index.milvus.store import MilvusStore

        return MilvusStore(milvus_target(settings, data_dir)).manifest()
    from docqa.index.manifest import read_manifest as read

    return read(data_dir or settings.data_dir)


def open_rows(settings: Settings, manifest: Manifest, data_dir: Path | None = None) -> Store:
    """The rows of ``manifest``'s index on the configured backend (close it after use)."""
    if settings.backend == "milvus":
        from docqa.index.milvus.store import MilvusStore

        return MilvusStore(milvus_target(settings, data_dir))
    from docqa.index.generation import open_snapshot

    return open_snapshot(data_dir or settings.data_dir, manifest)


def indexer(
    settings: Settings, *, model: Embedder | None = None, analyser: Any = None, data_dir: Path | None = None
) -> Indexer:
    """An indexer on ``data_dir`` (default: the settings'); the model loads on first use unless given."""
    from docqa.index.pipeline import Indexer

    load_model: Callable[[], Any] = (lambda: model) if model is not None else (lambda: embedder(settings))
    load_kiwi: Callable[[], Any] = (lambda: analyser) if analyser is not None else kiwi
    folder = data_dir or settings.data_dir
    if settings.backend == "milvus":
        from docqa.index.milvus.pipeline import MilvusIndexer

        target = milvus_target(settings, folder)
        return MilvusIndexer(
            target, folder, load_model, load_kiwi, lambda: aligned(settings), limits(settings)
        )
    return Indexer(folder, load_model, load_kiwi, lambda: aligned(settings), limits(settings))


def ray_embedding(
    settings: Settings, address: str, actors: int | None = None, progress: bool = True
) -> RayEmbedding:
    """``docqa ingest --ray``: documents cut and embedded by Ray actors, each loading the models once
    from these settings (without the API key and Milvus token: the actors need neither)."""
    from functools import partial

    from docqa.index.ray_ingest import RayEmbedding

    safe = settings.model_copy(update={"api_key": None, "milvus_token": None})
    return RayEmbedding(address, partial(ray_models, safe), limits(settings), actors, progress)


def ray_models(settings: Settings) -> tuple[Any, Any, Any]:
    """What one Ray actor loads: e5, the aligned encoder (None when off) and Kiwi."""
    return embedder(settings), aligned(settings), kiwi()


def limits(settings: Settings) -> Limits:
    """What one document may cost (``DOCQA_MAX_FILE_MB``, ``_PAGES``, ``_CHARS``, ``_PAGE_CHARS``,
    ``_PASSAGES``, ``_INGEST_SECONDS``)."""
    from docqa.ingest.limits import Limits

    return Limits(
        pages=settings.max_pages,
        file_mb=settings.max_file_mb,
        chars=settings.max_chars,
        page_chars=settings.max_page_chars,
        passages=settings.max_passages,
        seconds=settings.max_ingest_seconds,
    )


def serving_searcher(settings: Settings) -> Searcher:
    """The service's searcher: one thread per request, Kiwi and the model warmed, start-up heap freed."""
    from docqa.core.process import release_free_heap

    model = embedder(settings)
    second = aligned(settings)
    _one_thread_per_request()
    model.share_cores()  # ONNX Runtime: a lone request still gets every core
    analyser = kiwi()
    # Kiwi finishes loading, and the model's weights are paged in from their file, on first use:
    # here, not in the first request.
    analyser.tokenize("준비")
    model.encode_queries(["준비"])
    if second is not None:
        second.encode_queries(["ready"])
    if settings.api_key:  # writes are on: the passage encoder (bf16.py) loads now, not in an upload
        model.warm_passages()
    warm_chinese()
    warm_english()
    result = searcher(settings, model=model, analyser=analyser)
    release_free_heap()  # what loading the model and the index freed
    return result


def warm_chinese() -> None:
    """Load what a first Chinese question would: jieba's dictionary (5 s and +111 MB on 2 busy
    cores), OpenCC's converters and hanja (0.9 s, +38 MB). In a request that work held the GIL,
    so every search in the process stalled behind it (py-spy, 16 clients: 10% of the samples),
    and pykakasi's Japanese readings of Han (0.35 s)."""
    from docqa.index.japanese import kanji_reader
    from docqa.index.lexical import fold_han
    from docqa.index.readings import hanja_reading, jieba_words

    fold_han("蘇州")
    hanja_reading("苏州")
    jieba_words("苏州")
    kanji_reader().convert("東京")


def warm_english() -> None:
    """Load the pronouncing dictionary an English question's loanwords are spelt from
    (``index/loanwords.py``: 0.3 s, about 4 MB) and CC-CEDICT read both ways (the Chinese words'
    glosses and the English words' Chinese, ``index/sino_korean.py``: about 2 s), so that no
    request waits for them."""
    from docqa.index.loanwords import lexicon
    from docqa.index.sino_korean import english_to_chinese

    lexicon()
    english_to_chinese()


def _one_thread_per_request() -> None:
    """Serve each request on one core: requests run side by side, and two torch or FAISS threads
    per query stall each other when the cores are busy (bench/: one-client p95 1.1 s -> 77 ms)."""
    import sys

    import faiss
    from threadpoolctl import threadpool_limits

    if "torch" in sys.modules:  # the torch runtime or a sentence-transformers model, loaded by now
        sys.modules["torch"].set_num_threads(1)
    faiss.omp_set_num_threads(1)
    threadpool_limits(1, user_api="blas")  # numpy's BLAS, which the aligned encoder (USE-m3) runs on
