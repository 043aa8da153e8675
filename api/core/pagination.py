"""Keyset pagination: opaque cursors that encode the sort key of a row, never an offset.

A page query is `WHERE <after the cursor> ORDER BY <sort key> LIMIT n + 1` on an index,
so page 500 costs what page 1 costs and rows inserted meanwhile don't shift pages. A
cursor names its list (`CursorFormat`), so one list's cursor is refused by another.
The GraphQL side (the arguments, the cap, the connection) is api/core/connections.py.
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

    def cursors_of(self, list_name: str) -> "CursorFormat":
        """The cursors of the list `list_name` in this order."""
        return CursorFormat(list_name, tuple(kind for _, kind in self.columns))

    def beyond(self, values: list[Any]) -> Q:
        """Rows strictly after `values` in this order (a row-value comparison, spelt out
        portably as OR of prefixes)."""
        op = "lt" if self.descending else "gt"
        alternatives = []
        for i, (name, _) in enumerate(self.columns):
            equal_prefix = {col: values[j] for j, (col, _) in enumerate(self.columns[:i])}
            alternatives.append(Q(**equal_prefix, **{f"{name}__{op}": values[i]}))
        return Q(*alternatives, join_type="OR")


@dataclass(frozen=True)
class CursorFormat:
    """The cursors of one list: base64url of the JSON array `[list name, *sort values]`.

    The name makes a cursor belong to its list: one of `contacts` given to `conversations`
    (same kinds of values, so it would decode) is refused instead of paging from a
    meaningless position."""

    list_name: str
    kinds: tuple[str, ...]

    def encode(self, values: Sequence[Any]) -> str:
        raw = json.dumps([self.list_name, *map(_jsonable, values)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def decode(self, cursor: str, *, field: str) -> list[Any]:
        """The sort values in `cursor`; BadInput naming `field` if it is not one of ours."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(raw, list) or raw[:1] != [self.list_name]:
                raise ValueError
            return [_DECODERS[kind](v) for kind, v in zip(self.kinds, raw[1:], strict=True)]
        except Exception:
            raise BadInput(f"{field} is not a cursor of `{self.list_name}`.", field=field) from None


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


@dataclass(frozen=True)
class PageArgs:
    """The page a client asked of the list `list_name` (first/after or last/before), and
    the largest page allowed (PARLEY_MAX_PAGE_SIZE)."""

    list_name: str
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    maximum: int = 100


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


async def keyset_page(queryset: QuerySet[M], sort: SortKey, page: PageArgs) -> Page[M]:
    """One page of `queryset` in `sort` order, forwards (first/after) or backwards
    (last/before); cursors of another list are refused."""
    size = page_size(page.first, page.last, maximum=page.maximum)
    cursors = sort.cursors_of(page.list_name)
    backwards = page.last is not None or (page.before is not None and page.first is None)
    query = queryset
    if page.after is not None:
        query = query.filter(sort.beyond(cursors.decode(page.after, field="after")))
    if page.before is not None:
        query = query.filter(sort.reversed().beyond(cursors.decode(page.before, field="before")))
    order = sort.reversed() if backwards else sort
    rows: Sequence[M] = await query.order_by(*order.ordering()).limit(size + 1)
    more = len(rows) > size
    rows = list(rows[:size])
    if backwards:
        rows.reverse()
    return Page(
        rows=rows,
        cursors=[cursors.encode(sort.values_of(row)) for row in rows],
        has_next_page=more if not backwards else page.before is not None,
        has_previous_page=more if backwards else page.after is not None,
    )
