"""Budget reservations: a HARD budget holds a call's worst-case cost before it is made.

`reserve_budget` prices the worst case from the catalog (api/usage/catalog.py) and
holds it against this month's period (api/usage/budgets.py); recording the call settles
the reservation (budgets.charge), `release` gives it back, and expired ones are released
lazily before each reservation and by `parley budget release-expired`.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

import models
from api.core.errors import BadInput, Conflict, NotFound, QuotaExceeded
from api.usage.budgets import (
    from_pico,
    period_for,
    period_start_of,
    to_pico,
    to_pico_ceil,
    within_budget,
)
from api.usage.catalog import price_at, prices_of, resolve_model
from api.usage.pricing import MAX_TOKENS_PER_KIND, worst_case_cost
from models.usage import ReservationStatus

# the most a workspace may hold in reservations at once, also without a HARD budget:
# reserved_pico is one BIGINT (9.2e18), and one reservation holds at most 2e18 (the
# token and price bounds), so it can never overflow
MAX_RESERVED_USD = Decimal(4_000_000)
DEFAULT_RESERVATION_TTL = timedelta(minutes=10)
MAX_RESERVATION_TTL = timedelta(hours=1)


async def reserve_budget(
    *,
    workspace_id: UUID,
    model_name: str,
    max_input_tokens: int,
    max_output_tokens: int,
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> models.AiBudgetReservation:
    """Reserve the worst-case cost of a call before making it (HARD budgets)."""
    for name, value in (
        ("maxInputTokens", max_input_tokens),
        ("maxOutputTokens", max_output_tokens),
    ):
        if not 0 <= value <= MAX_TOKENS_PER_KIND:
            raise BadInput(
                f"{name} must be between 0 and {MAX_TOKENS_PER_KIND:,} tokens.", field=name
            )
    now = now or datetime.now(UTC)
    model = await resolve_model(workspace_id, model_name.strip())
    if model is None:
        raise NotFound(f"No model {model_name!r} in the catalog.", field="model")
    price = await price_at(workspace_id, model.id, now)
    if price is None:
        raise NotFound(f"The model {model.key!r} has no price yet.", field="model")
    return await reserve(
        workspace_id=workspace_id,
        model_key=model.key,
        worst_case_usd=worst_case_cost(prices_of(price), max_input_tokens, max_output_tokens),
        ttl=timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None,
        now=now,
    )


async def reserve(
    *,
    workspace_id: UUID,
    model_key: str,
    worst_case_usd: Decimal,
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> models.AiBudgetReservation:
    """Hold `worst_case_usd` against this month's budget, atomically; QuotaExceeded when a
    HARD budget has no room. Expired reservations are released first."""
    now = now or datetime.now(UTC)
    ttl = DEFAULT_RESERVATION_TTL if ttl is None else ttl  # 0 s is refused, not defaulted
    if not timedelta(seconds=1) <= ttl <= MAX_RESERVATION_TTL:
        raise BadInput("ttlSeconds must be between 1 and 3600.", field="ttlSeconds")
    await release_expired(workspace_id=workspace_id, now=now)
    amount = to_pico_ceil(worst_case_usd)
    async with in_transaction() as db:
        period = await period_for(db, workspace_id, period_start_of(now))
        if amount:
            granted = await (
                models.AiBudgetPeriod.filter(id=period.id)
                .filter(within_budget(amount))
                .filter(reserved_pico__lte=to_pico(MAX_RESERVED_USD) - amount)
                .using_db(db)
                .update(reserved_pico=F("reserved_pico") + amount)
            )
            if not granted:
                raise QuotaExceeded(
                    f"Reserving {from_pico(amount)} USD would exceed the workspace's HARD "
                    "monthly AI budget (spent and reserved so far count against it), or "
                    f"hold more than {MAX_RESERVED_USD} USD in reservations at once."
                )
        return await models.AiBudgetReservation.create(
            using_db=db,
            workspace_id=workspace_id,
            period_id=period.id,
            model_key=model_key,
            amount_pico=amount,
            expires_at=now + ttl,
        )


async def _close(
    reservation: Any, status: ReservationStatus, now: datetime
) -> bool:  # reservation: a row or a (id, period_id, amount) triple
    async with in_transaction() as db:
        closed = await (
            models.AiBudgetReservation.filter(id=reservation[0], status=ReservationStatus.ACTIVE)
            .using_db(db)
            .update(status=status, closed_at=now)
        )
        if closed:
            await (
                models.AiBudgetPeriod.filter(id=reservation[1])
                .using_db(db)
                .update(reserved_pico=F("reserved_pico") - reservation[2])
            )
    return bool(closed)


async def release(
    *, workspace_id: UUID, reservation_id: UUID, now: datetime | None = None
) -> models.AiBudgetReservation:
    """Give a reservation back unused (the call failed or was not made)."""
    reservation = await models.AiBudgetReservation.get_or_none(
        id=reservation_id, workspace_id=workspace_id
    )
    if reservation is None:
        raise NotFound("No such budget reservation.", field="reservationId")
    now = now or datetime.now(UTC)
    if not await _close(
        (reservation.id, reservation.period_id, reservation.amount_pico),
        ReservationStatus.RELEASED,
        now,
    ):
        raise Conflict(
            f"The reservation is already {reservation.status.value.lower()}.",
            field="reservationId",
        )
    return await models.AiBudgetReservation.get(id=reservation_id)


async def release_expired(*, workspace_id: UUID | None = None, now: datetime | None = None) -> int:
    """Release every unsettled reservation past its expiry; returns how many. Runs lazily
    before each reservation and from `parley budget release-expired`."""
    now = now or datetime.now(UTC)
    query = models.AiBudgetReservation.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)
    if workspace_id is not None:
        query = query.filter(workspace_id=workspace_id)
    rows = await query.values_list("id", "period_id", "amount_pico")
    released = 0
    for row in rows:
        released += await _close(row, ReservationStatus.EXPIRED, now)
    return released
