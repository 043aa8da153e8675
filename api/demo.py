"""Demo data for a first look: one workspace, two users, contacts and conversations."""

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

import models
from api.core.auth import Viewer
from api.inbox import contacts as inbox_contacts
from api.inbox import messages as inbox_messages
from api.inbox import service as inbox
from api.tenancy import service as tenancy
from models.enums import Channel, MessageRole, Role

DEMO_EMAIL = "demo@parley.local"
DEMO_PASSWORD = "parley-demo"
DEMO_KEY_NAME = "demo key"

CONTACTS = [
    ("Siti Rahayu", "+6281234567001", "siti@example.com", Channel.WHATSAPP),
    ("Budi Santoso", "+6281234567002", None, Channel.WHATSAPP),
    ("Maria Lopez", None, "maria@example.com", Channel.EMAIL),
    ("Tan Wei Ming", "+6591234567", "weiming@example.com", Channel.WEB),
    ("Aisha Khan", "+971501234567", None, Channel.WHATSAPP),
]
SCRIPT = [
    (MessageRole.USER, "Hi, do you ship to Surabaya?"),
    (MessageRole.ASSISTANT, "Yes! Delivery to Surabaya takes 2–3 days. What are you looking for?"),
    (MessageRole.USER, "The ergonomic chair, in black. Is there a discount for two?"),
]


@dataclass(frozen=True)
class DemoCredentials:
    workspace_id: str
    email: str
    password: str
    api_key: str

    def describe(self) -> str:
        return (
            "Demo workspace ready.\n"
            f"  login:    {self.email} / {self.password}  (mutation login)\n"
            f"  API key:  {self.api_key}\n"
            "  try:      curl -H 'Authorization: Bearer <API key>' -H 'content-type: "
            'application/json\' -d \'{"query":"{ viewer { role } }"}\' '
            "http://127.0.0.1:8000/graphql  (or the --port you serve on)"
        )


async def seed_demo() -> DemoCredentials:
    """Seed once; later runs reuse the workspace and replace the demo API key. One
    transaction: a run that fails half-way leaves nothing behind for the next to trip on."""
    async with in_transaction():
        user = await models.User.get_or_none(email=DEMO_EMAIL)
        if user is None:
            workspace = await _seed_workspace()
        else:
            membership = await models.Membership.filter(user_id=user.id).first()
            assert membership is not None
            workspace = await models.Workspace.get(id=membership.workspace_id)
        await models.ApiKey.filter(
            workspace_id=workspace.id, name=DEMO_KEY_NAME, revoked_at=None
        ).update(revoked_at=datetime.now(UTC))
        issued = await tenancy.create_api_key(
            workspace_id=workspace.id, actor=None, name=DEMO_KEY_NAME, role=Role.OWNER
        )
    return DemoCredentials(
        workspace_id=str(workspace.id),
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        api_key=issued.secret,
    )


async def _seed_workspace() -> models.Workspace:
    workspace = await tenancy.create_workspace(name="Demo Store")
    owner = await tenancy.create_user(email=DEMO_EMAIL, name="Dewi Demo", password=DEMO_PASSWORD)
    agent = await tenancy.create_user(
        email="agent@parley.local", name="Arif Agent", password=DEMO_PASSWORD
    )
    await tenancy.add_member(workspace_id=workspace.id, user_id=owner.id, role=Role.OWNER)
    await tenancy.add_member(workspace_id=workspace.id, user_id=agent.id, role=Role.AGENT)
    actor = Viewer(workspace_id=workspace.id, role=Role.AGENT, user_id=agent.id)
    for index, (name, phone, email, channel) in enumerate(CONTACTS):
        contact = await inbox_contacts.create_contact(
            workspace_id=workspace.id,
            data=inbox_contacts.ContactFields(name=name, phone=phone, email=email, labels=["demo"]),
        )
        conversation = await inbox.start_conversation(
            workspace_id=workspace.id,
            contact_id=contact.id,
            channel=channel,
            title=f"Enquiry from {name.split()[0]}",
            assignee_id=agent.id if index % 2 else None,
        )
        for role, content in SCRIPT[: 1 + index % len(SCRIPT)]:
            await inbox_messages.send_message(
                workspace_id=workspace.id,
                actor=actor,
                conversation_id=conversation.id,
                role=role,
                content=content,
                usage=inbox_messages.MessageUsage(
                    model="claude-haiku-4-5-20251001",
                    input_tokens=1200,
                    output_tokens=80,
                    input_tokens_include_cache=False,
                )
                if role is MessageRole.ASSISTANT
                else None,
            )
    return workspace
