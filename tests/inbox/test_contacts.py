"""createContact and updateContact over HTTP: payloads, read-back, and every expected
failure as data (with the right `code` and `field`), writing nothing when they fail."""

import asyncio
from decimal import Decimal
from typing import Any

import models
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed

CONTACT_FIELDS = """
fragment ContactFields on Contact {
  id name phone email handles leadStatus leadScore leadTemperature scoreUpdatedAt
  attributes labels totalTokens totalCost
}
"""

CREATE_CONTACT = (
    """
mutation CreateContact($input: CreateContactInput!) {
  createContact(input: $input) {
    __typename
    ... on CreateContactPayload { contact { ...ContactFields } }
    ... on Error { code field message }
  }
}
"""
    + CONTACT_FIELDS
)

UPDATE_CONTACT = (
    """
mutation UpdateContact($input: UpdateContactInput!) {
  updateContact(input: $input) {
    __typename
    ... on UpdateContactPayload { contact { ...ContactFields } }
    ... on Error { code field message }
  }
}
"""
    + CONTACT_FIELDS
)

CONTACT = (
    """
query Contact($id: ID!) { contact(id: $id) { ...ContactFields } }
"""
    + CONTACT_FIELDS
)


def same_contact(read: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Equal contacts; Decimal amounts compare by value ("0" and "0E-12" are both zero)."""
    return {**read, "totalCost": Decimal(read["totalCost"])} == {
        **expected,
        "totalCost": Decimal(expected["totalCost"]),
    }


async def assert_each_refused_writing_nothing(
    client: GraphQLClient, tenant: Tenant, cases: list[tuple[dict[str, Any], str]]
) -> None:
    """Each (input, field) case of createContact is a ValidationError naming its field, and
    no row is written."""
    before = await seed.row_counts(tenant)
    for contact_input, field in cases:
        data = await client.data(CREATE_CONTACT, {"input": contact_input})
        assert seed.error_of(data["createContact"]) == seed.validation_error(field), contact_input
    assert await seed.row_counts(tenant) == before


async def test_create_contact_returns_the_normalized_contact_and_it_reads_back(
    agent: GraphQLClient,
) -> None:
    # given a new lead's details, phone and e-mail written loosely
    contact_input = {
        "name": "  Dewi Lestari ",
        "phone": "+62 812-3456-7890",
        "email": " Dewi@Example.COM ",
        "handles": {"WhatsApp": " +6281234567890 "},
        "leadStatus": "QUALIFIED",
        "leadScore": 72,
        "leadTemperature": "WARM",
        "attributes": {"budget": "villa", "guests": 4},
        "labels": ["vip", " bali ", "vip"],
    }

    # when
    data = await agent.data(CREATE_CONTACT, {"input": contact_input})

    # then the payload carries the contact, normalized
    created = data["createContact"]
    assert created["__typename"] == "CreateContactPayload"
    contact = created["contact"]
    assert contact == {
        "id": contact["id"],
        "name": "Dewi Lestari",
        "phone": "+6281234567890",
        "email": "dewi@example.com",
        "handles": {"whatsapp": "+6281234567890"},
        "leadStatus": "QUALIFIED",
        "leadScore": 72,
        "leadTemperature": "WARM",
        "scoreUpdatedAt": contact["scoreUpdatedAt"],
        "attributes": {"budget": "villa", "guests": 4},
        "labels": ["vip", "bali"],
        "totalTokens": 0,
        "totalCost": contact["totalCost"],
    }
    assert Decimal(contact["totalCost"]) == 0
    assert seed.when(contact["scoreUpdatedAt"]) is not None
    # and the same contact reads back through the query
    assert same_contact((await agent.data(CONTACT, {"id": contact["id"]}))["contact"], contact)


async def test_create_contact_with_only_a_name_takes_the_defaults(
    agent: GraphQLClient,
) -> None:
    # given only a name
    # when
    data = await agent.data(CREATE_CONTACT, {"input": {"name": "Budi"}})

    # then
    contact = data["createContact"]["contact"]
    assert contact["phone"] is None and contact["email"] is None
    assert contact["leadStatus"] == "NEW"
    assert contact["leadScore"] is None and contact["scoreUpdatedAt"] is None
    assert contact["handles"] == {} and contact["attributes"] == {} and contact["labels"] == []


async def test_create_contact_refuses_invalid_input_naming_the_field_and_writes_nothing(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given inputs each wrong in one field
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Dewi", "phone": "0812345"}, "phone"),
        ({"name": "Dewi", "phone": "+62 abc 1234567"}, "phone"),
        ({"name": "Dewi", "email": "dewi-at-example.com"}, "email"),
        ({"name": "Dewi", "leadScore": 101}, "leadScore"),
        ({"name": "Dewi", "leadScore": -1}, "leadScore"),
        ({"name": "Dewi", "labels": ["ok", "  "]}, "labels"),
        ({"name": "Dewi", "labels": ["x" * 65]}, "labels"),
        ({"name": "Dewi", "labels": [f"l{i}" for i in range(51)]}, "labels"),
        ({"name": "Dewi", "handles": ["not", "an", "object"]}, "handles"),
        ({"name": "Dewi", "handles": {"whatsapp": " "}}, "handles"),
        ({"name": "Dewi", "attributes": "not an object"}, "attributes"),
    ]

    # when each is sent, then it fails naming its field and nothing is written
    await assert_each_refused_writing_nothing(agent, tenant, cases)


async def test_create_contact_refuses_a_phone_or_email_that_only_looks_right(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a number of the right length but not in its country's plan, a number with an
    # extension, and addresses with an empty domain label or a space in the local part
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "Dewi", "phone": "+1 555 0100"}, "phone"),
        ({"name": "Dewi", "phone": "+6281111111"}, "phone"),
        ({"name": "Dewi", "phone": "+62 812-3456-7890 ext. 12"}, "phone"),
        ({"name": "Dewi", "email": "dewi@example..com"}, "email"),
        ({"name": "Dewi", "email": "de wi@example.com"}, "email"),
    ]

    # when each is sent, then it fails naming its field and nothing is written
    await assert_each_refused_writing_nothing(agent, tenant, cases)


async def test_create_contact_with_a_phone_or_email_taken_in_the_workspace_is_a_conflict(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with a phone and an e-mail
    await seed.contact(tenant, "Dewi", phone="+6281234567890", email="dewi@example.com")
    before = await seed.row_counts(tenant)

    # when others come with the same phone or e-mail, written differently
    same_phone = await agent.data(
        CREATE_CONTACT, {"input": {"name": "Dewi 2", "phone": "+62 (812) 3456-7890"}}
    )
    same_email = await agent.data(
        CREATE_CONTACT, {"input": {"name": "Dewi 3", "email": "DEWI@example.com"}}
    )

    # then
    assert seed.error_of(same_phone["createContact"]) == seed.conflict("phone")
    assert seed.error_of(same_email["createContact"]) == seed.conflict("email")
    assert await seed.row_counts(tenant) == before


async def test_the_same_phone_and_email_in_another_workspace_are_fine(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a contact in another workspace
    await seed.contact(other_tenant, "Dewi", phone="+6281234567890", email="dewi@example.com")

    # when this workspace creates one with the same phone and e-mail
    data = await client.as_(tenant.keys[Role.AGENT]).data(
        CREATE_CONTACT,
        {"input": {"name": "Dewi", "phone": "+6281234567890", "email": "dewi@example.com"}},
    )

    # then
    assert data["createContact"]["__typename"] == "CreateContactPayload"
    assert await models.Contact.filter(phone="+6281234567890").count() == 2


async def test_update_contact_changes_given_fields_keeps_omitted_ones_and_clears_nulls(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with a phone, an e-mail, a score and labels
    contact = await seed.contact(
        tenant,
        "Dewi",
        phone="+6281234567890",
        email="dewi@example.com",
        lead_score=40,
        labels=["bali"],
        handles={"whatsapp": "+6281234567890"},
    )
    contact_id = seed.gid("Contact", contact.id)

    # when the name and status change, the e-mail and score are cleared, the rest is omitted
    data = await agent.data(
        UPDATE_CONTACT,
        {
            "input": {
                "contactId": contact_id,
                "name": "Dewi Lestari",
                "leadStatus": "CONVERTED",
                "email": None,
                "leadScore": None,
            }
        },
    )

    # then the payload shows it
    updated = data["updateContact"]
    assert updated["__typename"] == "UpdateContactPayload"
    expected = {
        **updated["contact"],
        "id": contact_id,
        "name": "Dewi Lestari",
        "phone": "+6281234567890",
        "email": None,
        "leadStatus": "CONVERTED",
        "leadScore": None,
        "labels": ["bali"],
        "handles": {"whatsapp": "+6281234567890"},
    }
    assert updated["contact"] == expected
    # and so does the query
    assert same_contact((await agent.data(CONTACT, {"id": contact_id}))["contact"], expected)


async def test_update_contact_clears_its_lists_and_objects_with_null(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with handles, attributes and labels
    contact = await seed.contact(
        tenant,
        "Dewi",
        handles={"whatsapp": "+6281234567890"},
        attributes={"guests": 4},
        labels=["bali"],
    )
    contact_id = seed.gid("Contact", contact.id)

    # when they are set to null ("null clears")
    data = await agent.data(
        UPDATE_CONTACT,
        {"input": {"contactId": contact_id, "handles": None, "attributes": None, "labels": None}},
    )

    # then they are empty, in the payload and read back
    updated = data["updateContact"]["contact"]
    assert (updated["handles"], updated["attributes"], updated["labels"]) == ({}, {}, [])
    assert same_contact((await agent.data(CONTACT, {"id": contact_id}))["contact"], updated)


async def test_update_contact_refuses_invalid_input_naming_the_field_and_changes_nothing(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact
    contact = await seed.contact(tenant, "Dewi", phone="+6281234567890")
    contact_id = seed.gid("Contact", contact.id)
    conversation = await seed.conversation(tenant, contact)
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"name": " "}, "name"),
        ({"name": None}, "name"),
        ({"leadStatus": None}, "leadStatus"),
        ({"phone": "12345"}, "phone"),
        ({"email": "dewi@"}, "email"),
        ({"leadScore": 150}, "leadScore"),
        ({"labels": ["bad\nlabel"]}, "labels"),
        ({"handles": "whatsapp"}, "handles"),
        ({}, None),
        ({"contactId": "not-an-id", "name": "Dewi"}, "contactId"),
        ({"contactId": seed.gid("Conversation", conversation.id), "name": "Dewi"}, "contactId"),
    ]
    before = await seed.row_counts(tenant)
    read_before = await agent.data(CONTACT, {"id": contact_id})

    for change, field in cases:
        # when
        data = await agent.data(UPDATE_CONTACT, {"input": {"contactId": contact_id, **change}})

        # then
        assert seed.error_of(data["updateContact"]) == seed.validation_error(field), change
    assert await seed.row_counts(tenant) == before
    assert await agent.data(CONTACT, {"id": contact_id}) == read_before


async def test_update_contact_of_an_unknown_or_another_workspaces_contact_is_not_found(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a contact in another workspace, and an id nobody has
    theirs = await seed.contact(other_tenant, "Their lead")
    missing = seed.gid("Contact", models.Contact(name="x").id)

    for contact_id in (seed.gid("Contact", theirs.id), missing):
        # when
        data = await agent.data(UPDATE_CONTACT, {"input": {"contactId": contact_id, "name": "Me"}})

        # then
        assert seed.error_of(data["updateContact"]) == seed.not_found("contactId")
    # and their contact is untouched, and invisible to us
    assert (await models.Contact.get(id=theirs.id)).name == "Their lead"
    assert (await agent.data(CONTACT, {"id": seed.gid("Contact", theirs.id)}))["contact"] is None


async def test_update_contact_to_another_contacts_phone_or_email_is_a_conflict(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given two contacts
    await seed.contact(tenant, "Dewi", phone="+6281234567890", email="dewi@example.com")
    budi = await seed.contact(tenant, "Budi", phone="+6281111111111", email="budi@example.com")
    budi_id = seed.gid("Contact", budi.id)
    before = await seed.row_counts(tenant)

    # when Budi takes Dewi's phone, then Dewi's e-mail
    phone = await agent.data(
        UPDATE_CONTACT, {"input": {"contactId": budi_id, "phone": "+62 812 3456 7890"}}
    )
    email = await agent.data(
        UPDATE_CONTACT, {"input": {"contactId": budi_id, "email": "Dewi@Example.com"}}
    )

    # then both are conflicts and Budi keeps his own
    assert seed.error_of(phone["updateContact"]) == seed.conflict("phone")
    assert seed.error_of(email["updateContact"]) == seed.conflict("email")
    assert await seed.row_counts(tenant) == before
    budi_now = (await agent.data(CONTACT, {"id": budi_id}))["contact"]
    assert (budi_now["phone"], budi_now["email"]) == ("+6281111111111", "budi@example.com")

    # when Budi "changes" to his own phone and e-mail, that is no clash
    same = await agent.data(
        UPDATE_CONTACT,
        {"input": {"contactId": budi_id, "phone": "+6281111111111", "email": "budi@example.com"}},
    )
    assert same["updateContact"]["__typename"] == "UpdateContactPayload"


async def test_contact_mutations_need_an_agent_and_credentials(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact, a VIEWER key and no key at all
    contact = await seed.contact(tenant, "Dewi")
    update = {"input": {"contactId": seed.gid("Contact", contact.id), "name": "Changed"}}
    create = {"input": {"name": "New"}}
    before = await seed.row_counts(tenant)

    for token, code in ((tenant.keys[Role.VIEWER], "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        caller = client.as_(token)
        # when
        created = await caller.execute(CREATE_CONTACT, create)
        updated = await caller.execute(UPDATE_CONTACT, update)

        # then top-level errors, no data
        assert error_codes(created) == [code] and created["data"] is None
        assert error_codes(updated) == [code] and updated["data"] is None
    assert await seed.row_counts(tenant) == before
    assert (await models.Contact.get(id=contact.id)).name == "Dewi"


async def test_concurrent_creates_with_one_email_make_one_contact_and_name_the_field(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # when six agents create a contact with the same e-mail at the same moment
    results = await asyncio.gather(
        *(
            agent.data(
                CREATE_CONTACT, {"input": {"name": f"Lead {n}", "email": "race@example.com"}}
            )
            for n in range(6)
        )
    )
    outcomes = [result["createContact"] for result in results]
    # then exactly one is created, and every other is a conflict on the e-mail
    assert [o["__typename"] for o in outcomes].count("CreateContactPayload") == 1
    conflicts = [o for o in outcomes if o["__typename"] != "CreateContactPayload"]
    assert {(o["__typename"], o["field"]) for o in conflicts} == {("ConflictError", "email")}
    assert await models.Contact.filter(workspace_id=tenant.id).count() == 1
