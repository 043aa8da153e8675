"""The curated catalog Parley ships: the models `parley migrate` installs.

List prices in USD per million tokens, as `CatalogModel` entries (api/usage/litellm.py);
`api.usage.catalog.install_default_catalog` puts them in the database. Pure data.
"""

from decimal import Decimal

from api.usage.litellm import CatalogModel
from api.usage.pricing import ModelPrices

__all__ = ["DEFAULT_CATALOG"]


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
