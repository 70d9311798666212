"""Publication dates -> day numbers (days since 1970-01-01), -1 when missing or unreadable."""
from __future__ import annotations

import email.utils
from datetime import date, datetime

_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y",
            "%b %d, %Y", "%Y%m%d")
_EPOCH = date(1970, 1, 1)


def _parse(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    head = text.split("T")[0]
    for fmt in _FORMATS:
        for candidate in (text, head):
            try:
                return datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    return None


def day_number(value) -> int:
    """Day number of a date string / date / datetime / epoch seconds; -1 if unknown."""
    if value is None or value == "":
        return -1
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = datetime.utcfromtimestamp(float(value)).date() if value > 0 else None
    else:
        parsed = _parse(str(value))
    return -1 if parsed is None else (parsed - _EPOCH).days
