"""Checks of the usage services' text and time inputs (BadInput names the camelCase field)."""

import re
from datetime import UTC, datetime

from api.core.errors import BadInput


def checked_text(value: str | None, *, field: str, pattern: re.Pattern[str], what: str) -> str:
    text = (value or "").strip()
    if not pattern.match(text):
        raise BadInput(f"{field} must be {what}.", field=field)
    return text


def aware_utc(value: datetime | None, *, field: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise BadInput(f"{field} needs a time zone (e.g. 2030-01-01T09:00:00Z).", field=field)
    return value.astimezone(UTC) if value is not None else None
