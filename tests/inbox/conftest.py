"""Inbox tests sign in with API keys only: the tenants' passwords are hashed with cheap
argon2 parameters so that making a tenant costs milliseconds, not most of a second."""

import pytest
from argon2 import PasswordHasher

from api.core import auth


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        auth, "_password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
