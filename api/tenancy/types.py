"""GraphQL types of tenancy: workspaces, users, members, API keys, the viewer."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

import models
from api.core.context import Info
from api.core.error_types import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from api.core.ids import encode_id
from api.core.nodes import ModelNode
from api.tenancy.loaders import UserByIdLoader
from models.enums import Role as RoleEnum

Role = strawberry.enum(RoleEnum, description="A member's or API key's role, strongest first.")


@strawberry.type(description="A tenant: one business with its inbox, members and keys.")
class Workspace:
    id: strawberry.ID = strawberry.field(description="Global ID of the workspace.")
    name: str = strawberry.field(description="Display name.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.Workspace) -> "Workspace":
        return cls(
            id=strawberry.ID(encode_id("Workspace", row.id)),
            name=row.name,
            created_at=row.created_at,
        )


@strawberry.type(description="A person who signs in; a member of one or more workspaces.")
class User(ModelNode):
    loader_class = UserByIdLoader
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Login e-mail (lower-case).")

    @classmethod
    def from_model(cls, row: models.User) -> "User":
        return cls(id=str(row.id), name=row.name, email=row.email)


@strawberry.type(description="A user's membership of the workspace.")
class Member:
    role: Role = strawberry.field(description="The member's role.")  # type: ignore[valid-type]
    joined_at: datetime = strawberry.field(description="When the user joined.")
    _user_id: strawberry.Private[object]

    @strawberry.field(description="The member.")
    async def user(self, info: Info) -> User:
        row = await info.context.loader(UserByIdLoader).load(self._user_id)  # type: ignore[arg-type]
        assert row is not None
        return User.from_model(row)

    @classmethod
    def from_model(cls, row: models.Membership) -> "Member":
        return cls(role=row.role, joined_at=row.created_at, _user_id=row.user_id)


@strawberry.type(description="A workspace credential for bots and integrations.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Global ID of the key.")
    name: str = strawberry.field(description="What the key is for.")
    prefix: str = strawberry.field(description="The visible start of the key, to recognise it.")
    role: Role = strawberry.field(description="What the key may do.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (to the minute)."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_model(cls, row: models.ApiKey) -> "ApiKey":
        return cls(
            id=strawberry.ID(encode_id("ApiKey", row.id)),
            name=row.name,
            prefix=row.prefix,
            role=row.role,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="Who is calling: a signed-in user or an API key.")
class Viewer:
    role: Role = strawberry.field(description="The caller's role.")  # type: ignore[valid-type]
    user: User | None = strawberry.field(description="The signed-in user (null for an API key).")
    api_key: ApiKey | None = strawberry.field(description="The API key used (null for a user).")
    workspace: Workspace = strawberry.field(description="The caller's workspace.")


# --- inputs and results ---------------------------------------------------------------


@strawberry.input(description="Sign in with e-mail and password.")
class LoginInput:
    email: str = strawberry.field(description="The user's e-mail.")
    password: str = strawberry.field(description="The user's password.")
    workspace_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which workspace, for users of several."
    )


@strawberry.type(description="A new session.")
class LoginPayload:
    token: str = strawberry.field(
        description="Bearer token for `Authorization: Bearer …`; shown once."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    user: User = strawberry.field(description="Who signed in.")
    workspace: Workspace = strawberry.field(description="The workspace signed in to.")


LoginResult = Annotated[
    LoginPayload | InvalidCredentialsError | RateLimitedError | ValidationError | NotFoundError,
    strawberry.union("LoginResult", description="A session, or why not."),
]


@strawberry.type(description="The session has ended.")
class LogoutPayload:
    ok: bool = strawberry.field(description="Always true.")


LogoutResult = Annotated[
    LogoutPayload | ValidationError,
    strawberry.union("LogoutResult", description="Signed out, or why not."),
]


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="What the key is for.")
    role: Role = strawberry.field(  # type: ignore[valid-type]
        default=RoleEnum.AGENT, description="What the key may do (at most your own role)."
    )


@strawberry.type(description="The new key; the secret is shown here once.")
class CreateApiKeyPayload:
    api_key: ApiKey = strawberry.field(description="The key's record.")
    secret: str = strawberry.field(description="The key itself: store it now, it is not kept.")


CreateApiKeyResult = Annotated[
    CreateApiKeyPayload | ValidationError,
    strawberry.union("CreateApiKeyResult", description="The new key, or why not."),
]


@strawberry.input(description="Revoke an API key.")
class RevokeApiKeyInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key to revoke.")


@strawberry.type(description="The revoked key.")
class RevokeApiKeyPayload:
    api_key: ApiKey = strawberry.field(description="The key, now revoked.")


RevokeApiKeyResult = Annotated[
    RevokeApiKeyPayload | ValidationError | NotFoundError | ConflictError,
    strawberry.union("RevokeApiKeyResult", description="The revoked key, or why not."),
]


@strawberry.input(description="Add a member; a new e-mail creates the user.")
class InviteMemberInput:
    email: str = strawberry.field(description="The member's e-mail.")
    name: str = strawberry.field(description="Full name (for a new user).")
    password: str = strawberry.field(
        description="Initial password for a new user (ignored for an existing one)."
    )
    role: Role = strawberry.field(  # type: ignore[valid-type]
        default=RoleEnum.AGENT, description="The member's role (at most your own)."
    )


@strawberry.type(description="The new member.")
class InviteMemberPayload:
    member: Member = strawberry.field(description="The membership created.")


InviteMemberResult = Annotated[
    InviteMemberPayload | ValidationError | ConflictError,
    strawberry.union("InviteMemberResult", description="The new member, or why not."),
]
