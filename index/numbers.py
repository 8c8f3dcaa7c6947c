"""English large numbers as Korean writes them: ``1.61 billion`` -> ``16.1`` ``억``.

English counts in thousands (million, billion), Korean in ten thousands (만, 억 = 10^8, 조 =
10^12), so the digits differ as well as the unit word: 100 billion won is 1000억원, 1.5 million
users 150만 명. A question that writes such a figure meets the passage that states it. Pure
functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from docqa.index.expansion import Expansion

Analyze = Callable[[str], list[str]]

_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_UNITS = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_FIGURE = re.compile(
    r"(?i)(?<![\d.,])(\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?)\s+(thousand|million|billion|trillion)\b"
    r"(?:\s+(won|yuan|rmb|dollars?|usd|yen|euros?)\b)?"
)
# the currency after a figure, as Korean writes it (won is 원 there, not 우승 "won the title")
_CURRENCY = {
    "won": "원", "yuan": "위안", "rmb": "위안", "dollar": "달러", "dollars": "달러", "usd": "달러",
    "yen": "엔", "euro": "유로", "euros": "유로",
}  # fmt: skip


def korean_figure(number: str, scale: str) -> tuple[str, ...]:
    """``1.61``, ``billion`` -> (``16.1``, ``억``); digits of four or more also with their comma
    (``1000``, ``1,000``), as Korean text writes both. Empty below 만."""
    value = float(number.replace(",", "")) * _SCALE[scale.lower()]
    for size, unit in _UNITS:
        if value >= size:
            amount = round(value / size, 6)
            digits = f"{amount:.6f}".rstrip("0").rstrip(".")
            forms = [digits]
            if amount >= 1000 and amount == int(amount):
                forms.append(f"{int(amount):,}")
            return (*forms, unit)
    return ()


def number_expansions(text: str, analyze: Analyze) -> list[Expansion]:
    """The figures an English question writes in thousands, in Korean units, with the currency
    after them: ``100 billion won`` -> 1000 1,000 억 원."""
    out = []
    for m in _FIGURE.finditer(text):
        terms = korean_figure(m.group(1), m.group(2))
        if terms and m.group(3):
            terms = (*terms, _CURRENCY[m.group(3).lower()])
        if terms:
            out.append(Expansion("number", m.group(0), tuple(analyze(m.group(0))), terms))
    return out
