"""The model catalog in the database: resolving a reported name, the price in force,
imports into the shared catalog, a workspace's own models and negotiated rates.

Models live in a scope: the shared catalog (GLOBAL_SCOPE, the operator's: `parley
pricing import`, the default catalog at `parley migrate`) or a workspace's id (its own
models). Prices are versions in force from `effective_from`; a workspace's negotiated
rate comes before the list price. Adding a price here prices nothing already recorded:
api/usage/repricing.py does that.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from api.core.errors import BadInput, Conflict, NotFound
from api.core.pagination import Page, PageArgs, SortKey, keyset_page
from api.core.validation import matching_text, utc_time
from api.usage.default_catalog import DEFAULT_CATALOG
from api.usage.litellm import CatalogModel
from api.usage.pricing import (
    PRICE_NAMES,
    ModelPrices,
    PriceTier,
    check_prices,
    fit_prices,
)
from models.usage import GLOBAL_SCOPE

# the first price version of a model is in force from here: usage recorded before the
# model was known gets priced by it
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
MODEL_KEY_PATTERN = re.compile(r"^\S{1,200}$")
BY_KEY = SortKey((("key", "str"), ("id", "uuid")), descending=False)


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


def price_values(prices: ModelPrices) -> dict[str, Any]:
    """The AiModelPrice column values of prices."""
    return {
        **{name: getattr(prices, name) for name in PRICE_NAMES},
        "tiers": tiers_json(prices.tiers),
    }


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


@dataclass
class _Import:
    """One import run: its options, the shared catalog as it found it, and the rows it
    will add (bulk-inserted at the end of its transaction)."""

    source: str
    effective_from: datetime | None
    only_missing: bool
    now: datetime
    existing: dict[str, models.AiModel]  # by key, the new models too
    latest: dict[UUID, models.AiModelPrice]  # each existing model's latest list price
    taken_aliases: set[str]
    result: CatalogImport = field(default_factory=CatalogImport)
    new_models: list[models.AiModel] = field(default_factory=list)
    new_prices: list[models.AiModelPrice] = field(default_factory=list)
    new_aliases: list[models.AiModelAlias] = field(default_factory=list)


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
    existing = await _shared_models([m.model_id for m in catalog])
    run = _Import(
        source=source,
        effective_from=effective_from,
        only_missing=only_missing,
        now=now or datetime.now(UTC),
        existing=existing,
        latest=await _latest_list_prices([row.id for row in existing.values()]),
        taken_aliases=await _shared_aliases(),
    )
    async with in_transaction() as db:
        for entry in catalog:
            entry = replace(entry, prices=check_prices(fit_prices(entry.prices)))
            await _import_entry(db, run, entry)
        await models.AiModel.bulk_create(run.new_models, batch_size=500, using_db=db)
        await models.AiModelPrice.bulk_create(run.new_prices, batch_size=500, using_db=db)
        await models.AiModelAlias.bulk_create(run.new_aliases, batch_size=500, using_db=db)
    run.result.prices_added = len(run.new_prices)
    run.result.aliases_added = len(run.new_aliases)
    return run.result


async def _shared_models(keys: Sequence[str]) -> dict[str, models.AiModel]:
    found: dict[str, models.AiModel] = {}
    for chunk in _chunks(keys):
        for row in await models.AiModel.filter(scope=GLOBAL_SCOPE, key__in=list(chunk)):
            found[row.key] = row
    return found


async def _latest_list_prices(model_ids: Sequence[UUID]) -> dict[UUID, models.AiModelPrice]:
    latest: dict[UUID, models.AiModelPrice] = {}
    for chunk in _chunks(model_ids):
        prices = await models.AiModelPrice.filter(model_id__in=list(chunk), workspace_id=None)
        for price in sorted(prices, key=lambda p: (p.effective_from, p.created_at)):
            latest[price.model_id] = price
    return latest


async def _shared_aliases() -> set[str]:
    aliases = await models.AiModelAlias.filter(scope=GLOBAL_SCOPE).values_list("alias", flat=True)
    return {str(alias) for alias in aliases}


async def _import_entry(db: BaseDBAsyncClient, run: _Import, entry: CatalogModel) -> None:
    """One entry: a new model with its first price, or an existing one updated and given
    a new price version when its list price changed; then its new aliases."""
    row = run.existing.get(entry.model_id)
    first_from, add_price = run.effective_from or BEGINNING, True
    if row is None:
        row = _new_shared_model(entry, run.source)
        run.new_models.append(row)
        run.existing[entry.model_id] = row
        run.result.created += 1
    else:
        changed = not run.only_missing and await _update_metadata(db, row, entry)
        current = run.latest.get(row.id)
        if current is not None:
            first_from = run.effective_from or run.now
            add_price = not run.only_missing and not _same_prices(current, entry.prices)
        run.result.updated += changed or add_price
        run.result.unchanged += not (changed or add_price)
    if add_price:
        run.new_prices.append(
            models.AiModelPrice(
                model_id=row.id,
                workspace_id=None,
                effective_from=first_from,
                source=run.source,
                **price_values(entry.prices),
            )
        )
    for alias in entry.aliases:
        if alias not in run.taken_aliases and alias not in run.existing:
            run.taken_aliases.add(alias)
            run.new_aliases.append(
                models.AiModelAlias(scope=GLOBAL_SCOPE, alias=alias, model_id=row.id)
            )


def _new_shared_model(entry: CatalogModel, source: str) -> models.AiModel:
    return models.AiModel(
        scope=GLOBAL_SCOPE,
        key=entry.model_id,
        provider=entry.provider,
        display_name=entry.display_name,
        context_window=entry.context_window,
        max_output_tokens=entry.max_output_tokens,
        capabilities=list(entry.capabilities),
        source=source,
    )


async def _update_metadata(db: BaseDBAsyncClient, row: models.AiModel, entry: CatalogModel) -> bool:
    """Save the entry's metadata on an existing model; False when nothing differed."""
    values: dict[str, Any] = {
        "provider": entry.provider,
        "display_name": entry.display_name,
        "context_window": entry.context_window,
        "max_output_tokens": entry.max_output_tokens,
        "capabilities": list(entry.capabilities),
    }
    if all(getattr(row, k) == v for k, v in values.items()):
        return False
    for k, v in values.items():
        setattr(row, k, v)
    await row.save(using_db=db)
    return True


