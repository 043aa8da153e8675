"""AI usage metering: the model catalog in the database, recording calls, repricing.

A recorded call is one `AiUsageEvent` written in one transaction together with
everything that sums it: the budget period (api/usage/budgets.py), the daily rollup,
the conversation's and contact's totals, and a `usage.recorded` event (published after
commit). Costs are computed here, with Decimal, from the price version in force when
the call happened (a workspace's negotiated rate first), and stored with 12 decimal
places. Usage naming an unknown model is recorded unpriced and priced later by
`reprice_unpriced` (`parley pricing reprice`).
"""

import difflib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

import models
from api.core import events
from api.core.errors import BadInput, Conflict, DomainError, NotFound, Unexpected
from api.core.pagination import Page, PageArgs, SortKey, keyset_page
from api.usage import budgets
from api.usage.catalog import DEFAULT_CATALOG, CatalogModel
from api.usage.pricing import (
    MAX_PRICE_PER_MTOK,
    MAX_TOKENS_PER_KIND,
    ModelPrices,
    PriceTier,
    TokenCounts,
    cache_hit_rate,
    compute_cost,
    normalize_tokens,
)
from models.usage import GLOBAL_SCOPE, PRICE_DECIMAL_PLACES

COST_QUANTUM = Decimal("0.000000000001")  # 12 decimal places, as stored
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)
# the first price version of a model is in force from here: usage recorded before the
# model was known gets priced by it
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
UNKNOWN_MODEL = "unknown"  # sendMessage usage that names no model
MAX_BATCH = 1000
MAX_FUTURE_SKEW = timedelta(minutes=5)
OPERATION_PATTERN = re.compile(r"^[\w][\w .:/-]{0,63}$")
AI_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
MODEL_KEY_PATTERN = re.compile(r"^\S{1,200}$")
BY_KEY = SortKey((("key", "str"), ("id", "uuid")), descending=False)
MAX_SUGGESTIONS = 5
MAX_SUGGESTED_NAMES = 20
log = logging.getLogger(__name__)


# --- the catalog ---------------------------------------------------------------------


def scopes_of(workspace_id: UUID) -> list[str]:
    return [str(workspace_id), GLOBAL_SCOPE]


def visible_models(workspace_id: UUID) -> Q:
    """The shared catalog and the workspace's own models."""
    return Q(scope__in=scopes_of(workspace_id))


async def resolve_model(
    workspace_id: UUID, name: str, *, db: BaseDBAsyncClient | None = None
) -> models.AiModel | None:
    """The model a report's name means: a key first, then an alias; the workspace's own
    models before the shared catalog."""
    rank = {str(workspace_id): 0, GLOBAL_SCOPE: 1}
    by_key = await models.AiModel.filter(visible_models(workspace_id), key=name).using_db(db)
    if by_key:
        return min(by_key, key=lambda m: rank[m.scope])
    aliases = await models.AiModelAlias.filter(
        scope__in=scopes_of(workspace_id), alias=name
    ).using_db(db)
    if not aliases:
        return None
    alias = min(aliases, key=lambda a: rank[a.scope])
    return await models.AiModel.get(id=alias.model_id, using_db=db)


async def price_at(
    workspace_id: UUID,
    model_id: UUID,
    at: datetime,
    *,
    db: BaseDBAsyncClient | None = None,
) -> models.AiModelPrice | None:
    """The price version in force at `at`: the workspace's negotiated rate, else the list
    price; the latest `effective_from` not after `at`."""
    versions = await models.AiModelPrice.filter(
        Q(workspace_id=workspace_id) | Q(workspace_id=None),
        model_id=model_id,
        effective_from__lte=at,
    ).using_db(db)
    return in_force(versions, workspace_id, at)


def in_force(
    versions: Iterable[models.AiModelPrice], workspace_id: UUID, at: datetime
) -> models.AiModelPrice | None:
    """Of a model's price versions, the one in force at `at` for the workspace: its own
    rate first, else the list price; the latest `effective_from` not after `at` (ties: the
    version created last)."""
    for owner in (workspace_id, None):
        candidates = [v for v in versions if v.workspace_id == owner and v.effective_from <= at]
        if candidates:
            return max(candidates, key=lambda v: (v.effective_from, v.created_at))
    return None


