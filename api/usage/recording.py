"""Recording LLM calls: a checked, priced report becomes one `AiUsageEvent`.

A recorded call is written in one transaction together with everything that sums it:
the budget period (api/usage/budgets.py), the daily rollup and the conversation's and
contact's totals (api/usage/rollups.py), and a `usage.recorded` event (published after
commit). Costs are computed with Decimal from the price version in force when the call
happened (api/usage/catalog.py) and stored with 12 decimal places. Usage naming an
unknown model is recorded unpriced and priced later (api/usage/repricing.py).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from api.core import events, metrics
from api.core.errors import BadInput, Conflict, DomainError, NotFound, Unexpected
from api.core.pagination import Page, PageArgs, SortKey, keyset_page
from api.usage import budgets
from api.usage.catalog import resolve_model
from api.usage.pricebook import PriceBook, Priced, price_report
from api.usage.reports import CheckedReport, UsageReport, check_report
from api.usage.rollups import (
    add_to_totals,
    bump_daily,
    daily_delta,
    daily_key,
    lock_owners,
    usage_payload,
)

UNKNOWN_MODEL = "unknown"  # sendMessage usage that names no model
MAX_BATCH = 1000
log = logging.getLogger(__name__)


@dataclass
class Recorded:
    """The usage event of a report; `created` is False when its requestId was recorded
    before (the first record is returned). `priced` says why a new event is unpriced."""

    event: models.AiUsageEvent
    created: bool = True
    wakeups: list[models.Event] = field(default_factory=list)
    priced: Priced | None = None


async def _references(
    workspace_id: UUID, report: UsageReport
) -> tuple[UUID | None, UUID | None, UUID | None]:
    """conversation, contact and message of a report, checked to be in the workspace and
    consistent (a message's conversation, a conversation's contact are filled in)."""
    conversation_id, contact_id = report.conversation_id, report.contact_id
    if report.message_id is not None:
        message = await models.Message.get_or_none(id=report.message_id, workspace_id=workspace_id)
        if message is None:
            raise NotFound("No such message.", field="messageId")
        if conversation_id is not None and conversation_id != message.conversation_id:
            raise BadInput("The message is not in that conversation.", field="messageId")
        conversation_id = message.conversation_id
    if conversation_id is not None:
        conversation = await models.Conversation.get_or_none(
            id=conversation_id, workspace_id=workspace_id
        )
        if conversation is None:
            raise NotFound("No such conversation.", field="conversationId")
        if contact_id is not None and contact_id != conversation.contact_id:
            raise BadInput("The contact is not the conversation's contact.", field="contactId")
        contact_id = conversation.contact_id
    elif contact_id is not None and not await models.Contact.exists(
        id=contact_id, workspace_id=workspace_id
    ):
        raise NotFound("No such contact.", field="contactId")
    if report.user_id is not None and not await models.Membership.exists(
        workspace_id=workspace_id, user_id=report.user_id
    ):
        raise NotFound("No such member in this workspace.", field="userId")
    return conversation_id, contact_id, report.message_id


async def write_usage(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    checked: CheckedReport,
    priced: Priced,
    conversation_id: UUID | None,
    contact_id: UUID | None,
    message_id: UUID | None,
    bump_totals: bool = True,
    include_cache: bool | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Write one usage event and everything that sums it, in the caller's transaction.

    Lock order (the same in sendMessage and repricing, so no deadlocks): the caller has
    locked the conversation and contact (`lock_owners`); then the event row (its unique
    request id makes a concurrent duplicate wait here), the budget period, the rollup,
    and last the workspace's event counter. `bump_totals=False` leaves the conversation and contact
    totals to the caller (sendMessage bumps them with the message).
    """
    now = now or datetime.now(UTC)
    event = await _create_event(
        db,
        workspace_id=workspace_id,
        checked=checked,
        priced=priced,
        references=(conversation_id, contact_id, message_id),
        include_cache=include_cache,
    )
    charge = await budgets.charge(
        db,
        workspace_id=workspace_id,
        occurred_at=checked.occurred_at,
        cost=priced.cost,
        reservation_id=checked.report.reservation_id,
        now=now,
        usage_id=event.id,
    )
    if charge.over_budget:
        event.over_budget = True
        await event.save(using_db=db, update_fields=["over_budget"])
    await bump_daily(db, daily_key(event), daily_delta(event))
    if bump_totals:
        await add_to_totals(
            db,
            conversation_id=conversation_id,
            contact_id=contact_id,
            tokens=checked.tokens.total,
            cost=priced.cost or Decimal(0),
        )
    recorded = await events.record(
        db,
        workspace_id=workspace_id,
        type="usage.recorded",
        conversation_id=conversation_id,
        payload=usage_payload(event),
    )
    return Recorded(event=event, wakeups=[*charge.events, recorded], priced=priced)


