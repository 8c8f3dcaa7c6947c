"""One extractor per file format, all with one signature: ``extract(raw, name) -> Extracted``.

``docqa.ingest.readers`` dispatches on the file suffix through its ``EXTRACTORS`` table; a new
format is one module here and one row there.
"""

from .base import Extracted, Extractor, decode

__all__ = ["Extracted", "Extractor", "decode"]
