"""The built-in model on ONNX Runtime (index/embedding/onnx_graph.py, onnx_e5.py): the same vectors as torch.

torch runs the file's weights dequantised to float32, the exact reference for the 4-bit graph.
The bound is issue 16's: cosine >= 0.999 on real corpus sentences and questions for the int8
compute; the default float32 compute is the same arithmetic in another order (>= 0.99999).
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from docqa.index.embedding import DEFAULT_MODEL, Embedder, locate_e5_small, parse_e5_file
from docqa.index.embedding.onnx_e5 import load_onnx_e5, onnx_file
from docqa.index.embedding.onnx_graph import (
    INPUT_EMBEDS,
    INPUT_LENGTHS,
    build_graph,
    dequantize_nbits,
    matmul_nbits_blocks,
)

ROOT = Path(__file__).resolve().parents[2]
BOUND = 0.999


def _corpus_sample() -> tuple[list[str], list[str]]:
    """Every 7th non-blank line of the sample corpus, and every 5th question of the project set."""
    lines = []
    for path in sorted((ROOT / "data" / "corpus").glob("*.txt")):
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "eval" / "sets" / "corpus_v1.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    return lines[::7][:60], questions[::5]


@pytest.fixture(scope="module")
def e5_int8(model_cache_dir: Path) -> Embedder:
    return Embedder.load(DEFAULT_MODEL, model_cache_dir, runtime="onnx-int8")


def test_default_runtime_is_onnx(e5_embedder: Embedder, e5_torch: Embedder) -> None:
    assert (e5_embedder.runtime, e5_torch.runtime) == ("onnx", "torch")


def test_nbits_blocks_are_the_q4_0_weights() -> None:
    e5 = parse_e5_file(locate_e5_small()[0])
    for name, rows in (("l0.q.w", 384), ("l5.fi.w", 1536), ("l11.fo.w", 384)):
        packed, scales = matmul_nbits_blocks(e5, name, rows)
        assert packed.dtype == np.uint8 and packed.shape[1:] == (scales.shape[1], 16)
        np.testing.assert_array_equal(dequantize_nbits(packed, scales), e5.array(name).reshape(rows, -1))


def test_dense_graph_carries_the_dequantised_weights_and_levels_reach_their_projections() -> None:
    # the dense graph is bench.encoder_paths' exact reference; a per-projection accuracy level
    # (the mixed int8 paths measured there) is set on that projection's nodes only
    from onnx import numpy_helper

    e5 = parse_e5_file(locate_e5_small()[0])
    dense = build_graph(e5, dense=True)
    weights = {t.name: t for t in dense.graph.initializer}
    assert not any(node.op_type == "MatMulNBits" for node in dense.graph.node)
    assert sum(node.op_type == "MatMul" and node.input[1].endswith(".wt") for node in dense.graph.node) == 48
    wt = numpy_helper.to_array(weights["l5.fi.wt"])
    np.testing.assert_array_equal(wt.T, e5.array("l5.fi.w").reshape(1536, -1))
    mixed = build_graph(e5, {"qkv": 4, "ao": 0, "fi": 4, "fo": 0})
    levels: dict[str, set[int]] = {}
    for node in mixed.graph.node:
        if node.op_type == "MatMulNBits":
            level = next(a.i for a in node.attribute if a.name == "accuracy_level")
            levels.setdefault(node.name.split(".")[1], set()).add(level)
    assert levels == {"qkv": {4}, "ao": {0}, "fi": {4}, "fo": {0}}


def test_dense_graph_gives_the_4_bit_graphs_vectors(e5_embedder: Embedder) -> None:
    import onnxruntime as ort

    e5 = parse_e5_file(locate_e5_small()[0])
    model = e5_embedder._model
    _, questions = _corpus_sample()
    ids = model.tokenizer(["query: " + q for q in questions[:12]])["input_ids"]
    embeds, lengths = model._embeds(ids)
    feeds = {INPUT_EMBEDS: embeds, INPUT_LENGTHS: lengths}
    outputs = []
    for graph in (build_graph(e5, 0), build_graph(e5, dense=True)):
        session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
        tokens = session.run(None, feeds)[0]
        pooled = np.stack([tokens[i, :n].mean(axis=0) for i, n in enumerate(lengths)])
        outputs.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    assert (outputs[0] * outputs[1]).sum(axis=1).min() >= 0.99999


@pytest.mark.parametrize("runtime", ["onnx", "onnx-int8"])
def test_vectors_keep_torch_vectors(runtime: str, e5_embedder, e5_int8, e5_torch) -> None:
    onnx = e5_embedder if runtime == "onnx" else e5_int8
    sentences, questions = _corpus_sample()
    assert len(sentences) >= 50 and len(questions) >= 40
    for ours, theirs in (
        (onnx.encode_queries(questions), e5_torch.encode_queries(questions)),
        (onnx.encode_passages(sentences, batch_size=8), e5_torch.encode_passages(sentences, batch_size=8)),
    ):
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= (0.99999 if runtime == "onnx" else BOUND)


@pytest.mark.parametrize("runtime", ["onnx", "onnx-int8"])
def test_late_chunked_sentences_keep_torch_vectors(runtime: str, e5_embedder, e5_int8, e5_torch) -> None:
    # passages of several corpus lines, padded together in one batch: the sentence vectors pooled
    # from the pass are the torch path's
    sentences, _ = _corpus_sample()
    texts, spans = [], []
    for i in range(0, 24, 3):
        group = sentences[i : i + 1 + i % 3]
        text, row = "", []
        for s in group:
            text += (" " if text else "") + s
            row.append((len(text) - len(s), len(text)))
        texts.append(text)
        spans.append(row)
    onnx = e5_embedder if runtime == "onnx" else e5_int8
    ours_p, ours_s = onnx.encode_passages_with_spans(texts, spans, batch_size=4)
    theirs_p, theirs_s = e5_torch.encode_passages_with_spans(texts, spans, batch_size=4)
    assert (ours_p * theirs_p).sum(axis=1).min() >= BOUND
    for ours_row, theirs_row in zip(ours_s, theirs_s, strict=True):
        assert [v is None for v in ours_row] == [v is None for v in theirs_row]
        for a, b in zip(ours_row, theirs_row, strict=True):
            assert a is None or float(a @ b) >= BOUND


def test_a_lone_call_takes_every_core_and_calls_side_by_side_one_each(tmp_path: Path, e5_dir: Path) -> None:
    model = load_onnx_e5(_copy_without_graphs(e5_dir, tmp_path), "onnx-int8", 2)
    with model._pick() as alone:
        with model._pick() as second:
            assert alone is second is model._wide  # outside the service: every call, every core
    model.share_cores()
    with model._pick() as alone:
        with model._pick() as second:
            assert (alone, second) == (model._wide, model._narrow)
    with model._pick() as again:
        assert again is model._wide
    with model.narrowed():  # a write runs on its own workers: a lone question takes one core
        with model._pick() as alone:
            assert alone is model._narrow
    with model._pick() as after:
        assert after is model._wide


def test_a_writes_passages_run_a_worker_per_core_with_the_same_vectors(e5_embedder) -> None:
    # ``Embedder`` embeds passages through ``for_passages``: the same batches, side by side
    model = e5_embedder._model
    workers = e5_embedder._passage_model()
    texts = [f"passage: {t}" for t in _corpus_sample()[0][:12]]
    assert workers._workers == model._workers >= 1
    threads: set[str] = set()
    forward = model._forward

    def spy(batch, narrow=False):
        if narrow:  # a worker's pass, on the one-thread session
            threads.add(threading.current_thread().name)
        return forward(batch, narrow)

    model._forward = spy
    try:
        ours = workers.encode(texts, batch_size=2, output_value=None)
    finally:
        del model._forward
    alone = model.encode(texts, batch_size=2, output_value=None)
    for a, b in zip(ours, alone, strict=True):
        assert np.array_equal(a["token_embeddings"], b["token_embeddings"])
        assert np.array_equal(a["sentence_embedding"], b["sentence_embedding"])
    if model._workers > 1:
        assert threads and all(name.startswith("docqa-e5") for name in threads)
    assert model._running == 0


def test_a_questions_length_tokenizes_it_once_for_its_pass(e5_embedder) -> None:
    # ``coalesce.Coalescing`` asks each question's length, then encodes it: one tokenizer call
    model = e5_embedder._model
    questions = _corpus_sample()[1][:6]
    expected = e5_embedder.encode_queries(questions)
    calls: list[list[str]] = []
    tokenizer = model.tokenizer

    def counted(texts, **kwargs):
        calls.append(list(texts))
        return tokenizer(texts, **kwargs)

    model.tokenizer = counted
    try:
        lengths = e5_embedder.query_lengths(questions)
        vectors = e5_embedder.encode_queries(questions)
        again = e5_embedder.encode_queries(questions)  # nothing kept now: tokenized afresh
    finally:
        model.tokenizer = tokenizer
    assert len(calls) == 2 and not model._tokenized
    assert lengths == [len(ids) for ids in tokenizer(calls[0])["input_ids"]]
    assert np.array_equal(vectors, expected) and np.array_equal(again, expected)


def test_graph_is_built_once_and_a_damaged_one_rebuilt(tmp_path: Path, e5_dir: Path) -> None:
    directory = _copy_without_graphs(e5_dir, tmp_path)
    path = onnx_file(directory, 0)
    assert not path.exists()
    first = load_onnx_e5(directory, "onnx", 1).encode(["query: 서울"])
    built = path.stat().st_mtime_ns
    load_onnx_e5(directory, "onnx", 1)
    assert path.stat().st_mtime_ns == built  # reused
    path.write_bytes(b"not an onnx file")
    again = load_onnx_e5(directory, "onnx", 1).encode(["query: 서울"])
    np.testing.assert_array_equal(first, again)


def test_unknown_runtime_is_refused(model_cache_dir: Path) -> None:
    from docqa.core.errors import UsageError
    from docqa.index.embedding import EmbeddingModelError
    from docqa.runtime import settings

    with pytest.raises(EmbeddingModelError, match="unknown encoder runtime 'tensorrt'"):
        Embedder.load(DEFAULT_MODEL, model_cache_dir, runtime="tensorrt")
    with pytest.raises(UsageError, match="DOCQA_ENCODER_RUNTIME"):
        settings(encoder_runtime="tensorrt")


def _copy_without_graphs(prepared: Path, tmp_path: Path) -> Path:
    """The prepared directory's files linked into a new one, without its cached graphs."""
    directory = tmp_path / DEFAULT_MODEL
    directory.mkdir()
    for item in prepared.iterdir():
        if item.suffix == ".onnx":
            continue
        if item.is_dir():
            shutil.copytree(item, directory / item.name)
        else:
            (directory / item.name).symlink_to(item)
    return directory
