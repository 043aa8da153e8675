"""Strict scalars: each accepts only what it can represent and store, and refuses the rest
with a coercion error (a GraphQL validation error naming the argument or variable).

- Decimal: plain decimal notation only (`-?\\d+(\\.\\d+)?`, bounded digits), sent back the
  same way ("0.000995", "0", never "0E-12"). `" 1 "`, `"1_0"`, `"1e3"`, `"NaN"` are refused.
- DateTime / Date: ISO 8601 within years 1970..9998 (a DateTime after conversion to UTC),
  so that every stored time can be compared, shifted by a day and sent back.
- JSON: finite numbers (integers within ±2^53), text without NUL or lone surrogates,
  bounded nesting and size.
- Long: a 64-bit integer.
"""

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Callable
from typing import Any, NewType

import strawberry
from graphql import (
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    ValidationRule,
    ValueNode,
    value_from_ast_untyped,
)
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from api.core.validation import is_utf8_encodable

MAX_DECIMAL_DIGITS = 24
"""Digits on each side of a Decimal's point: a price per token has 18 after it, a budget
a dozen before it."""

MAX_JSON_DEPTH = 16
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_INTEGER = 2**53 - 1
"""Integers beyond this lose precision in JavaScript clients (I-JSON, RFC 7493)."""

MIN_YEAR, MAX_YEAR = 1970, 9998

MAX_NUMBER_LITERAL = 40
"""Characters in an Int or Float literal of a document: Python refuses to convert integers
of more than 4300 digits, and no valid value needs more than a few dozen."""

INT64 = 2**63

_PLAIN_DECIMAL = re.compile(
    rf"-?\d{{1,{MAX_DECIMAL_DIGITS}}}(\.\d{{1,{MAX_DECIMAL_DIGITS}}})?", re.ASCII
)


class InputCoercionError(StrawberryInputCoercionError):
    """A value a scalar cannot represent: graphql-core reports it with the argument's or
    variable's name and position."""


def _refuse(type_name: str, value: object, why: str) -> InputCoercionError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return InputCoercionError(f"{type_name} cannot represent {shown}: {why}.")


