"""The one error of the embedding package: every module below raises it, so it sits at the bottom."""

from __future__ import annotations

from docqa.core.errors import DocqaError


class EmbeddingModelError(DocqaError, RuntimeError):
    """An embedding model could not be found, prepared or loaded."""
