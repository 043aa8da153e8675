"""Monthly AI budgets: period counters, charging a recorded call, thresholds, settings.

(Holding a call's worst case before it is made is api/usage/reservations.py; charging
a call settles its reservation here.)

Every workspace has one `AiBudgetPeriod` row per calendar month (UTC), created on first
use, holding `spent` and `reserved` in integer pico-USD (see models/usage.py for why
integers). Every change of a counter is ONE conditional UPDATE, so concurrent writers
on PostgreSQL and SQLite never overshoot:

* reserve:  `SET reserved = reserved + x WHERE spent + reserved + x <= limit` (HARD only)
* record:   `SET spent = spent + c` (a call that was made is always recorded)
* settle:   `SET reserved = reserved - r, spent = spent + c` (the reservation row is
            closed by its own conditional UPDATE first, so a reservation settles once)

A budget decides whether a call may START (`reservations.reserve`); the cost of a call that was made
is always recorded, even past a HARD limit: the event is then marked `over_budget` and a
`budget.exceeded` event announces it, and the spending over the limit makes every later
reservation fail until the budget is raised or the month ends. A zero cost never
touches the limit: free models are never blocked.

`spent` is stored split (spent_micro * 10^6 + spent_pico, see models/usage.py) so it
never overflows; the WHERE of a reservation compares it without ever forming the
product: `spent_pico <= R` and `spent_micro <= (R - spent_pico) / 10^6` with
R = limit - reserved - x (integer division of a non-negative number is its floor on
both databases, so this is exactly `spent + reserved + x <= limit`).
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import CombinedExpression, Connector, F, Q
from tortoise.transactions import in_transaction

import models
from api.core import events
from api.core.errors import BadInput, Conflict, NotFound
from models.usage import BudgetMode, ReservationStatus

PICO_PER_USD = 10**12
PICO_PER_MICRO = 10**6
MAX_BUDGET_USD = Decimal(1_000_000)
THRESHOLDS = (50, 80, 100)


def to_pico(usd: Decimal) -> int:
    """Exact pico-USD of an amount with at most 12 decimal places."""
    scaled = usd.scaleb(12)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{usd} has more than 12 decimal places")
    return int(scaled)


def to_pico_ceil(usd: Decimal) -> int:
    """pico-USD rounded up: a reservation never holds less than the worst case."""
    return math.ceil(usd.scaleb(12))


def from_pico(pico: int) -> Decimal:
    return Decimal(pico).scaleb(-12)


def split_pico(pico: int) -> tuple[int, int]:
    """pico-USD as (whole micro-USD, the pico-USD left), the two counter columns' parts."""
    return divmod(pico, PICO_PER_MICRO)


def plus_spent(pico: int) -> dict[str, Any]:
    """The UPDATE values adding `pico` to a period's split `spent`."""
    micro, rest = split_pico(pico)
    return {"spent_micro": F("spent_micro") + micro, "spent_pico": F("spent_pico") + rest}


def period_start_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def period_end_of(start: date) -> date:
    """The first day of the next month (exclusive end)."""
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


async def period_for(
    db: BaseDBAsyncClient, workspace_id: UUID, start: date
) -> models.AiBudgetPeriod:
    """The period row of `start`'s month, created (with the workspace's budget) on first
    use; a concurrent creation is caught by the unique (workspace, period_start)."""
    for _ in range(3):
        row = await models.AiBudgetPeriod.get_or_none(
            workspace_id=workspace_id, period_start=start, using_db=db
        )
        if row is not None:
            return row
        budget = await models.AiBudget.get_or_none(workspace_id=workspace_id, using_db=db)
        try:
            async with in_transaction():  # a savepoint: a lost race leaves the transaction usable
                return await models.AiBudgetPeriod.create(
                    using_db=db,
                    workspace_id=workspace_id,
                    period_start=start,
                    limit_pico=budget.limit_pico if budget else None,
                    mode=budget.mode if budget else BudgetMode.SOFT,
                )
        except IntegrityError:
            continue
    raise RuntimeError("budget period row neither found nor created")


def within_budget(extra_pico: int) -> Q:
    """The WHERE of a counter change that must respect a HARD limit (see the module):
    R = limit - reserved - extra; spent_pico <= R and spent_micro <= (R - spent_pico) / 10^6."""
    room = F("limit_pico") - (F("reserved_pico") + extra_pico)
    room_after_pico = CombinedExpression(room, Connector.sub, F("spent_pico"))
    return Q(
        Q(limit_pico__isnull=True),
        Q(mode=BudgetMode.SOFT),
        Q(
            Q(spent_pico__lte=room),
            Q(spent_micro__lte=CombinedExpression(room_after_pico, Connector.div, PICO_PER_MICRO)),
        ),
        join_type="OR",
    )


