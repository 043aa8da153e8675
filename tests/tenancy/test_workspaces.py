"""A user of several workspaces: signing in without naming one, and switching."""

import models
from api.core.ids import encode_id
from api.tenancy import service as tenancy
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient, error_codes

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token workspace { name } workspaces { role workspace { id name } } }
    ... on Error { code field }
  }
}
"""

SWITCH = """
mutation Switch($input: SwitchWorkspaceInput!) {
  switchWorkspace(input: $input) {
    __typename
    ... on SwitchWorkspacePayload { token workspace { id name } workspaces { role } }
    ... on Error { code field }
  }
}
"""

VIEWER = """
query Viewer {
  viewer { role workspace { name } workspaces { role workspace { name } } }
}
"""


async def login(client: GraphQLClient, email: str, workspace_id: str | None = None) -> dict:
    variables = {"input": {"email": email, "password": PASSWORD, "workspaceId": workspace_id}}
    result: dict = (await client.data(LOGIN, variables))["login"]
    return result


async def member_of_both(tenant: Tenant, other_tenant: Tenant) -> models.User:
    """Acme's AGENT, who is also a VIEWER of Globex (joined later)."""
    user = tenant.users[Role.AGENT]
    await tenancy.add_member(workspace_id=other_tenant.id, user_id=user.id, role=Role.VIEWER)
    return user


async def test_a_user_of_two_workspaces_signs_in_without_naming_one(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a member of Acme and Globex who has never signed in
    user = await member_of_both(tenant, other_tenant)

    # when they sign in with e-mail and password only
    result = await login(client, user.email)

    # then the session starts in their first workspace and lists both, with their roles
    assert result["__typename"] == "LoginPayload"
    assert result["workspace"] == {"name": "Acme"}
    assert result["workspaces"] == [
        {"role": "AGENT", "workspace": {"id": encode_id("Workspace", tenant.id), "name": "Acme"}},
        {
            "role": "VIEWER",
            "workspace": {"id": encode_id("Workspace", other_tenant.id), "name": "Globex"},
        },
    ]
    viewer = await client.as_(result["token"]).data(VIEWER)
    assert viewer["viewer"]["role"] == "AGENT"
    assert [w["workspace"]["name"] for w in viewer["viewer"]["workspaces"]] == ["Acme", "Globex"]


async def test_a_plain_sign_in_starts_where_the_user_last_signed_in(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a member of both who last signed in to Globex
    user = await member_of_both(tenant, other_tenant)
    await login(client, user.email)
    await login(client, user.email, encode_id("Workspace", other_tenant.id))

    # when they sign in without naming a workspace
    result = await login(client, user.email)

    # then they are in Globex again, as its VIEWER
    assert result["workspace"] == {"name": "Globex"}
    viewer = await client.as_(result["token"]).data(VIEWER)
    assert viewer["viewer"]["role"] == "VIEWER"


async def test_switching_workspace_gives_a_session_there_and_ends_the_old_one(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a member of both, signed in to Acme
    user = await member_of_both(tenant, other_tenant)
    acme = client.as_((await login(client, user.email))["token"])

    # when they switch to Globex
    result = (
        await acme.data(SWITCH, {"input": {"workspaceId": encode_id("Workspace", other_tenant.id)}})
    )["switchWorkspace"]

    # then the new token works in Globex with their Globex role, and the old one has ended
    assert result["__typename"] == "SwitchWorkspacePayload"
    assert result["workspace"] == {"id": encode_id("Workspace", other_tenant.id), "name": "Globex"}
    viewer = await client.as_(result["token"]).data(VIEWER)
    assert viewer["viewer"]["role"] == "VIEWER"
    assert viewer["viewer"]["workspace"] == {"name": "Globex"}
    assert error_codes(await acme.execute(VIEWER)) == ["UNAUTHENTICATED"]


async def test_switching_to_a_workspace_one_is_not_in_is_not_found(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's AGENT, signed in, who is not a member of Globex
    user = tenant.users[Role.AGENT]
    acme = client.as_((await login(client, user.email))["token"])

    # when they try to switch to Globex
    variables = {"input": {"workspaceId": encode_id("Workspace", other_tenant.id)}}
    result = (await acme.data(SWITCH, variables))["switchWorkspace"]

    # then Globex is not found for them, and their session goes on
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "workspaceId"}
    assert (await acme.data(VIEWER))["viewer"]["workspace"] == {"name": "Acme"}
    assert await models.UserSession.filter(user_id=user.id).count() == 1


async def test_an_api_key_cannot_switch_workspace(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given an API key of Acme
    key = client.as_(tenant.keys[Role.OWNER])

    # when it asks to switch to Globex
    variables = {"input": {"workspaceId": encode_id("Workspace", other_tenant.id)}}
    result = (await key.data(SWITCH, variables))["switchWorkspace"]

    # then it is refused: a key belongs to its one workspace
    assert result == {
        "__typename": "ValidationError",
        "code": "BAD_USER_INPUT",
        "field": "workspaceId",
    }
    assert (await key.data(VIEWER))["viewer"]["workspaces"] == []
