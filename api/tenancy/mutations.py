"""Tenancy mutations: sign in and out, API keys, members."""

import strawberry

import models
from api.core.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.permissions import Anyone, CanAdmin, CanRead
from api.tenancy import service
from api.tenancy.queries import session_ttl
from api.tenancy.types import (
    ApiKey,
    CreateApiKeyInput,
    CreateApiKeyPayload,
    CreateApiKeyResult,
    InviteMemberInput,
    InviteMemberPayload,
    InviteMemberResult,
    LoginInput,
    LoginPayload,
    LoginResult,
    LogoutPayload,
    LogoutResult,
    Member,
    RevokeApiKeyInput,
    RevokeApiKeyPayload,
    RevokeApiKeyResult,
    User,
    Workspace,
)


def client_address(info: Info) -> str:
    """The TCP peer's address (behind a reverse proxy: the proxy's; X-Forwarded-For is a
    header anyone can write, so it is not trusted)."""
    client = info.context.request.client
    return client.host if client else ""


@strawberry.type
class TenancyMutations:
    @strawberry.mutation(
        permission_classes=[Anyone], description="Sign in: returns a session token."
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
        user = await models.User.get(id=issued.session.user_id)
        workspace = await models.Workspace.get(id=issued.session.workspace_id)
        return LoginPayload(
            token=issued.token,
            expires_at=issued.session.expires_at,
            user=User.from_model(user),
            workspace=Workspace.from_model(workspace),
        )

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
        description="Add a member by e-mail, creating the user if new (ADMIN).",
    )
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberResult:
        membership = await service.invite_member(
            workspace_id=info.context.workspace_id,
            actor=info.context.signed_in_viewer,
            email=input.email,
            name=input.name,
            password=input.password,
            role=input.role,
        )
        return InviteMemberPayload(member=Member.from_model(membership))
