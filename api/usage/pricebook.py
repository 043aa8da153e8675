"""Pricing a checked report against the catalog: its model, the price version in force
when the call happened, the cost, and why a call stays unpriced (with the closest known
model names when its name is unknown).

`PriceBook` remembers the lookups for one batch of reports; api/usage/recording.py
writes what `price_report` returns.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from tortoise.expressions import Q

import models
from api.usage.catalog import in_force, prices_of, resolve_model, scopes_of, visible_models
from api.usage.pricing import cost_of
from api.usage.reports import CheckedReport

MAX_SUGGESTIONS = 5
MAX_SUGGESTED_NAMES = 20


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
