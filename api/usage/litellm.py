"""Catalog entries from LiteLLM's price file, and the entry type every catalog source gives.

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
