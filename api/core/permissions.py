"""Permission classes: every query, mutation and subscription field declares one.

No viewer -> top-level error UNAUTHENTICATED; a role too weak -> FORBIDDEN.
"""

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission

from models.enums import Role


class Unauthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "Authentication required: send `Authorization: Bearer <API key or session token>`.",
            extensions={"code": "UNAUTHENTICATED"},
        )


class RolePermission(BasePermission):
    """Signed in with at least `minimum_role` in the workspace."""

    minimum_role: ClassVar[Role] = Role.VIEWER
    error_extensions: dict[str, Any] | None = {"code": "FORBIDDEN"}

    @property
    def message(self) -> str:  # type: ignore[override]
        return f"Forbidden: this needs the {self.minimum_role.value} role or stronger."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise Unauthenticated()
        return bool(viewer.can(self.minimum_role))


class CanRead(RolePermission):
    """Any member or API key of the workspace (VIEWER and up)."""

    minimum_role = Role.VIEWER


class CanWrite(RolePermission):
    """Work the inbox: AGENT and up."""

    minimum_role = Role.AGENT


class CanAdmin(RolePermission):
    """Manage keys, members and settings: ADMIN and up."""

    minimum_role = Role.ADMIN


class Anyone(BasePermission):
    """Open to callers without credentials (login); declared so that every field says
    who may call it."""

    message = "never refused"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return True
