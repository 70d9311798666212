"""Document ids: made text once, when read, and made unique over the whole run.

Any JSON value can arrive as an id. A string is kept, other values become their compact JSON
text (``[1,2]``, ``true``), never a Python repr. Control characters (including NUL, which a
numpy string column silently drops at the end of a string) and lone surrogates (which cannot be
written as UTF-8) are escaped as ``\\uXXXX``. An id already taken gets ``#2``, ``#3``, ... and,
if that too is taken by a real id, the next free number, so every output id is unique.
"""
from __future__ import annotations

import json
import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def escape_unsafe(text: str) -> str:
    """``text`` with control characters and lone surrogates written as ``\\uXXXX``."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def normalise_id(value) -> str:
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return escape_unsafe(value)


class UniqueIds:
    """Hands out each id once, in reading order; repeats get the next free ``#n`` suffix."""

    def __init__(self):
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}

    def claim(self, wanted: str) -> str:
        if wanted not in self._taken:
            self._taken.add(wanted)
            return wanted
        n = self._next.get(wanted, 2)
        while f"{wanted}#{n}" in self._taken:
            n += 1
        self._next[wanted] = n + 1
        self._taken.add(f"{wanted}#{n}")
        return f"{wanted}#{n}"
