"""Members: inviting new and existing users, refusals that write nothing, the member list."""

import models
from api.core.ids import encode_id
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient

INVITE_MEMBER = """
mutation InviteMember($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    __typename
    ... on InviteMemberPayload { member { role user { email name } } }
    ... on Error { message code field }
  }
}
"""

MEMBERS = """
query Members {
  members { role joinedAt user { email name } }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token workspace { id } }
    ... on Error { code field }
  }
}
"""

VIEWER = """
query Viewer {
  viewer { role user { email } workspace { id } }
}
"""

NEW_PASSWORD = "initial password 1"


def invitation(email: str, role: str = "AGENT", **changes: str) -> dict[str, object]:
    return {
        "input": {
            "email": email,
            "name": "Nadia New",
            "password": NEW_PASSWORD,
            "role": role,
            **changes,
        }
    }


async def counts() -> tuple[int, int]:
    return await models.User.all().count(), await models.Membership.all().count()


async def test_inviting_a_new_email_creates_a_user_who_can_log_in(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the workspace's ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])

    # when it invites someone new as an AGENT
    result = await admin.data(INVITE_MEMBER, invitation("Nadia@Acme.test"))

    # then the user exists (e-mail lower-cased) and is a member
    assert result["inviteMember"] == {
        "__typename": "InviteMemberPayload",
        "member": {"role": "AGENT", "user": {"email": "nadia@acme.test", "name": "Nadia New"}},
    }
    user = await models.User.get(email="nadia@acme.test")
    assert await models.Membership.get(workspace_id=tenant.id, user_id=user.id)
    # and they can log in with the initial password, as an AGENT of this workspace
    login = await client.data(
        LOGIN, {"input": {"email": "nadia@acme.test", "password": NEW_PASSWORD}}
    )
    assert login["login"]["__typename"] == "LoginPayload"
    viewer = await client.as_(login["login"]["token"]).data(VIEWER)
    assert viewer["viewer"] == {
        "role": "AGENT",
        "user": {"email": "nadia@acme.test"},
        "workspace": {"id": encode_id("Workspace", tenant.id)},
    }


async def test_inviting_an_existing_user_adds_a_membership_only(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a user of Globex, and Acme's OWNER
    globex_user = other_tenant.users[Role.AGENT]
    owner = client.as_(tenant.keys[Role.OWNER])
    users_before, memberships_before = await counts()

    # when Acme invites that e-mail as a VIEWER (with some other password)
    result = await owner.data(INVITE_MEMBER, invitation(globex_user.email, "VIEWER"))

    # then the same user joins: no new user, one new membership, the password unchanged
    assert result["inviteMember"]["__typename"] == "InviteMemberPayload"
    assert result["inviteMember"]["member"]["user"]["email"] == globex_user.email
    assert await counts() == (users_before, memberships_before + 1)
    assert await models.Membership.get(workspace_id=tenant.id, user_id=globex_user.id)
    wrong = await client.data(
        LOGIN,
        {
            "input": {
                "email": globex_user.email,
                "password": NEW_PASSWORD,
                "workspaceId": encode_id("Workspace", tenant.id),
            }
        },
    )
    assert wrong["login"]["__typename"] == "InvalidCredentialsError"
    right = await client.data(
        LOGIN,
        {
            "input": {
                "email": globex_user.email,
                "password": PASSWORD,
                "workspaceId": encode_id("Workspace", tenant.id),
            }
        },
    )
    assert right["login"]["__typename"] == "LoginPayload"
    viewer = await client.as_(right["login"]["token"]).data(VIEWER)
    assert viewer["viewer"]["role"] == "VIEWER"


async def test_inviting_a_member_again_is_a_conflict_and_writes_nothing(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given Acme's AGENT, already a member
    admin = client.as_(tenant.keys[Role.ADMIN])
    agent_user = tenant.users[Role.AGENT]
    before = await counts()

    # when the ADMIN invites them again, as a VIEWER
    result = await admin.data(INVITE_MEMBER, invitation(agent_user.email, "VIEWER"))

    # then it is a conflict on the e-mail and their role is unchanged
    assert result["inviteMember"]["__typename"] == "ConflictError"
    assert result["inviteMember"]["code"] == "CONFLICT"
    assert result["inviteMember"]["field"] == "email"
    assert await counts() == before
    membership = await models.Membership.get(workspace_id=tenant.id, user_id=agent_user.id)
    assert membership.role == Role.AGENT


async def test_a_bad_email_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites something that is not an e-mail address
    result = await admin.data(INVITE_MEMBER, invitation("nadia at acme"))

    # then the e-mail is refused and nothing is written
    assert result["inviteMember"]["__typename"] == "ValidationError"
    assert result["inviteMember"]["code"] == "BAD_USER_INPUT"
    assert result["inviteMember"]["field"] == "email"
    assert await counts() == before


async def test_a_short_initial_password_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites a new user with a 7-character password
    result = await admin.data(INVITE_MEMBER, invitation("nadia@acme.test", password="1234567"))

    # then the password is refused and nothing is written
    assert result["inviteMember"]["__typename"] == "ValidationError"
    assert result["inviteMember"]["code"] == "BAD_USER_INPUT"
    assert result["inviteMember"]["field"] == "password"
    assert await counts() == before


async def test_a_blank_name_for_a_new_user_is_refused(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites a new user without a name
    result = await admin.data(INVITE_MEMBER, invitation("nadia@acme.test", name="  "))

    # then the name is refused and nothing is written
    assert result["inviteMember"]["__typename"] == "ValidationError"
    assert result["inviteMember"]["field"] == "name"
    assert await counts() == before


async def test_a_role_above_the_inviters_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites a new OWNER
    result = await admin.data(INVITE_MEMBER, invitation("nadia@acme.test", "OWNER"))

    # then the role is refused and nothing is written
    assert result["inviteMember"]["__typename"] == "ValidationError"
    assert result["inviteMember"]["code"] == "BAD_USER_INPUT"
    assert result["inviteMember"]["field"] == "role"
    assert await counts() == before


async def test_members_are_listed_with_their_roles(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme with a member of each role (and Globex with its own)
    viewer = client.as_(tenant.keys[Role.VIEWER])

    # when even a VIEWER lists the members
    result = await viewer.data(MEMBERS)

    # then it sees Acme's four members in the order they joined, and nobody of Globex
    members = result["members"]
    assert [(member["role"], member["user"]["email"]) for member in members] == [
        ("OWNER", "owner@acme.test"),
        ("ADMIN", "admin@acme.test"),
        ("AGENT", "agent@acme.test"),
        ("VIEWER", "viewer@acme.test"),
    ]
    assert all(member["joinedAt"] for member in members)
