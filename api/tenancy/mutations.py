"""Tenancy mutations: sign in and out, API keys, members."""

from typing import TypeVar

import strawberry

from api.core.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.permissions import Anyone, CanAdmin, CanRead
from api.tenancy import service
from api.tenancy.payloads import (
    AcceptInvitationInput,
    AcceptInvitationPayload,
    AcceptInvitationResult,
    CreateApiKeyInput,
    CreateApiKeyPayload,
    CreateApiKeyResult,
    DeclineInvitationInput,
    DeclineInvitationPayload,
    DeclineInvitationResult,
    InviteMemberInput,
    InviteMemberPayload,
    InviteMemberResult,
    LoginInput,
    LoginPayload,
    LoginResult,
    LogoutPayload,
    LogoutResult,
    RevokeApiKeyInput,
    RevokeApiKeyPayload,
    RevokeApiKeyResult,
    RevokeInvitationInput,
    RevokeInvitationPayload,
    RevokeInvitationResult,
    SignUpInput,
    SignUpPayload,
    SignUpResult,
    SwitchWorkspaceInput,
    SwitchWorkspacePayload,
    SwitchWorkspaceResult,
)
from api.tenancy.queries import invitation_ttl, session_ttl
from api.tenancy.types import ApiKey, Invitation, User, Workspace, WorkspaceMembership


def client_address(info: Info) -> str:
    """The TCP peer's address (behind a reverse proxy: the proxy's; X-Forwarded-For is a
    header anyone can write, so it is not trusted)."""
    client = info.context.request.client
    return client.host if client else ""


P = TypeVar("P", bound=LoginPayload)


def session_payload(payload_type: type[P], issued: service.IssuedSession) -> P:
    """A new session's token, its user and workspace, and every workspace of the user."""
    return payload_type(
        token=issued.token,
        expires_at=issued.session.expires_at,
        user=User.from_model(issued.user),
        workspace=Workspace.from_model(issued.membership.workspace),
        workspaces=[WorkspaceMembership.from_model(m) for m in issued.memberships],
    )


@strawberry.type
class TenancyMutations:
    @strawberry.mutation(
        permission_classes=[Anyone],
        description="Sign in: returns a session token. Without workspaceId the session starts "
        "in the workspace the user last signed in to (else their first); the payload lists "
        "all of theirs.",
    )
    async def login(self, info: Info, input: LoginInput) -> LoginResult:
        issued = await service.login(
            email=input.email,
            password=input.password,
            workspace_id=decode_optional_id(input.workspace_id, "Workspace", field="workspaceId"),
            ttl=session_ttl(info),
            throttle=info.context.request.app.state.login_throttle,
            client_address=client_address(info),
        )
        return session_payload(LoginPayload, issued)

    @strawberry.mutation(
        permission_classes=[CanRead],
        description="Continue in another of your workspaces: a new session there; the "
        "current token ends.",
    )
    async def switch_workspace(
        self, info: Info, input: SwitchWorkspaceInput
    ) -> SwitchWorkspaceResult:
        issued = await service.switch_workspace(
            viewer=info.context.signed_in_viewer,
            workspace_id=decode_id(input.workspace_id, "Workspace", field="workspaceId"),
            ttl=session_ttl(info),
        )
        return session_payload(SwitchWorkspacePayload, issued)

    @strawberry.mutation(permission_classes=[CanRead], description="End the caller's session.")
    async def logout(self, info: Info) -> LogoutResult:
        await service.logout(viewer=info.context.signed_in_viewer)
        return LogoutPayload(ok=True)

    @strawberry.mutation(permission_classes=[CanAdmin], description="Create an API key (ADMIN).")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyResult:
        issued = await service.create_api_key(
            workspace_id=info.context.workspace_id,
            actor=info.context.signed_in_viewer,
            name=input.name,
            role=input.role,
        )
        return CreateApiKeyPayload(api_key=ApiKey.from_model(issued.api_key), secret=issued.secret)

    @strawberry.mutation(permission_classes=[CanAdmin], description="Revoke an API key (ADMIN).")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyResult:
        api_key = await service.revoke_api_key(
            workspace_id=info.context.workspace_id,
            actor=info.context.signed_in_viewer,
            api_key_id=decode_id(input.api_key_id, "ApiKey", field="apiKeyId"),
        )
        return RevokeApiKeyPayload(api_key=ApiKey.from_model(api_key))

    @strawberry.mutation(
        permission_classes=[CanAdmin],
        description="Invite an e-mail address (ADMIN): a pending invitation, the same answer "
        "whether the address has an account or not. Nobody joins until they accept.",
    )
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberResult:
        issued = await service.invite_member(
            workspace_id=info.context.workspace_id,
            actor=info.context.signed_in_viewer,
            email=input.email,
            role=input.role,
            ttl=invitation_ttl(info),
        )
        return InviteMemberPayload(
            invitation=Invitation.from_model(issued.invitation), sign_up_code=issued.code
        )

    @strawberry.mutation(
        permission_classes=[CanRead],
        description="Accept an invitation to your e-mail: you join its workspace with its role.",
    )
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationResult:
        membership = await service.accept_invitation(
            viewer=info.context.signed_in_viewer,
            invitation_id=decode_id(input.invitation_id, "Invitation", field="invitationId"),
        )
        return AcceptInvitationPayload(workspace=WorkspaceMembership.from_model(membership))

    @strawberry.mutation(
        permission_classes=[CanRead], description="Turn down an invitation to your e-mail."
    )
    async def decline_invitation(
        self, info: Info, input: DeclineInvitationInput
    ) -> DeclineInvitationResult:
        invitation = await service.decline_invitation(
            viewer=info.context.signed_in_viewer,
            invitation_id=decode_id(input.invitation_id, "Invitation", field="invitationId"),
        )
        return DeclineInvitationPayload(invitation=Invitation.from_model(invitation))

    @strawberry.mutation(
        permission_classes=[CanAdmin],
        description="Withdraw a pending invitation of the workspace (ADMIN).",
    )
    async def revoke_invitation(
        self, info: Info, input: RevokeInvitationInput
    ) -> RevokeInvitationResult:
        invitation = await service.revoke_invitation(
            workspace_id=info.context.workspace_id,
            invitation_id=decode_id(input.invitation_id, "Invitation", field="invitationId"),
        )
        return RevokeInvitationPayload(invitation=Invitation.from_model(invitation))

    @strawberry.mutation(
        permission_classes=[Anyone],
        description="Create your account with an invitation's code; you are signed in to "
        "its workspace. An e-mail with an account signs in and accepts instead.",
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpResult:
        issued = await service.sign_up(
            code=input.code,
            email=input.email,
            name=input.name,
            password=input.password,
            ttl=session_ttl(info),
        )
        return session_payload(SignUpPayload, issued)