@dataclass
class Charge:
    """What recording one call did to the budget, and the events to publish after commit.
    `over_budget`: the call took a HARD budget's spending past its limit."""

    reservation_id: UUID | None
    events: list[models.Event]
    over_budget: bool = False


async def _settle(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    reservation_id: UUID,
    period: models.AiBudgetPeriod,
    cost_pico: int,
    now: datetime,
) -> bool:
    """Settle an ACTIVE reservation with the actual cost (even above what it held: the
    call happened); False when it covers nothing (released or expired)."""
    reservation = await models.AiBudgetReservation.get_or_none(
        id=reservation_id, workspace_id=workspace_id, using_db=db
    )
    if reservation is None:
        raise NotFound("No such budget reservation.", field="reservationId")
    if reservation.status is ReservationStatus.SETTLED:
        raise Conflict(
            "This reservation was already settled by another usage record.",
            field="reservationId",
        )
    closed = await (
        models.AiBudgetReservation.filter(id=reservation_id, status=ReservationStatus.ACTIVE)
        .using_db(db)
        .update(status=ReservationStatus.SETTLED, closed_at=now)
    )
    if not closed:
        return False
    await (
        models.AiBudgetPeriod.filter(id=reservation.period_id)
        .using_db(db)
        .update(reserved_pico=F("reserved_pico") - reservation.amount_pico)
    )
    await add_spent(db, period.id, cost_pico)
    return True


async def charge(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    occurred_at: datetime,
    cost: Decimal | None,
    reservation_id: UUID | None,
    now: datetime,
    usage_id: UUID | None = None,
) -> Charge:
    """Account for a recorded call in the recording transaction.

    With an ACTIVE reservation: settle it. A released or expired reservation covers
    nothing. Either way the actual cost is added to `spent`: the call was made. When that
    takes a HARD budget past its limit, the charge is `over_budget` and a
    `budget.exceeded` event (with the usage event's id) is recorded.
    """
    cost_pico = to_pico(cost) if cost else 0
    period = await period_for(db, workspace_id, period_start_of(occurred_at))
    settled: UUID | None = None
    if reservation_id is not None and await _settle(
        db,
        workspace_id=workspace_id,
        reservation_id=reservation_id,
        period=period,
        cost_pico=cost_pico,
        now=now,
    ):
        settled = reservation_id
    if settled is None:
        await add_spent(db, period.id, cost_pico)
    if not cost_pico:
        return Charge(reservation_id=settled, events=[])
    recorded = await announce_thresholds(db, workspace_id, period.id)
    period = await models.AiBudgetPeriod.get(id=period.id, using_db=db)
    over = _over_hard_limit(period)
    if over:
        recorded.append(await _announce_exceeded(db, period, cost_pico, usage_id))
    return Charge(reservation_id=settled, events=recorded, over_budget=over)


def _over_hard_limit(period: models.AiBudgetPeriod) -> bool:
    return (
        period.mode is BudgetMode.HARD
        and period.limit_pico is not None
        and period.spent_total_pico > period.limit_pico
    )


async def _announce_exceeded(
    db: BaseDBAsyncClient, period: models.AiBudgetPeriod, cost_pico: int, usage_id: UUID | None
) -> models.Event:
    """One `budget.exceeded` event per call recorded past a HARD limit (each is spend the
    budget did not allow: operators want to find the caller that skipped reserving)."""
    assert period.limit_pico is not None
    return await events.record(
        db,
        workspace_id=period.workspace_id,
        type="budget.exceeded",
        payload={
            "usageId": str(usage_id) if usage_id else None,
            "periodStart": period.period_start.isoformat(),
            "mode": period.mode.value,
            "limitUsd": str(from_pico(period.limit_pico)),
            "spentUsd": str(from_pico(period.spent_total_pico)),
            "costUsd": str(from_pico(cost_pico)),
            "overByUsd": str(from_pico(period.spent_total_pico - period.limit_pico)),
        },
    )


async def add_spent(db: BaseDBAsyncClient, period_id: UUID, cost_pico: int) -> None:
    """Add an actual cost unconditionally (a call that happened, e.g. priced later)."""
    if cost_pico:
        await (
            models.AiBudgetPeriod.filter(id=period_id).using_db(db).update(**plus_spent(cost_pico))
        )