class PriceBook:
    """Model and price lookups of one workspace, remembered for one batch of reports (a
    batch of 1000 calls names a handful of models; without this, each call looked its
    model and prices up again)."""

    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id
        self._models: dict[str, models.AiModel | None] = {}
        self._versions: dict[UUID, list[models.AiModelPrice]] = {}
        self._names: list[str] | None = None
        self._suggestions: dict[str, list[str]] = {}

    async def model(self, name: str) -> models.AiModel | None:
        if name not in self._models:
            self._models[name] = await resolve_model(self.workspace_id, name)
        return self._models[name]

    async def price(self, model_id: UUID, at: datetime) -> models.AiModelPrice | None:
        if model_id not in self._versions:
            self._versions[model_id] = await models.AiModelPrice.filter(
                Q(workspace_id=self.workspace_id) | Q(workspace_id=None), model_id=model_id
            )
        return in_force(self._versions[model_id], self.workspace_id, at)

    async def suggestions(self, name: str) -> list[str]:
        """The known model names (keys and aliases the workspace sees) closest to an
        unknown one, best first: `claude-haiku-4.5` -> `claude-haiku-4-5`, …; remembered
        per name, and for at most MAX_SUGGESTED_NAMES names a batch (each costs ~30 ms
        against the full LiteLLM catalog: a batch of 1000 made-up names must not cost
        30 s); later unknown names get none."""
        if name not in self._suggestions:
            if len(self._suggestions) >= MAX_SUGGESTED_NAMES:
                return []
            if self._names is None:
                self._names = await known_names(self.workspace_id)
            self._suggestions[name] = closest_names(name, self._names)
        return self._suggestions[name]


async def known_names(workspace_id: UUID) -> list[str]:
    keys = await models.AiModel.filter(visible_models(workspace_id)).values_list("key", flat=True)
    aliases = await models.AiModelAlias.filter(scope__in=scopes_of(workspace_id)).values_list(
        "alias", flat=True
    )
    return sorted({str(name) for name in [*keys, *aliases]})


def closest_names(name: str, names: Sequence[str]) -> list[str]:
    """difflib's closest matches (ratio >= 0.6), compared case-insensitively: a few
    thousand names take a few milliseconds, and only unknown names pay it."""
    by_lower: dict[str, str] = {}
    for known in names:
        by_lower.setdefault(known.lower(), known)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=MAX_SUGGESTIONS)
    return [by_lower[match] for match in matches]


PRICE_NAMES = {
    "input_per_mtok": "inputPerMtok",
    "output_per_mtok": "outputPerMtok",
    "cache_read_per_mtok": "cacheReadPerMtok",
    "cache_write_per_mtok": "cacheWritePerMtok",
    "cache_write_1h_per_mtok": "cacheWrite1hPerMtok",
    "reasoning_per_mtok": "reasoningPerMtok",
}


def tiers_json(tiers: Sequence[PriceTier]) -> list[dict[str, object]]:
    """Tiers as stored in AiModelPrice.tiers: camelCase keys, prices as decimal strings."""
    return [
        {
            "aboveTokens": tier.above_tokens,
            **{PRICE_NAMES[k]: str(v) for k, v in tier.prices().items() if v is not None},
        }
        for tier in tiers
    ]


def tiers_of(stored: Sequence[dict[str, Any]]) -> tuple[PriceTier, ...]:
    fields_of = {camel: name for name, camel in PRICE_NAMES.items()}
    return tuple(
        PriceTier(
            above_tokens=int(tier["aboveTokens"]),
            **{fields_of[k]: Decimal(str(v)) for k, v in tier.items() if k in fields_of},
        )
        for tier in stored
    )


def prices_of(row: models.AiModelPrice) -> ModelPrices:
    return ModelPrices(
        input_per_mtok=row.input_per_mtok,
        output_per_mtok=row.output_per_mtok,
        cache_read_per_mtok=row.cache_read_per_mtok,
        cache_write_per_mtok=row.cache_write_per_mtok,
        cache_write_1h_per_mtok=row.cache_write_1h_per_mtok,
        reasoning_per_mtok=row.reasoning_per_mtok,
        tiers=tiers_of(row.tiers or []),
    )


def cost_of(tokens: TokenCounts, prices: ModelPrices, cache_write_1h: int = 0) -> Decimal:
    """The exact cost, kept to the stored 12 decimal places (half-even; prices with at
    most 6 decimal places per MTok never need rounding)."""
    exact = compute_cost(tokens, prices, cache_write_1h_tokens=cache_write_1h)
    return exact.quantize(COST_QUANTUM, rounding=ROUND_HALF_EVEN)


