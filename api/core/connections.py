"""Turn a keyset `Page` of models into a Relay connection of GraphQL types."""

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry import relay

from api.core.pagination import Page

T = TypeVar("T", bound=relay.Node)


def connection_of(page: Page[Any], node_of: Callable[[Any], T]) -> relay.Connection[T]:
    edges = [
        relay.Edge(node=node_of(row), cursor=cursor)
        for row, cursor in zip(page.rows, page.cursors, strict=True)
    ]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )
