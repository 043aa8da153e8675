"""GraphQL types of tenancy: workspaces, users, members, API keys, the viewer."""

from datetime import datetime
from typing import Annotated, TypeAlias
from uuid import UUID

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
from api.core.rows import from_row
from api.core.validation import MAX_PASSWORD_LENGTH, column, limit
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


# --- inputs and results ---------------------------------------------------------------


USER_EMAIL = column(models.User, "email")
PASSWORD = limit(MAX_PASSWORD_LENGTH)
SIGN_UP_CODE = limit(100)  # `prli_` and 43 characters; anything longer is not a code
"""Passwords are hashed with argon2: bounded, so that no one makes the server hash a novel."""


@strawberry.input(description="Sign in with e-mail and password.")
class LoginInput:
    email: str = strawberry.field(description="The user's e-mail.", metadata=USER_EMAIL)
    password: str = strawberry.field(description="The user's password.", metadata=PASSWORD)
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
    workspaces: list[WorkspaceMembership] = strawberry.field(
        description="Every workspace the user belongs to (switch with switchWorkspace)."
    )


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
    name: str = strawberry.field(
        description="What the key is for.", metadata=column(models.ApiKey, "name")
    )
    role: Role = strawberry.field(
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


@strawberry.input(description="Invite an e-mail address to the workspace.")
class InviteMemberInput:
    email: str = strawberry.field(description="The e-mail to invite.", metadata=USER_EMAIL)
    role: Role = strawberry.field(
        default=RoleEnum.AGENT, description="The role it grants (at most your own)."
    )


@strawberry.type(
    description="The pending invitation (the same whether the address has an account or not)."
)
class InviteMemberPayload:
    invitation: Invitation = strawberry.field(description="The invitation made.")
    sign_up_code: str = strawberry.field(
        description="Shown once: pass it to the invitee. A person without an account creates "
        "one with signUp and this code; one with an account signs in and accepts."
    )


InviteMemberResult = Annotated[
    InviteMemberPayload | ValidationError | ConflictError,
    strawberry.union("InviteMemberResult", description="The invitation, or why not."),
]


@strawberry.input(description="Accept an invitation to your e-mail.")
class AcceptInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation to accept.")


@strawberry.type(description="You are now a member of the inviting workspace.")
class AcceptInvitationPayload:
    workspace: WorkspaceMembership = strawberry.field(
        description="The workspace joined and your role there (switch with switchWorkspace)."
    )


AcceptInvitationResult = Annotated[
    AcceptInvitationPayload | ValidationError | NotFoundError | ConflictError,
    strawberry.union("AcceptInvitationResult", description="The membership, or why not."),
]


@strawberry.input(description="Turn down an invitation to your e-mail.")
class DeclineInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation to decline.")


@strawberry.type(description="The invitation, now declined.")
class DeclineInvitationPayload:
    invitation: Invitation = strawberry.field(description="The invitation.")


DeclineInvitationResult = Annotated[
    DeclineInvitationPayload | ValidationError | NotFoundError,
    strawberry.union("DeclineInvitationResult", description="Declined, or why not."),
]


@strawberry.input(description="Withdraw a pending invitation of the workspace.")
class RevokeInvitationInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation to withdraw.")


@strawberry.type(description="The invitation, now withdrawn.")
class RevokeInvitationPayload:
    invitation: Invitation = strawberry.field(description="The invitation.")


RevokeInvitationResult = Annotated[
    RevokeInvitationPayload | ValidationError | NotFoundError,
    strawberry.union("RevokeInvitationResult", description="Withdrawn, or why not."),
]


@strawberry.input(description="Create your account with the code of an invitation.")
class SignUpInput:
    code: str = strawberry.field(
        description="The invitation's sign-up code.", metadata=SIGN_UP_CODE
    )
    email: str = strawberry.field(
        description="The e-mail the invitation was made for.", metadata=USER_EMAIL
    )
    name: str = strawberry.field(
        description="Your full name.", metadata=column(models.User, "name")
    )
    password: str = strawberry.field(
        description="Your password (8 characters or more).", metadata=PASSWORD
    )


@strawberry.type(description="Your new account, a member of the inviting workspace, signed in.")
class SignUpPayload(LoginPayload):
    pass


SignUpResult = Annotated[
    SignUpPayload | ValidationError | NotFoundError | ConflictError,
    strawberry.union("SignUpResult", description="A session for the new account, or why not."),
]


@strawberry.input(description="Continue in another of your workspaces.")
class SwitchWorkspaceInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace to switch to.")


@strawberry.type(description="A session in the other workspace; the previous token has ended.")
class SwitchWorkspacePayload(LoginPayload):
    pass


SwitchWorkspaceResult = Annotated[
    SwitchWorkspacePayload | ValidationError | NotFoundError,
    strawberry.union(
        "SwitchWorkspaceResult",
        description="A session in that workspace (the current one ends), or why not.",
    ),
]
