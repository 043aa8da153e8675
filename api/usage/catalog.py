"""The model catalog: the models Parley ships, and an importer for LiteLLM's price file.

`DEFAULT_CATALOG` is the curated list (list prices in USD per million tokens).
`parse_litellm_catalog` / `load_litellm_file` read LiteLLM's
`model_prices_and_context_window.json` (per-token prices as JSON floats) and keep
the per-token priced text models, counting every skipped entry by reason.

Pure Python: no database, no GraphQL.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from api.core.errors import BadInput
from api.usage.pricing import ModelPrices, PriceTier, per_token_to_per_million

__all__ = [
    "DEFAULT_CATALOG",
    "SKIP_INVALID",
    "SKIP_NOT_TEXT_MODEL",
    "SKIP_SAMPLE_SPEC",
    "SKIP_UNPRICED",
    "TEXT_MODES",
    "CatalogModel",
    "LitellmImport",
    "display_name_from_id",
    "load_litellm_file",
    "parse_litellm_catalog",
]


@dataclass(frozen=True)
class CatalogModel:
    """A model that can be billed: identity, limits, capabilities and list prices."""

    model_id: str
    provider: str
    display_name: str
    context_window: int | None
    max_output_tokens: int | None
    capabilities: tuple[str, ...]
    prices: ModelPrices
    aliases: tuple[str, ...] = ()


# --------------------------------------------------------------------------- LiteLLM import

# LiteLLM modes of text-generating LLMs billed per token.
TEXT_MODES = frozenset({"chat", "completion", "responses"})

SKIP_SAMPLE_SPEC = "sample_spec"  # the file's documentation entry, not a model
SKIP_NOT_TEXT_MODEL = "not_text_model"  # embeddings, images, audio, rerank, no mode...
SKIP_UNPRICED = "unpriced"  # a text model without both input and output per-token prices
SKIP_INVALID = "invalid"  # a malformed value (non-numeric or negative price, bad limit...)

_SAMPLE_SPEC_KEY = "sample_spec"
_SUPPORTS_PREFIX = "supports_"


@dataclass(frozen=True)
class LitellmImport:
    """Result of reading a LiteLLM price file: the imported models and the skip counts."""

    models: list[CatalogModel] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


class _Invalid(Exception):
    """An entry has a malformed value; it is skipped as SKIP_INVALID."""


_UPPER_WORDS = {
    "gpt": "GPT",
    "ai": "AI",
    "it": "IT",
    "llm": "LLM",
    "api": "API",
    "sea": "SEA",
    "xai": "xAI",
    "oss": "OSS",
}


def display_name_from_id(model_id: str) -> str:
    """A readable name derived from a model id.

    The last path segment is split on '-', '_' and on dots before a letter
    (`anthropic.claude` but not `4.1`); lower-case words are
    capitalised (known acronyms upper-cased), words with capitals or digits are
    kept, and runs of single-digit version numbers are joined with dots:
    `claude-haiku-4-5-20251001` -> "Claude Haiku 4.5 20251001", `gpt-4o` -> "GPT 4o".
    """
    segment = model_id.rstrip("/").rsplit("/", 1)[-1] or model_id
    words = [w for w in re.split(r"[-_\s]+|\.(?=[A-Za-z])", segment) if w]
    out: list[str] = []
    for word in words:
        if word.isdigit() and len(word) == 1 and out and re.fullmatch(r"\d+(\.\d+)*", out[-1]):
            out[-1] = f"{out[-1]}.{word}"
        elif word.lower() in _UPPER_WORDS:
            out.append(_UPPER_WORDS[word.lower()])
        elif word.isalpha() and word.islower():
            out.append(word.capitalize())
        else:
            out.append(word)
    return " ".join(out) or model_id


def _price(value: Any) -> Decimal:
    try:
        return per_token_to_per_million(value)
    except BadInput as exc:
        raise _Invalid(exc.message) from None


def _optional_price(entry: dict[str, Any], key: str) -> Decimal | None:
    value = entry.get(key)
    return None if value is None else _price(value)


def _limit(value: Any) -> int | None:
    """A token limit: a positive whole number, or None when not given.

    0 is rejected: a model with no room for tokens is a mislabelled entry
    (LiteLLM lists some embedding models as "chat" with 0 limits).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Invalid(f"token limit {value!r} is not a number")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value <= 0:
        raise _Invalid(f"token limit {value!r} is not a positive whole number")
    return value


