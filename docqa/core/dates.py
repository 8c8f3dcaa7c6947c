"""Partial ISO dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``): which are real, and the days they span.

Documents state a year, a month or a day; a filter or an upload that names a day the calendar
does not have (``2025-02-30``, ``2025-13``, ``0000``) is refused rather than compared as text.
"""

from __future__ import annotations

import calendar
import re

# ASCII digits and the whole string: ``\d`` would take other scripts' digits ("٢٠٢٥") and ``$`` a
# trailing newline ("2025\n"), neither of which a date is.
_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
FORMAT = "YYYY, YYYY-MM or YYYY-MM-DD"

# The same set of dates as one regular expression, for a JSON Schema ``pattern`` (ECMA-262 and
# Python read it alike): a year 0001-9999, a month 01-12, and a day its month has, February 29th
# in leap years only. ``date_problem`` stays the check, for its messages; a test holds the two equal.
_YEAR = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
PATTERN = rf"^(?:{_YEAR}(?:-(?:0[1-9]|1[0-2]))?|{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)$"


def date_problem(value: str) -> str | None:
    """Why ``value`` is not a real partial date (for an error message), or None when it is one."""
    found = _PARTIAL.fullmatch(value)
    if found is None:
        return f"{value!r} is not a date: use {FORMAT}"
    year, month, day = (int(part) if part else None for part in found.groups())
    assert year is not None
    if year == 0:
        return f"{value!r} is not a date: there is no year 0000"
    if month is not None and not 1 <= month <= 12:
        return f"{value!r} is not a date: month {month:02d} is not between 01 and 12"
    if month is not None and day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            return (
                f"{value!r} is not a date: day {day:02d} is not between 01 and {last} in {year}-{month:02d}"
            )
    return None


def first_day(value: str) -> str:
    """The first day a partial date names: "2025" -> "2025-01-01"."""
    parts = value.split("-")
    return "-".join(parts + ["01"] * (3 - len(parts)))


def last_day(value: str) -> str:
    """The last day a partial date names: "2024-02" -> "2024-02-29"."""
    parts = value.split("-")
    if len(parts) == 1:
        return f"{value}-12-31"
    if len(parts) == 2:
        return f"{value}-{calendar.monthrange(int(parts[0]), int(parts[1]))[1]:02d}"
    return value
