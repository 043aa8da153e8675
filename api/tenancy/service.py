"""Workspaces, users, memberships, API keys and sessions."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from api.core import auth
from api.core.auth import Viewer
from api.core.errors import BadInput, Conflict, InvalidCredentials, NotFound
from api.core.ratelimit import LoginThrottle
from api.core.validation import normalize_email, required_text
from models.enums import Role

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key: `secret` is shown once and never stored."""

    api_key: models.ApiKey
    secret: str


@dataclass(frozen=True)
class NewSession:
    """A session just created: `token` is shown once and never stored."""

    session: models.UserSession
    token: str


@dataclass(frozen=True)
class IssuedSession(NewSession):
    """A signed-in answer: the new session, its user, and every workspace of theirs
    (memberships with their workspaces, oldest first), the session's own among them."""

    user: models.User
    memberships: list[models.Membership]

    @property
    def membership(self) -> models.Membership:
        """The membership in the session's workspace."""
        workspace_id = self.session.workspace_id
        return next(m for m in self.memberships if m.workspace_id == workspace_id)


async def create_workspace(*, name: str) -> models.Workspace:
    return await models.Workspace.create(name=required_text(name, field="name"))


@dataclass(frozen=True)
class NewUser:
    """A user's validated fields, the password already hashed (slow: before a transaction)."""

    email: str
    name: str
    password_hash: str


async def new_user(*, email: str, name: str, password: str) -> NewUser:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    name = required_text(name, field="name")
    return NewUser(email, name, await auth.hash_password_async(password))


async def create_user(*, email: str, name: str, password: str) -> models.User:
    """A new user (not yet a member of any workspace)."""
    return await _insert_user(await new_user(email=email, name=name, password=password))


async def _insert_user(user: NewUser) -> models.User:
    conflict = Conflict(f"A user with e-mail {user.email} exists already.", field="email")
    if await models.User.exists(email=user.email):
        raise conflict
    try:
        return await models.User.create(
            email=user.email, name=user.name, password_hash=user.password_hash
        )
    except IntegrityError:
        raise conflict from None


def _check_grantable(actor: Viewer, role: Role) -> None:
    """Nobody hands out a role stronger than their own."""
    if not actor.role.at_least(role):
        raise BadInput(f"You cannot grant {role.value}: it is above your own role.", field="role")


async def add_member(*, workspace_id: UUID, user_id: UUID, role: Role) -> models.Membership:
    """Make a user a member with any role: for the CLI and seeds. Through the API nobody is
    added without consent: people join by accepting an invitation."""
    if await models.Membership.exists(workspace_id=workspace_id, user_id=user_id):
        raise Conflict("That user is a member already.", field="email")
    return await models.Membership.create(workspace_id=workspace_id, user_id=user_id, role=role)


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation: `code` (for signing up a new account) is shown once, never stored."""

    invitation: models.Invitation
    code: str


async def invite_member(
    *, workspace_id: UUID, actor: Viewer, email: str, role: Role, ttl: timedelta
) -> IssuedInvitation:
    """Invite an e-mail address: a pending invitation, whoever the address belongs to.

    Nobody becomes a member without consent: the person accepts while signed in
    (`accept_invitation`), or creates their account with the code (`sign_up`). The work
    and the answer are the same whether an account with that e-mail exists or not (no
    user is looked up), so the inviter learns nothing about other workspaces' users.
    Inviting the address again replaces its pending invitation (a fresh code)."""
    email = normalize_email(email)
    _check_grantable(actor, role)
    if await models.Membership.exists(workspace_id=workspace_id, user__email=email):
        raise Conflict("That user is a member already.", field="email")
    code = auth.new_invitation_code()
    async with in_transaction():
        await _pending(models.Invitation.filter(workspace_id=workspace_id, email=email)).update(
            revoked_at=datetime.now(UTC)
        )
        invitation = await models.Invitation.create(
            workspace_id=workspace_id,
            email=email,
            role=role,
            invited_by_id=actor.user_id,
            code_hash=auth.token_hash(code),
            expires_at=datetime.now(UTC) + ttl,
        )
    await invitation.fetch_related("workspace")
    return IssuedInvitation(invitation=invitation, code=code)


def _pending(query: QuerySet[models.Invitation]) -> QuerySet[models.Invitation]:
    """Invitations not accepted, revoked or expired."""
    return query.filter(accepted_at=None, revoked_at=None, expires_at__gt=datetime.now(UTC))


async def invitations(*, workspace_id: UUID) -> list[models.Invitation]:
    """The workspace's pending invitations, oldest first."""
    return (
        await _pending(models.Invitation.filter(workspace_id=workspace_id))
        .prefetch_related("workspace")
        .order_by("created_at", "id")
    )