def _reached(period: models.AiBudgetPeriod) -> int:
    """The highest threshold (percent) the period's spending has reached, or 0."""
    spent = period.spent_total_pico
    if period.limit_pico is None or spent <= 0:
        return 0
    return max((t for t in THRESHOLDS if spent * 100 >= t * period.limit_pico), default=0)


async def announce_thresholds(
    db: BaseDBAsyncClient, workspace_id: UUID, period_id: UUID
) -> list[models.Event]:
    """Record one `budget.threshold` event per threshold newly crossed. The conditional
    UPDATE of `threshold_notified` lets exactly one transaction announce each."""
    period = await models.AiBudgetPeriod.get(id=period_id, using_db=db)
    reached = _reached(period)
    if reached <= period.threshold_notified:
        return []
    claimed = await (
        models.AiBudgetPeriod.filter(id=period_id, threshold_notified__lt=reached)
        .using_db(db)
        .update(threshold_notified=reached)
    )
    if not claimed:
        return []
    assert period.limit_pico is not None
    recorded = []
    for threshold in THRESHOLDS:
        if period.threshold_notified < threshold <= reached:
            recorded.append(
                await events.record(
                    db,
                    workspace_id=workspace_id,
                    type="budget.threshold",
                    payload={
                        "threshold": threshold,
                        "periodStart": period.period_start.isoformat(),
                        "mode": period.mode.value,
                        "limitUsd": str(from_pico(period.limit_pico)),
                        "spentUsd": str(from_pico(period.spent_total_pico)),
                    },
                )
            )
    return recorded


# --- budget settings and state --------------------------------------------------------


@dataclass(frozen=True)
class BudgetState:
    """This month's budget of a workspace."""

    limit_usd: Decimal | None
    mode: BudgetMode | None
    spent_usd: Decimal
    reserved_usd: Decimal
    period_start: date

    @property
    def remaining_usd(self) -> Decimal | None:
        if self.limit_usd is None:
            return None
        return max(Decimal(0), self.limit_usd - self.spent_usd - self.reserved_usd)

    @property
    def period_end(self) -> date:
        return period_end_of(self.period_start)


async def budget_state(*, workspace_id: UUID, now: datetime | None = None) -> BudgetState:
    start = period_start_of(now or datetime.now(UTC))
    period = await models.AiBudgetPeriod.get_or_none(workspace_id=workspace_id, period_start=start)
    budget = await models.AiBudget.get_or_none(workspace_id=workspace_id)
    limit = period.limit_pico if period else (budget.limit_pico if budget else None)
    mode = period.mode if period else (budget.mode if budget else None)
    return BudgetState(
        limit_usd=from_pico(limit) if limit is not None else None,
        mode=mode if limit is not None else None,
        spent_usd=from_pico(period.spent_total_pico if period else 0),
        reserved_usd=from_pico(period.reserved_pico if period else 0),
        period_start=start,
    )


async def set_budget(
    *, workspace_id: UUID, amount_usd: Decimal, mode: BudgetMode, now: datetime | None = None
) -> BudgetState:
    """Set the monthly budget; it applies to this month at once and to every later one.
    Thresholds already reached under the new limit are not announced again."""
    if not amount_usd.is_finite() or amount_usd < 0 or amount_usd > MAX_BUDGET_USD:
        raise BadInput(f"amountUsd must be between 0 and {MAX_BUDGET_USD} USD.", field="amountUsd")
    try:
        limit = to_pico(amount_usd)
    except ValueError:
        raise BadInput("amountUsd has more than 12 decimal places.", field="amountUsd") from None
    now = now or datetime.now(UTC)
    async with in_transaction() as db:
        updated = await (
            models.AiBudget.filter(workspace_id=workspace_id)
            .using_db(db)
            .update(limit_pico=limit, mode=mode, updated_at=now)
        )
        if not updated:
            try:
                async with in_transaction():  # a savepoint: a lost race leaves db usable
                    await models.AiBudget.create(
                        using_db=db, workspace_id=workspace_id, limit_pico=limit, mode=mode
                    )
            except IntegrityError:  # a concurrent first setAiBudget created it: ours wins
                await (
                    models.AiBudget.filter(workspace_id=workspace_id)
                    .using_db(db)
                    .update(limit_pico=limit, mode=mode, updated_at=now)
                )
        period = await period_for(db, workspace_id, period_start_of(now))
        period = (
            await models.AiBudgetPeriod.filter(id=period.id).using_db(db).select_for_update().get()
        )
        period.limit_pico, period.mode = limit, mode
        period.threshold_notified = _reached(period)
        await period.save(using_db=db, update_fields=["limit_pico", "mode", "threshold_notified"])
    return await budget_state(workspace_id=workspace_id, now=now)