def worst_case_cost(prices: ModelPrices, max_input_tokens: int, max_output_tokens: int) -> Decimal:
    """The most a call with these limits can cost: every input token at the dearest input
    rate (a cache write may cost more than plain input), every output token at the dearest
    of output and reasoning, in the dearest tier the prompt can reach."""
    reachable = [prices.flat(None)] + [
        prices.flat(tier) for tier in prices.tiers if max_input_tokens > tier.above_tokens
    ]
    dearest_input = max(
        max(
            p.input_per_mtok,
            p.effective_cache_read_per_mtok,
            p.effective_cache_write_per_mtok,
            p.effective_cache_write_1h_per_mtok,
        )
        for p in reachable
    )
    dearest_output = max(max(p.output_per_mtok, p.effective_reasoning_per_mtok) for p in reachable)
    return (
        Decimal(max_input_tokens) * dearest_input + Decimal(max_output_tokens) * dearest_output
    ).scaleb(-6)


def price_values(prices: ModelPrices) -> dict[str, Any]:
    """The AiModelPrice column values of prices."""
    return {
        **{name: getattr(prices, name) for name in PRICE_NAMES},
        "tiers": tiers_json(prices.tiers),
    }


def check_prices(prices: ModelPrices) -> ModelPrices:
    """Prices must fit the price columns exactly (≤ 12 decimal places; the bound of
    MAX_PRICE_PER_MTOK is ModelPrices' own)."""
    for tier in (None, *prices.tiers):
        values = tier.prices() if tier else {n: getattr(prices, n) for n in PRICE_NAMES}
        for name, value in values.items():
            if value is not None and value.quantize(PRICE_QUANTUM) != value:
                field = f"tiers.{PRICE_NAMES[name]}" if tier else PRICE_NAMES[name]
                raise BadInput(
                    f"{field} must be at most {MAX_PRICE_PER_MTOK} USD per million tokens "
                    f"with at most {PRICE_DECIMAL_PLACES} decimal places.",
                    field=field,
                )
    return prices


def _fit(value: Decimal | None) -> Decimal | None:
    if value is None or value.quantize(PRICE_QUANTUM) == value:
        return value
    return value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


def fit_prices(prices: ModelPrices) -> ModelPrices:
    """Round imported prices to the 12 decimal places of the price columns. LiteLLM's
    file has float noise in some entries (2.9999900000000002e-06 per token); 1e-12 USD per
    million tokens is far below anything billed."""
    tiers = tuple(
        PriceTier(tier.above_tokens, **{k: _fit(v) for k, v in tier.prices().items()})
        for tier in prices.tiers
    )
    fitted: dict[str, Any] = {name: _fit(getattr(prices, name)) for name in PRICE_NAMES}
    return ModelPrices(**fitted, tiers=tiers)


def _same_prices(row: models.AiModelPrice, prices: ModelPrices) -> bool:
    return prices_of(row) == prices