async def _create_event(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    checked: CheckedReport,
    priced: Priced,
    references: tuple[UUID | None, UUID | None, UUID | None],
    include_cache: bool | None,
) -> models.AiUsageEvent:
    """The usage event row of a checked, priced report (references: conversation,
    contact, message); `include_cache` overrides the report's convention flag."""
    report, tokens = checked.report, checked.tokens
    conversation_id, contact_id, message_id = references
    return await models.AiUsageEvent.create(
        using_db=db,
        workspace_id=workspace_id,
        reported_model=checked.model,
        model_id=priced.model.id if priced.model else None,
        model_key=priced.model.key if priced.model else checked.model,
        provider=priced.model.provider if priced.model else "",
        price_id=priced.price.id if priced.price else None,
        operation=checked.operation,
        ai_type=checked.ai_type,
        conversation_id=conversation_id,
        message_id=message_id,
        contact_id=contact_id,
        user_id=report.user_id,
        uncached_input_tokens=tokens.uncached_input,
        cache_read_tokens=tokens.cache_read,
        cache_write_tokens=tokens.cache_write,
        cache_write_1h_tokens=report.cache_write_1h_tokens,
        output_tokens=tokens.output,
        reasoning_tokens=tokens.reasoning,
        input_tokens_include_cache=report.input_tokens_include_cache
        if include_cache is None
        else include_cache,
        output_tokens_include_reasoning=report.output_tokens_include_reasoning,
        price_tier_above=priced.tier_above,
        latency_ms=report.latency_ms,
        request_id=checked.request_id,
        occurred_at=checked.occurred_at,
        cost_usd=priced.cost,
        cost_pico=budgets.to_pico(priced.cost) if priced.cost is not None else None,
        reservation_id=report.reservation_id,
    )


async def existing_usage(workspace_id: UUID, checked: CheckedReport) -> models.AiUsageEvent | None:
    """The event already recorded under the report's requestId, if any. Like Stripe's
    idempotency keys, the key stands for ONE call: reusing it with different numbers is a
    Conflict naming requestId (and the first field that differs), never a silent answer
    with the first record."""
    if checked.request_id is None:
        return None
    earlier = await models.AiUsageEvent.get_or_none(
        workspace_id=workspace_id, request_id=checked.request_id
    )
    if earlier is not None:
        differing = _first_difference(earlier, checked)
        if differing is not None:
            raise Conflict(
                f"requestId {checked.request_id!r} was already recorded with a different "
                f"{differing}; an idempotency key stands for one call: use a new requestId.",
                field="requestId",
            )
    return earlier


def _first_difference(event: models.AiUsageEvent, checked: CheckedReport) -> str | None:
    """The first input field of the report that differs from the recorded event (the
    fields a retry leaves out, occurredAt and the references filled in from others, are
    compared only when given)."""
    report, tokens = checked.report, checked.tokens
    given: list[tuple[str, object, object]] = [
        ("model", checked.model, event.reported_model),
        ("operation", checked.operation, event.operation),
        ("aiType", checked.ai_type, event.ai_type),
        ("inputTokens", tokens.uncached_input, event.uncached_input_tokens),
        ("cacheReadTokens", tokens.cache_read, event.cache_read_tokens),
        ("cacheWriteTokens", tokens.cache_write, event.cache_write_tokens),
        ("cacheWrite1hTokens", report.cache_write_1h_tokens, event.cache_write_1h_tokens),
        ("outputTokens", tokens.output, event.output_tokens),
        ("reasoningTokens", tokens.reasoning, event.reasoning_tokens),
        ("latencyMs", report.latency_ms, event.latency_ms),
    ]
    optional: list[tuple[str, object, object]] = [
        ("occurredAt", report.occurred_at and checked.occurred_at, event.occurred_at),
        ("conversationId", report.conversation_id, event.conversation_id),
        ("messageId", report.message_id, event.message_id),
        ("contactId", report.contact_id, event.contact_id),
        ("userId", report.user_id, event.user_id),
        ("reservationId", report.reservation_id, event.reservation_id),
    ]
    for name, reported, recorded in given:
        if reported != recorded:
            return name
    for name, reported, recorded in optional:
        if reported is not None and reported != recorded:
            return name
    return None


