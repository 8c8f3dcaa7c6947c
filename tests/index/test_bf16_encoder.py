"""Passages embedded in bf16 (index/embedding/bf16.py): the float32 vectors kept, questions untouched.

The bound is the one of issue 12's speed-up: cosine >= .9999 to the float32 pass on real corpus
passages and their late-chunked sentences (measured .99998 at worst), the same sentences pooled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docqa.index.embedding import DEFAULT_MODEL, Embedder
from docqa.index.embedding.bf16 import RUNTIME, has_amx_bf16, resolve

ROOT = Path(__file__).resolve().parents[2]
BOUND = 0.9999


@pytest.fixture(scope="module")
def e5_bf16(model_cache_dir: Path) -> Embedder:
    return Embedder.load(DEFAULT_MODEL, model_cache_dir, ingest_precision="bf16")


def _passages() -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Passages of 1-6 consecutive lines of the newsletter, each line a span, longest ~1,000 characters."""
    path = next((ROOT / "data" / "corpus").glob("004_*.txt"))
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 20]
    texts, spans = [], []
    for n, i in enumerate(range(0, 60, 6)):
        text, row = "", []
        for line in lines[i : i + 1 + n % 6]:
            text += (" " if text else "") + line
            row.append((len(text) - len(line), len(text)))
        texts.append(text)
        spans.append(row)
    return texts, spans


def test_bf16_passages_and_sentences_keep_the_float32_vectors(
    e5_bf16: Embedder, e5_embedder: Embedder
) -> None:
    texts, spans = _passages()
    ours_p, ours_s = e5_bf16.encode_passages_with_spans(texts, spans)
    theirs_p, theirs_s = e5_embedder.encode_passages_with_spans(texts, spans)
    assert ours_p.dtype == np.float32 and ours_p.shape == theirs_p.shape
    assert (ours_p * theirs_p).sum(axis=1).min() >= BOUND
    pooled = 0
    for ours_row, theirs_row in zip(ours_s, theirs_s, strict=True):
        assert [v is None for v in ours_row] == [v is None for v in theirs_row]
        for a, b in zip(ours_row, theirs_row, strict=True):
            if a is not None:
                pooled += 1
                assert float(a @ b) >= BOUND
    assert pooled >= 20
    alone = e5_bf16.encode_passages(texts[:3])  # a sentence embedded alone takes the same path
    assert (alone * theirs_p[:3]).sum(axis=1).min() >= BOUND


def test_questions_stay_on_the_float32_runtime(e5_bf16: Embedder, e5_embedder: Embedder) -> None:
    questions = ["소주 공업원구의 창업 지원 정책은?", "What does Suzhou offer start-ups?"]
    np.testing.assert_array_equal(e5_bf16.encode_queries(questions), e5_embedder.encode_queries(questions))
    assert (e5_bf16.runtime, e5_bf16.passage_runtime) == ("onnx", RUNTIME)
    assert e5_embedder.passage_runtime == "onnx"


def test_workers_share_the_texts_and_keep_their_order(e5_bf16: Embedder) -> None:
    texts, _ = _passages()
    model = e5_bf16._passage_model()
    model._workers = 1
    one = model.encode(texts, batch_size=2)
    model._workers = 2
    try:
        two = model.encode(texts, batch_size=2)
    finally:
        model._workers = 1
    assert two.shape == one.shape
    assert (one * two).sum(axis=1).min() >= 0.99999  # row i is text i's, batched otherwise


def test_the_workers_take_turns_at_the_batches_their_shares_always_made(e5_bf16: Embedder) -> None:
    """A bf16 row depends on its batch: the batches are those of the texts dealt out longest
    first, each share batched alone, whichever worker runs which; so the vectors are bit for bit
    those of each share embedded on its own, as the workers did before they took turns."""
    from docqa.index.embedding.onnx_e5 import OnnxE5

    texts, _ = _passages()
    model = e5_bf16._passage_model()
    model._workers = 2
    try:
        two = model.encode(texts, batch_size=2)
    finally:
        model._workers = 1
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    alone: dict[int, np.ndarray] = {}
    for share in (order[0::2], order[1::2]):
        alone |= dict(zip(share, OnnxE5.encode(model, [texts[i] for i in share], 2), strict=True))
    np.testing.assert_array_equal(two, np.stack([alone[i] for i in range(len(texts))]))


def test_auto_is_bf16_where_the_cpu_has_amx(model_cache_dir: Path) -> None:
    from docqa.core.errors import UsageError
    from docqa.index.embedding import EmbeddingModelError
    from docqa.runtime import settings

    assert resolve("auto") == ("bf16" if has_amx_bf16() else "float32")
    assert (resolve("bf16"), resolve("float32")) == ("bf16", "float32")
    with pytest.raises(EmbeddingModelError, match="unknown ingest precision 'fp8'"):
        Embedder.load(DEFAULT_MODEL, model_cache_dir, ingest_precision="fp8")
    with pytest.raises(UsageError, match="DOCQA_INGEST_PRECISION"):
        settings(ingest_precision="fp8")


def test_the_packed_products_are_f_linears_bit_for_bit() -> None:
    import torch
    import torch.nn.functional as F

    from docqa.index.embedding.bf16 import _linear_kernel

    g = torch.Generator().manual_seed(0)
    weight = torch.randn(1536, 384, generator=g).to(torch.bfloat16)
    bias = torch.randn(1536, generator=g).to(torch.bfloat16)
    layer = {name: weight for name in ("qkv", "ao", "fi", "fo")}
    layer |= {f"{name}.b": bias for name in ("qkv", "ao", "fi", "fo")}
    linear = _linear_kernel([layer])
    for rows in (37, 1200, 2051):  # fewer and more rows than the layout was chosen for
        x = torch.randn(1, rows, 384, generator=g).to(torch.bfloat16)
        plain = F.linear(x, weight, bias)
        assert torch.equal(linear(x, layer, "qkv"), plain)
        assert torch.equal(linear(x, layer, "fi", gelu=True), F.gelu(plain.float()).to(torch.bfloat16))