# LiteLLM's names of the per-token prices, by ModelPrices field; a long-context tier is
# the same name with `_above_<N>k_tokens` (N thousand tokens, as LiteLLM computes it);
# service tiers (`_priority`, `_flex`, `_batches`) are not standard prices and are skipped
_LITELLM_PRICE_KEYS = {
    "input_per_mtok": "input_cost_per_token",
    "output_per_mtok": "output_cost_per_token",
    "cache_read_per_mtok": "cache_read_input_token_cost",
    "cache_write_per_mtok": "cache_creation_input_token_cost",
    "cache_write_1h_per_mtok": "cache_creation_input_token_cost_above_1hr",
    "reasoning_per_mtok": "output_cost_per_reasoning_token",
}
_TIER_KEY = re.compile(r"^(?P<kind>[a-z_0-9]+?)_above_(?P<thousands>\d+)k_tokens$")


def _tiers(entry: dict[str, Any]) -> tuple[PriceTier, ...]:
    """The long-context tiers of an entry, by ascending threshold."""
    fields_of = {key: name for name, key in _LITELLM_PRICE_KEYS.items()}
    by_threshold: dict[int, dict[str, Decimal]] = {}
    for key, value in entry.items():
        match = _TIER_KEY.match(key)
        if match is None or match["kind"] not in fields_of or value is None:
            continue
        threshold = int(match["thousands"]) * 1000
        by_threshold.setdefault(threshold, {})[fields_of[match["kind"]]] = _price(value)
    return tuple(
        PriceTier(above_tokens=threshold, **prices)
        for threshold, prices in sorted(by_threshold.items())
    )


def _reasoning_price(entry: dict[str, Any]) -> Decimal | None:
    """The reasoning price when it differs from the output price (None means "the output
    price", so an entry repeating it is the same price as one without)."""
    reasoning = _optional_price(entry, "output_cost_per_reasoning_token")
    return None if reasoning == _price(entry["output_cost_per_token"]) else reasoning


def _model_from_entry(model_id: str, entry: dict[str, Any]) -> CatalogModel:
    provider = entry.get("litellm_provider")
    if not isinstance(provider, str) or not provider.strip():
        raise _Invalid("litellm_provider is missing")
    prices = ModelPrices(
        input_per_mtok=_price(entry["input_cost_per_token"]),
        output_per_mtok=_price(entry["output_cost_per_token"]),
        cache_read_per_mtok=_optional_price(entry, "cache_read_input_token_cost"),
        cache_write_per_mtok=_optional_price(entry, "cache_creation_input_token_cost"),
        cache_write_1h_per_mtok=_optional_price(entry, "cache_creation_input_token_cost_above_1hr"),
        reasoning_per_mtok=_reasoning_price(entry),
        tiers=_tiers(entry),
    )
    max_output = _limit(entry.get("max_output_tokens"))
    if max_output is None:
        # LiteLLM documents max_tokens as the legacy name of max_output_tokens.
        max_output = _limit(entry.get("max_tokens"))
    capabilities = tuple(
        sorted(
            key.removeprefix(_SUPPORTS_PREFIX)
            for key, value in entry.items()
            if key.startswith(_SUPPORTS_PREFIX) and value is True
        )
    )
    return CatalogModel(
        model_id=model_id,
        provider=provider.strip(),
        display_name=display_name_from_id(model_id),
        context_window=_limit(entry.get("max_input_tokens")),
        max_output_tokens=max_output,
        capabilities=capabilities,
        prices=prices,
    )


def parse_litellm_catalog(data: dict[str, Any]) -> LitellmImport:
    """Import the per-token priced text models of a LiteLLM price map.

    An entry is imported when its mode is chat, completion or responses and it
    has both `input_cost_per_token` and `output_cost_per_token`; its id is its
    key. Everything else is skipped and counted by reason (`SKIP_*`); a
    malformed value never raises, the entry is counted as SKIP_INVALID.
    """
    if not isinstance(data, dict):
        raise BadInput("A LiteLLM price file must be a JSON object of model entries.")
    models: list[CatalogModel] = []
    skipped: Counter[str] = Counter()
    for key, entry in data.items():
        if key == _SAMPLE_SPEC_KEY:
            skipped[SKIP_SAMPLE_SPEC] += 1
            continue
        if not isinstance(key, str) or not key.strip() or not isinstance(entry, dict):
            skipped[SKIP_INVALID] += 1
            continue
        if entry.get("mode") not in TEXT_MODES:
            skipped[SKIP_NOT_TEXT_MODEL] += 1
            continue
        if entry.get("input_cost_per_token") is None or entry.get("output_cost_per_token") is None:
            skipped[SKIP_UNPRICED] += 1
            continue
        try:
            models.append(_model_from_entry(key, entry))
        except (_Invalid, BadInput):
            skipped[SKIP_INVALID] += 1
    return LitellmImport(models=models, skipped=dict(sorted(skipped.items())))


