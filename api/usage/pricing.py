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

Pure Python: no database, no GraphQL. Invalid input raises `BadInput` naming the
camelCase input field.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass, fields
from decimal import Decimal

from api.core.errors import BadInput

__all__ = [
    "TOKENS_PER_MILLION",
    "ModelPrices",
    "TokenCounts",
    "cache_hit_rate",
    "compute_cost",
    "normalize_tokens",
    "per_token_to_per_million",
]

TOKENS_PER_MILLION = 1_000_000

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

    `uncached_input` + `cache_read` + `cache_write` is the whole prompt;
    `output` includes any reasoning tokens (billed at the output price).
    """

    uncached_input: int
    cache_read: int
    cache_write: int
    output: int

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
    def total(self) -> int:
        """All tokens of the call, prompt and output."""
        return self.input_total + self.output


def _check_count(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{field} must be a whole number of tokens, got {value!r}.", field=field)
    if value < 0:
        raise BadInput(f"{field} must not be negative, got {value}.", field=field)


def normalize_tokens(
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    input_tokens_include_cache: bool,
) -> TokenCounts:
    """Turn a provider's usage report into `TokenCounts`.

    `input_tokens_include_cache=True` is the OpenAI convention (input_tokens
    counts the cached tokens too); False is the Anthropic convention (cached
    tokens are reported only beside input_tokens).
    """
    _check_count(input_tokens, "inputTokens")
    _check_count(output_tokens, "outputTokens")
    _check_count(cache_read_tokens, "cacheReadTokens")
    _check_count(cache_write_tokens, "cacheWriteTokens")
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
        output=output_tokens,
    )


_PRICE_FIELDS = {
    "input_per_mtok": "inputPerMtok",
    "output_per_mtok": "outputPerMtok",
    "cache_read_per_mtok": "cacheReadPerMtok",
    "cache_write_per_mtok": "cacheWritePerMtok",
    "cache_write_1h_per_mtok": "cacheWrite1hPerMtok",
}


@dataclass(frozen=True)
class ModelPrices:
    """List prices of a model in USD per million tokens.

    A cache price left as None means the provider has no separate price for
    that kind of token, so it is billed at the input price: OpenAI and Gemini
    charge nothing extra for writing their (implicit) caches, and a model
    without caching simply bills every prompt token as input. A missing 1-hour
    cache-write price falls back to the (5-minute) cache-write price.
    Zero prices are legitimate (self-hosted or free models).
    """

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None

    def __post_init__(self) -> None:
        for name, field in _PRICE_FIELDS.items():
            value = getattr(self, name)
            if value is None and name not in ("input_per_mtok", "output_per_mtok"):
                continue
            if not isinstance(value, Decimal):
                # Guards the "never float" rule: a float price is a bug, not user input.
                raise TypeError(f"ModelPrices.{name} must be a Decimal, got {value!r}")
            if not value.is_finite() or value < 0:
                raise BadInput(f"{field} must be a non-negative amount, got {value}.", field=field)

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


def compute_cost(
    tokens: TokenCounts, prices: ModelPrices, *, cache_write_1h_tokens: int = 0
) -> Decimal:
    """Exact USD cost of a call: sum(tokens of each kind * its price) / 1_000_000.

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
    ctx = _EXACT
    parts = (
        (tokens.uncached_input, prices.input_per_mtok),
        (tokens.cache_read, prices.effective_cache_read_per_mtok),
        (tokens.cache_write - cache_write_1h_tokens, prices.effective_cache_write_per_mtok),
        (cache_write_1h_tokens, prices.effective_cache_write_1h_per_mtok),
        (tokens.output, prices.output_per_mtok),
    )
    total = Decimal(0)
    for count, price in parts:
        total = ctx.add(total, ctx.multiply(Decimal(count), price))
    # Dividing by 10**6 only moves the exponent: exact.
    return ctx.scaleb(total, Decimal(-6))


def cache_hit_rate(tokens: TokenCounts) -> Decimal | None:
    """Share of prompt tokens served from cache: cache_read / all prompt tokens.

    None when the call had no prompt tokens (the rate is undefined, not 0).
    """
    denominator = tokens.input_total
    if denominator == 0:
        return None
    return Decimal(tokens.cache_read) / Decimal(denominator)


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
