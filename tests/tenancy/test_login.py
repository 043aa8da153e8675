"""Signing in and out: sessions, credentials that fail alike, workspaces, password storage."""

from datetime import UTC, datetime, timedelta

import pytest

import models
from api.core import auth
from api.core.ids import encode_id
from api.tenancy import service as tenancy
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient, error_codes

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token expiresAt user { email } workspace { id name } }
    ... on Error { message code field }
  }
}
"""

LOGOUT = """
mutation Logout {
  logout {
    __typename
    ... on LogoutPayload { ok }
    ... on Error { message code field }
  }
}
"""

VIEWER = """
query Viewer {
  viewer { role user { email } apiKey { prefix } workspace { id name } }
}
"""


async def login(
    client: GraphQLClient, email: str, password: str, workspace_id: str | None = None
) -> dict[str, object]:
    variables = {"input": {"email": email, "password": password, "workspaceId": workspace_id}}
    data = await client.data(LOGIN, variables)
    result: dict[str, object] = data["login"]
    return result


async def test_login_returns_a_token_that_authenticates_the_user(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an ADMIN of one workspace
    email = tenant.users[Role.ADMIN].email

    # when they log in
    result = await login(client, email, PASSWORD)

    # then the token authenticates them, with their role in that workspace
    assert result["__typename"] == "LoginPayload"
    assert result["user"] == {"email": email}
    assert result["workspace"] == {"id": encode_id("Workspace", tenant.id), "name": "Acme"}
    token = result["token"]
    assert isinstance(token, str)
    viewer = await client.as_(token).data(VIEWER)
    assert viewer["viewer"] == {
        "role": "ADMIN",
        "user": {"email": email},
        "apiKey": None,
        "workspace": {"id": encode_id("Workspace", tenant.id), "name": "Acme"},
    }


async def test_login_is_case_insensitive_about_the_email(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a user whose e-mail is stored in lower case
    email = tenant.users[Role.AGENT].email

    # when they type it in upper case with spaces around it
    result = await login(client, f"  {email.upper()} ", PASSWORD)

    # then they are signed in
    assert result["__typename"] == "LoginPayload"
    assert result["user"] == {"email": email}


async def test_wrong_password_and_unknown_email_fail_alike(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a user, and an e-mail nobody has
    email = tenant.users[Role.AGENT].email

    # when one logs in with a wrong password, and one with the unknown e-mail
    wrong_password = await login(client, email, "not the password")
    unknown_email = await login(client, "nobody@acme.test", PASSWORD)

    # then both get the very same InvalidCredentialsError: no hint which was wrong
    assert wrong_password["__typename"] == "InvalidCredentialsError"
    assert wrong_password["code"] == "UNAUTHENTICATED"
    assert wrong_password == unknown_email
    assert await models.UserSession.all().count() == 0


async def test_a_user_of_two_workspaces_gets_the_one_they_name(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's AGENT who is also a VIEWER of Globex
    user = tenant.users[Role.AGENT]
    await tenancy.add_member(workspace_id=other_tenant.id, user_id=user.id, role=Role.VIEWER)
    globex_id = encode_id("Workspace", other_tenant.id)

    # when they log in to Globex
    result = await login(client, user.email, PASSWORD, globex_id)

    # then the session is in Globex, with their Globex role
    assert result["__typename"] == "LoginPayload"
    assert result["workspace"] == {"id": globex_id, "name": "Globex"}
    viewer = await client.as_(str(result["token"])).data(VIEWER)
    assert viewer["viewer"]["role"] == "VIEWER"
    assert viewer["viewer"]["workspace"]["id"] == globex_id


async def test_the_login_service_answers_with_the_user_and_all_their_workspaces(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's AGENT who is also a VIEWER of Globex
    user = tenant.users[Role.AGENT]
    await tenancy.add_member(workspace_id=other_tenant.id, user_id=user.id, role=Role.VIEWER)

    # when a caller other than the API (the CLI, a job) signs them in to Globex
    issued = await tenancy.login(
        email=user.email, password=PASSWORD, workspace_id=other_tenant.id, ttl=timedelta(hours=1)
    )

    # then the answer carries everything a sign-in shows, with no further reads
    assert issued.user.email == user.email
    assert issued.membership.workspace.name == "Globex"
    assert issued.membership.role is Role.VIEWER
    assert [m.workspace.name for m in issued.memberships] == ["Acme", "Globex"]


async def test_login_to_a_workspace_the_user_is_not_in_is_not_found(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's AGENT, who is not a member of Globex
    user = tenant.users[Role.AGENT]

    # when they log in naming Globex
    result = await login(client, user.email, PASSWORD, encode_id("Workspace", other_tenant.id))

    # then Globex is not found for them and no session is created
    assert result["__typename"] == "NotFoundError"
    assert result["code"] == "NOT_FOUND"
    assert result["field"] == "workspaceId"
    assert await models.UserSession.all().count() == 0


async def test_logout_revokes_the_session(client: GraphQLClient, tenant: Tenant) -> None:
    # given a signed-in user whose token works
    result = await login(client, tenant.users[Role.AGENT].email, PASSWORD)
    signed_in = client.as_(str(result["token"]))
    await signed_in.data(VIEWER)

    # when they log out
    logout = await signed_in.data(LOGOUT)

    # then the token no longer authenticates anything
    assert logout["logout"] == {"__typename": "LogoutPayload", "ok": True}
    body = await signed_in.execute(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
    session = await models.UserSession.get(user_id=tenant.users[Role.AGENT].id)
    assert session.revoked_at is not None


async def test_an_api_key_cannot_log_out(client: GraphQLClient, tenant: Tenant) -> None:
    # given an API key
    key = tenant.keys[Role.AGENT]

    # when it calls logout
    result = await client.as_(key).data(LOGOUT)

    # then it is told to revoke the key instead, and the key still works
    assert result["logout"]["__typename"] == "ValidationError"
    assert result["logout"]["code"] == "BAD_USER_INPUT"
    assert (await client.as_(key).data(VIEWER))["viewer"]["role"] == "AGENT"


async def test_an_expired_session_is_refused(client: GraphQLClient, tenant: Tenant) -> None:
    # given a session that expired a minute ago
    user = tenant.users[Role.AGENT]
    result = await login(client, user.email, PASSWORD)
    await models.UserSession.filter(user_id=user.id).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )

    # when its token is used
    body = await client.as_(str(result["token"])).execute(VIEWER)

    # then the caller is not authenticated
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_session_ends_when_the_user_leaves_the_workspace(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a signed-in user
    user = tenant.users[Role.AGENT]
    result = await login(client, user.email, PASSWORD)

    # when their membership is removed
    await models.Membership.filter(workspace_id=tenant.id, user_id=user.id).delete()

    # then their token no longer works
    body = await client.as_(str(result["token"])).execute(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_passwords_and_tokens_are_stored_only_as_hashes(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a user who has logged in
    user = tenant.users[Role.AGENT]
    result = await login(client, user.email, PASSWORD)
    token = str(result["token"])

    # when their rows are read back
    user_row = (await models.User.filter(id=user.id).values())[0]
    session_rows = await models.UserSession.filter(user_id=user.id).values()

    # then the password is an argon2id hash and neither secret is in any column
    assert user_row["password_hash"].startswith("$argon2id$")
    assert all(PASSWORD not in str(value) for value in user_row.values())
    assert len(session_rows) == 1
    assert all(token not in str(value) for value in session_rows[0].values())


async def test_an_unknown_email_costs_a_password_check_too(
    client: GraphQLClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the password checks are counted (and still run for real)
    checks: list[str] = []
    real_verify = auth.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        checks.append(password_hash[:10])
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)

    # when a known e-mail with a wrong password and an unknown e-mail log in
    await login(client, tenant.users[Role.AGENT].email, "not the password")
    await login(client, "nobody@acme.test", "not the password")

    # then both ran one argon2id check, so neither answers faster (no timing hint either)
    assert checks == ["$argon2id$", "$argon2id$"]