def load_litellm_file(path: str | Path) -> LitellmImport:
    """Read a LiteLLM `model_prices_and_context_window.json` and import it.

    An unreadable file or invalid JSON raises `BadInput` with the reason.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise BadInput(f"Cannot read the LiteLLM price file {file}: {reason}.") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"The LiteLLM price file {file} is not UTF-8 text.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"The LiteLLM price file {file} is not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    if not isinstance(data, dict):
        raise BadInput(f"The LiteLLM price file {file} must hold a JSON object of model entries.")
    return parse_litellm_catalog(data)


# --------------------------------------------------------------------------- default catalog


def _prices(
    input_: str,
    output: str,
    cache_read: str | None = None,
    cache_write: str | None = None,
    cache_write_1h: str | None = None,
) -> ModelPrices:
    """ModelPrices from decimal strings (USD per million tokens)."""
    return ModelPrices(
        input_per_mtok=Decimal(input_),
        output_per_mtok=Decimal(output),
        cache_read_per_mtok=None if cache_read is None else Decimal(cache_read),
        cache_write_per_mtok=None if cache_write is None else Decimal(cache_write),
        cache_write_1h_per_mtok=None if cache_write_1h is None else Decimal(cache_write_1h),
    )


# List prices in USD per million tokens (standard tier: no batch, priority or
# long-context surcharges). Models that are in LiteLLM's price file
# (shared/data/litellm_model_prices.json beside the repo, litellm 1.109.1) take its prices;
# tests/usage/test_pricing.py checks they match. Cache prices left None are
# billed at the input price (see ModelPrices): OpenAI, Gemini and xAI charge no
# cache-write premium. Aliases are OpenRouter-style `provider/name` ids plus
# the providers' undated ids.
DEFAULT_CATALOG: tuple[CatalogModel, ...] = (
    # ---- Anthropic: 5-minute cache writes 1.25x input, 1-hour writes 2x, reads 0.1x.
    CatalogModel(
        # Not in the LiteLLM file any more (only behind resellers); Anthropic's list
        # prices, equal to LiteLLM's vercel_ai_gateway/anthropic/claude-3-haiku entry.
        model_id="claude-3-haiku-20240307",
        provider="anthropic",
        display_name="Claude Haiku 3",
        context_window=200_000,
        max_output_tokens=4_096,
        capabilities=("function_calling", "prompt_caching", "tool_choice", "vision"),
        prices=_prices(
            "0.25", "1.25", cache_read="0.03", cache_write="0.30", cache_write_1h="0.50"
        ),
        aliases=("anthropic/claude-3-haiku", "claude-3-haiku"),
    ),
    CatalogModel(
        model_id="claude-haiku-4-5-20251001",
        provider="anthropic",
        display_name="Claude Haiku 4.5",
        context_window=200_000,
        max_output_tokens=64_000,
        capabilities=(
            "computer_use",
            "function_calling",
            "pdf_input",
            "prompt_caching",
            "reasoning",
            "response_schema",
            "tool_choice",
            "vision",
            "web_search",
        ),
        prices=_prices("1", "5", cache_read="0.1", cache_write="1.25", cache_write_1h="2"),
        aliases=("anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
    ),
    CatalogModel(
        model_id="claude-sonnet-4-5-20250929",
        provider="anthropic",
        display_name="Claude Sonnet 4.5",
        context_window=200_000,
        max_output_tokens=64_000,
        capabilities=(
            "computer_use",
            "function_calling",
            "pdf_input",
            "prompt_caching",
            "reasoning",
            "response_schema",
            "tool_choice",
            "vision",
            "web_search",
        ),
        prices=_prices("3", "15", cache_read="0.3", cache_write="3.75", cache_write_1h="6"),
        aliases=("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
    ),
    # ---- OpenAI: automatic prompt caching, cached input discounted, no write premium.
    CatalogModel(
        model_id="gpt-4o",
        provider="openai",
        display_name="GPT-4o",
        context_window=128_000,
        max_output_tokens=16_384,
        capabilities=(
            "function_calling",
            "parallel_function_calling",
            "pdf_input",
            "prompt_caching",
            "response_schema",
            "tool_choice",
            "vision",
        ),
        prices=_prices("2.5", "10", cache_read="1.25"),
        aliases=("openai/gpt-4o",),
    ),
    CatalogModel(
        model_id="gpt-4o-mini",
        provider="openai",
        display_name="GPT-4o mini",
        context_window=128_000,
        max_output_tokens=16_384,
        capabilities=(
            "function_calling",
            "parallel_function_calling",
            "pdf_input",
            "prompt_caching",
            "response_schema",
            "tool_choice",
            "vision",
        ),
        prices=_prices("0.15", "0.6", cache_read="0.075"),
        aliases=("openai/gpt-4o-mini",),
    ),
    CatalogModel(
        model_id="gpt-4.1",
        provider="openai",
        display_name="GPT-4.1",
        context_window=1_047_576,
        max_output_tokens=32_768,
        capabilities=(
            "function_calling",
            "parallel_function_calling",
            "pdf_input",
            "prompt_caching",
            "response_schema",
            "tool_choice",
            "vision",
            "web_search",
        ),
        prices=_prices("2", "8", cache_read="0.5"),
        aliases=("openai/gpt-4.1",),
    ),
    CatalogModel(
        model_id="gpt-4.1-mini",
        provider="openai",
        display_name="GPT-4.1 mini",
        context_window=1_047_576,
        max_output_tokens=32_768,
        capabilities=(
            "function_calling",
            "parallel_function_calling",
            "pdf_input",
            "prompt_caching",
            "response_schema",
            "tool_choice",
            "vision",
            "web_search",
        ),
        prices=_prices("0.4", "1.6", cache_read="0.1"),
        aliases=("openai/gpt-4.1-mini",),
    ),
    # ---- xAI: not in the LiteLLM file under these ids; xAI's list prices (input
    # and output equal LiteLLM's vercel_ai_gateway/xai/* entries), cached input 0.25x.
    CatalogModel(
        model_id="grok-4",
        provider="xai",
        display_name="Grok 4",
        context_window=256_000,
        max_output_tokens=None,
        capabilities=(
            "function_calling",
            "prompt_caching",
            "reasoning",
            "response_schema",
            "tool_choice",
            "vision",
        ),
        prices=_prices("3", "15", cache_read="0.75"),
        aliases=("x-ai/grok-4", "xai/grok-4", "grok-4-0709"),
    ),
    CatalogModel(
        model_id="grok-3-mini",
        provider="xai",
        display_name="Grok 3 Mini",
        context_window=131_072,
        max_output_tokens=None,
        capabilities=(
            "function_calling",
            "prompt_caching",
            "reasoning",
            "response_schema",
            "tool_choice",
        ),
        prices=_prices("0.3", "0.5", cache_read="0.075"),
        aliases=("x-ai/grok-3-mini", "xai/grok-3-mini"),
    ),
    # ---- Google: implicit caching, cached input 0.1x, no write premium (storage
    # of explicit caches is billed per hour, outside token pricing).
    CatalogModel(
        model_id="gemini-2.5-flash",
        provider="google",
        display_name="Gemini 2.5 Flash",
        context_window=1_048_576,
        max_output_tokens=65_536,
        capabilities=(
            "function_calling",
            "parallel_function_calling",
            "pdf_input",
            "prompt_caching",
            "reasoning",
            "response_schema",
            "tool_choice",
            "vision",
            "web_search",
        ),
        prices=_prices("0.3", "2.5", cache_read="0.03"),
        aliases=("google/gemini-2.5-flash", "gemini/gemini-2.5-flash"),
    ),
    # ---- AI Singapore SEA-LION: open weights, self-hosted, so no per-token list
    # price (LiteLLM's publicai/aisingapore/... entry is 0 too). A zero price is
    # legitimate: such calls cost exactly 0 here.
    CatalogModel(
        model_id="gemma-sea-lion-v4-27b-it",
        provider="aisingapore",
        display_name="Gemma SEA-LION v4 27B IT",
        context_window=None,  # depends on the serving deployment
        max_output_tokens=None,
        capabilities=("function_calling", "tool_choice"),
        prices=_prices("0", "0"),
        aliases=("aisingapore/gemma-sea-lion-v4-27b-it", "aisingapore/Gemma-SEA-LION-v4-27B-IT"),
    ),
)