async def record_usage(
    *, workspace_id: UUID, report: UsageReport, book: PriceBook | None = None
) -> Recorded:
    """Record one call (idempotent by requestId: the same id returns the first record, also
    under concurrent identical calls, through the unique (workspace, request_id))."""
    checked = check_report(report)
    earlier = await existing_usage(workspace_id, checked)
    if earlier is not None:
        return Recorded(event=earlier, created=False)
    conversation_id, contact_id, message_id = await _references(workspace_id, report)
    priced = await price_report(workspace_id, checked, book)
    try:
        async with in_transaction() as db:
            await lock_owners(db, conversation_id=conversation_id, contact_id=contact_id)
            recorded = await write_usage(
                db,
                workspace_id=workspace_id,
                checked=checked,
                priced=priced,
                conversation_id=conversation_id,
                contact_id=contact_id,
                message_id=message_id,
            )
    except IntegrityError:
        earlier = await existing_usage(workspace_id, checked)
        if earlier is None:
            raise
        return Recorded(event=earlier, created=False)
    metrics.USAGE_EVENTS_RECORDED.inc()
    await events.publish(*recorded.wakeups)
    return recorded


async def record_usage_batch(
    *, workspace_id: UUID, reports: Sequence[UsageReport | DomainError]
) -> list[Recorded | DomainError]:
    """Record up to MAX_BATCH calls, each on its own transaction (one failing report stops
    none of the others, whatever it fails with); results in input order. A report that
    failed to decode is passed in as its error and comes back as it; an unexpected error
    comes back as that report's `Unexpected` (logged with its cause)."""
    if len(reports) > MAX_BATCH:
        raise BadInput(f"At most {MAX_BATCH} events a batch.", field="events")
    results: list[Recorded | DomainError] = []
    book = PriceBook(workspace_id)
    for report in reports:
        if isinstance(report, DomainError):
            results.append(report)
            continue
        try:
            results.append(await record_usage(workspace_id=workspace_id, report=report, book=book))
        except DomainError as error:
            results.append(error)
        except Exception:
            log.exception("recording usage %r of a batch failed", report.request_id)
            results.append(
                Unexpected(
                    "This call could not be recorded (an internal error, logged); nothing "
                    "of it was written: retry it with the same requestId."
                )
            )
    return results


async def usage_of_message(*, workspace_id: UUID, message_id: UUID) -> models.AiUsageEvent | None:
    return await models.AiUsageEvent.get_or_none(workspace_id=workspace_id, message_id=message_id)


@dataclass(frozen=True)
class MessageUsageReport:
    """A sendMessage usage, checked and priced before its transaction."""

    checked: CheckedReport
    priced: Priced
    include_cache: bool


async def prepare_message_usage(
    *, workspace_id: UUID, report: UsageReport, include_cache: bool
) -> tuple[MessageUsageReport, models.AiUsageEvent | None]:
    """Check and price the usage of a message about to be sent; also the event already
    recorded under its requestId, if any (sendMessage then returns that message)."""
    checked = check_report(report)
    return (
        MessageUsageReport(checked, await price_report(workspace_id, checked), include_cache),
        await existing_usage(workspace_id, checked),
    )


async def write_message_usage(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    usage: MessageUsageReport,
    conversation_id: UUID,
    contact_id: UUID,
    message_id: UUID,
) -> Recorded:
    """The usage event of a message, in sendMessage's transaction (which has locked the
    conversation and bumps the conversation's and contact's totals itself)."""
    return await write_usage(
        db,
        workspace_id=workspace_id,
        checked=usage.checked,
        priced=usage.priced,
        conversation_id=conversation_id,
        contact_id=contact_id,
        message_id=message_id,
        bump_totals=False,
        include_cache=usage.include_cache,
    )


BY_OCCURRED = SortKey((("occurred_at", "datetime"), ("id", "uuid")), descending=True)


async def list_usage_events(
    *,
    workspace_id: UUID,
    conversation_id: UUID | None = None,
    model: str | None = None,
    operation: str | None = None,
    page: PageArgs,
) -> Page[models.AiUsageEvent]:
    """The workspace's recorded calls, newest first (keyset on occurred_at, id). `model`
    may be an alias: it matches the model it resolves to (or, unknown, the name itself)."""
    query = models.AiUsageEvent.filter(workspace_id=workspace_id)
    if conversation_id is not None:
        query = query.filter(conversation_id=conversation_id)
    if model is not None and model.strip():
        resolved = await resolve_model(workspace_id, model.strip())
        query = query.filter(model_key=resolved.key if resolved else model.strip())
    if operation is not None and operation.strip():
        query = query.filter(operation=operation.strip())
    return await keyset_page(query, BY_OCCURRED, page)
