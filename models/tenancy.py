"""Users, memberships and credentials of workspaces (the workspace itself: models.base)."""

import uuid

from tortoise import fields

from models.base import TimestampedModel, WorkspaceModel
from models.enums import Role


# A person who can log in; belongs to workspaces through memberships.
class User(TimestampedModel):
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=200)

    class Meta:
        table = "app_user"


# A user's role in one workspace.
class Membership(WorkspaceModel):
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    role = fields.CharEnumField(Role, max_length=16)

    class Meta:
        table = "membership"
        unique_together = (("workspace", "user"),)


# A workspace credential for bots and integrations; only its hash is stored.
class ApiKey(WorkspaceModel):
    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=32, unique=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(Role, max_length=16)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: uuid.UUID | None
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


# A login: a revocable, expiring bearer token for one user in one workspace.
class UserSession(WorkspaceModel):
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_session"


# An offer of membership to an e-mail address, pending until the person accepts it while
# signed in (or signs up with its code); membership needs their consent. Only the hash of
# the one-time sign-up code is stored.
class Invitation(WorkspaceModel):
    email = fields.CharField(max_length=320, db_index=True)
    role = fields.CharEnumField(Role, max_length=16)
    invited_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    invited_by_id: uuid.UUID | None
    code_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
