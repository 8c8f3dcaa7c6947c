"""Lexical analysis: Kiwi morphemes in, index terms out (the BM25 index is a backend: ``backends/``).

Only content morphemes are indexed, so particles never glue onto nouns (``화웨이는`` and
``화웨이가`` both index ``화웨이``). Han characters are folded to simplified Chinese, so
``蘇州`` in a Korean article matches ``苏州`` in a Chinese question; runs of Han characters
(Kiwi keeps a Chinese sentence as one SH token) are indexed as character bigrams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

# Kiwi 0.24 tags irregular verbs and adjectives VV-I / VA-I: match on the tag's stem.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "VV", "VA", "XR"})
# Dependent nouns that carry no meaning as search terms on their own.
STOP_FORMS = frozenset(
    {"것", "수", "등", "때", "중", "간", "바", "데", "뿐", "듯", "지", "년", "월", "일", "개"}
)
ENGLISH_STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be been what which who whom whose "
    "when where why how does do did has have had its it this that these those as into about than then "
    "there their they them i you he she we our your my me can could would should will shall may might "
    "tell give list name any some much many most more".split()
)
CHINESE_STOP_CHARS = frozenset("的了是在和与及或有哪些什么吗呢吧啊怎么如何为")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_DIGITS = re.compile(r"[0-9]+")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # opencc-python-reimplemented

    return opencc.OpenCC("t2s")


def fold_han(text: str) -> str:
    """Traditional -> simplified, so both spellings of a Chinese name meet in the index."""
    folded: str = _t2s().convert(text)
    return folded


def _han_terms(form: str) -> list[str]:
    """A Han run -> bigrams within the stretches between function characters (的, 了, ...)."""
    folded = fold_han(form)
    if len(folded) <= 2:
        return [folded]
    terms: list[str] = []
    for stretch in re.split(f"[{''.join(sorted(CHINESE_STOP_CHARS))}]+", folded):
        if len(stretch) <= 2:
            terms.extend([stretch] if stretch else [])
        else:
            terms.extend(stretch[i : i + 2] for i in range(len(stretch) - 1))
    return terms


def terms_from_tokens(tokens: Iterable[Any]) -> list[str]:
    """Kiwi tokens -> index terms (lowercased content morphemes, Han bigrams)."""
    terms: list[str] = []
    for token in tokens:
        tag = token.tag.split("-")[0]
        if tag == "W_SERIAL":  # 1980-1990, 2025.06.27, 2025-2027: the numbers, as 1980년 gives them
            terms.extend(str(int(part)) for part in _DIGITS.findall(token.form))
            continue
        if tag not in CONTENT_TAGS:
            continue
        form = token.form.lower()
        if tag == "SH" or _HAN.fullmatch(form):
            terms.extend(_han_terms(form))
        elif tag == "SL":
            if form not in ENGLISH_STOPWORDS and len(form) > 1:
                terms.append(form)
        elif form not in STOP_FORMS:
            terms.append(form)
    return terms


def analyze(text: str, kiwi: Any) -> list[str]:
    """Text -> BM25 terms."""
    return terms_from_tokens(kiwi.tokenize(text))


def analyze_many(texts: Sequence[str], kiwi: Any) -> list[list[str]]:
    """Batch form of :func:`analyze` (Kiwi tokenises a list in one call)."""
    return [terms_from_tokens(tokens) for tokens in kiwi.tokenize(list(texts))]