async def invitations_for(*, user_id: UUID) -> list[models.Invitation]:
    """The pending invitations addressed to a user's e-mail, from any workspace."""
    user = await models.User.get(id=user_id)
    return (
        await _pending(models.Invitation.filter(email=user.email))
        .prefetch_related("workspace")
        .order_by("created_at", "id")
    )


async def accept_invitation(*, viewer: Viewer, invitation_id: UUID) -> models.Membership:
    """The signed-in user joins the workspace that invited their e-mail, with its role (the
    membership comes with its workspace)."""
    if viewer.user_id is None:
        raise BadInput("Only a signed-in user can accept an invitation.", field="invitationId")
    user = await models.User.get(id=viewer.user_id)
    async with in_transaction():
        # the conditional update claims the invitation: of two parallel accepts one wins
        claimed = await _pending(
            models.Invitation.filter(id=invitation_id, email=user.email)
        ).update(accepted_at=datetime.now(UTC))
        if not claimed:
            raise NotFound("No such pending invitation for you.", field="invitationId")
        invitation = await models.Invitation.get(id=invitation_id)
        membership = await _join(invitation, user_id=user.id)
    await membership.fetch_related("workspace")
    return membership


async def decline_invitation(*, viewer: Viewer, invitation_id: UUID) -> models.Invitation:
    """The signed-in user turns down an invitation to their e-mail."""
    if viewer.user_id is None:
        raise BadInput("Only a signed-in user can decline an invitation.", field="invitationId")
    user = await models.User.get(id=viewer.user_id)
    return await _end_invitation(models.Invitation.filter(id=invitation_id, email=user.email))


async def revoke_invitation(*, workspace_id: UUID, invitation_id: UUID) -> models.Invitation:
    """Withdraw one of the workspace's pending invitations (its code stops working too)."""
    return await _end_invitation(
        models.Invitation.filter(id=invitation_id, workspace_id=workspace_id)
    )


async def _end_invitation(query: QuerySet[models.Invitation]) -> models.Invitation:
    if not await _pending(query).update(revoked_at=datetime.now(UTC)):
        raise NotFound("No such pending invitation.", field="invitationId")
    invitation = await query.prefetch_related("workspace").get()
    return invitation


async def _join(invitation: models.Invitation, *, user_id: UUID) -> models.Membership:
    if await models.Membership.exists(workspace_id=invitation.workspace_id, user_id=user_id):
        raise Conflict("You are a member of that workspace already.", field="invitationId")
    return await models.Membership.create(
        workspace_id=invitation.workspace_id, user_id=user_id, role=invitation.role
    )


async def sign_up(
    *, code: str, email: str, name: str, password: str, ttl: timedelta
) -> IssuedSession:
    """Create the account an invitation's code was made for, accept the invitation and
    start a session in its workspace. An address that has an account already is refused
    (its owner signs in and accepts): whoever holds a code can learn that, and only for the
    one address the code was made for."""
    fields = await new_user(email=email, name=name, password=password)
    async with in_transaction():
        claimed = await _pending(
            models.Invitation.filter(code_hash=auth.token_hash(code), email=fields.email)
        ).update(accepted_at=datetime.now(UTC))
        if not claimed:
            raise NotFound("No pending invitation with that code and e-mail.", field="code")
        invitation = await models.Invitation.get(code_hash=auth.token_hash(code))
        if await models.User.exists(email=fields.email):
            raise Conflict(
                "That e-mail has an account: sign in and accept the invitation.", field="email"
            )
        user = await _insert_user(fields)
        membership = await _join(invitation, user_id=user.id)
        new = await _start_session(user_id=user.id, workspace_id=membership.workspace_id, ttl=ttl)
    return await _issued(new)


async def members(*, workspace_id: UUID) -> list[models.Membership]:
    return await models.Membership.filter(workspace_id=workspace_id).order_by("created_at", "id")


async def create_api_key(
    *, workspace_id: UUID, actor: Viewer | None, name: str, role: Role
) -> IssuedApiKey:
    if actor is not None:
        _check_grantable(actor, role)
    secret, prefix = auth.new_api_key()
    api_key = await models.ApiKey.create(
        workspace_id=workspace_id,
        name=required_text(name, field="name"),
        prefix=prefix,
        key_hash=auth.token_hash(secret),
        role=role,
        created_by_id=actor.user_id if actor else None,
    )
    return IssuedApiKey(api_key=api_key, secret=secret)


