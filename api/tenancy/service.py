"""Workspaces, users, memberships, API keys and sessions."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from api.core import auth
from api.core.auth import Viewer
from api.core.errors import BadInput, Conflict, InvalidCredentials, NotFound
from api.core.ratelimit import LoginThrottle
from models.enums import Role

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key: `secret` is shown once and never stored."""

    api_key: models.ApiKey
    secret: str


@dataclass(frozen=True)
class IssuedSession:
    session: models.UserSession
    token: str


def normalize_email(email: str, *, field: str = "email") -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        raise BadInput(f"{email!r} is not an e-mail address.", field=field)
    return email


def required_text(value: str, *, field: str, max_length: int = 200) -> str:
    value = value.strip()
    if not value:
        raise BadInput(f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise BadInput(f"{field} is longer than {max_length} characters.", field=field)
    return value


async def create_workspace(*, name: str) -> models.Workspace:
    return await models.Workspace.create(name=required_text(name, field="name"))


async def create_user(*, email: str, name: str, password: str) -> models.User:
    """A new user (not yet a member of any workspace)."""
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    name = required_text(name, field="name")
    if await models.User.exists(email=email):
        raise Conflict(f"A user with e-mail {email} exists already.", field="email")
    try:
        return await models.User.create(
            email=email, name=name, password_hash=await auth.hash_password_async(password)
        )
    except IntegrityError:
        raise Conflict(f"A user with e-mail {email} exists already.", field="email") from None


def _check_grantable(actor: Viewer, role: Role) -> None:
    """Nobody hands out a role stronger than their own."""
    if not actor.role.at_least(role):
        raise BadInput(f"You cannot grant {role.value}: it is above your own role.", field="role")


async def add_member(
    *, workspace_id: UUID, actor: Viewer | None, user_id: UUID, role: Role
) -> models.Membership:
    """Make a user a member (`actor` None: the CLI/seed, which may grant anything)."""
    if actor is not None:
        _check_grantable(actor, role)
    if await models.Membership.exists(workspace_id=workspace_id, user_id=user_id):
        raise Conflict("That user is a member already.", field="email")
    return await models.Membership.create(workspace_id=workspace_id, user_id=user_id, role=role)


async def invite_member(
    *, workspace_id: UUID, actor: Viewer, email: str, name: str, password: str, role: Role
) -> models.Membership:
    """Add a member by e-mail: an existing user joins; otherwise the user is created with
    the given initial password. One transaction: a refused invite creates no user."""
    email = normalize_email(email)
    _check_grantable(actor, role)
    async with in_transaction():
        user = await models.User.get_or_none(email=email)
        if user is None:
            user = await create_user(email=email, name=name, password=password)
        return await add_member(workspace_id=workspace_id, actor=actor, user_id=user.id, role=role)


async def members(*, workspace_id: UUID) -> list[models.Membership]:
    return await models.Membership.filter(workspace_id=workspace_id).order_by("created_at", "id")


async def membership_of(*, workspace_id: UUID, user_id: UUID) -> models.Membership | None:
    return await models.Membership.get_or_none(workspace_id=workspace_id, user_id=user_id)


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
    email = email.strip().lower()
    if throttle is not None:
        await throttle.attempt(account=email, address=client_address)
    user = await models.User.get_or_none(email=email)
    # An unknown e-mail costs an argon2 check too: answering it faster would tell which it was.
    password_hash = user.password_hash if user else _no_user_password_hash()
    if not await auth.verify_password_async(password_hash, password) or user is None:
        raise InvalidCredentials("Wrong e-mail or password.", field="password")
    if throttle is not None:
        await throttle.succeeded(account=email)
    memberships = await models.Membership.filter(user_id=user.id)
    if workspace_id is not None:
        memberships = [m for m in memberships if m.workspace_id == workspace_id]
        if not memberships:
            raise NotFound("You are not a member of that workspace.", field="workspaceId")
    if not memberships:
        raise NotFound("You are not a member of any workspace.", field="email")
    if len(memberships) > 1:
        raise BadInput("You belong to several workspaces: pass workspaceId.", field="workspaceId")
    token = auth.new_session_token()
    session = await models.UserSession.create(
        workspace_id=memberships[0].workspace_id,
        user_id=user.id,
        token_hash=auth.token_hash(token),
        expires_at=datetime.now(UTC) + ttl,
    )
    return IssuedSession(session=session, token=token)


@cache
def _no_user_password_hash() -> str:
    return auth.hash_password("parley: no such user")


async def logout(*, viewer: Viewer) -> None:
    """Revoke the caller's own session (API keys are revoked with revokeApiKey)."""
    if viewer.session_id is None:
        raise BadInput("Only a session can log out; revoke an API key instead.")
    await models.UserSession.filter(id=viewer.session_id).update(revoked_at=datetime.now(UTC))
