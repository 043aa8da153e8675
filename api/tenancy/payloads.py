"""GraphQL inputs and results of the tenancy mutations."""

from datetime import datetime
from typing import Annotated

import strawberry

import models
from api.core.error_types import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from api.core.validation import MAX_PASSWORD_LENGTH, column, limit
from api.tenancy.types import ApiKey, Invitation, Role, User, Workspace, WorkspaceMembership

USER_EMAIL = column(models.User, "email")
PASSWORD = limit(MAX_PASSWORD_LENGTH)
"""Passwords are hashed with argon2: bounded, so that no one makes the server hash a novel."""
SIGN_UP_CODE = limit(100)  # `prli_` and 43 characters; anything longer is not a code


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
        default=Role.AGENT, description="What the key may do (at most your own role)."
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
        default=Role.AGENT, description="The role it grants (at most your own)."
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