def _literal(parse_value: Callable[[Any], Any]) -> Callable[..., Any]:
    """parse_literal from parse_value, with no Python conversion of an absurd number."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        try:
            check_number_literals(node)
            return parse_value(value_from_ast_untyped(node, variables))
        except InputCoercionError as error:
            raise InputCoercionError(error.message, node) from None  # with its position

    return parse_literal


def check_number_literals(node: ValueNode) -> None:
    """Refuse Int/Float literals too long to be a value (inside lists and objects too)."""
    value = getattr(node, "value", None)
    if node.kind in ("int_value", "float_value") and len(str(value)) > MAX_NUMBER_LITERAL:
        raise InputCoercionError(
            f"A number literal has at most {MAX_NUMBER_LITERAL} characters "
            f"(this one has {len(str(value))})."
        )
    for child in getattr(node, "values", None) or ():
        check_number_literals(child)
    for field in getattr(node, "fields", None) or ():
        check_number_literals(field.value)


class NumberLiteralLength(ValidationRule):
    """A document's Int and Float literals are checked before graphql-core converts them
    (an Int of 5,000 digits makes Python's int() raise, which would be an internal error)."""

    def enter_int_value(self, node: IntValueNode, *_args: object) -> None:
        self._check(node)

    def enter_float_value(self, node: FloatValueNode, *_args: object) -> None:
        self._check(node)

    def _check(self, node: IntValueNode | FloatValueNode) -> None:
        try:
            check_number_literals(node)
        except InputCoercionError as error:
            self.report_error(GraphQLError(error.message, node))


# --- Decimal ----------------------------------------------------------------------------


def plain_decimal(value: decimal.Decimal) -> str:
    """Exact, without exponent or trailing zeros: 1E+2 -> "100", 0E-12 -> "0"."""
    return format(value.normalize(), "f")


def parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _refuse("Decimal", value, 'send a string in plain notation, e.g. "0.15"')
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise _refuse(
            "Decimal",
            value,
            f"only plain notation (-123.45), at most {MAX_DECIMAL_DIGITS} digits each side "
            "of the point",
        )
    return decimal.Decimal(value)


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number as a string in plain notation (`-?digits[.digits]`, "
    f"at most {MAX_DECIMAL_DIGITS} digits each side of the point; money: USD unless stated).",
    serialize=plain_decimal,
    parse_value=parse_decimal,
    parse_literal=_literal(parse_decimal),
)


# --- DateTime and Date --------------------------------------------------------------------


def parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise _refuse("DateTime", value, "send an ISO 8601 string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise _refuse("DateTime", value, "not an ISO 8601 date and time") from None
    try:
        in_utc = parsed.astimezone(dt.UTC) if parsed.utcoffset() is not None else parsed
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is in year 10000 in UTC
        in_utc = dt.datetime.max
    if not MIN_YEAR <= in_utc.year <= MAX_YEAR:
        raise _refuse("DateTime", value, f"years {MIN_YEAR}..{MAX_YEAR} (in UTC) only")
    return parsed


def parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or len(value) > 32:
        raise _refuse("Date", value, "send an ISO 8601 date (YYYY-MM-DD)")
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise _refuse("Date", value, "not an ISO 8601 date (YYYY-MM-DD)") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise _refuse("Date", value, f"years {MIN_YEAR}..{MAX_YEAR} only")
    return parsed


DATETIME = strawberry.scalar(
    name="DateTime",
    description="A date and time in ISO 8601 with a time zone (2030-01-01T09:00:00Z or "
    f"+07:00), within years {MIN_YEAR}..{MAX_YEAR} in UTC. Times without a zone are "
    "refused where a time matters.",
    serialize=dt.datetime.isoformat,
    parse_value=parse_datetime,
    parse_literal=_literal(parse_datetime),
)

DATE = strawberry.scalar(
    name="Date",
    description=f"A calendar date in ISO 8601 (YYYY-MM-DD), years {MIN_YEAR}..{MAX_YEAR}.",
    serialize=dt.date.isoformat,
    parse_value=parse_date,
    parse_literal=_literal(parse_date),
)


# --- JSON ---------------------------------------------------------------------------------


def parse_json(value: object) -> object:
    """`value` itself, if it is JSON that every client and both databases can store."""
    _check_json_values(value)
    try:
        size = len(json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise _refuse("JSON", value, "not a JSON value") from None
    if size > MAX_JSON_BYTES:
        raise _refuse("JSON", value, f"{size} bytes: at most {MAX_JSON_BYTES}")
    return value


def _check_json_values(value: object) -> None:
    """Iterative (no recursion limit to reach): every number finite and within ±2^53,
    every text (keys too) storable, nesting at most MAX_JSON_DEPTH."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise _refuse("JSON", value, f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_json_text(key, value)
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_json_text(item, value)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_JSON_INTEGER:
                raise _refuse("JSON", value, f"integers within ±{MAX_JSON_INTEGER} only")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise _refuse("JSON", value, "NaN and Infinity are not JSON")
        else:
            raise _refuse("JSON", value, "not a JSON value")


def _check_json_text(text: object, whole: object) -> None:
    if not isinstance(text, str):
        raise _refuse("JSON", whole, "object keys must be strings")
    if "\x00" in text or not is_utf8_encodable(text):
        raise _refuse("JSON", whole, "text must not contain NUL or lone surrogates")


JSON_SCALAR = strawberry.scalar(
    name="JSON",
    description="A JSON value: finite numbers (integers within ±2^53), text without NUL, "
    f"at most {MAX_JSON_DEPTH} levels deep and {MAX_JSON_BYTES} bytes.",
    specified_by_url="https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf",
    serialize=lambda value: value,
    parse_value=parse_json,
    parse_literal=_literal(parse_json),
)


# --- Long -----------------------------------------------------------------------------------

Long = NewType("Long", int)


def parse_long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _refuse("Long", value, "send an integer")
    if isinstance(value, str) and not re.fullmatch(r"-?\d{1,19}", value, re.ASCII):
        raise _refuse("Long", value, "not an integer")
    number = int(value)
    if not -INT64 <= number < INT64:
        raise _refuse("Long", value, "a 64-bit integer only")
    return number


LONG = strawberry.scalar(
    name="Long",
    description="A 64-bit integer as a JSON number (sums of tokens outgrow the 32-bit Int).",
    serialize=int,
    parse_value=parse_long,
    parse_literal=_literal(parse_long),
)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    decimal.Decimal: DECIMAL,
    dt.datetime: DATETIME,
    dt.date: DATE,
    JSON: JSON_SCALAR,
    Long: LONG,
}
