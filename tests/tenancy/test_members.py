"""Members and invitations: nobody joins without accepting, the inviter learns nothing about
other workspaces' users, new people sign up with the invitation's code."""

from datetime import UTC, datetime, timedelta
from typing import Any

import models
from api.tenancy import service as tenancy
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient
from tests.inbox.test_statement_count import sql_statements

INVITE_MEMBER = """
mutation InviteMember($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    __typename
    ... on InviteMemberPayload {
      signUpCode
      invitation { id email role createdAt expiresAt acceptedAt workspace { name } }
    }
    ... on Error { message code field }
  }
}
"""

ACCEPT = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    __typename
    ... on AcceptInvitationPayload { workspace { role workspace { name } } }
    ... on Error { code field }
  }
}
"""

DECLINE = """
mutation Decline($input: DeclineInvitationInput!) {
  declineInvitation(input: $input) {
    __typename
    ... on DeclineInvitationPayload { invitation { revokedAt } }
    ... on Error { code field }
  }
}
"""

REVOKE = """
mutation Revoke($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) {
    __typename
    ... on RevokeInvitationPayload { invitation { email revokedAt } }
    ... on Error { code field }
  }
}
"""

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on SignUpPayload { token user { email name } workspace { name } }
    ... on Error { code field }
  }
}
"""

MEMBERS = """
query Members {
  members { role joinedAt user { email name } }
}
"""

MY_INVITATIONS = """
query MyInvitations {
  viewer { invitations { id email role workspace { name } } }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token workspace { name } workspaces { role workspace { name } } }
    ... on Error { code field }
  }
}
"""

NEW_PASSWORD = "initial password 1"
TTL = timedelta(days=7)


def invitation(email: str, role: str = "AGENT") -> dict[str, object]:
    return {"input": {"email": email, "role": role}}


async def invite(client: GraphQLClient, email: str, role: str = "AGENT") -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(INVITE_MEMBER, invitation(email, role)))[
        "inviteMember"
    ]
    return result


async def sign_in(client: GraphQLClient, email: str) -> GraphQLClient:
    variables = {"input": {"email": email, "password": PASSWORD}}
    result = (await client.data(LOGIN, variables))["login"]
    assert result["__typename"] == "LoginPayload", result
    return client.as_(result["token"])


async def member_emails(client: GraphQLClient) -> list[str]:
    return [member["user"]["email"] for member in (await client.data(MEMBERS))["members"]]


async def counts() -> tuple[int, int, int]:
    return (
        await models.User.all().count(),
        await models.Membership.all().count(),
        await models.Invitation.filter(accepted_at=None, revoked_at=None).count(),
    )


