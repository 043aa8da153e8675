"""The one connection mechanism: a keyset-paged Relay connection field.

A list field declares itself with `extensions=[KeysetConnection("contacts")]`; the extension
adds the Relay arguments (`first`, `after`, `last`, `before`: the names the query cost in
api/core/limits.py reads), and hands the resolver, instead of them, a `page: PageArgs`
that carries the list's name (in its cursors) and the page cap (PARLEY_MAX_PAGE_SIZE).
The resolver passes `page` to its service, whose `keyset_page` validates the size and the
cursors, and turns the `Page` into a connection with `connection_of`.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from api.core.pagination import Page, PageArgs

T = TypeVar("T", bound=relay.Node)

PAGE_PARAMETER = "page"
_RELAY_ARGUMENTS = (("first", int), ("after", str), ("last", int), ("before", str))


class KeysetConnection(FieldExtension):
    """Page the field's list `list_name` by keyset (see the module's doc)."""

    def __init__(self, list_name: str) -> None:
        self.list_name = list_name

    def apply(self, field: StrawberryField) -> None:
        resolver = field.base_resolver
        if resolver is None or PAGE_PARAMETER not in resolver.signature.parameters:
            raise TypeError(f"{field.python_name}: a keyset connection takes `page: PageArgs`")
        # Idempotent: every schema built from the same types applies it to the same field.
        replaced = {PAGE_PARAMETER, *(name for name, _ in _RELAY_ARGUMENTS)}
        own = [argument for argument in field.arguments if argument.python_name not in replaced]
        relay_arguments = [
            StrawberryArgument(
                python_name=name,
                graphql_name=None,
                type_annotation=StrawberryAnnotation(kind | None),
                default=None,
            )
            for name, kind in _RELAY_ARGUMENTS
        ]
        field.arguments = [*relay_arguments, *own]

    def page_args(self, info: strawberry.Info, kwargs: dict[str, Any]) -> PageArgs:
        """`kwargs` without the Relay arguments, which become the `PageArgs`."""
        return PageArgs(
            list_name=self.list_name,
            **{name: kwargs.pop(name, None) for name, _ in _RELAY_ARGUMENTS},
            maximum=info.context.settings.max_page_size,
        )

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        page = self.page_args(info, kwargs)
        return next_(source, info, **kwargs, page=page)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        page = self.page_args(info, kwargs)
        result = next_(source, info, **kwargs, page=page)
        return await result if isinstance(result, Awaitable) else result


def connection_of(page: Page[Any], node_of: Callable[[Any], T]) -> relay.Connection[T]:
    """The Relay connection of a keyset `Page` of models, each turned into its type."""
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