@dataclass
class CatalogImport:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    prices_added: int = 0
    aliases_added: int = 0

    @property
    def models(self) -> int:
        return self.created + self.updated + self.unchanged


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def import_catalog(
    catalog: Sequence[CatalogModel],
    *,
    source: str,
    effective_from: datetime | None = None,
    only_missing: bool = False,
    now: datetime | None = None,
) -> CatalogImport:
    """Put models into the shared catalog, in one transaction.

    A new model gets its prices as its first version (in force from `effective_from`,
    default the beginning of time, so earlier unpriced usage gets priced). An existing
    model gets its metadata updated and, when its latest list price differs, a new price
    version in force from `effective_from` (default now). `only_missing` (the default
    catalog at `parley migrate`) adds missing models and prices and changes nothing else.
    """
    now = now or datetime.now(UTC)
    result = CatalogImport()
    keys = [m.model_id for m in catalog]
    existing: dict[str, models.AiModel] = {}
    for chunk in _chunks(keys):
        for row in await models.AiModel.filter(scope=GLOBAL_SCOPE, key__in=list(chunk)):
            existing[row.key] = row
    latest: dict[UUID, models.AiModelPrice] = {}
    ids = [row.id for row in existing.values()]
    for chunk in _chunks(ids):
        prices = await models.AiModelPrice.filter(model_id__in=list(chunk), workspace_id=None)
        for price in sorted(prices, key=lambda p: (p.effective_from, p.created_at)):
            latest[price.model_id] = price
    taken_aliases: set[str] = {
        str(alias)
        for alias in await models.AiModelAlias.filter(scope=GLOBAL_SCOPE).values_list(
            "alias", flat=True
        )
    }
    new_models: list[models.AiModel] = []
    new_prices: list[models.AiModelPrice] = []
    new_aliases: list[models.AiModelAlias] = []
    async with in_transaction() as db:
        for entry in catalog:
            entry = replace(entry, prices=check_prices(fit_prices(entry.prices)))
            found = existing.get(entry.model_id)
            add_price = True
            first_from = effective_from or BEGINNING
            if found is None:
                row = models.AiModel(
                    scope=GLOBAL_SCOPE,
                    key=entry.model_id,
                    provider=entry.provider,
                    display_name=entry.display_name,
                    context_window=entry.context_window,
                    max_output_tokens=entry.max_output_tokens,
                    capabilities=list(entry.capabilities),
                    source=source,
                )
                new_models.append(row)
                existing[entry.model_id] = row
                result.created += 1
            else:
                row = found
                changed = False
                if not only_missing:
                    values: dict[str, Any] = {
                        "provider": entry.provider,
                        "display_name": entry.display_name,
                        "context_window": entry.context_window,
                        "max_output_tokens": entry.max_output_tokens,
                        "capabilities": list(entry.capabilities),
                    }
                    if any(getattr(row, k) != v for k, v in values.items()):
                        for k, v in values.items():
                            setattr(row, k, v)
                        await row.save(using_db=db)
                        changed = True
                current = latest.get(row.id)
                if current is not None:
                    first_from = effective_from or now
                    add_price = not only_missing and not _same_prices(current, entry.prices)
                result.updated += changed or add_price
                result.unchanged += not (changed or add_price)
            if add_price:
                new_prices.append(
                    models.AiModelPrice(
                        model_id=row.id,
                        workspace_id=None,
                        effective_from=first_from,
                        source=source,
                        **price_values(entry.prices),
                    )
                )
            for alias in entry.aliases:
                if alias not in taken_aliases and alias not in existing:
                    taken_aliases.add(alias)
                    new_aliases.append(
                        models.AiModelAlias(
                            scope=GLOBAL_SCOPE, alias=alias, model_id=existing[entry.model_id].id
                        )
                    )
        await models.AiModel.bulk_create(new_models, batch_size=500, using_db=db)
        await models.AiModelPrice.bulk_create(new_prices, batch_size=500, using_db=db)
        await models.AiModelAlias.bulk_create(new_aliases, batch_size=500, using_db=db)
    result.prices_added = len(new_prices)
    result.aliases_added = len(new_aliases)
    return result


async def install_default_catalog() -> CatalogImport:
    """The curated catalog, idempotently (run by `parley migrate`)."""
    return await import_catalog(DEFAULT_CATALOG, source="default", only_missing=True)


def _text(value: str | None, *, field: str, pattern: re.Pattern[str], what: str) -> str:
    text = (value or "").strip()
    if not pattern.match(text):
        raise BadInput(f"{field} must be {what}.", field=field)
    return text


async def add_model(
    *,
    workspace_id: UUID,
    key: str,
    provider: str,
    display_name: str | None,
    context_window: int | None,
    max_output_tokens: int | None,
    capabilities: list[str],
    aliases: list[str],
    prices: ModelPrices,
    effective_from: datetime | None = None,
) -> tuple[models.AiModel, models.AiModelPrice]:
    """A workspace's own model (a self-hosted or fine-tuned LLM) with its first price.
    The shared catalog is the operator's (`parley pricing import`); a model already there
    gets a negotiated rate with `set_price` instead."""
    key = _text(key, field="modelId", pattern=MODEL_KEY_PATTERN, what="1–200 characters, no spaces")
    provider = _text(
        provider, field="provider", pattern=MODEL_KEY_PATTERN, what="1–64 characters, no spaces"
    )[:64]
    aliases = [
        _text(a, field="aliases", pattern=MODEL_KEY_PATTERN, what="1–200 characters, no spaces")
        for a in aliases
    ]
    for name, limit in (("contextWindow", context_window), ("maxOutputTokens", max_output_tokens)):
        if limit is not None and limit <= 0:
            raise BadInput(f"{name} must be positive.", field=name)
    check_prices(prices)
    effective_from = _aware(effective_from, field="effectiveFrom") or BEGINNING
    for name, fieldname in [(key, "modelId"), *((a, "aliases") for a in aliases)]:
        if await resolve_model(workspace_id, name) is not None:
            raise Conflict(
                f"{name!r} already names a model in the catalog; give it a negotiated rate "
                "with setAiModelPrice instead.",
                field=fieldname,
            )
    if len(set(aliases) | {key}) != len(aliases) + 1:
        raise BadInput("aliases must differ from each other and from modelId.", field="aliases")
    scope = str(workspace_id)
    try:
        async with in_transaction() as db:
            model = await models.AiModel.create(
                using_db=db,
                scope=scope,
                workspace_id=workspace_id,
                key=key,
                provider=provider,
                display_name=(display_name or "").strip()[:200] or key,
                context_window=context_window,
                max_output_tokens=max_output_tokens,
                capabilities=sorted(set(capabilities)),
                source="admin",
            )
            for alias in aliases:
                await models.AiModelAlias.create(using_db=db, scope=scope, alias=alias, model=model)
            price = await models.AiModelPrice.create(
                using_db=db,
                model=model,
                workspace_id=workspace_id,
                effective_from=effective_from,
                source="admin",
                **price_values(prices),
            )
    except IntegrityError:
        raise Conflict("A model with this id or alias was just added.", field="modelId") from None
    return model, price