async def install_default_catalog() -> CatalogImport:
    """The curated catalog, idempotently (run by `parley migrate`)."""
    return await import_catalog(DEFAULT_CATALOG, source="default", only_missing=True)


@dataclass(frozen=True)
class OwnModel:
    """A workspace's own model (a self-hosted or fine-tuned LLM) as its admin describes
    it, with its first price; `add_model` checks it."""

    key: str
    provider: str
    prices: ModelPrices
    display_name: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: Sequence[str] = ()
    aliases: Sequence[str] = ()
    effective_from: datetime | None = None  # default: the beginning, so it prices old usage


async def add_model(
    *, workspace_id: UUID, model: OwnModel
) -> tuple[models.AiModel, models.AiModelPrice]:
    """A workspace's own model with its first price, in one transaction. The shared
    catalog is the operator's (`parley pricing import`); a model already there gets a
    negotiated rate with `set_price` instead. Prices nothing already recorded: see
    `repricing.add_model_and_reprice`."""
    key, provider, aliases = _checked_names(model.key, model.provider, list(model.aliases))
    for name, limit in (
        ("contextWindow", model.context_window),
        ("maxOutputTokens", model.max_output_tokens),
    ):
        if limit is not None and limit <= 0:
            raise BadInput(f"{name} must be positive.", field=name)
    check_prices(model.prices)
    effective_from = utc_time(model.effective_from, field="effectiveFrom") or BEGINNING
    await _refuse_taken_names(workspace_id, key, aliases)
    scope = str(workspace_id)
    try:
        async with in_transaction() as db:
            row = await models.AiModel.create(
                using_db=db,
                scope=scope,
                workspace_id=workspace_id,
                key=key,
                provider=provider,
                display_name=(model.display_name or "").strip()[:200] or key,
                context_window=model.context_window,
                max_output_tokens=model.max_output_tokens,
                capabilities=sorted(set(model.capabilities)),
                source="admin",
            )
            for alias in aliases:
                await models.AiModelAlias.create(using_db=db, scope=scope, alias=alias, model=row)
            price = await models.AiModelPrice.create(
                using_db=db,
                model=row,
                workspace_id=workspace_id,
                effective_from=effective_from,
                source="admin",
                **price_values(model.prices),
            )
    except IntegrityError:
        raise Conflict("A model with this id or alias was just added.", field="modelId") from None
    return row, price


def _checked_names(key: str, provider: str, aliases: list[str]) -> tuple[str, str, list[str]]:
    """A new model's id, provider and aliases, trimmed; BadInput names a malformed one."""
    no_spaces = "1–200 characters, no spaces"
    return (
        matching_text(key, field="modelId", pattern=MODEL_KEY_PATTERN, what=no_spaces),
        matching_text(
            provider, field="provider", pattern=MODEL_KEY_PATTERN, what="1–64 characters, no spaces"
        )[:64],
        [
            matching_text(a, field="aliases", pattern=MODEL_KEY_PATTERN, what=no_spaces)
            for a in aliases
        ],
    )


async def _refuse_taken_names(workspace_id: UUID, key: str, aliases: list[str]) -> None:
    """A new model's names must be new to the workspace and differ from each other."""
    for name, fieldname in [(key, "modelId"), *((a, "aliases") for a in aliases)]:
        if await resolve_model(workspace_id, name) is not None:
            raise Conflict(
                f"{name!r} already names a model in the catalog; give it a negotiated rate "
                "with setAiModelPrice instead.",
                field=fieldname,
            )
    if len(set(aliases) | {key}) != len(aliases) + 1:
        raise BadInput("aliases must differ from each other and from modelId.", field="aliases")


async def set_price(
    *,
    workspace_id: UUID,
    model_name: str,
    prices: ModelPrices,
    effective_from: datetime | None = None,
) -> tuple[models.AiModel, models.AiModelPrice]:
    """A new price version for the workspace: a negotiated rate for a catalog model, or a
    new price of its own model; in force from `effective_from` (default now)."""
    model_name = model_name.strip()
    model = await resolve_model(workspace_id, model_name)
    if model is None:
        raise NotFound(f"No model {model_name!r} in the catalog.", field="modelId")
    check_prices(prices)
    effective = utc_time(effective_from, field="effectiveFrom") or datetime.now(UTC)
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
