"""Country names as Chinese and English write them, with the name Korean text gives the country.

Korean writes most countries by their sound (수단, 요르단, 캐나다), where a Chinese question's
``苏丹`` reads 소단 by its characters, ``加拿大`` 가나 (Ghana), and the aligned encoder puts
``苏丹`` nearest 남다르. The ISO 3166-1 names that ``pycountry`` ships in Korean and simplified
Chinese (its gettext catalogues: ``Sudan`` / ``苏丹`` / ``수단``) are a small bilingual lexicon
that needs no corpus: a country a question names gets its Korean name as terms (a ``country``
expansion: weighed as a gloss is, and in the question's Korean rendering, ``expansion.rendering``).

Measured for issue 14 (hybrid MRR@10; the project sets' figures unchanged): KorQuAD check 10
zh .827 -> .835, en .774; check 11 (held out) en .733 -> .743 (South Korea -> 대한민국), zh .758 ->
.757. Two ways that lost:
- the country's part kept from readings, sounds and translations (as an alias's is): corpus_v1
  zh .865 -> .846;
- the terms weighed as a name in the sentence choice (``sentence_scoring.NAME_KINDS``): corpus_v1
  zh evidence in first sentence .808 -> .769.
A country whose characters read as Korean writes it (中国 중국, 日本 일본) is left to the reading,
and a term another expansion already adds for the name is not added again.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import pycountry

from docqa.core.hanzi import hanja_reading
from docqa.index.expansion import Expansion, overlaps

Analyze = Callable[[str], list[str]]

_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MAX_WORDS = 4  # the longest English name matched: Bosnia and Herzegovina


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Chinese and lowercased English country names -> the Korean name (``苏丹``, ``sudan`` -> 수단).

    A country's short and common names (``Viet Nam``, ``Vietnam``), where both catalogues
    translate them."""
    ko = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ko"])
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if not name:
                continue
            korean, chinese = ko.gettext(name), zh.gettext(name)
            if korean == name or chinese == name:
                continue  # not translated
            if hanja_reading(chinese) != korean:  # 中国 is 중국 as read: a reading's own way
                table.setdefault(chinese, korean)
            if "," not in name:  # "Korea, Republic of" is no way to write it
                table.setdefault(name.lower(), korean)
    return table


@lru_cache(maxsize=1)
def _han_keys() -> tuple[str, ...]:
    """The Chinese names of :func:`country_names`, longest first (sorted once, not per question)."""
    return tuple(sorted((k for k in country_names() if not k.isascii()), key=len, reverse=True))


def country_matches(question: str) -> list[tuple[str, str]]:
    """The countries a question names, as (its matched text, Korean name), longest first, without
    overlaps: Chinese names as substrings, English names as runs of whole words."""
    table = country_names()
    found: list[tuple[str, str]] = []
    taken = [False] * len(question)
    for key in _han_keys():
        start = question.find(key)
        while start >= 0:
            if not any(taken[start : start + len(key)]):
                found.append((key, table[key]))
                taken[start : start + len(key)] = [True] * len(key)
            start = question.find(key, start + len(key))
    words = list(_LATIN_WORD.finditer(question))
    used = [False] * len(words)
    for n in range(MAX_WORDS, 0, -1):
        for i in range(len(words) - n + 1):
            if any(used[i : i + n]):
                continue
            start, end = words[i].start(), words[i + n - 1].end()
            matched = question[start:end]
            korean = table.get(" ".join(matched.lower().split()))
            if korean is not None and matched[0].isupper():
                found.append((matched, korean))
                used[i : i + n] = [True] * n
    return found


def country_expansions(
    matches: list[tuple[str, str]], analyze: Analyze, found: Iterable[Expansion] = ()
) -> list[Expansion]:
    """For every country a question names, its Korean name's terms, standing in for the match,
    less those another expansion of ``found`` already adds for it (德国's translation 독일: a
    term twice in the query weighs double)."""
    found = list(found)
    out = []
    for matched, korean in matches:
        source = tuple(analyze(matched))
        added = {t for e in found if overlaps(matched, [e.via]) for t in e.terms}  # 纳粹德国 holds 德国
        terms = tuple(t for t in analyze(korean) if t not in source and t not in added)
        if terms:
            out.append(Expansion("country", matched, source, terms))
    return out