async def set_price(
    *,
    workspace_id: UUID,
    model_name: str,
    prices: ModelPrices,
    effective_from: datetime | None = None,
) -> tuple[models.AiModel, models.AiModelPrice]:
    """A new price version for the workspace: a negotiated rate for a catalog model, or a
    new price of its own model; in force from `effective_from` (default now)."""
    model = await resolve_model(workspace_id, model_name)
    if model is None:
        raise NotFound(f"No model {model_name!r} in the catalog.", field="modelId")
    check_prices(prices)
    effective = _aware(effective_from, field="effectiveFrom") or datetime.now(UTC)
    values: dict[str, Any] = price_values(prices)
    price = await models.AiModelPrice.create(
        model=model, workspace_id=workspace_id, effective_from=effective, source="admin", **values
    )
    return model, price


async def list_models(
    *,
    workspace_id: UUID,
    search: str | None,
    provider: str | None,
    page: PageArgs,
) -> Page[models.AiModel]:
    query = models.AiModel.filter(visible_models(workspace_id))
    if provider:
        query = query.filter(provider=provider.strip())
    if search and search.strip():
        term = search.strip()
        query = query.filter(Q(key__icontains=term) | Q(display_name__icontains=term))
    return await keyset_page(query, BY_KEY, page)


# --- recording -----------------------------------------------------------------------


@dataclass(frozen=True)
class UsageReport:
    """One LLM call as a bot worker reports it (token counts in either convention)."""

    model: str
    operation: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    input_tokens_include_cache: bool = False
    reasoning_tokens: int = 0
    output_tokens_include_reasoning: bool = True
    ai_type: str | None = None
    latency_ms: int | None = None
    request_id: str | None = None
    occurred_at: datetime | None = None
    conversation_id: UUID | None = None
    message_id: UUID | None = None
    contact_id: UUID | None = None
    user_id: UUID | None = None
    reservation_id: UUID | None = None


@dataclass(frozen=True)
class CheckedReport:
    """A validated report: tokens by kind, cleaned text, the time it happened."""

    report: UsageReport
    model: str
    operation: str
    ai_type: str
    tokens: TokenCounts
    request_id: str | None
    occurred_at: datetime