async def test_inviting_a_user_of_another_workspace_adds_nobody_until_they_accept(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Globex's AGENT, and Acme's OWNER
    victim = other_tenant.users[Role.AGENT]
    owner = client.as_(tenant.keys[Role.OWNER])

    # when Acme invites that e-mail as an ADMIN
    result = await invite(owner, victim.email, "ADMIN")

    # then it is a pending invitation: no membership, not in Acme's member list, no name shown
    assert result["__typename"] == "InviteMemberPayload"
    assert result["invitation"]["email"] == victim.email
    assert result["invitation"]["acceptedAt"] is None
    assert victim.email not in await member_emails(owner)
    assert not await models.Membership.exists(workspace_id=tenant.id, user_id=victim.id)
    # and the victim's plain sign-in still works, in Globex, where they see the invitation
    signed_in = await sign_in(client, victim.email)
    invitations = (await signed_in.data(MY_INVITATIONS))["viewer"]["invitations"]
    assert invitations == [
        {
            "id": result["invitation"]["id"],
            "email": victim.email,
            "role": "ADMIN",
            "workspace": {"name": "Acme"},
        }
    ]


async def test_an_invited_user_who_accepts_joins_with_the_invited_role(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Globex's AGENT, invited to Acme as a VIEWER and signed in to Globex
    user = other_tenant.users[Role.AGENT]
    owner = client.as_(tenant.keys[Role.OWNER])
    invitation_id = (await invite(owner, user.email, "VIEWER"))["invitation"]["id"]
    signed_in = await sign_in(client, user.email)

    # when they accept it
    variables = {"input": {"invitationId": invitation_id}}
    result = (await signed_in.data(ACCEPT, variables))["acceptInvitation"]

    # then they are an Acme VIEWER, listed there, with no invitation left pending
    assert result == {
        "__typename": "AcceptInvitationPayload",
        "workspace": {"role": "VIEWER", "workspace": {"name": "Acme"}},
    }
    assert user.email in await member_emails(owner)
    assert (await signed_in.data(MY_INVITATIONS))["viewer"]["invitations"] == []
    # and a second accept is refused
    again = (await signed_in.data(ACCEPT, variables))["acceptInvitation"]
    assert again == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "invitationId"}


async def test_the_inviter_gets_the_same_answer_whether_the_address_has_an_account(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    users_before = await models.User.all().count()

    # when it invites a Globex user's address and an address nobody has
    existing = await invite(admin, other_tenant.users[Role.AGENT].email)
    new = await invite(admin, "nadia@acme.test")

    # then both answers are alike but for the address, the ids, codes and times
    def shape(result: dict[str, Any]) -> dict[str, Any]:
        invitation = {
            key: value
            for key, value in result["invitation"].items()
            if key not in ("id", "email", "createdAt", "expiresAt")
        }
        return {**result, "signUpCode": result["signUpCode"][:5], "invitation": invitation}

    assert shape(existing) == shape(new)
    assert shape(new) == {
        "__typename": "InviteMemberPayload",
        "signUpCode": "prli_",
        "invitation": {"role": "AGENT", "acceptedAt": None, "workspace": {"name": "Acme"}},
    }
    # and nobody was created
    assert await models.User.all().count() == users_before


async def test_a_new_address_signs_up_with_the_code_and_joins(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an invitation of a new address to Acme as an AGENT
    admin = client.as_(tenant.keys[Role.ADMIN])
    code = (await invite(admin, "Nadia@Acme.test"))["signUpCode"]

    # when the invitee signs up with its code
    variables = {
        "input": {
            "code": code,
            "email": "nadia@acme.test",
            "name": "Nadia New",
            "password": NEW_PASSWORD,
        }
    }
    result = (await client.data(SIGN_UP, variables))["signUp"]

    # then they are signed in to Acme as an AGENT, listed as a member
    assert result["__typename"] == "SignUpPayload"
    assert result["user"] == {"email": "nadia@acme.test", "name": "Nadia New"}
    assert result["workspace"] == {"name": "Acme"}
    assert "nadia@acme.test" in await member_emails(admin)
    user = await models.User.get(email="nadia@acme.test")
    membership = await models.Membership.get(workspace_id=tenant.id, user_id=user.id)
    assert membership.role == Role.AGENT
    # and the code is spent
    again = (await client.data(SIGN_UP, variables))["signUp"]
    assert again == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "code"}


async def test_signing_up_for_an_address_that_has_an_account_is_refused(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given an invitation of a Globex user's address, and its code
    user = other_tenant.users[Role.AGENT]
    code = (await invite(client.as_(tenant.keys[Role.ADMIN]), user.email))["signUpCode"]
    before = await counts()

    # when someone tries to create that account with the code
    variables = {
        "input": {"code": code, "email": user.email, "name": "Mallory", "password": NEW_PASSWORD}
    }
    result = (await client.data(SIGN_UP, variables))["signUp"]

    # then it is refused, nothing is written, and the owner's password is unchanged
    assert result == {"__typename": "ConflictError", "code": "CONFLICT", "field": "email"}
    assert await counts() == before
    await sign_in(client, user.email)


async def test_a_code_signs_up_only_the_address_it_was_made_for(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an invitation of one new address
    code = (await invite(client.as_(tenant.keys[Role.ADMIN]), "nadia@acme.test"))["signUpCode"]
    before = await counts()

    # when its code is used for another address
    variables = {
        "input": {"code": code, "email": "eve@acme.test", "name": "Eve", "password": NEW_PASSWORD}
    }
    result = (await client.data(SIGN_UP, variables))["signUp"]

    # then no such invitation is found and nothing is written
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "code"}
    assert await counts() == before


async def test_a_short_password_at_sign_up_is_refused_and_writes_nothing(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an invitation of a new address
    code = (await invite(client.as_(tenant.keys[Role.ADMIN]), "nadia@acme.test"))["signUpCode"]
    before = await counts()

    # when the invitee signs up with a 7-character password
    variables = {
        "input": {"code": code, "email": "nadia@acme.test", "name": "N", "password": "1234567"}
    }
    result = (await client.data(SIGN_UP, variables))["signUp"]

    # then the password is refused, nothing is written, and the invitation is still open
    assert result == {
        "__typename": "ValidationError",
        "code": "BAD_USER_INPUT",
        "field": "password",
    }
    assert await counts() == before


async def test_nobody_accepts_an_invitation_to_someone_else(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given an invitation of Globex's AGENT, and Globex's VIEWER signed in
    target = other_tenant.users[Role.AGENT].email
    invitation_id = (await invite(client.as_(tenant.keys[Role.ADMIN]), target))["invitation"]["id"]
    intruder = await sign_in(client, other_tenant.users[Role.VIEWER].email)
    before = await counts()

    # when the VIEWER tries to accept it
    result = (await intruder.data(ACCEPT, {"input": {"invitationId": invitation_id}}))[
        "acceptInvitation"
    ]

    # then it is not found for them and nothing changes
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "invitationId"}
    assert await counts() == before


async def test_an_expired_invitation_cannot_be_accepted(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given an invitation of Globex's AGENT that expired a minute ago
    user = other_tenant.users[Role.AGENT]
    invitation_id = (await invite(client.as_(tenant.keys[Role.ADMIN]), user.email))["invitation"][
        "id"
    ]
    await models.Invitation.all().update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    signed_in = await sign_in(client, user.email)

    # when they accept it
    result = (await signed_in.data(ACCEPT, {"input": {"invitationId": invitation_id}}))[
        "acceptInvitation"
    ]

    # then it is not found and they do not join
    assert result["__typename"] == "NotFoundError"
    assert not await models.Membership.exists(workspace_id=tenant.id, user_id=user.id)


async def test_inviting_a_member_again_is_a_conflict_and_writes_nothing(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given Acme's AGENT, already a member
    admin = client.as_(tenant.keys[Role.ADMIN])
    agent_user = tenant.users[Role.AGENT]
    before = await counts()

    # when the ADMIN invites them again, as a VIEWER
    result = await invite(admin, agent_user.email, "VIEWER")

    # then it is a conflict on the e-mail and their role is unchanged
    assert result["__typename"] == "ConflictError"
    assert result["code"] == "CONFLICT"
    assert result["field"] == "email"
    assert await counts() == before
    membership = await models.Membership.get(workspace_id=tenant.id, user_id=agent_user.id)
    assert membership.role == Role.AGENT


async def test_a_bad_email_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites something that is not an e-mail address
    result = await invite(admin, "nadia at acme")

    # then the e-mail is refused and nothing is written
    assert result["__typename"] == "ValidationError"
    assert result["code"] == "BAD_USER_INPUT"
    assert result["field"] == "email"
    assert await counts() == before


async def test_a_role_above_the_inviters_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await counts()

    # when it invites a new OWNER
    result = await invite(admin, "nadia@acme.test", "OWNER")

    # then the role is refused and nothing is written
    assert result["__typename"] == "ValidationError"
    assert result["code"] == "BAD_USER_INPUT"
    assert result["field"] == "role"
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


async def test_the_workspace_sees_its_pending_invitations(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given two invitations of Acme
    admin = client.as_(tenant.keys[Role.ADMIN])
    await invite(admin, "nadia@acme.test")
    await invite(admin, "omar@acme.test", "VIEWER")

    # when the ADMIN lists them
    result = await admin.data("query { invitations { email role } }")

    # then both are there, oldest first
    assert result["invitations"] == [
        {"email": "nadia@acme.test", "role": "AGENT"},
        {"email": "omar@acme.test", "role": "VIEWER"},
    ]


async def test_an_invitee_who_declines_cannot_accept_later(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Globex's AGENT, invited to Acme and signed in
    user = other_tenant.users[Role.AGENT]
    invited = await invite(client.as_(tenant.keys[Role.ADMIN]), user.email)
    variables = {"input": {"invitationId": invited["invitation"]["id"]}}
    signed_in = await sign_in(client, user.email)

    # when they decline it
    result = (await signed_in.data(DECLINE, variables))["declineInvitation"]

    # then it is gone from their invitations, and accepting it is not found
    assert result["__typename"] == "DeclineInvitationPayload"
    assert result["invitation"]["revokedAt"] is not None
    assert (await signed_in.data(MY_INVITATIONS))["viewer"]["invitations"] == []
    accept = (await signed_in.data(ACCEPT, variables))["acceptInvitation"]
    assert accept["__typename"] == "NotFoundError"
    assert not await models.Membership.exists(workspace_id=tenant.id, user_id=user.id)


async def test_a_revoked_invitation_no_longer_signs_anyone_up(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an invitation of a new address, withdrawn by the ADMIN
    admin = client.as_(tenant.keys[Role.ADMIN])
    invited = await invite(admin, "nadia@acme.test")
    variables = {"input": {"invitationId": invited["invitation"]["id"]}}
    revoked = (await admin.data(REVOKE, variables))["revokeInvitation"]
    assert revoked["__typename"] == "RevokeInvitationPayload"

    # when its code is used to sign up
    sign_up = {
        "input": {
            "code": invited["signUpCode"],
            "email": "nadia@acme.test",
            "name": "Nadia",
            "password": NEW_PASSWORD,
        }
    }
    result = (await client.data(SIGN_UP, sign_up))["signUp"]

    # then no such invitation is found, no account is made, and it is off the pending list
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "code"}
    assert not await models.User.exists(email="nadia@acme.test")
    assert (await admin.data("query { invitations { email } }"))["invitations"] == []


async def test_another_workspace_cannot_revoke_an_invitation(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given an invitation of Acme
    invited = await invite(client.as_(tenant.keys[Role.ADMIN]), "nadia@acme.test")

    # when Globex's OWNER tries to revoke it
    variables = {"input": {"invitationId": invited["invitation"]["id"]}}
    result = (await client.as_(other_tenant.keys[Role.OWNER]).data(REVOKE, variables))[
        "revokeInvitation"
    ]

    # then it is not found there, and it stays pending
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "invitationId"}
    assert await models.Invitation.filter(revoked_at=None).count() == 1


async def test_inviting_runs_the_same_statements_whether_the_address_has_an_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's ADMIN, a Globex user's address and an address nobody has
    admin = tenant.viewer(Role.ADMIN)
    existing, new = other_tenant.users[Role.AGENT].email, "nadia@acme.test"

    # when each is invited
    async def statements_of_inviting(email: str) -> list[str]:
        with sql_statements() as statements:
            await tenancy.invite_member(
                workspace_id=tenant.id, actor=admin, email=email, role=Role.AGENT, ttl=TTL
            )
        return [statement.split(": ", 1)[0] for statement in statements]  # SQL, not values

    # then the database does the very same work for both (no timing hint either)
    assert await statements_of_inviting(existing) == await statements_of_inviting(new)
