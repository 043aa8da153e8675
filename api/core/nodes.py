"""Relay `Node` for types that wrap a workspace-owned model: `node(id)` loads through the
type's loader, so another workspace's id resolves to null."""

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.relay import GlobalID

from api.core.context import Info
from api.core.ids import parse_uuid
from api.core.loaders import WorkspaceLoader


class ModelNode(relay.Node):
    """A Relay node built from a model row with `from_model`, loaded by `loader_class`."""

    loader_class: ClassVar[type[WorkspaceLoader[Any]]]

    @classmethod
    def from_model(cls, row: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loader = info.context.loader(cls.loader_class)
        rows = await loader.load_many([parse_uuid(node_id) for node_id in node_ids])
        return [cls.from_model(row) if row is not None else None for row in rows]

    @classmethod
    async def load(cls, info: Info, key: UUID | None) -> Any:
        """The node of a key in the caller's workspace, through this request's loader;
        None for no key, or a row that is not there (or not the caller's)."""
        if key is None:
            return None
        row = await info.context.loader(cls.loader_class).load(key)
        return cls.from_model(row) if row is not None else None

    @classmethod
    async def by_global_id(cls, info: Info, global_id: GlobalID | str) -> Any:
        """The node a global ID names, if it is of this type and in the caller's workspace;
        otherwise None (a string that is no global ID names nothing)."""
        if isinstance(global_id, str):
            parsed = parse_global_id(global_id)
            if parsed is None:
                return None
            global_id = parsed
        if global_id.type_name != cls.__name__:
            return None
        nodes = await cls.resolve_nodes(info=info, node_ids=[global_id.node_id])
        return nodes[0]


def parse_global_id(value: str) -> GlobalID | None:
    """The global ID in `value`, or None if it is not one (not base64, no "Type:" part)."""
    try:
        return GlobalID.from_id(value)
    except Exception:  # strawberry raises GlobalIDValueError, binascii.Error, ValueError …
        return None


async def node_of(info: Info, id: str) -> relay.Node | None:
    """What `node(id:)` answers: the node a global ID names in the caller's workspace, or
    None when it names nothing (not a global ID, an unknown type, a type that is not a node
    such as "Query", a malformed key, another workspace's row)."""
    global_id = parse_global_id(id)
    if global_id is None:
        return None
    graphql_type = info.schema.get_type_by_name(global_id.type_name)
    node_type = getattr(graphql_type, "origin", None)
    if not (isinstance(node_type, type) and issubclass(node_type, ModelNode)):
        return None
    node: relay.Node | None = await node_type.by_global_id(info, global_id)
    return node


def type_named(type_name: str, module: str) -> Any:
    """A GraphQL type of a domain that stands on the caller's (so the caller must not import
    it), referenced by name as the schema does: strawberry finds it in `module` when the
    schema is built. Pass it as a field's `graphql_type`."""
    return Annotated[type_name, strawberry.lazy(module)]


async def load_node_named(info: Info, type_name: str, key: UUID | None) -> Any:
    """The node of `type_name` for a key in the caller's workspace (None for no key or no
    row), for a field whose type is `type_named`: the type is found in the running schema."""
    node_type = getattr(info.schema.get_type_by_name(type_name), "origin", None)
    assert isinstance(node_type, type) and issubclass(node_type, ModelNode), type_name
    return await node_type.load(info, key)