def _aware(value: datetime | None, *, field: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise BadInput(f"{field} needs a time zone (e.g. 2030-01-01T09:00:00Z).", field=field)
    return value.astimezone(UTC) if value is not None else None


def check_report(report: UsageReport, *, now: datetime | None = None) -> CheckedReport:
    """Validate a report; BadInput names the camelCase field at fault."""
    now = now or datetime.now(UTC)
    model = (report.model or "").strip()
    if not model or len(model) > 200:
        raise BadInput("model must name the LLM (1–200 characters).", field="model")
    operation = _text(
        report.operation,
        field="operation",
        pattern=OPERATION_PATTERN,
        what="1–64 letters, digits or ' .:/-_' (e.g. reply, lead_scoring)",
    )
    ai_type = ""
    if report.ai_type is not None:
        ai_type = _text(
            report.ai_type,
            field="aiType",
            pattern=AI_TYPE_PATTERN,
            what="1–32 letters, digits or '_' (e.g. MOUTH, BRAIN)",
        ).upper()
    tokens = normalize_tokens(
        input_tokens=report.input_tokens,
        output_tokens=report.output_tokens,
        cache_read_tokens=report.cache_read_tokens,
        cache_write_tokens=report.cache_write_tokens,
        input_tokens_include_cache=report.input_tokens_include_cache,
        reasoning_tokens=report.reasoning_tokens,
        output_tokens_include_reasoning=report.output_tokens_include_reasoning,
    )
    if report.cache_write_1h_tokens < 0 or report.cache_write_1h_tokens > tokens.cache_write:
        raise BadInput(
            "cacheWrite1hTokens must be between 0 and cacheWriteTokens (1-hour cache writes "
            "are a part of all cache writes).",
            field="cacheWrite1hTokens",
        )
    if report.latency_ms is not None and report.latency_ms < 0:
        raise BadInput("latencyMs must not be negative.", field="latencyMs")
    request_id = None
    if report.request_id is not None:
        request_id = report.request_id.strip()
        if not request_id or len(request_id) > 200:
            raise BadInput("requestId must be 1–200 characters.", field="requestId")
    occurred_at = _aware(report.occurred_at, field="occurredAt") or now
    if occurred_at > now + MAX_FUTURE_SKEW:
        raise BadInput("occurredAt is in the future.", field="occurredAt")
    return CheckedReport(
        report=report,
        model=model,
        operation=operation,
        ai_type=ai_type,
        tokens=tokens,
        request_id=request_id,
        occurred_at=occurred_at,
    )


@dataclass(frozen=True)
class Priced:
    """A report's model, price version and cost (all None when unknown); the long-context
    tier the cost was computed at (None: the base prices); and, unpriced, why, with the
    closest known model names when the name is unknown."""

    model: models.AiModel | None
    price: models.AiModelPrice | None
    cost: Decimal | None
    tier_above: int | None = None
    unpriced_reason: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def model_key(self) -> str | None:
        return self.model.key if self.model else None


async def price_report(
    workspace_id: UUID, checked: CheckedReport, book: PriceBook | None = None
) -> Priced:
    book = book or PriceBook(workspace_id)
    model = await book.model(checked.model)
    if model is None:
        suggestions = await book.suggestions(checked.model)
        return Priced(None, None, None, None, UNKNOWN_MODEL_REASON, tuple(suggestions))
    price = await book.price(model.id, checked.occurred_at)
    if price is None:
        return Priced(model, None, None, None, NO_PRICE_REASON)
    prices = prices_of(price)
    cost = cost_of(checked.tokens, prices, checked.report.cache_write_1h_tokens)
    tier = prices.tier_for(checked.tokens.input_total)
    return Priced(model, price, cost, tier.above_tokens if tier else None)


# why a recorded call is unpriced (the UnpricedReason enum of the schema)
UNKNOWN_MODEL_REASON = "UNKNOWN_MODEL"
NO_PRICE_REASON = "NO_PRICE"


@dataclass
class Recorded:
    """The usage event of a report; `created` is False when its requestId was recorded
    before (the first record is returned). `priced` says why a new event is unpriced."""

    event: models.AiUsageEvent
    created: bool = True
    wakeups: list[models.Event] = field(default_factory=list)
    priced: Priced | None = None


def usage_payload(event: models.AiUsageEvent) -> dict[str, Any]:
    """The small JSON of a usage.recorded event (enough for live totals)."""
    return {
        "id": str(event.id),
        "model": event.model_key,
        "operation": event.operation,
        "aiType": event.ai_type or None,
        "conversationId": str(event.conversation_id) if event.conversation_id else None,
        "contactId": str(event.contact_id) if event.contact_id else None,
        "tokens": event.total_tokens,
        "costUsd": str(event.cost_usd) if event.cost_usd is not None else None,
        "occurredAt": event.occurred_at.isoformat(),
    }


@dataclass(frozen=True)
class DailyDelta:
    requests: int = 0
    unpriced: int = 0
    uncached: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0
    cost: Decimal = Decimal(0)
    latency_sum: int = 0
    latency_count: int = 0

    def negated(self) -> "DailyDelta":
        return DailyDelta(
            -self.requests,
            -self.unpriced,
            -self.uncached,
            -self.cache_read,
            -self.cache_write,
            -self.output,
            -self.reasoning,
            -self.cost,
            -self.latency_sum,
            -self.latency_count,
        )


def _daily_key(event: models.AiUsageEvent) -> dict[str, Any]:
    day: date = event.occurred_at.astimezone(UTC).date()
    return {
        "workspace_id": event.workspace_id,
        "day": day,
        "model_key": event.model_key,
        "provider": event.provider,
        "operation": event.operation,
        "ai_type": event.ai_type,
    }


def _daily_delta(event: models.AiUsageEvent) -> DailyDelta:
    return DailyDelta(
        requests=1,
        unpriced=1 if event.cost_usd is None else 0,
        uncached=event.uncached_input_tokens,
        cache_read=event.cache_read_tokens,
        cache_write=event.cache_write_tokens,
        output=event.output_tokens,
        reasoning=event.reasoning_tokens,
        cost=event.cost_usd or Decimal(0),
        latency_sum=event.latency_ms or 0,
        latency_count=1 if event.latency_ms is not None else 0,
    )


async def bump_daily(db: BaseDBAsyncClient, key: dict[str, Any], delta: DailyDelta) -> None:
    """Add `delta` to a rollup row: a conditional UPDATE of the integer sums (it takes the
    row lock), the money sum added in Python under that lock, an INSERT on a miss, and the
    UPDATE again when a concurrent transaction inserted the row first."""
    counters = {
        "requests": delta.requests,
        "unpriced_requests": delta.unpriced,
        "uncached_input_tokens": delta.uncached,
        "cache_read_tokens": delta.cache_read,
        "cache_write_tokens": delta.cache_write,
        "output_tokens": delta.output,
        "reasoning_tokens": delta.reasoning,
        "latency_sum_ms": delta.latency_sum,
        "latency_count": delta.latency_count,
        # the money sum split in two BIGINTs, so a row never overflows (models/usage.py)
    }
    counters["cost_micro"], counters["cost_pico"] = budgets.split_pico(budgets.to_pico(delta.cost))
    for _ in range(3):
        updated = await (
            models.AiUsageDaily.filter(**key)
            .using_db(db)
            .update(**{name: F(name) + n for name, n in counters.items()})
        )
        if updated:
            if delta.cost:
                row = await models.AiUsageDaily.filter(**key).using_db(db).select_for_update().get()
                row.cost_usd += delta.cost
                await row.save(using_db=db, update_fields=["cost_usd", "updated_at"])
            return
        try:
            async with in_transaction():  # a savepoint: losing the race keeps the transaction
                await models.AiUsageDaily.create(
                    using_db=db, **key, **counters, cost_usd=delta.cost
                )
            return
        except IntegrityError:
            continue
    raise RuntimeError("daily usage row neither updated nor inserted")


async def add_to_totals(
    db: BaseDBAsyncClient,
    *,
    conversation_id: UUID | None,
    contact_id: UUID | None,
    tokens: int,
    cost: Decimal,
) -> None:
    """Bump the conversation's and contact's totals under their row locks (the money sum
    in Python: SQLite keeps decimals as text)."""
    targets: list[tuple[type[models.Conversation] | type[models.Contact], UUID | None]] = [
        (models.Conversation, conversation_id),
        (models.Contact, contact_id),
    ]
    for model, key in targets:
        if key is None or not (tokens or cost):
            continue
        row = await model.filter(id=key).using_db(db).select_for_update().get()
        row.total_tokens += tokens
        row.total_cost += cost
        await row.save(using_db=db, update_fields=["total_tokens", "total_cost", "updated_at"])


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


async def lock_owners(
    db: BaseDBAsyncClient, *, conversation_id: UUID | None, contact_id: UUID | None
) -> None:
    """Take the conversation's and then the contact's row lock, first in the transaction:
    sendMessage takes them in this order too, so writers never wait on each other in a
    cycle (the event row, budget period, rollup and workspace counter come after)."""
    if conversation_id is not None:
        await (
            models.Conversation.filter(id=conversation_id).using_db(db).select_for_update().first()
        )
    if contact_id is not None:
        await models.Contact.filter(id=contact_id).using_db(db).select_for_update().first()


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
    report, tokens = checked.report, checked.tokens
    event = await models.AiUsageEvent.create(
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
    charge = await budgets.charge(
        db,
        workspace_id=workspace_id,
        occurred_at=checked.occurred_at,
        cost=priced.cost,
        reservation_id=report.reservation_id,
        now=now,
        usage_id=event.id,
    )
    if charge.over_budget:
        event.over_budget = True
        await event.save(using_db=db, update_fields=["over_budget"])
    await bump_daily(db, _daily_key(event), _daily_delta(event))
    if bump_totals:
        await add_to_totals(
            db,
            conversation_id=conversation_id,
            contact_id=contact_id,
            tokens=tokens.total,
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


def tokens_of(event: models.AiUsageEvent) -> TokenCounts:
    return TokenCounts(
        event.uncached_input_tokens,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.output_tokens,
        event.reasoning_tokens,
    )


def hit_rate(event: models.AiUsageEvent) -> Decimal | None:
    return cache_hit_rate(tokens_of(event))


# --- reservations -----------------------------------------------------------------------


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
    return await budgets.reserve(
        workspace_id=workspace_id,
        model_key=model.key,
        worst_case_usd=worst_case_cost(prices_of(price), max_input_tokens, max_output_tokens),
        ttl=timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None,
        now=now,
    )


# --- repricing ------------------------------------------------------------------------


@dataclass
class Repriced:
    priced: int = 0
    still_unpriced: int = 0


async def reprice_unpriced(*, workspace_id: UUID | None = None) -> Repriced:
    """Price every unpriced usage event whose model and price are now known: its cost goes
    to the event (and its chat message), the rollup, the conversation and contact totals
    and the budget's `spent`, each in one transaction per event."""
    query = models.AiUsageEvent.filter(price_id=None)
    if workspace_id is not None:
        query = query.filter(workspace_id=workspace_id)
    rows = await query.order_by("occurred_at", "id")
    result = Repriced()
    resolved: dict[tuple[UUID, str], models.AiModel | None] = {}
    for event in rows:
        cache_key = (event.workspace_id, event.reported_model)
        if cache_key not in resolved:
            resolved[cache_key] = await resolve_model(event.workspace_id, event.reported_model)
        model = resolved[cache_key]
        price = await price_at(event.workspace_id, model.id, event.occurred_at) if model else None
        if model is None or price is None:
            result.still_unpriced += 1
            continue
        tokens = tokens_of(event)
        prices = prices_of(price)
        cost = cost_of(tokens, prices, event.cache_write_1h_tokens)
        tier = prices.tier_for(tokens.input_total)
        wakeups = await _price_event(event, model, price, cost, tier.above_tokens if tier else None)
        if wakeups is not None:
            result.priced += 1
            await events.publish(*wakeups)
    return result


async def _price_event(
    event: models.AiUsageEvent,
    model: models.AiModel,
    price: models.AiModelPrice,
    cost: Decimal,
    tier_above: int | None,
) -> list[models.Event] | None:
    old_key = _daily_key(event)
    async with in_transaction() as db:
        await lock_owners(db, conversation_id=event.conversation_id, contact_id=event.contact_id)
        claimed = await (
            models.AiUsageEvent.filter(id=event.id, price_id=None)
            .using_db(db)
            .update(
                model_id=model.id,
                model_key=model.key,
                provider=model.provider,
                price_id=price.id,
                price_tier_above=tier_above,
                cost_usd=cost,
                cost_pico=budgets.to_pico(cost),
            )
        )
        if not claimed:
            return None  # priced meanwhile
        event = await models.AiUsageEvent.get(id=event.id, using_db=db)
        period = await budgets.period_for(
            db, event.workspace_id, budgets.period_start_of(event.occurred_at)
        )
        await budgets.add_spent(db, period.id, budgets.to_pico(cost))
        threshold_events = await budgets.announce_thresholds(db, event.workspace_id, period.id)
        moved = _daily_delta(event)  # the event as priced now
        if _daily_key(event) != old_key:  # resolved to another model key: move it over
            await bump_daily(db, old_key, replace(moved, unpriced=1, cost=Decimal(0)).negated())
            await models.AiUsageDaily.filter(**old_key, requests=0).using_db(db).delete()
            await bump_daily(db, _daily_key(event), moved)
        else:
            await bump_daily(db, old_key, DailyDelta(unpriced=-1, cost=cost))
        if event.message_id is not None:
            await models.Message.filter(id=event.message_id).using_db(db).update(cost=cost)
        await add_to_totals(
            db,
            conversation_id=event.conversation_id,
            contact_id=event.contact_id,
            tokens=0,
            cost=cost,
        )
        repriced = await events.record(
            db,
            workspace_id=event.workspace_id,
            type="usage.repriced",
            conversation_id=event.conversation_id,
            payload=usage_payload(event),
        )
    return [*threshold_events, repriced]


# --- listing usage events -----------------------------------------------------------------

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
