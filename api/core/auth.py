"""Credentials: password hashing, API keys, session tokens, and resolving a bearer token
to the viewer it stands for.

API keys and session tokens are 256-bit random strings; only an HMAC-SHA256 of them
(keyed by PARLEY_SECRET_KEY) is stored, so a database dump does not yield credentials.
The key is the app's (`Keyring`, in its state), bound for each request it serves and for
each CLI command (`hashing_with`). Passwords use argon2id.
"""

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import models
from api.settings import Settings
from models.enums import Role

API_KEY_PREFIX = "prly_"
SESSION_PREFIX = "prls_"
INVITATION_PREFIX = "prli_"
# How stale `api_key.last_used_at` may get before a request refreshes it (one write a minute,
# not one a request).
LAST_USED_RESOLUTION = timedelta(minutes=1)

_password_hasher = PasswordHasher()


@dataclass(frozen=True, repr=False)  # no repr: the secret stays out of logs and tracebacks
class Keyring:
    """The secret that token hashes are keyed with."""

    secret: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> "Keyring":
        return cls(settings.secret_key.get_secret_value().encode())

    def token_hash(self, token: str) -> str:
        return hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()


# The keyring of the app (or command) the current request runs in. A context variable, not
# a global: two apps in one process (tests, a future admin app) each hash with their own.
_keyring: ContextVar[Keyring] = ContextVar("parley_keyring")


@contextmanager
def hashing_with(keyring: Keyring) -> Iterator[None]:
    """Token hashes made inside (and in tasks started inside) use `keyring`."""
    token = _keyring.set(keyring)
    try:
        yield
    finally:
        _keyring.reset(token)


@dataclass(frozen=True)
class Viewer:
    """Who is calling: a user (through a session) or an API key, in one workspace."""

    workspace_id: UUID
    role: Role
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    session_id: UUID | None = None

    def can(self, role: Role) -> bool:
        return self.role.at_least(role)


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """argon2 takes ~0.1–0.2 s of CPU on purpose: off the event loop, so other requests
    keep flowing while someone logs in."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


def token_hash(token: str) -> str:
    """The stored form of a credential, keyed by the current app's (or command's) secret."""
    try:
        keyring = _keyring.get()
    except LookupError:
        # a hash with some default key would quietly lock everyone out: refuse instead
        raise RuntimeError("token_hash outside an app or command: no keyring bound") from None
    return keyring.token_hash(token)


def new_api_key() -> tuple[str, str]:
    """A fresh API key and its visible prefix (`prly_` and 8 characters)."""
    visible = API_KEY_PREFIX + secrets.token_hex(4)
    return f"{visible}_{secrets.token_urlsafe(32)}", visible


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def new_invitation_code() -> str:
    return INVITATION_PREFIX + secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` value, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(token: str | None) -> Viewer | None:
    """The viewer a bearer token stands for; None for a missing, unknown, revoked or
    expired credential."""
    if not token:
        return None
    if token.startswith(API_KEY_PREFIX):
        return await _viewer_for_api_key(token)
    if token.startswith(SESSION_PREFIX):
        return await _viewer_for_session(token)
    return None


async def _viewer_for_api_key(token: str) -> Viewer | None:
    key = await models.ApiKey.get_or_none(key_hash=token_hash(token), revoked_at=None)
    if key is None:
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await models.ApiKey.filter(id=key.id).update(last_used_at=now)
    return Viewer(workspace_id=key.workspace_id, role=key.role, api_key_id=key.id)


async def _viewer_for_session(token: str) -> Viewer | None:
    session = await models.UserSession.get_or_none(
        token_hash=token_hash(token), revoked_at=None, expires_at__gt=datetime.now(UTC)
    )
    if session is None:
        return None
    membership = await models.Membership.get_or_none(
        workspace_id=session.workspace_id, user_id=session.user_id
    )
    if membership is None:  # removed from the workspace since logging in
        return None
    return Viewer(
        workspace_id=session.workspace_id,
        role=membership.role,
        user_id=session.user_id,
        session_id=session.id,
    )
