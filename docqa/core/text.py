"""Ground-level text facts every stage can rely on: what counts as valid Unicode text.

A JSON string may carry an escaped lone surrogate (``"\\ud800"``) and a command-line argument an
undecodable byte (``surrogateescape``). Neither can be encoded as UTF-8, so Kiwi and the
tokenizer fail on them; they are refused at the edges and scrubbed before any model sees text.
"""

from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def lone_surrogate(text: str) -> str | None:
    """A description of the first lone surrogate in ``text`` (for an error message), or None."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return f"a lone surrogate U+{ord(found.group()):04X} at position {found.start()}"


def scrub(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub(REPLACEMENT, text)


def has_content(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit (Unicode categories L* and N*).

    A question of only punctuation, emoji, zero-width or control characters names nothing to
    look for; min-max fusion would still give its top hit a score of 1.0.
    """
    return any(unicodedata.category(char)[0] in "LN" for char in text)


# The characters ``str.isspace`` (and so ``str.strip``) counts as whitespace, as the body of a
# regular-expression class that ECMA-262 (JSON Schema's ``pattern``) and Python read alike:
# ``\s`` differs between them (U+001C-U+001F, U+0085, U+FEFF). A test checks it against isspace.
WHITESPACE_CLASS = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