async def revoke_api_key(
    *, workspace_id: UUID, actor: Viewer | None, api_key_id: UUID
) -> models.ApiKey:
    """Revoke a key of this workspace; revoking twice is refused as a conflict. Like
    granting, nobody revokes a key stronger than their own role (`actor` None: the CLI)."""
    api_key = await models.ApiKey.get_or_none(id=api_key_id, workspace_id=workspace_id)
    if api_key is None:
        raise NotFound("No such API key.", field="apiKeyId")
    if actor is not None and not actor.role.at_least(api_key.role):
        raise BadInput(
            f"You cannot revoke a {api_key.role.value} key: it is above your own role.",
            field="apiKeyId",
        )
    updated = await models.ApiKey.filter(id=api_key_id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    if not updated:
        raise Conflict("That API key is revoked already.", field="apiKeyId")
    await api_key.refresh_from_db()
    return api_key


async def api_keys(*, workspace_id: UUID) -> list[models.ApiKey]:
    return await models.ApiKey.filter(workspace_id=workspace_id).order_by("created_at", "id")


async def login(
    *,
    email: str,
    password: str,
    workspace_id: UUID | None,
    ttl: timedelta,
    throttle: LoginThrottle | None = None,
    client_address: str = "",
) -> IssuedSession:
    """A session token for a member. Wrong e-mail and wrong password fail alike. With a
    `throttle`, an attempt over its limits is refused before any password check."""
    email = _login_email(email)
    if throttle is not None:
        await throttle.attempt(account=email, address=client_address)
    user = await models.User.get_or_none(email=email)
    # An unknown e-mail costs an argon2 check too: answering it faster would tell which it was.
    password_hash = user.password_hash if user else _no_user_password_hash()
    if not await auth.verify_password_async(password_hash, password) or user is None:
        raise InvalidCredentials("Wrong e-mail or password.", field="password")
    if throttle is not None:
        await throttle.succeeded(account=email)
    if workspace_id is None:
        workspace_id = await _default_workspace(user.id)
    elif not await models.Membership.exists(workspace_id=workspace_id, user_id=user.id):
        raise NotFound("You are not a member of that workspace.", field="workspaceId")
    return await _issued(await _start_session(user_id=user.id, workspace_id=workspace_id, ttl=ttl))


def _login_email(email: str) -> str:
    """The account key of a sign-in's e-mail; text that is no address belongs to nobody,
    so it fails later like a wrong password (not sooner, which would tell it apart)."""
    try:
        return normalize_email(email)
    except BadInput:
        return email.strip().lower()


async def _default_workspace(user_id: UUID) -> UUID:
    """Where a sign-in without workspaceId starts: the workspace of the user's latest
    session that they are still a member of, else their oldest membership."""
    memberships = await workspaces_of(user_id=user_id)
    if not memberships:
        raise NotFound("You are not a member of any workspace.", field="email")
    latest = (
        await models.UserSession.filter(
            user_id=user_id, workspace_id__in=[m.workspace_id for m in memberships]
        )
        .order_by("-created_at")
        .first()
    )
    return latest.workspace_id if latest else memberships[0].workspace_id


async def workspaces_of(*, user_id: UUID) -> list[models.Membership]:
    """A user's memberships (with their workspaces), oldest first."""
    return (
        await models.Membership.filter(user_id=user_id)
        .prefetch_related("workspace")
        .order_by("created_at", "id")
    )


async def switch_workspace(*, viewer: Viewer, workspace_id: UUID, ttl: timedelta) -> IssuedSession:
    """Move the caller's session to another of their workspaces: a new session there, and
    the current one ends (one token per sign-in, in the workspace the user is working in)."""
    if viewer.session_id is None or viewer.user_id is None:
        raise BadInput("Only a signed-in user can switch workspaces.", field="workspaceId")
    if not await models.Membership.exists(workspace_id=workspace_id, user_id=viewer.user_id):
        raise NotFound("You are not a member of that workspace.", field="workspaceId")
    async with in_transaction():
        new = await _start_session(user_id=viewer.user_id, workspace_id=workspace_id, ttl=ttl)
        await models.UserSession.filter(id=viewer.session_id).update(revoked_at=datetime.now(UTC))
    return await _issued(new)


async def _start_session(*, user_id: UUID, workspace_id: UUID, ttl: timedelta) -> NewSession:
    token = auth.new_session_token()
    session = await models.UserSession.create(
        workspace_id=workspace_id,
        user_id=user_id,
        token_hash=auth.token_hash(token),
        expires_at=datetime.now(UTC) + ttl,
    )
    return NewSession(session=session, token=token)


async def _issued(new: NewSession) -> IssuedSession:
    """What a sign-in answers with, read after the session's transaction committed."""
    user_id = new.session.user_id
    return IssuedSession(
        session=new.session,
        token=new.token,
        user=await models.User.get(id=user_id),
        memberships=await workspaces_of(user_id=user_id),
    )


@cache
def _no_user_password_hash() -> str:
    return auth.hash_password("parley: no such user")


async def logout(*, viewer: Viewer) -> None:
    """Revoke the caller's own session (API keys are revoked with revokeApiKey)."""
    if viewer.session_id is None:
        raise BadInput("Only a session can log out; revoke an API key instead.")
    await models.UserSession.filter(id=viewer.session_id).update(revoked_at=datetime.now(UTC))
