"""One shared Kiwi analyser: building it loads the model (~1 s, ~100 MB), so do it once."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi


@lru_cache(maxsize=1)
def get_kiwi() -> Kiwi:
    try:
        from kiwipiepy import Kiwi
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("kiwipiepy is required for sentence splitting: pip install kiwipiepy") from exc
    return Kiwi()
