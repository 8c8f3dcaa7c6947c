"""Ingest stage: files → cleaned ``Document`` (pages, articles) → ``Passage`` windows.

doc = read_path(path, meta)              # readers: .txt .md .html .pdf
passages = make_passages(doc, get_kiwi())  # chunk: sentence windows per article
"""

from .chunk import make_passages, split_sentences
from .clean import clean_text, repair_numbers
from .errors import IngestError, UnreadableDocument, UnsupportedFormat
from .kiwi import get_kiwi
from .readers import SUPPORTED, iter_inputs, read_manifest, read_path
from .structure import reference_spans

__all__ = [
    "SUPPORTED",
    "IngestError",
    "UnreadableDocument",
    "UnsupportedFormat",
    "clean_text",
    "get_kiwi",
    "iter_inputs",
    "make_passages",
    "read_manifest",
    "read_path",
    "reference_spans",
    "repair_numbers",
    "split_sentences",
]
