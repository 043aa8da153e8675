"""The inbox's contacts: create, update (null clears), list; phone and e-mail are unique
in a workspace.

As everywhere in the inbox (see api/inbox/service.py), every function filters by the
caller's `workspace_id` and writes record their events last, published after commit.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from api.core import events
from api.core.errors import BadInput, Conflict, NotFound
from api.core.pagination import Page, PageArgs, keyset_page
from api.core.validation import normalize_email, normalize_phone, required_text
from api.inbox.event_payloads import contact_payload
from api.inbox.service import BY_CREATED_ASC, BY_CREATED_DESC, normalize_labels
from models.enums import LeadStatus, LeadTemperature


def _lead_score(score: int | None) -> int | None:
    if score is not None and not 0 <= score <= 100:
        raise BadInput("leadScore must be between 0 and 100.", field="leadScore")
    return score


@dataclass
class ContactFields:
    """The writable fields of a contact; None means 'not given' for updates."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    handles: dict[str, str] | None = None
    lead_status: LeadStatus | None = None
    lead_score: int | None = None
    lead_temperature: LeadTemperature | None = None
    attributes: dict[str, Any] | None = None
    labels: list[str] | None = None
    cleared: set[str] = field(default_factory=set)  # fields explicitly set to null


# What null sets a non-nullable contact field to ("null clears"); lead_status has no
# empty value, so null is refused for it.
CLEARED_VALUES: dict[str, Callable[[], Any]] = {"handles": dict, "attributes": dict, "labels": list}


def _contact_values(data: ContactFields) -> dict[str, Any]:
    if "lead_status" in data.cleared:
        raise BadInput("leadStatus cannot be null.", field="leadStatus")
    values: dict[str, Any] = {
        name: CLEARED_VALUES[name]() if name in CLEARED_VALUES else None for name in data.cleared
    }
    if data.name is not None:
        values["name"] = required_text(data.name, field="name")
    if data.phone is not None:
        values["phone"] = normalize_phone(data.phone)
    if data.email is not None:
        values["email"] = normalize_email(data.email)
    if data.handles is not None:
        if not all(isinstance(v, str) and v.strip() for v in data.handles.values()):
            raise BadInput("Every channel handle must be a non-empty string.", field="handles")
        values["handles"] = {k.strip().lower(): v.strip() for k, v in data.handles.items()}
    for name in ("lead_status", "lead_temperature", "attributes"):
        if getattr(data, name) is not None:
            values[name] = getattr(data, name)
    if data.lead_score is not None:
        values["lead_score"] = _lead_score(data.lead_score)
        values["score_updated_at"] = datetime.now(UTC)
    if data.labels is not None:
        values["labels"] = normalize_labels(data.labels)
    return values


async def _check_contact_unique(
    workspace_id: UUID, values: dict[str, Any], *, exclude: UUID | None = None
) -> None:
    for column in ("phone", "email"):
        if values.get(column) is None:
            continue
        clash = models.Contact.filter(workspace_id=workspace_id, **{column: values[column]})
        if exclude is not None:
            clash = clash.exclude(id=exclude)
        if await clash.exists():
            raise Conflict(f"Another contact has this {column}.", field=column)


@asynccontextmanager
async def _unique_contact(
    workspace_id: UUID, values: dict[str, Any], *, exclude: UUID | None = None
) -> AsyncIterator[None]:
    """Around a contact's write: a phone or e-mail another contact has is a Conflict naming
    the field, found before the write or, when a concurrent write won the unique
    constraint, after it."""
    await _check_contact_unique(workspace_id, values, exclude=exclude)
    try:
        yield
    except IntegrityError:
        await _check_contact_unique(workspace_id, values, exclude=exclude)
        raise Conflict("Another contact has this phone or email.", field="phone") from None


async def _record_contact(
    db: BaseDBAsyncClient, type: str, contact: models.Contact
) -> models.Event:
    payload = contact_payload(contact)
    return await events.record(db, workspace_id=contact.workspace_id, type=type, payload=payload)


async def create_contact(*, workspace_id: UUID, data: ContactFields) -> models.Contact:
    if data.name is None:
        raise BadInput("name is required.", field="name")
    values = _contact_values(data)
    async with _unique_contact(workspace_id, values), in_transaction() as db:
        contact = await models.Contact.create(using_db=db, workspace_id=workspace_id, **values)
        event = await _record_contact(db, "contact.created", contact)
    await events.publish(event)
    return contact


async def update_contact(
    *, workspace_id: UUID, contact_id: UUID, data: ContactFields
) -> models.Contact:
    if "name" in data.cleared:
        raise BadInput("name cannot be null.", field="name")
    values = _contact_values(data)
    if not values:
        raise BadInput("Nothing to update: pass at least one field.")
    async with _unique_contact(workspace_id, values, exclude=contact_id), in_transaction() as db:
        updated = (
            await models.Contact.filter(id=contact_id, workspace_id=workspace_id)
            .using_db(db)
            .update(**values, updated_at=datetime.now(UTC))
        )
        if not updated:
            raise NotFound("No such contact.", field="contactId")
        contact = await models.Contact.get(id=contact_id, using_db=db)
        event = await _record_contact(db, "contact.updated", contact)
    await events.publish(event)
    return contact


async def list_contacts(
    *,
    workspace_id: UUID,
    lead_status: LeadStatus | None = None,
    search: str | None = None,
    ascending: bool = False,
    page: PageArgs,
) -> Page[models.Contact]:
    query = models.Contact.filter(workspace_id=workspace_id)
    if lead_status is not None:
        query = query.filter(lead_status=lead_status)
    if search:
        term = search.strip()
        query = query.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__contains=term)
        )
    sort = BY_CREATED_ASC if ascending else BY_CREATED_DESC
    return await keyset_page(query, sort, page)
