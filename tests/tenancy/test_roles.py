"""Authentication and roles: who may call what, and how refusals look (top-level errors)."""

from datetime import UTC, datetime, timedelta

import pytest
from strawberry.types.base import get_object_definition

import models
from api.core.ids import encode_id
from api.core.permissions import RolePermission
from api.schema import Mutation
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient, error_codes

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { __typename }
}
"""

REVOKE_API_KEY = """
mutation RevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) { __typename }
}
"""

INVITE_MEMBER = """
mutation InviteMember($input: InviteMemberInput!) {
  inviteMember(input: $input) { __typename }
}
"""

REVOKE_INVITATION = """
mutation RevokeInvitation($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { __typename }
}
"""

CREATE_CONTACT = """
mutation CreateContact($input: CreateContactInput!) {
  createContact(input: $input) { __typename }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { __typename ... on LoginPayload { token } }
}
"""

VIEWER = """
query Viewer {
  viewer { role }
}
"""

MEMBERS = """
query Members {
  members { role }
}
"""

# Open to callers without credentials, or to any member: they act on the caller's own
# account (a session ends or moves itself, a user accepts what was addressed to them).
OPEN_MUTATIONS = {
    "login": None,
    "sign_up": None,
    "logout": Role.VIEWER,
    "switch_workspace": Role.VIEWER,
    "accept_invitation": Role.VIEWER,
    "decline_invitation": Role.VIEWER,
}


async def admin_only_mutations(tenant: Tenant) -> list[tuple[str, dict[str, object]]]:
    viewer_key = await models.ApiKey.get(workspace_id=tenant.id, role=Role.VIEWER)
    invitation = await models.Invitation.create(
        workspace_id=tenant.id,
        email="invited@acme.test",
        role=Role.VIEWER,
        code_hash="0" * 64,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return [
        (CREATE_API_KEY, {"input": {"name": "sneaky", "role": "VIEWER"}}),
        (REVOKE_API_KEY, {"input": {"apiKeyId": encode_id("ApiKey", viewer_key.id)}}),
        (
            INVITE_MEMBER,
            {"input": {"email": "sneaky@acme.test", "role": "VIEWER"}},
        ),
        (
            REVOKE_INVITATION,
            {"input": {"invitationId": encode_id("Invitation", invitation.id)}},
        ),
    ]


async def written() -> tuple[int, int, int, int, int]:
    return (
        await models.ApiKey.all().count(),
        await models.ApiKey.filter(revoked_at__isnull=False).count(),
        await models.User.all().count(),
        await models.Membership.all().count(),
        await models.Invitation.filter(revoked_at__isnull=False).count(),
    )


def test_every_mutation_but_the_callers_own_account_ones_needs_an_agent_or_more() -> None:
    # given the schema's mutation fields
    definition = get_object_definition(Mutation, strict=True)

    # when their permission classes are read
    minimum_roles = {}
    for field in definition.fields:
        roles = [p.minimum_role for p in field.permission_classes if issubclass(p, RolePermission)]
        minimum_roles[field.python_name] = max(roles, key=lambda r: r.rank) if roles else None

    # then a VIEWER may call none of them, except ending its own session
    assert {name: minimum_roles[name] for name in OPEN_MUTATIONS} == OPEN_MUTATIONS
    writers = {n: r for n, r in minimum_roles.items() if n not in OPEN_MUTATIONS}
    assert writers
    assert all(role is not None and role.rank > Role.VIEWER.rank for role in writers.values())
    assert minimum_roles["create_api_key"] == Role.ADMIN
    assert minimum_roles["revoke_api_key"] == Role.ADMIN
    assert minimum_roles["invite_member"] == Role.ADMIN


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
async def test_agents_and_viewers_cannot_manage_keys_or_members(
    client: GraphQLClient, tenant: Tenant, role: Role
) -> None:
    # given an AGENT or VIEWER key
    caller = client.as_(tenant.keys[role])
    before = await written()

    for document, variables in await admin_only_mutations(tenant):
        # when it creates a key, revokes one or invites a member
        body = await caller.execute(document, variables)

        # then it is refused at the top level as FORBIDDEN
        assert error_codes(body) == ["FORBIDDEN"], document
        assert body["data"] is None
    # and nothing was written
    assert await written() == before


async def test_a_signed_in_agent_cannot_manage_keys_or_members(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an AGENT signed in with a session
    login = await client.data(
        LOGIN, {"input": {"email": tenant.users[Role.AGENT].email, "password": PASSWORD}}
    )
    agent = client.as_(login["login"]["token"])
    before = await written()

    for document, variables in await admin_only_mutations(tenant):
        # when they create a key, revoke one or invite a member
        body = await agent.execute(document, variables)

        # then they are refused at the top level as FORBIDDEN
        assert error_codes(body) == ["FORBIDDEN"], document
    # and nothing was written
    assert await written() == before


async def test_a_viewer_cannot_write_to_the_inbox(client: GraphQLClient, tenant: Tenant) -> None:
    # given a VIEWER key, and an AGENT key that may write
    viewer = client.as_(tenant.keys[Role.VIEWER])
    agent = client.as_(tenant.keys[Role.AGENT])
    variables = {"input": {"name": "Siti Rahayu"}}

    # when both create a contact
    refused = await viewer.execute(CREATE_CONTACT, variables)
    allowed = await agent.data(CREATE_CONTACT, variables)

    # then the VIEWER is FORBIDDEN and only the AGENT's contact exists
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["data"] is None
    assert allowed["createContact"]["__typename"] == "CreateContactPayload"
    assert await models.Contact.filter(workspace_id=tenant.id).count() == 1


async def test_a_viewer_can_read(client: GraphQLClient, tenant: Tenant) -> None:
    # given a VIEWER key
    viewer = client.as_(tenant.keys[Role.VIEWER])

    # when it reads who it is and the members
    result = await viewer.data(VIEWER)
    members = await viewer.data(MEMBERS)

    # then it may
    assert result["viewer"] == {"role": "VIEWER"}
    assert len(members["members"]) == 4


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Bearer prly_00000000_not-a-real-key",
        "Bearer prls_not-a-real-session",
        "Bearer something-else",
        "Token {agent}",
        "Basic {agent}",
    ],
    ids=["none", "empty", "unknown-key", "unknown-session", "unknown-kind", "token", "basic"],
)
async def test_missing_or_bad_credentials_are_unauthenticated(
    client: GraphQLClient, tenant: Tenant, authorization: str | None
) -> None:
    # given a request without a usable `Authorization: Bearer` (even carrying a real key)
    headers = {}
    if authorization is not None:
        headers["authorization"] = authorization.format(agent=tenant.keys[Role.AGENT])

    # when it reads and when it writes
    read = await client.http.post("/graphql", json={"query": VIEWER}, headers=headers)
    write = await client.http.post(
        "/graphql",
        json={"query": CREATE_CONTACT, "variables": {"input": {"name": "Siti"}}},
        headers=headers,
    )

    # then both are refused as UNAUTHENTICATED, and nothing is written
    assert read.status_code == write.status_code == 200
    assert error_codes(read.json()) == ["UNAUTHENTICATED"]
    assert error_codes(write.json()) == ["UNAUTHENTICATED"]
    assert await models.Contact.all().count() == 0


async def test_login_needs_no_credentials(client: GraphQLClient, tenant: Tenant) -> None:
    # given no credentials at all
    anonymous = client.as_(None)

    # when logging in
    result = await anonymous.data(
        LOGIN, {"input": {"email": tenant.users[Role.VIEWER].email, "password": PASSWORD}}
    )

    # then a session is issued
    assert result["login"]["__typename"] == "LoginPayload"


async def test_a_sessions_role_follows_the_membership(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a signed-in ADMIN
    admin_user = tenant.users[Role.ADMIN]
    login = await client.data(LOGIN, {"input": {"email": admin_user.email, "password": PASSWORD}})
    session = client.as_(login["login"]["token"])

    # when they are demoted to AGENT while signed in
    await models.Membership.filter(workspace_id=tenant.id, user_id=admin_user.id).update(
        role=Role.AGENT
    )

    # then the same token now has only AGENT's rights
    assert (await session.data(VIEWER))["viewer"] == {"role": "AGENT"}
    body = await session.execute(CREATE_API_KEY, {"input": {"name": "late", "role": "VIEWER"}})
    assert error_codes(body) == ["FORBIDDEN"]
