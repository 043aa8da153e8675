"""Token accounting and exact LLM cost computation.

Money is `decimal.Decimal` end to end: no float ever enters a cost. Costs are in
USD at full precision (nothing is quantized here; storage or display rounds).
Prices are per million tokens ("per MTok"), the unit providers publish.

Providers report token usage in two conventions, which `normalize_tokens`
reconciles into one `TokenCounts`:

* OpenAI style: `input_tokens` *includes* the cached tokens (cache reads, and
  cache writes where the provider reports them), so the uncached part is
  `input - cache_read - cache_write`.
* Anthropic style: `input_tokens` *excludes* them; cache reads and cache writes
  are reported beside it, so the uncached part is `input` itself.

Reasoning ("thinking") tokens come in two conventions too: OpenAI (o-series,
`completion_tokens` includes `reasoning_tokens`) and Anthropic (extended thinking is
part of `output_tokens`) count them inside the output; Gemini reports
`thoughtsTokenCount` beside `candidatesTokenCount`. `output_tokens_include_reasoning`
says which; Parley stores the visible output and the reasoning apart.

Bounds: every reported count is at most MAX_TOKENS_PER_KIND (100 million, 10x the
largest context window sold today), and every price at most MAX_PRICE_PER_MTOK, so the
cost of one call fits a 64-bit count of pico-USD and the token total a 32-bit Int.

Long-context tiers: a price may carry tiers ("above 200k tokens: these prices"). The
prompt size that selects the tier is every input token of the call, uncached plus
cache reads plus cache writes (Anthropic: "the 200K threshold is based solely on input
tokens, including cache reads/writes"; Gemini: the prompt's token count, cached
content included); when it is ABOVE a tier's threshold, every token of the call
(input, cache, output, reasoning) is billed at that tier's prices, as the providers
bill. A tier leaving a kind's price out uses the base price of that kind.

Also the cost as stored (`cost_of`, 12 decimal places), the worst case a reservation
holds, and prices checked or fitted to the price columns' decimal places (from
models/usage.py). Pure Python: no database access, no GraphQL. Invalid input raises
`BadInput` naming the camelCase input field.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from api.core.errors import BadInput
from models.usage import PRICE_DECIMAL_PLACES

__all__ = [
    "COST_QUANTUM",
    "MAX_PRICE_PER_MTOK",
    "MAX_TOKENS_PER_KIND",
    "PERCENT_QUANTUM",
    "PRICE_NAMES",
    "PRICE_QUANTUM",
    "RATE_QUANTUM",
    "TOKENS_PER_MILLION",
    "ModelPrices",
    "PriceTier",
    "TokenCounts",
    "cache_hit_rate",
    "check_prices",
    "compute_cost",
    "cost_of",
    "fit_prices",
    "mean_ms",
    "normalize_tokens",
    "per_token_to_per_million",
    "rounded_ratio",
    "worst_case_cost",
]

TOKENS_PER_MILLION = 1_000_000
# the most tokens of one kind one call may report: no model takes or writes 100M tokens
MAX_TOKENS_PER_KIND = 100_000_000
# the dearest per-MTok price we accept (the LiteLLM file's dearest chat price is $9,710)
MAX_PRICE_PER_MTOK = Decimal(10_000)

# Products of token counts (ints) and prices (short decimals) are exact with
# this much precision; Inexact is trapped so a rounded cost can never slip out.
_EXACT = decimal.Context(
    prec=100,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)


@dataclass(frozen=True)
class TokenCounts:
    """Token usage of one call, split by how each kind is billed.

    `uncached_input` + `cache_read` + `cache_write` is the whole prompt; `output` is
    the visible output and `reasoning` the thinking tokens, billed apart (at the output
    price unless the price says otherwise).
    """

    uncached_input: int
    cache_read: int
    cache_write: int
    output: int
    reasoning: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"TokenCounts.{f.name} must be an int, got {value!r}")
            if value < 0:
                raise ValueError(f"TokenCounts.{f.name} must be >= 0, got {value}")

    @property
    def input_total(self) -> int:
        """All prompt tokens: uncached, read from cache and written to cache."""
        return self.uncached_input + self.cache_read + self.cache_write

    @property
    def output_total(self) -> int:
        """All tokens the model wrote: visible output and reasoning."""
        return self.output + self.reasoning

    @property
    def total(self) -> int:
        """All tokens of the call, prompt, output and reasoning."""
        return self.input_total + self.output_total


def _check_count(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{field} must be a whole number of tokens, got {value!r}.", field=field)
    if value < 0:
        raise BadInput(f"{field} must not be negative, got {value}.", field=field)
    if value > MAX_TOKENS_PER_KIND:
        raise BadInput(
            f"{field} must be at most {MAX_TOKENS_PER_KIND:,} tokens for one call, got {value}.",
            field=field,
        )


def normalize_tokens(
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    input_tokens_include_cache: bool,
    reasoning_tokens: int = 0,
    output_tokens_include_reasoning: bool = True,
) -> TokenCounts:
    """Turn a provider's usage report into `TokenCounts`.

    `input_tokens_include_cache=True` is the OpenAI convention (input_tokens
    counts the cached tokens too); False is the Anthropic convention (cached
    tokens are reported only beside input_tokens).
    `output_tokens_include_reasoning=True` (OpenAI, Anthropic): output_tokens counts
    the reasoning tokens too; False (Gemini): they are reported beside it.
    """
    _check_count(input_tokens, "inputTokens")
    _check_count(output_tokens, "outputTokens")
    _check_count(cache_read_tokens, "cacheReadTokens")
    _check_count(cache_write_tokens, "cacheWriteTokens")
    _check_count(reasoning_tokens, "reasoningTokens")
    output = output_tokens
    if output_tokens_include_reasoning:
        if reasoning_tokens > output_tokens:
            raise BadInput(
                f"reasoningTokens ({reasoning_tokens}) exceeds outputTokens ({output_tokens}), "
                "which already include the reasoning tokens in this convention.",
                field="reasoningTokens",
            )
        output = output_tokens - reasoning_tokens
    if not input_tokens_include_cache:
        uncached = input_tokens
    else:
        if cache_read_tokens > input_tokens:
            raise BadInput(
                f"cacheReadTokens ({cache_read_tokens}) exceeds inputTokens ({input_tokens}), "
                "which already include the cached tokens in this convention.",
                field="cacheReadTokens",
            )
        if cache_read_tokens + cache_write_tokens > input_tokens:
            raise BadInput(
                f"cacheReadTokens ({cache_read_tokens}) plus cacheWriteTokens "
                f"({cache_write_tokens}) exceed inputTokens ({input_tokens}), which already "
                "include the cached tokens in this convention.",
                field="cacheWriteTokens",
            )
        uncached = input_tokens - cache_read_tokens - cache_write_tokens
    return TokenCounts(
        uncached_input=uncached,
        cache_read=cache_read_tokens,
        cache_write=cache_write_tokens,
        output=output,
        reasoning=reasoning_tokens,
    )


_PRICE_FIELDS = {
    "input_per_mtok": "inputPerMtok",
    "output_per_mtok": "outputPerMtok",
    "cache_read_per_mtok": "cacheReadPerMtok",
    "cache_write_per_mtok": "cacheWritePerMtok",
    "cache_write_1h_per_mtok": "cacheWrite1hPerMtok",
    "reasoning_per_mtok": "reasoningPerMtok",
}
_REQUIRED_PRICES = ("input_per_mtok", "output_per_mtok")


def _check_price(value: Decimal | None, field: str, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, Decimal):
        # Guards the "never float" rule: a float price is a bug, not user input.
        raise TypeError(f"{field} must be a Decimal, got {value!r}")
    if not value.is_finite() or value < 0:
        raise BadInput(f"{field} must be a non-negative amount, got {value}.", field=field)
    if value > MAX_PRICE_PER_MTOK:
        raise BadInput(
            f"{field} must be at most {MAX_PRICE_PER_MTOK} USD per million tokens, got {value}.",
            field=field,
        )


@dataclass(frozen=True)
class PriceTier:
    """Long-context prices: in force for a call whose prompt has MORE than `above_tokens`
    input tokens (uncached + cache reads + cache writes). A price left as None is the base
    price of that kind."""

    above_tokens: int
    input_per_mtok: Decimal | None = None
    output_per_mtok: Decimal | None = None
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None
    reasoning_per_mtok: Decimal | None = None

    def __post_init__(self) -> None:
        if isinstance(self.above_tokens, bool) or not isinstance(self.above_tokens, int):
            raise TypeError(f"PriceTier.above_tokens must be an int, got {self.above_tokens!r}")
        if not 0 < self.above_tokens <= MAX_TOKENS_PER_KIND:
            raise BadInput(
                f"A price tier's threshold must be between 1 and {MAX_TOKENS_PER_KIND:,} "
                f"tokens, got {self.above_tokens}.",
                field="tiers",
            )
        for name, field in _PRICE_FIELDS.items():
            _check_price(getattr(self, name), f"tiers.{field}", required=False)

    def prices(self) -> dict[str, Decimal | None]:
        return {name: getattr(self, name) for name in _PRICE_FIELDS}


@dataclass(frozen=True)
class ModelPrices:
    """List prices of a model in USD per million tokens.

    A cache price left as None means the provider has no separate price for
    that kind of token, so it is billed at the input price: OpenAI and Gemini
    charge nothing extra for writing their (implicit) caches, and a model
    without caching simply bills every prompt token as input. A missing 1-hour
    cache-write price falls back to the (5-minute) cache-write price, a missing
    reasoning price to the output price (how OpenAI, Anthropic and Google bill
    thinking). Zero prices are legitimate (self-hosted or free models).
    `tiers` are the long-context prices, by ascending threshold (see PriceTier).
    """

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None
    reasoning_per_mtok: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()

    def __post_init__(self) -> None:
        for name, field in _PRICE_FIELDS.items():
            _check_price(getattr(self, name), field, required=name in _REQUIRED_PRICES)
        thresholds = [tier.above_tokens for tier in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise BadInput("Price tiers need distinct thresholds, ascending.", field="tiers")

    @property
    def effective_cache_read_per_mtok(self) -> Decimal:
        """Price of a cache-read token (the input price when none is set)."""
        return self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok

    @property
    def effective_cache_write_per_mtok(self) -> Decimal:
        """Price of a (5-minute) cache-write token (the input price when none is set)."""
        if self.cache_write_per_mtok is None:
            return self.input_per_mtok
        return self.cache_write_per_mtok

    @property
    def effective_cache_write_1h_per_mtok(self) -> Decimal:
        """Price of a 1-hour cache-write token (the cache-write price when none is set)."""
        if self.cache_write_1h_per_mtok is None:
            return self.effective_cache_write_per_mtok
        return self.cache_write_1h_per_mtok

    @property
    def effective_reasoning_per_mtok(self) -> Decimal:
        """Price of a reasoning token (the output price when none is set)."""
        return self.output_per_mtok if self.reasoning_per_mtok is None else self.reasoning_per_mtok

    def tier_for(self, prompt_tokens: int) -> PriceTier | None:
        """The tier a prompt of this size is billed by: the highest threshold it is above."""
        above = [tier for tier in self.tiers if prompt_tokens > tier.above_tokens]
        return above[-1] if above else None

    def flat(self, tier: PriceTier | None) -> ModelPrices:
        """The prices of one tier (None: the base prices), without tiers."""
        base = {name: getattr(self, name) for name in _PRICE_FIELDS}
        if tier is not None:
            base.update({k: v for k, v in tier.prices().items() if v is not None})
        return ModelPrices(**base)

    def for_prompt(self, prompt_tokens: int) -> ModelPrices:
        """The flat prices a call with this many prompt tokens is billed at."""
        return self.flat(self.tier_for(prompt_tokens))

    def all_flat(self) -> list[ModelPrices]:
        """The base prices and those of each tier (for worst cases)."""
        return [self.flat(None), *(self.flat(tier) for tier in self.tiers)]


def compute_cost(
    tokens: TokenCounts, prices: ModelPrices, *, cache_write_1h_tokens: int = 0
) -> Decimal:
    """Exact USD cost of a call: sum(tokens of each kind * its price) / 1_000_000, at the
    prices of the tier the prompt (all input tokens) falls in.

    `cache_write_1h_tokens` is the part of `tokens.cache_write` written with a
    1-hour TTL (Anthropic); those are billed at the 1-hour price. Nothing is
    rounded: the result carries every digit of the exact product.
    """
    _check_count(cache_write_1h_tokens, "cacheWrite1hTokens")
    if cache_write_1h_tokens > tokens.cache_write:
        raise BadInput(
            f"cacheWrite1hTokens ({cache_write_1h_tokens}) exceeds cacheWriteTokens "
            f"({tokens.cache_write}); 1-hour cache writes are a part of all cache writes.",
            field="cacheWrite1hTokens",
        )
    prices = prices.for_prompt(tokens.input_total)
    ctx = _EXACT
    parts = (
        (tokens.uncached_input, prices.input_per_mtok),
        (tokens.cache_read, prices.effective_cache_read_per_mtok),
        (tokens.cache_write - cache_write_1h_tokens, prices.effective_cache_write_per_mtok),
        (cache_write_1h_tokens, prices.effective_cache_write_1h_per_mtok),
        (tokens.output, prices.output_per_mtok),
        (tokens.reasoning, prices.effective_reasoning_per_mtok),
    )
    total = Decimal(0)
    for count, price in parts:
        total = ctx.add(total, ctx.multiply(Decimal(count), price))
    # Dividing by 10**6 only moves the exponent: exact.
    return ctx.scaleb(total, Decimal(-6))


RATE_QUANTUM = Decimal("0.0001")  # a 0–1 rate: 4 decimal places (0.1234 is 12.34 %)
PERCENT_QUANTUM = Decimal("0.01")  # a percent: 2 decimal places
MEAN_MS_QUANTUM = Decimal("0.1")  # a mean of milliseconds: 1 decimal place


def rounded_ratio(
    numerator: Decimal | int, denominator: Decimal | int, quantum: Decimal
) -> Decimal:
    """numerator / denominator, rounded half-even once, to `quantum`. The division runs with
    60 significant digits, far more than any of our sums has, so its own rounding cannot
    move the quotient across a tie of `quantum`."""
    with localcontext() as ctx:
        ctx.prec = 60
        quotient = Decimal(numerator) / Decimal(denominator)
        return quotient.quantize(quantum, ROUND_HALF_EVEN)


def cache_hit_rate(tokens: TokenCounts) -> Decimal | None:
    """Share of prompt tokens served from cache: cache_read / all prompt tokens, to 4
    decimal places (RATE_QUANTUM).

    None when the call had no prompt tokens (the rate is undefined, not 0).
    """
    denominator = tokens.input_total
    if denominator == 0:
        return None
    return rounded_ratio(tokens.cache_read, denominator, RATE_QUANTUM)


def mean_ms(total_ms: int, count: int) -> float | None:
    """The mean of `count` durations summing to `total_ms`, to 0.1 ms; None for none."""
    return float(rounded_ratio(total_ms, count, MEAN_MS_QUANTUM)) if count else None


def per_token_to_per_million(value: float | str | int) -> Decimal:
    """Convert a per-token price (LiteLLM stores JSON floats like 2.5e-07) to per MTok.

    The float goes through its shortest round-trip `repr` ("2.5e-07"), never
    through float arithmetic, so 2.5e-07 becomes exactly Decimal("0.25") and not
    0.25000000000000004. Raises `BadInput` for a non-number, a non-finite or a
    negative value.
    """
    if isinstance(value, bool):
        raise BadInput(f"A price must be a number, got {value!r}.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadInput(f"A price must be a finite number, got {value!r}.")
        text = repr(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise BadInput(f"A price must be a number, got {value!r}.")
    try:
        per_token = Decimal(text)
    except decimal.InvalidOperation:
        raise BadInput(f"A price must be a number, got {value!r}.") from None
    if not per_token.is_finite():
        raise BadInput(f"A price must be a finite number, got {value!r}.")
    if per_token < 0:
        raise BadInput(f"A price must not be negative, got {value!r}.")
    per_million = _EXACT.multiply(per_token, Decimal(TOKENS_PER_MILLION))
    if per_million.is_zero():
        return Decimal(0)  # also turns "-0.0" into a plain 0
    per_million = per_million.normalize(_EXACT)
    exponent = per_million.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        # normalize() writes 10 as 1E+1; keep whole prices in plain notation.
        per_million = per_million.quantize(Decimal(1), context=_EXACT)
    return per_million


# --- prices as stored: exact to the columns' decimal places -------------------------

COST_QUANTUM = Decimal("0.000000000001")  # 12 decimal places, as stored
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)
PRICE_NAMES = {
    "input_per_mtok": "inputPerMtok",
    "output_per_mtok": "outputPerMtok",
    "cache_read_per_mtok": "cacheReadPerMtok",
    "cache_write_per_mtok": "cacheWritePerMtok",
    "cache_write_1h_per_mtok": "cacheWrite1hPerMtok",
    "reasoning_per_mtok": "reasoningPerMtok",
}


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
