"""API keys: issued once, stored as a hash, revocable, scoped to their workspace and role."""

import models
from api.core.ids import encode_id
from models.enums import Role
from tests.conftest import PASSWORD, Tenant
from tests.graphql import GraphQLClient, error_codes

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreateApiKeyPayload { secret apiKey { id name prefix role revokedAt } }
    ... on Error { message code field }
  }
}
"""

REVOKE_API_KEY = """
mutation RevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) {
    __typename
    ... on RevokeApiKeyPayload { apiKey { id prefix revokedAt } }
    ... on Error { message code field }
  }
}
"""

API_KEYS = """
query ApiKeys {
  apiKeys { id name prefix role revokedAt }
}
"""

VIEWER = """
query Viewer {
  viewer { role user { email } apiKey { prefix } workspace { id } }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { __typename ... on LoginPayload { token } }
}
"""


async def create_key(client: GraphQLClient, name: str, role: str) -> dict[str, object]:
    data = await client.data(CREATE_API_KEY, {"input": {"name": name, "role": role}})
    result: dict[str, object] = data["createApiKey"]
    return result


def prefix_of(secret: str) -> str:
    """The visible prefix of a key (`prly_` and 8 hex digits; the random rest may hold `_`)."""
    return "_".join(secret.split("_", 2)[:2])


def random_part_of(secret: str) -> str:
    return secret.split("_", 2)[2]


async def key_id(secret: str) -> str:
    """The global ID of the key whose secret this is (found by its visible prefix)."""
    row = await models.ApiKey.get(prefix=prefix_of(secret))
    return encode_id("ApiKey", row.id)


async def test_an_admin_creates_a_key_that_works_at_once(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the workspace's ADMIN key
    admin = client.as_(tenant.keys[Role.ADMIN])

    # when it creates an AGENT key for a bot
    result = await create_key(admin, "whatsapp bot", "AGENT")

    # then the secret is returned, starting with the key's visible prefix, and it works
    assert result["__typename"] == "CreateApiKeyPayload"
    secret = result["secret"]
    api_key = result["apiKey"]
    assert isinstance(secret, str) and isinstance(api_key, dict)
    assert api_key["name"] == "whatsapp bot"
    assert api_key["role"] == "AGENT"
    assert api_key["revokedAt"] is None
    assert secret.startswith(api_key["prefix"] + "_")
    assert api_key["prefix"].startswith("prly_")
    viewer = await client.as_(secret).data(VIEWER)
    assert viewer["viewer"] == {
        "role": "AGENT",
        "user": None,
        "apiKey": {"prefix": api_key["prefix"]},
        "workspace": {"id": encode_id("Workspace", tenant.id)},
    }


async def test_only_a_hash_of_the_key_is_stored(client: GraphQLClient, tenant: Tenant) -> None:
    # given a key created by a signed-in OWNER
    login = await client.data(
        LOGIN, {"input": {"email": tenant.users[Role.OWNER].email, "password": PASSWORD}}
    )
    owner = client.as_(login["login"]["token"])
    result = await create_key(owner, "crm sync", "ADMIN")
    secret = str(result["secret"])

    # when its row is read back
    rows = await models.ApiKey.filter(name="crm sync").values()

    # then no column holds the secret (nor its random part); the creator is recorded
    assert len(rows) == 1
    row = rows[0]
    random_part = random_part_of(secret)
    assert all(secret not in str(value) for value in row.values())
    assert all(random_part not in str(value) for value in row.values())
    assert row["key_hash"] != secret
    assert row["created_by_id"] == tenant.users[Role.OWNER].id


async def test_a_key_cannot_be_given_a_role_above_its_creator(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the workspace's ADMIN key
    admin = client.as_(tenant.keys[Role.ADMIN])
    before = await models.ApiKey.all().count()

    # when it asks for an OWNER key
    result = await create_key(admin, "too strong", "OWNER")

    # then the role is refused and nothing is written
    assert result["__typename"] == "ValidationError"
    assert result["code"] == "BAD_USER_INPUT"
    assert result["field"] == "role"
    assert await models.ApiKey.all().count() == before


async def test_a_key_needs_a_name(client: GraphQLClient, tenant: Tenant) -> None:
    # given the workspace's OWNER key
    owner = client.as_(tenant.keys[Role.OWNER])
    before = await models.ApiKey.all().count()

    # when it creates a key with a blank name
    result = await create_key(owner, "   ", "VIEWER")

    # then the name is refused and nothing is written
    assert result["__typename"] == "ValidationError"
    assert result["field"] == "name"
    assert await models.ApiKey.all().count() == before


async def test_a_revoked_key_stops_working(client: GraphQLClient, tenant: Tenant) -> None:
    # given a key that works
    admin = client.as_(tenant.keys[Role.ADMIN])
    secret = str((await create_key(admin, "temporary", "VIEWER"))["secret"])
    await client.as_(secret).data(VIEWER)
    api_key_id = await key_id(secret)

    # when the ADMIN revokes it
    result = await admin.data(REVOKE_API_KEY, {"input": {"apiKeyId": api_key_id}})

    # then it is marked revoked and no longer authenticates
    payload = result["revokeApiKey"]
    assert payload["__typename"] == "RevokeApiKeyPayload"
    assert payload["apiKey"]["id"] == api_key_id
    assert payload["apiKey"]["revokedAt"] is not None
    body = await client.as_(secret).execute(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_revoking_a_key_twice_is_a_conflict(client: GraphQLClient, tenant: Tenant) -> None:
    # given a revoked key
    admin = client.as_(tenant.keys[Role.ADMIN])
    api_key_id = await key_id(tenant.keys[Role.VIEWER])
    await admin.data(REVOKE_API_KEY, {"input": {"apiKeyId": api_key_id}})
    revoked_at = (await models.ApiKey.get(prefix=prefix_of(tenant.keys[Role.VIEWER]))).revoked_at

    # when it is revoked again
    result = await admin.data(REVOKE_API_KEY, {"input": {"apiKeyId": api_key_id}})

    # then that is a conflict and the first revocation time stands
    assert result["revokeApiKey"]["__typename"] == "ConflictError"
    assert result["revokeApiKey"]["code"] == "CONFLICT"
    assert result["revokeApiKey"]["field"] == "apiKeyId"
    assert (
        await models.ApiKey.get(prefix=prefix_of(tenant.keys[Role.VIEWER]))
    ).revoked_at == revoked_at


async def test_another_workspaces_key_cannot_be_revoked(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme's OWNER key and a key of Globex
    owner = client.as_(tenant.keys[Role.OWNER])
    globex_key = other_tenant.keys[Role.AGENT]

    # when Acme tries to revoke Globex's key
    result = await owner.data(REVOKE_API_KEY, {"input": {"apiKeyId": await key_id(globex_key)}})

    # then the key is not found for Acme, and it still works for Globex
    assert result["revokeApiKey"]["__typename"] == "NotFoundError"
    assert result["revokeApiKey"]["code"] == "NOT_FOUND"
    assert result["revokeApiKey"]["field"] == "apiKeyId"
    viewer = await client.as_(globex_key).data(VIEWER)
    assert viewer["viewer"]["workspace"]["id"] == encode_id("Workspace", other_tenant.id)


async def test_an_admin_cannot_revoke_a_stronger_key(client: GraphQLClient, tenant: Tenant) -> None:
    # given an ADMIN and the workspace's OWNER key
    admin = client.as_(tenant.keys[Role.ADMIN])
    owner_key = tenant.keys[Role.OWNER]

    # when the ADMIN revokes the OWNER key
    result = await admin.data(REVOKE_API_KEY, {"input": {"apiKeyId": await key_id(owner_key)}})

    # then it is refused, naming the key, and the OWNER key still works
    assert result["revokeApiKey"]["__typename"] == "ValidationError"
    assert result["revokeApiKey"]["field"] == "apiKeyId"
    assert (await client.as_(owner_key).data(VIEWER))["viewer"]["role"] == "OWNER"


async def test_a_malformed_key_id_is_a_validation_error(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the OWNER key
    owner = client.as_(tenant.keys[Role.OWNER])

    # when it revokes with a workspace's ID instead of a key's
    result = await owner.data(
        REVOKE_API_KEY, {"input": {"apiKeyId": encode_id("Workspace", tenant.id)}}
    )

    # then the ID is refused, naming the field
    assert result["revokeApiKey"]["__typename"] == "ValidationError"
    assert result["revokeApiKey"]["field"] == "apiKeyId"


async def test_api_keys_are_listed_without_secrets(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given Acme with one key of each role (and Globex with its own)
    admin = client.as_(tenant.keys[Role.ADMIN])

    # when the ADMIN lists the keys
    result = await admin.execute(API_KEYS)

    # then it sees Acme's four keys, by prefix and role, and no secret anywhere
    assert "errors" not in result
    keys = result["data"]["apiKeys"]
    assert [(key["name"], key["role"]) for key in keys] == [
        ("OWNER key", "OWNER"),
        ("ADMIN key", "ADMIN"),
        ("AGENT key", "AGENT"),
        ("VIEWER key", "VIEWER"),
    ]
    assert {key["prefix"] for key in keys} == {prefix_of(secret) for secret in tenant.keys.values()}
    secrets = [*tenant.keys.values(), *other_tenant.keys.values()]
    assert all(random_part_of(secret) not in str(result) for secret in secrets)


async def test_an_agent_cannot_list_keys(client: GraphQLClient, tenant: Tenant) -> None:
    # given an AGENT key
    agent = client.as_(tenant.keys[Role.AGENT])

    # when it lists the keys
    body = await agent.execute(API_KEYS)

    # then it is forbidden
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
