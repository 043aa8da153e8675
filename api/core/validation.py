"""Input bounds, checked in one place before any resolver runs.

Every text a client sends passes `check_text`: no NUL (PostgreSQL cannot store it), no lone
surrogate (not encodable as UTF-8), and a maximum length. The length is declared once, next
to the input field, with `metadata=column(Model, "field")` (the column's `max_length`, read
from the Tortoise model) or `metadata=limit(n)` (text without a column of that size); any
other text is bounded by MAX_TEXT. api.core.input_bounds walks every field's converted
arguments before its resolver and calls `check_text` on each text: a mutation answers with
its union's ValidationError, a query with a top-level error carrying `extensions.code` and
`extensions.field`. This module imports no strawberry: services use it too.

Scalars (JSON, Decimal, DateTime, Date, Long) refuse what they cannot represent themselves:
see api.core.scalars.

The value checks every domain shares live here too (`required_text`, `utc_time`,
`normalize_email`, `normalize_phone`): services call them, so the CLI and jobs get the same rules.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import email_validator
import phonenumbers
from tortoise.models import Model

from api.core.errors import BadInput

MAX_TEXT = 10_000
"""Characters in any text input that declares no bound of its own."""

MAX_SEARCH = 200
"""Characters in a search term: enough for a name or a phrase, cheap to match."""

MAX_PASSWORD_LENGTH = 1024
"""Characters in a password: argon2 hashes all of it, so an unbounded one costs CPU."""

MAX_NAME = 200
"""Characters in a name or title that declares no bound of its own."""

# Parley sends no mail: an address names an account or a contact, so one on a private-use
# domain (a self-hosted team's `.local`, a test's `.test`) is as good as any. The library's
# documented list of special-use domains is what refuses those; the rest stay refused.
PRIVATE_USE_DOMAINS = ("local", "test")
email_validator.SPECIAL_USE_DOMAIN_NAMES = [
    domain
    for domain in email_validator.SPECIAL_USE_DOMAIN_NAMES
    if domain not in PRIVATE_USE_DOMAINS
]

BOUNDS_KEY = "parley.bounds"
"""Where a field's `Bounds` live in its strawberry metadata."""


@dataclass(frozen=True)
class Bounds:
    max_length: int


def limit(max_length: int) -> dict[str, Any]:
    """Field metadata: text of at most `max_length` characters."""
    return {BOUNDS_KEY: Bounds(max_length)}


def column(model: type[Model], field_name: str) -> dict[str, Any]:
    """Field metadata: text bounded like the model's column (its `max_length`)."""
    max_length = getattr(model._meta.fields_map[field_name], "max_length", None)
    if not isinstance(max_length, int):
        raise TypeError(f"{model.__name__}.{field_name} has no max_length: use limit(n)")
    return limit(max_length)


def check_text(value: str, *, field: str, max_length: int = MAX_TEXT) -> None:
    """BadInput naming `field` unless `value` is storable text of at most `max_length`."""
    if "\x00" in value:
        raise BadInput(f"{field} must not contain NUL characters.", field=field)
    if not is_utf8_encodable(value):
        raise BadInput(f"{field} must be valid Unicode text.", field=field)
    if len(value) > max_length:
        raise BadInput(f"{field} is longer than {max_length} characters.", field=field)


def required_text(value: str, *, field: str, max_length: int = MAX_NAME) -> str:
    """`value` without surrounding blanks; BadInput naming `field` if empty or too long."""
    value = value.strip()
    if not value:
        raise BadInput(f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise BadInput(f"{field} is longer than {max_length} characters.", field=field)
    return value


def matching_text(value: str | None, *, field: str, pattern: re.Pattern[str], what: str) -> str:
    """`value` stripped; BadInput naming `field` ("… must be `what`") unless it matches."""
    text = (value or "").strip()
    if not pattern.match(text):
        raise BadInput(f"{field} must be {what}.", field=field)
    return text


@overload
def utc_time(value: datetime, *, field: str) -> datetime: ...
@overload
def utc_time(value: None, *, field: str) -> None: ...
@overload
def utc_time(value: datetime | None, *, field: str) -> datetime | None: ...
def utc_time(value: datetime | None, *, field: str) -> datetime | None:
    """`value` in UTC; BadInput naming `field` if it has no time zone (a naive time means
    a different instant on every server)."""
    if value is None:
        return None
    if value.utcoffset() is None:
        raise BadInput(f"{field} needs a time zone (e.g. 2030-01-01T09:00:00Z).", field=field)
    return value.astimezone(UTC)


def normalize_email(email: str, *, field: str = "email") -> str:
    """The address as Parley stores it: checked by email-validator (syntax only, no DNS),
    lowercased whole, so one person's address is one key whatever its spelling."""
    try:
        checked = email_validator.validate_email(email.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise BadInput(f"{email!r} is not an e-mail address: {error}", field=field) from None
    return checked.normalized.lower()


def normalize_phone(phone: str, *, field: str = "phone") -> str:
    """E.164 (`+` and the digits), parsed by phonenumbers: an international number valid
    for its country's numbering plan, without an extension (E.164 has no room for one);
    spaces, dashes, dots and brackets may separate the digits."""
    try:
        number = phonenumbers.parse(phone, None)  # no default region: the `+` is required
    except phonenumbers.NumberParseException:
        number = None
    if number is None or number.extension or not phonenumbers.is_valid_number(number):
        raise BadInput(f"{phone!r} is not a phone number in +<country><number> form.", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_utf8_encodable(value: str) -> bool:
    """False for text with lone surrogates (e.g. "\\ud800" from a JSON escape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
