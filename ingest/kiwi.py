"""One shared Kiwi analyser: building it loads the model (~1 s, ~230 MB), so do it once.

Kiwi's optional dictionaries are left out: the typo dictionary (spelling variants of endings),
the multi-word WikiData names and the default proper-noun list cost ~250 MB and ~1.5 s at
start, and changed no figure of the project's question set (names then come out as their
parts, e.g. 중국 + 과학원, which the index and the questions split alike).
"""

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
    return Kiwi(load_default_dict=False, load_typo_dict=False, load_multi_dict=False)
