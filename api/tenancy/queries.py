"""Tenancy queries: the viewer, the workspace, its members and keys."""

from datetime import timedelta

import strawberry

import models
from api.core.context import Info
from api.core.permissions import CanAdmin, CanRead
from api.tenancy import service
from api.tenancy.types import ApiKey, Invitation, Member, User, Viewer, Workspace


@strawberry.type
class TenancyQueries:
    @strawberry.field(permission_classes=[CanRead], description="Who is calling.")
    async def viewer(self, info: Info) -> Viewer:
        viewer = info.context.signed_in_viewer
        workspace = await models.Workspace.get(id=viewer.workspace_id)
        user = await models.User.get(id=viewer.user_id) if viewer.user_id else None
        api_key = await models.ApiKey.get(id=viewer.api_key_id) if viewer.api_key_id else None
        return Viewer(
            role=viewer.role,
            user=User.from_model(user) if user else None,
            api_key=ApiKey.from_model(api_key) if api_key else None,
            workspace=Workspace.from_model(workspace),
            _user_id=viewer.user_id,
        )

    @strawberry.field(permission_classes=[CanRead], description="The caller's workspace.")
    async def workspace(self, info: Info) -> Workspace:
        return Workspace.from_model(await models.Workspace.get(id=info.context.workspace_id))

    @strawberry.field(permission_classes=[CanRead], description="The workspace's members.")
    async def members(self, info: Info) -> list[Member]:
        rows = await service.members(workspace_id=info.context.workspace_id)
        return [Member.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[CanAdmin],
        description="The workspace's pending invitations (ADMIN); members are in `members`.",
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        rows = await service.invitations(workspace_id=info.context.workspace_id)
        return [Invitation.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[CanAdmin], description="The workspace's API keys (ADMIN)."
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        rows = await service.api_keys(workspace_id=info.context.workspace_id)
        return [ApiKey.from_model(row) for row in rows]


def session_ttl(info: Info) -> timedelta:
    return timedelta(hours=info.context.settings.session_ttl_hours)


def invitation_ttl(info: Info) -> timedelta:
    return timedelta(days=info.context.settings.invitation_ttl_days)
