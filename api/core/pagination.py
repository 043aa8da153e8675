"""Keyset pagination: opaque cursors that encode the sort key of a row, never an offset.

A page query is `WHERE <after the cursor> ORDER BY <sort key> LIMIT n + 1` on an index,
so page 500 costs what page 1 costs and rows inserted meanwhile don't shift pages.
"""

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.core.errors import BadInput

M = TypeVar("M", bound=Model)

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "uuid": UUID,
    "int": int,
    "str": str,
}


@dataclass(frozen=True)
class SortKey:
    """Columns a list is ordered by, the last one unique (the id), each with its kind
    (`datetime`, `uuid`, `int`, `str`) so a cursor decodes back to typed values."""

    columns: tuple[tuple[str, str], ...]
    descending: bool

    def reversed(self) -> "SortKey":
        return SortKey(self.columns, not self.descending)

    def ordering(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [sign + name for name, _ in self.columns]

    def values_of(self, row: Model) -> list[Any]:
        return [getattr(row, name) for name, _ in self.columns]

    def encode(self, row: Model) -> str:
        return self.encode_values(self.values_of(row))

    def encode_values(self, values: list[Any]) -> str:
        raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def decode(self, cursor: str, *, field: str) -> list[Any]:
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(raw, list) or len(raw) != len(self.columns):
                raise ValueError
            return [_DECODERS[kind](v) for (_, kind), v in zip(self.columns, raw, strict=True)]
        except Exception:
            raise BadInput(f"{field} is not a cursor of this list.", field=field) from None

    def beyond(self, values: list[Any]) -> Q:
        """Rows strictly after `values` in this order (a row-value comparison, spelt out
        portably as OR of prefixes)."""
        op = "lt" if self.descending else "gt"
        alternatives = []
        for i, (name, _) in enumerate(self.columns):
            equal_prefix = {col: values[j] for j, (col, _) in enumerate(self.columns[:i])}
            alternatives.append(Q(**equal_prefix, **{f"{name}__{op}": values[i]}))
        return Q(*alternatives, join_type="OR")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


@dataclass
class Page(Generic[M]):
    rows: list[M]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


DEFAULT_PAGE_SIZE = 20


def page_size(
    first: int | None, last: int | None, *, maximum: int, default: int = DEFAULT_PAGE_SIZE
) -> int:
    """Validate `first`/`last` and return the size asked for."""
    if first is not None and last is not None:
        raise BadInput("Pass either first or last, not both.", field="last")
    size, name = (first, "first") if first is not None else (last, "last")
    if size is None:
        return min(default, maximum)
    if size < 0 or size > maximum:
        raise BadInput(f"{name} must be between 0 and {maximum}.", field=name)
    return size


async def keyset_page(
    queryset: QuerySet[M],
    sort: SortKey,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    maximum: int,
) -> Page[M]:
    """One page of `queryset` in `sort` order, forwards (first/after) or backwards
    (last/before)."""
    size = page_size(first, last, maximum=maximum)
    backwards = last is not None or (before is not None and first is None)
    query = queryset
    if after is not None:
        query = query.filter(sort.beyond(sort.decode(after, field="after")))
    if before is not None:
        query = query.filter(sort.reversed().beyond(sort.decode(before, field="before")))
    order = sort.reversed() if backwards else sort
    rows: Sequence[M] = await query.order_by(*order.ordering()).limit(size + 1)
    more = len(rows) > size
    rows = list(rows[:size])
    if backwards:
        rows.reverse()
    return Page(
        rows=rows,
        cursors=[sort.encode(row) for row in rows],
        has_next_page=more if not backwards else before is not None,
        has_previous_page=more if backwards else after is not None,
    )
