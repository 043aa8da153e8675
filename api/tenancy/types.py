"""GraphQL types of tenancy: workspaces, users, members, API keys, the viewer; mutation
inputs and results are in api.tenancy.payloads."""

from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import strawberry
from strawberry import relay

import models
from api.core.context import Info
from api.core.ids import encode_id
from api.core.nodes import ModelNode
from api.core.rows import from_row
from api.core.validation import column
from api.tenancy import service as tenancy
from api.tenancy.loaders import UserByIdLoader
from models.enums import Role as RoleEnum

# The GraphQL enums are the models' enums, described for the schema; the names are type
# aliases (not variables) so that fields annotated with them type-check.
strawberry.enum(RoleEnum, description="A member's or API key's role, strongest first.")
Role: TypeAlias = RoleEnum


@strawberry.type(description="A tenant: one business with its inbox, members and keys.")
class Workspace:
    id: strawberry.ID = strawberry.field(description="Global ID of the workspace.")
    name: str = strawberry.field(description="Display name.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.Workspace) -> "Workspace":
        return from_row(cls, row, id=strawberry.ID(encode_id("Workspace", row.id)))


@strawberry.type(description="A person who signs in; a member of one or more workspaces.")
class User(ModelNode):
    loader_class = UserByIdLoader
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Login e-mail (lower-case).")

    @classmethod
    def from_model(cls, row: models.User) -> "User":
        return from_row(cls, row, id=str(row.id))


@strawberry.type(description="A user's membership of the workspace.")
class Member:
    role: Role = strawberry.field(description="The member's role.")
    joined_at: datetime = strawberry.field(description="When the user joined.")
    _user_id: strawberry.Private[object]

    @strawberry.field(description="The member.")
    async def user(self, info: Info) -> User:
        row = await info.context.loader(UserByIdLoader).load(self._user_id)  # type: ignore[arg-type]
        assert row is not None
        return User.from_model(row)

    @classmethod
    def from_model(cls, row: models.Membership) -> "Member":
        return from_row(cls, row, joined_at=row.created_at, _user_id=row.user_id)


@strawberry.type(description="A workspace credential for bots and integrations.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Global ID of the key.")
    name: str = strawberry.field(
        description="What the key is for.", metadata=column(models.ApiKey, "name")
    )
    prefix: str = strawberry.field(description="The visible start of the key, to recognise it.")
    role: Role = strawberry.field(description="What the key may do.")
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (to the minute)."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_model(cls, row: models.ApiKey) -> "ApiKey":
        return from_row(cls, row, id=strawberry.ID(encode_id("ApiKey", row.id)))


@strawberry.type(description="A workspace a user belongs to, and their role there.")
class WorkspaceMembership:
    workspace: Workspace = strawberry.field(description="The workspace.")
    role: Role = strawberry.field(description="The user's role in it.")

    @classmethod
    def from_model(cls, row: models.Membership) -> "WorkspaceMembership":
        return from_row(cls, row, workspace=Workspace.from_model(row.workspace))


@strawberry.type(description="An offer to join a workspace, pending until its addressee accepts.")
class Invitation:
    id: strawberry.ID = strawberry.field(description="Global ID of the invitation.")
    email: str = strawberry.field(description="The address invited (lower-case).")
    role: Role = strawberry.field(description="The role it grants.")
    workspace: Workspace = strawberry.field(description="The workspace it is for.")
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime = strawberry.field(description="When it can no longer be accepted.")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted, if it was.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was withdrawn or declined, if it was."
    )

    @classmethod
    def from_model(cls, row: models.Invitation) -> "Invitation":
        return from_row(
            cls,
            row,
            id=strawberry.ID(encode_id("Invitation", row.id)),
            workspace=Workspace.from_model(row.workspace),
        )


@strawberry.type(description="Who is calling: a signed-in user or an API key.")
class Viewer:
    role: Role = strawberry.field(description="The caller's role.")
    user: User | None = strawberry.field(description="The signed-in user (null for an API key).")
    api_key: ApiKey | None = strawberry.field(description="The API key used (null for a user).")
    workspace: Workspace = strawberry.field(description="The caller's workspace.")
    _user_id: strawberry.Private[UUID | None]

    @strawberry.field(
        description="Every workspace the signed-in user belongs to (empty for an API key)."
    )
    async def workspaces(self) -> list[WorkspaceMembership]:
        if self._user_id is None:
            return []
        rows = await tenancy.workspaces_of(user_id=self._user_id)
        return [WorkspaceMembership.from_model(row) for row in rows]

    @strawberry.field(
        description="Pending invitations to the signed-in user's e-mail, from any workspace "
        "(empty for an API key): accept one with acceptInvitation."
    )
    async def invitations(self) -> list[Invitation]:
        if self._user_id is None:
            return []
        rows = await tenancy.invitations_for(user_id=self._user_id)
        return [Invitation.from_model(row) for row in rows]
