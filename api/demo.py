"""Demo data for a first look: one workspace, two users, contacts and conversations."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from tortoise.transactions import in_transaction

import models
from api.core.auth import Viewer, token_hash
from api.core.ids import encode_id
from api.inbox import contacts as inbox_contacts
from api.inbox import messages as inbox_messages
from api.inbox import service as inbox
from api.settings import Settings
from api.tenancy import service as tenancy
from models.enums import Channel, MessageRole, Role

DEMO_EMAIL = "demo@parley.local"
DEMO_PASSWORD = "parley-demo"
DEMO_KEY_NAME = "demo key"
DEMO_KEY_FILE_NAME = "demo-api-key"

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
    workspace_id: UUID
    email: str
    password: str
    api_key: str
    key_reused: bool  # the key saved by an earlier run still worked, so it was kept
    key_file: Path

    def describe(self) -> str:
        key_origin = "kept from" if self.key_reused else "new, saved in"
        return (
            "Demo workspace ready.\n"
            f"  workspace: {encode_id('Workspace', self.workspace_id)}"
            f"  (UUID {self.workspace_id})\n"
            f"  login:     {self.email} / {self.password}  (mutation login)\n"
            f"  API key:   {self.api_key}  ({key_origin} {self.key_file})\n"
            "  `parley serve` prints the address to send it to."
        )


def demo_key_file(settings: Settings) -> Path:
    """Where seed-demo keeps the demo key's plaintext (keys are stored hashed, so this is
    the only way to show the same key again): next to the SQLite database, else ./var."""
    database = settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
    if settings.is_sqlite and database not in ("", ":memory:"):
        return Path(database).parent / DEMO_KEY_FILE_NAME
    return Path("var") / DEMO_KEY_FILE_NAME


async def seed_demo(*, key_file: Path) -> DemoCredentials:
    """Seed once; later runs reuse the workspace, and the demo API key saved in `key_file`
    while it still authenticates (else it is replaced: at most one demo key is live). One
    transaction: a run that fails half-way leaves nothing behind for the next to trip on."""
    async with in_transaction():
        user = await models.User.get_or_none(email=DEMO_EMAIL)
        if user is None:
            workspace = await _seed_workspace()
        else:
            membership = await models.Membership.filter(user_id=user.id).first()
            assert membership is not None
            workspace = await models.Workspace.get(id=membership.workspace_id)
        saved = _read_saved_key(key_file)
        kept = await _live_demo_key(workspace.id, saved) if saved else None
        await _revoke_demo_keys(workspace.id, keep=kept)
        if kept is None or saved is None:
            issued = await tenancy.create_api_key(
                workspace_id=workspace.id, actor=None, name=DEMO_KEY_NAME, role=Role.OWNER
            )
            saved = issued.secret
            _save_key(key_file, saved)  # inside the transaction: a failed run keeps no key
    return DemoCredentials(
        workspace_id=workspace.id,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        api_key=saved,
        key_reused=kept is not None,
        key_file=key_file,
    )


async def _live_demo_key(workspace_id: UUID, secret: str) -> models.ApiKey | None:
    """The demo key of this workspace that `secret` authenticates as, if it still does."""
    return await models.ApiKey.get_or_none(
        workspace_id=workspace_id,
        name=DEMO_KEY_NAME,
        key_hash=token_hash(secret),
        revoked_at=None,
    )


async def _revoke_demo_keys(workspace_id: UUID, *, keep: models.ApiKey | None) -> None:
    others = models.ApiKey.filter(workspace_id=workspace_id, name=DEMO_KEY_NAME, revoked_at=None)
    if keep is not None:
        others = others.exclude(id=keep.id)
    await others.update(revoked_at=datetime.now(UTC))


def _read_saved_key(key_file: Path) -> str | None:
    try:
        return key_file.read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def _save_key(key_file: Path, secret: str) -> None:
    """Write the key readable by this user only (0600), replacing the file atomically."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    partial = key_file.with_name(key_file.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secret + "\n")
    os.chmod(partial, 0o600)  # O_CREAT's mode does not apply to a file left by a failed run
    os.replace(partial, key_file)


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
