"""Parley's custom scalars as Python types, for the generated client (ariadne-codegen
copies this file into parley_client/; edit it here, then run scripts/codegen).

What Parley sends and accepts for each (api/core/scalars.py):

- Decimal: a string in plain notation ("0.000995", never "1E-6"): decimal.Decimal, sent
  back in plain notation, since Parley refuses exponents.
- DateTime: an ISO 8601 string with a time zone: an aware datetime.datetime. A naive
  datetime is refused here, before it is sent, because Parley refuses it where a time matters.
- Date: "YYYY-MM-DD": datetime.date.
- Long: a 64-bit integer as a JSON number: int (pydantic's own int, no function needed).
- JSON: any JSON value: JSONValue, a recursive type of what JSON can hold.
"""

import datetime as dt
import decimal
from typing import Union

from typing_extensions import TypeAliasType

JSONValue = TypeAliasType(
    "JSONValue",
    Union[str, int, float, bool, None, list["JSONValue"], dict[str, "JSONValue"]],
)
"""A value of Parley's JSON scalar: what json.loads can return."""


def parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(f"Decimal: expected a string, got {value!r}")
    return decimal.Decimal(value)


def serialize_decimal(value: decimal.Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"Decimal: {value} cannot be sent, only finite numbers")
    return format(value.normalize(), "f")  # 1E+2 -> "100": Parley takes no exponent


def parse_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"DateTime: expected an ISO 8601 string, got {value!r}")
    return dt.datetime.fromisoformat(value)


def serialize_datetime(value: dt.datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError(f"DateTime: {value} has no time zone (Parley needs one)")
    return value.isoformat()


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"Date: expected YYYY-MM-DD, got {value!r}")
    return dt.date.fromisoformat(value)


def serialize_date(value: dt.date) -> str:
    return value.isoformat()
