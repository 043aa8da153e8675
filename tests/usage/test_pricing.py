"""Token normalisation, exact cost computation and the model catalog.

Expected amounts are worked out by hand in the comments (prices are per
million tokens, so cost = sum(tokens * price) / 1_000_000).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from api.core.errors import BadInput
from api.usage.default_catalog import DEFAULT_CATALOG
from api.usage.litellm import (
    SKIP_INVALID,
    SKIP_NOT_TEXT_MODEL,
    SKIP_SAMPLE_SPEC,
    SKIP_UNPRICED,
    CatalogModel,
    display_name_from_id,
    load_litellm_file,
    parse_litellm_catalog,
)
from api.usage.pricing import (
    PERCENT_QUANTUM,
    ModelPrices,
    TokenCounts,
    cache_hit_rate,
    compute_cost,
    mean_ms,
    normalize_tokens,
    per_token_to_per_million,
    rounded_ratio,
)

LITELLM_FILE = Path(__file__).resolve().parents[3] / "shared" / "data" / "litellm_model_prices.json"

# Claude 3 Haiku list prices per MTok.
HAIKU_3 = ModelPrices(
    input_per_mtok=Decimal("0.25"),
    output_per_mtok=Decimal("1.25"),
    cache_read_per_mtok=Decimal("0.03"),
    cache_write_per_mtok=Decimal("0.30"),
)


def _litellm_file() -> Path:
    if not LITELLM_FILE.is_file():
        reason = f"LiteLLM price file not found at {LITELLM_FILE} (clone ../shared beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return LITELLM_FILE


def _by_id(models: list[CatalogModel]) -> dict[str, CatalogModel]:
    return {model.model_id: model for model in models}


# ------------------------------------------------------------------ normalize + cost


def test_openai_convention_cached_call_costs_exact_amount() -> None:
    # given: 5000 input tokens of which 4000 are cache reads (OpenAI counts them in input)
    tokens = normalize_tokens(
        input_tokens=5000,
        output_tokens=500,
        cache_read_tokens=4000,
        input_tokens_include_cache=True,
    )

    # when
    cost = compute_cost(tokens, HAIKU_3)

    # then: uncached 5000 - 4000 = 1000
    # 1000*0.25/1e6 + 4000*0.03/1e6 + 500*1.25/1e6 = 0.00025 + 0.00012 + 0.000625 = 0.000995
    assert tokens == TokenCounts(uncached_input=1000, cache_read=4000, cache_write=0, output=500)
    assert tokens.total == 5500
    assert isinstance(cost, Decimal)
    assert cost == Decimal("0.000995")


def test_anthropic_convention_same_call_costs_the_same() -> None:
    # given: the same call reported Anthropic-style (input excludes the 4000 cache reads)
    tokens = normalize_tokens(
        input_tokens=1000,
        output_tokens=500,
        cache_read_tokens=4000,
        input_tokens_include_cache=False,
    )

    # when
    cost = compute_cost(tokens, HAIKU_3)

    # then: 1000*0.25 + 4000*0.03 + 500*1.25 = 250 + 120 + 625 = 995 -> /1e6 = 0.000995
    assert tokens == TokenCounts(uncached_input=1000, cache_read=4000, cache_write=0, output=500)
    assert cost == Decimal("0.000995")


def test_cache_writes_are_billed_at_the_cache_write_price() -> None:
    # given: Anthropic-style call writing 3000 tokens to the cache
    tokens = normalize_tokens(
        input_tokens=200,
        output_tokens=100,
        cache_write_tokens=3000,
        input_tokens_include_cache=False,
    )

    # when
    cost = compute_cost(tokens, HAIKU_3)

    # then: 200*0.25 + 3000*0.30 + 100*1.25 = 50 + 900 + 125 = 1075 -> /1e6 = 0.001075
    assert cost == Decimal("0.001075")


def test_openai_convention_subtracts_cache_writes_from_input() -> None:
    # given: 5000 input including 1000 cache reads and 2000 cache writes
    tokens = normalize_tokens(
        input_tokens=5000,
        output_tokens=0,
        cache_read_tokens=1000,
        cache_write_tokens=2000,
        input_tokens_include_cache=True,
    )

    # when
    cost = compute_cost(tokens, HAIKU_3)

    # then: uncached 5000 - 1000 - 2000 = 2000
    # 2000*0.25 + 1000*0.03 + 2000*0.30 = 500 + 30 + 600 = 1130 -> /1e6 = 0.00113
    assert tokens.uncached_input == 2000
    assert cost == Decimal("0.00113")


def test_one_hour_cache_writes_use_the_one_hour_price() -> None:
    # given: Claude Haiku 4.5 prices (1 in, 5 out, 0.1 read, 1.25 write, 2 write 1h)
    prices = ModelPrices(
        input_per_mtok=Decimal("1"),
        output_per_mtok=Decimal("5"),
        cache_read_per_mtok=Decimal("0.1"),
        cache_write_per_mtok=Decimal("1.25"),
        cache_write_1h_per_mtok=Decimal("2"),
    )
    tokens = TokenCounts(uncached_input=100, cache_read=10000, cache_write=2000, output=300)

    # when: 500 of the 2000 cache writes have a 1-hour TTL
    cost = compute_cost(tokens, prices, cache_write_1h_tokens=500)

    # then: 100*1 + 10000*0.1 + 1500*1.25 + 500*2 + 300*5
    #     = 100 + 1000 + 1875 + 1000 + 1500 = 5475 -> /1e6 = 0.005475
    assert cost == Decimal("0.005475")


def test_missing_cache_prices_bill_cached_tokens_at_input_price() -> None:
    # given: a model with no cache prices (2.5 in, 10 out)
    prices = ModelPrices(input_per_mtok=Decimal("2.5"), output_per_mtok=Decimal("10"))
    tokens = TokenCounts(uncached_input=600, cache_read=400, cache_write=100, output=200)

    # when
    cost = compute_cost(tokens, prices, cache_write_1h_tokens=50)

    # then: every prompt token at 2.5: (600 + 400 + 100)*2.5 + 200*10 = 2750 + 2000 = 4750
    # -> /1e6 = 0.00475
    assert cost == Decimal("0.00475")


def test_cost_keeps_full_precision_below_a_millionth_of_a_dollar() -> None:
    # given: GPT-4o mini prices (0.15 in, 0.6 out, 0.075 cache read)
    prices = ModelPrices(
        input_per_mtok=Decimal("0.15"),
        output_per_mtok=Decimal("0.6"),
        cache_read_per_mtok=Decimal("0.075"),
    )

    # when: a single cached token, and a 3-in / 7-out call
    one_cached = compute_cost(TokenCounts(0, 1, 0, 0), prices)
    tiny_call = compute_cost(TokenCounts(3, 0, 0, 7), prices)

    # then: 1*0.075/1e6 = 0.000000075; (3*0.15 + 7*0.6)/1e6 = (0.45 + 4.2)/1e6 = 0.00000465
    assert one_cached == Decimal("0.000000075")
    assert tiny_call == Decimal("0.00000465")


def test_zero_price_model_costs_exactly_zero() -> None:
    # given: a self-hosted model priced at 0
    prices = ModelPrices(input_per_mtok=Decimal(0), output_per_mtok=Decimal(0))
    tokens = TokenCounts(uncached_input=123_456, cache_read=7, cache_write=8, output=9_999)

    # when
    cost = compute_cost(tokens, prices)

    # then
    assert cost == Decimal(0)
    assert isinstance(cost, Decimal)


def test_cache_hit_rate_is_cache_reads_over_all_prompt_tokens() -> None:
    # given: the first call (1000 uncached, 4000 cache reads)
    tokens = normalize_tokens(
        input_tokens=5000,
        output_tokens=500,
        cache_read_tokens=4000,
        input_tokens_include_cache=True,
    )

    # when
    rate = cache_hit_rate(tokens)

    # then: 4000 / (1000 + 4000 + 0) = 0.8
    assert rate == Decimal("0.8")


def test_cache_hit_rate_counts_cache_writes_in_the_denominator() -> None:
    # given: 1000 uncached, 1000 cache reads, 2000 cache writes
    tokens = TokenCounts(uncached_input=1000, cache_read=1000, cache_write=2000, output=10)

    # when / then: 1000 / (1000 + 1000 + 2000) = 0.25
    assert cache_hit_rate(tokens) == Decimal("0.25")


def test_cache_hit_rate_is_none_without_prompt_tokens() -> None:
    # given: a call with output only
    tokens = TokenCounts(uncached_input=0, cache_read=0, cache_write=0, output=10)

    # when / then: 0 / 0 is undefined, not 0
    assert cache_hit_rate(tokens) is None


def test_cache_hit_rate_is_zero_without_cache_reads() -> None:
    # given / when / then: 0 / 1000 = 0
    assert cache_hit_rate(TokenCounts(1000, 0, 0, 5)) == Decimal(0)


def test_cache_hit_rate_has_four_decimal_places_rounded_half_even() -> None:
    # given rates that do not end after 4 places, and exact ties at the 5th
    def rate(read: int, prompt: int) -> Decimal | None:
        return cache_hit_rate(TokenCounts(prompt - read, read, 0, 1))

    # then each is rounded once, half to even, and carries exactly 4 places
    assert str(rate(1, 3)) == "0.3333"
    assert str(rate(2, 3)) == "0.6667"
    assert str(rate(1, 20_000)) == "0.0000"  # 0.00005: tie, to even
    assert str(rate(3, 20_000)) == "0.0002"  # 0.00015: tie, to even
    assert str(rate(4, 5)) == "0.8000"
    # a huge prompt still divides exactly before the one rounding
    assert str(rate(2**62 // 3, 2**62)) == "0.3333"


def test_ratios_round_half_even_once_to_their_quantum() -> None:
    # a percent to 2 places, a mean of milliseconds to 0.1 ms
    assert rounded_ratio(Decimal("0.00375") * 100, 1, PERCENT_QUANTUM) == Decimal("0.38")
    assert str(rounded_ratio(1, 8, PERCENT_QUANTUM)) == "0.12"  # 0.125: tie, to even
    assert mean_ms(1, 3) == 0.3
    assert mean_ms(5, 100) == 0.0  # 0.05: tie, to even
    assert mean_ms(15, 100) == 0.2  # 0.15: tie, to even
    assert mean_ms(0, 0) is None


# ------------------------------------------------------------------ rejections


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"input_tokens": -1, "output_tokens": 0}, "inputTokens"),
        ({"input_tokens": 10, "output_tokens": -5}, "outputTokens"),
        ({"input_tokens": 10, "output_tokens": 0, "cache_read_tokens": -1}, "cacheReadTokens"),
        ({"input_tokens": 10, "output_tokens": 0, "cache_write_tokens": -2}, "cacheWriteTokens"),
    ],
)
def test_negative_token_counts_are_rejected(kwargs: dict[str, int], field: str) -> None:
    # given / when / then: both conventions reject a negative count, naming the field
    for include in (True, False):
        with pytest.raises(BadInput) as excinfo:
            normalize_tokens(**kwargs, input_tokens_include_cache=include)
        assert excinfo.value.field == field
        assert field in excinfo.value.message
        assert "negative" in excinfo.value.message


def test_cache_reads_above_input_are_rejected_when_input_includes_cache() -> None:
    # given: OpenAI convention, but 6000 cache reads out of 5000 input tokens
    # when / then
    with pytest.raises(BadInput) as excinfo:
        normalize_tokens(
            input_tokens=5000,
            output_tokens=1,
            cache_read_tokens=6000,
            input_tokens_include_cache=True,
        )
    assert excinfo.value.field == "cacheReadTokens"
    assert "6000" in excinfo.value.message
    assert "inputTokens" in excinfo.value.message


def test_cache_reads_plus_writes_above_input_are_rejected_when_input_includes_cache() -> None:
    # given: OpenAI convention, 3000 reads + 3000 writes = 6000 > 5000 input
    # when / then
    with pytest.raises(BadInput) as excinfo:
        normalize_tokens(
            input_tokens=5000,
            output_tokens=1,
            cache_read_tokens=3000,
            cache_write_tokens=3000,
            input_tokens_include_cache=True,
        )
    assert excinfo.value.field == "cacheWriteTokens"


def test_cache_reads_above_input_are_fine_when_input_excludes_cache() -> None:
    # given: Anthropic convention: cache reads are reported beside the input
    # when
    tokens = normalize_tokens(
        input_tokens=5, output_tokens=1, cache_read_tokens=6000, input_tokens_include_cache=False
    )

    # then
    assert tokens == TokenCounts(uncached_input=5, cache_read=6000, cache_write=0, output=1)


def test_one_hour_cache_writes_cannot_exceed_cache_writes() -> None:
    # given: 100 cache writes
    tokens = TokenCounts(uncached_input=0, cache_read=0, cache_write=100, output=0)

    # when / then: 101 of them cannot be 1-hour writes
    with pytest.raises(BadInput) as excinfo:
        compute_cost(tokens, HAIKU_3, cache_write_1h_tokens=101)
    assert excinfo.value.field == "cacheWrite1hTokens"


def test_prices_must_be_decimal_and_non_negative() -> None:
    # given / when / then: a float price is a bug, a negative price is bad input
    with pytest.raises(TypeError):
        ModelPrices(input_per_mtok=0.25, output_per_mtok=Decimal("1.25"))  # type: ignore[arg-type]
    with pytest.raises(BadInput) as excinfo:
        ModelPrices(input_per_mtok=Decimal("1"), output_per_mtok=Decimal("-1"))
    assert excinfo.value.field == "outputPerMtok"


# ------------------------------------------------------------------ per-token conversion


def test_per_token_prices_convert_exactly_to_per_million() -> None:
    # given: LiteLLM's per-token JSON floats
    # when / then: 2.5e-07 * 1e6 = 0.25, 1.25e-06 * 1e6 = 1.25, 3e-08 * 1e6 = 0.03
    assert per_token_to_per_million(2.5e-07) == Decimal("0.25")
    assert per_token_to_per_million(1.25e-06) == Decimal("1.25")
    assert per_token_to_per_million(3e-08) == Decimal("0.03")
    assert str(per_token_to_per_million(2.5e-07)) == "0.25"
    assert str(per_token_to_per_million(3e-08)) == "0.03"
    # no float artefacts where float multiplication has them:
    # 1e-07 * 1e6 == 0.09999999999999999, 1.6e-06 * 1e6 == 1.5999999999999999 and
    # 3.3e-06 * 1e6 == 3.3000000000000003 in floats
    assert str(per_token_to_per_million(1e-07)) == "0.1"
    assert str(per_token_to_per_million(1.6e-06)) == "1.6"
    assert str(per_token_to_per_million(3.3e-06)) == "3.3"
    # whole prices stay plain: 1.5e-05 * 1e6 = 15 (not 1.5E+1)
    assert str(per_token_to_per_million(1.5e-05)) == "15"
    assert per_token_to_per_million(0.0) == Decimal(0)
    assert per_token_to_per_million(0) == Decimal(0)
    assert per_token_to_per_million("0.000003") == Decimal("3")


@pytest.mark.parametrize("value", ["abc", "", -1e-06, float("nan"), float("inf"), True])
def test_per_token_conversion_rejects_non_prices(value: float | str) -> None:
    # given / when / then
    with pytest.raises(BadInput):
        per_token_to_per_million(value)


# ------------------------------------------------------------------ LiteLLM import


def test_litellm_import_keeps_priced_text_models_and_counts_skips() -> None:
    # given: a small LiteLLM-style map with one entry of each kind
    data = {
        "sample_spec": {"mode": "one of: chat, embedding, ...", "input_cost_per_token": 0.0},
        "good-chat": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 2.5e-07,
            "output_cost_per_token": 1.25e-06,
            "cache_read_input_token_cost": 3e-08,
            "max_input_tokens": 200000,
            "max_tokens": 4096,
            "supports_vision": True,
            "supports_function_calling": True,
            "supports_audio_input": False,
        },
        "acme/free-completion": {
            "litellm_provider": "acme",
            "mode": "completion",
            "input_cost_per_token": 0,
            "output_cost_per_token": 0.0,
        },
        "acme/responses-only": {
            "litellm_provider": "acme",
            "mode": "responses",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 4e-06,
        },
        "embed": {"litellm_provider": "acme", "mode": "embedding", "input_cost_per_token": 1e-07},
        "image": {
            "litellm_provider": "acme",
            "mode": "image_generation",
            "output_cost_per_image": 1,
        },
        "no-mode": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0},
        "per-char": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_character": 1e-07},
        "only-input": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-07},
        "text-price": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": "cheap",
            "output_cost_per_token": 1e-06,
        },
        "negative": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": -1e-06,
        },
        "bad-cache": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 1e-06,
            "cache_read_input_token_cost": {"tier": 1},
        },
        "bad-limit": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 1e-06,
            "max_input_tokens": "lots",
        },
        "no-provider": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 0},
        "not-a-dict": ["chat"],
    }

    # when
    result = parse_litellm_catalog(data)

    # then: 3 imported; skips: 1 sample_spec, 3 not text (embed, image, no-mode),
    # 2 unpriced (per-char, only-input), 6 invalid (text-price, negative, bad-cache,
    # bad-limit, no-provider, not-a-dict)
    assert [m.model_id for m in result.models] == [
        "good-chat",
        "acme/free-completion",
        "acme/responses-only",
    ]
    assert result.skipped == {
        SKIP_INVALID: 6,
        SKIP_NOT_TEXT_MODEL: 3,
        SKIP_SAMPLE_SPEC: 1,
        SKIP_UNPRICED: 2,
    }
    assert result.skipped_total == 12
    good = result.models[0]
    assert good == CatalogModel(
        model_id="good-chat",
        provider="acme",
        display_name="Good Chat",
        context_window=200000,
        max_output_tokens=4096,  # from the legacy max_tokens
        capabilities=("function_calling", "vision"),
        prices=ModelPrices(
            input_per_mtok=Decimal("0.25"),
            output_per_mtok=Decimal("1.25"),
            cache_read_per_mtok=Decimal("0.03"),
        ),
    )
    assert result.models[1].prices == ModelPrices(
        input_per_mtok=Decimal(0), output_per_mtok=Decimal(0)
    )


def test_display_names_are_derived_from_ids() -> None:
    # given / when / then
    assert display_name_from_id("claude-haiku-4-5-20251001") == "Claude Haiku 4.5 20251001"
    assert display_name_from_id("gpt-4o") == "GPT 4o"
    assert display_name_from_id("gpt-4.1-mini") == "GPT 4.1 Mini"
    assert display_name_from_id("xai/grok-3-mini") == "Grok 3 Mini"


def test_real_litellm_file_imports_exact_counts_and_prices() -> None:
    # given: LiteLLM 1.109.1's model_prices_and_context_window_backup.json
    path = _litellm_file()

    # when
    result = load_litellm_file(path)

    # then: counts checked independently with jq: 4553 keys; 1 sample_spec; 1052 entries
    # whose mode is not chat/completion/responses; of the 3500 text entries 172 lack an
    # input or output per-token price; 4 priced ones are embeddings mislabelled "chat"
    # with 0 token limits (invalid); 3500 - 172 - 4 = 3324 imported.
    assert len(result.models) == 3324
    assert result.skipped == {
        SKIP_INVALID: 4,
        SKIP_NOT_TEXT_MODEL: 1052,
        SKIP_SAMPLE_SPEC: 1,
        SKIP_UNPRICED: 172,
    }
    assert len(result.models) + result.skipped_total == 4553
    models = _by_id(result.models)
    assert len(models) == 3324
    assert "text-embedding-3-small" not in models
    assert "sample_spec" not in models

    # claude-haiku-4-5-20251001: 1e-06 in, 5e-06 out, 1e-07 read, 1.25e-06 write, 2e-06 1h
    haiku = models["claude-haiku-4-5-20251001"]
    assert haiku.provider == "anthropic"
    assert haiku.context_window == 200000
    assert haiku.max_output_tokens == 64000
    assert haiku.prices == ModelPrices(
        input_per_mtok=Decimal("1"),
        output_per_mtok=Decimal("5"),
        cache_read_per_mtok=Decimal("0.1"),
        cache_write_per_mtok=Decimal("1.25"),
        cache_write_1h_per_mtok=Decimal("2"),
    )
    assert "prompt_caching" in haiku.capabilities

    # gpt-4o: 2.5e-06 in, 1e-05 out, 1.25e-06 read, no cache-write price
    gpt_4o = models["gpt-4o"]
    assert gpt_4o.provider == "openai"
    assert gpt_4o.prices == ModelPrices(
        input_per_mtok=Decimal("2.5"),
        output_per_mtok=Decimal("10"),
        cache_read_per_mtok=Decimal("1.25"),
    )
    assert gpt_4o.capabilities == (
        "function_calling",
        "parallel_function_calling",
        "pdf_input",
        "prompt_caching",
        "response_schema",
        "system_messages",
        "tool_choice",
        "vision",
    )
    # the cost of the Haiku-style call at imported gpt-4o prices:
    # 1000*2.5 + 4000*1.25 + 500*10 = 2500 + 5000 + 5000 = 12500 -> /1e6 = 0.0125
    assert compute_cost(TokenCounts(1000, 4000, 0, 500), gpt_4o.prices) == Decimal("0.0125")


def test_load_litellm_file_rejects_invalid_json(tmp_path: Path) -> None:
    # given: a truncated JSON file
    path = tmp_path / "prices.json"
    path.write_text('{"gpt-4o": {"mode": "chat",', encoding="utf-8")

    # when / then
    with pytest.raises(BadInput) as excinfo:
        load_litellm_file(path)
    assert "not valid JSON" in excinfo.value.message


def test_load_litellm_file_rejects_a_non_object(tmp_path: Path) -> None:
    # given: valid JSON that is not a map of models
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(["gpt-4o"]), encoding="utf-8")

    # when / then
    with pytest.raises(BadInput) as excinfo:
        load_litellm_file(path)
    assert "JSON object" in excinfo.value.message


def test_load_litellm_file_rejects_a_missing_file(tmp_path: Path) -> None:
    # given: no file
    path = tmp_path / "missing.json"

    # when / then
    with pytest.raises(BadInput) as excinfo:
        load_litellm_file(path)
    assert "Cannot read" in excinfo.value.message
    assert "missing.json" in excinfo.value.message


# ------------------------------------------------------------------ default catalog


def test_default_catalog_ids_and_aliases_are_unique() -> None:
    # given
    ids = [model.model_id for model in DEFAULT_CATALOG]
    aliases = [alias for model in DEFAULT_CATALOG for alias in model.aliases]

    # when / then
    assert len(ids) == len(set(ids))
    assert len(aliases) == len(set(aliases))
    assert not set(ids) & set(aliases)


def test_default_catalog_prices_are_non_negative_decimals() -> None:
    # given / when / then
    for model in DEFAULT_CATALOG:
        prices = model.prices
        for price in (
            prices.input_per_mtok,
            prices.output_per_mtok,
            prices.cache_read_per_mtok,
            prices.cache_write_per_mtok,
            prices.cache_write_1h_per_mtok,
        ):
            if price is not None:
                assert isinstance(price, Decimal), model.model_id
                assert price >= 0, model.model_id
        assert model.capabilities == tuple(sorted(model.capabilities)), model.model_id


def test_default_catalog_has_the_models_parley_ships() -> None:
    # given
    models = _by_id(list(DEFAULT_CATALOG))

    # when / then
    for model_id in (
        "claude-3-haiku-20240307",
        "claude-haiku-4-5-20251001",
        "claude-sonnet-4-5-20250929",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "grok-4",
        "grok-3-mini",
        "gemini-2.5-flash",
    ):
        assert model_id in models
    # Claude 3 Haiku: the prices above plus Anthropic's 1-hour cache write (2 x 0.25 = 0.50)
    assert models["claude-3-haiku-20240307"].prices == ModelPrices(
        input_per_mtok=Decimal("0.25"),
        output_per_mtok=Decimal("1.25"),
        cache_read_per_mtok=Decimal("0.03"),
        cache_write_per_mtok=Decimal("0.30"),
        cache_write_1h_per_mtok=Decimal("0.50"),
    )
    assert set(models["claude-3-haiku-20240307"].aliases) >= {
        "anthropic/claude-3-haiku",
        "claude-3-haiku",
    }
    assert set(models["claude-haiku-4-5-20251001"].aliases) >= {
        "anthropic/claude-haiku-4.5",
        "claude-haiku-4-5",
    }
    sea_lion = [m for m in DEFAULT_CATALOG if m.provider == "aisingapore"]
    assert len(sea_lion) == 1
    # a self-hosted SEA-LION call is free: 1000*0 + 500*0 = 0
    assert compute_cost(TokenCounts(1000, 0, 0, 500), sea_lion[0].prices) == Decimal(0)


def test_default_catalog_prices_match_the_litellm_file() -> None:
    # given
    litellm = _by_id(load_litellm_file(_litellm_file()).models)

    # when: every curated model that LiteLLM lists under the same id
    shared = [model for model in DEFAULT_CATALOG if model.model_id in litellm]

    # then: same prices, and the ones LiteLLM lacks are the ones expected to be missing
    for model in shared:
        assert model.prices == litellm[model.model_id].prices, model.model_id
    assert {m.model_id for m in DEFAULT_CATALOG} - {m.model_id for m in shared} == {
        "claude-3-haiku-20240307",
        "grok-4",
        "grok-3-mini",
        "gemma-sea-lion-v4-27b-it",
    }


def test_default_catalog_prices_match_litellm_reseller_entries_for_missing_ids() -> None:
    # given: models LiteLLM only lists behind a reseller at list price
    litellm = _by_id(load_litellm_file(_litellm_file()).models)
    curated = _by_id(list(DEFAULT_CATALOG))

    # when / then: Claude 3 Haiku has all four token prices there
    reseller = litellm["vercel_ai_gateway/anthropic/claude-3-haiku"].prices
    assert reseller == ModelPrices(
        input_per_mtok=curated["claude-3-haiku-20240307"].prices.input_per_mtok,
        output_per_mtok=curated["claude-3-haiku-20240307"].prices.output_per_mtok,
        cache_read_per_mtok=curated["claude-3-haiku-20240307"].prices.cache_read_per_mtok,
        cache_write_per_mtok=curated["claude-3-haiku-20240307"].prices.cache_write_per_mtok,
    )
    # grok: input and output (the reseller lists no cache price)
    for model_id in ("grok-4", "grok-3-mini"):
        reseller = litellm[f"vercel_ai_gateway/xai/{model_id}"].prices
        assert reseller.input_per_mtok == curated[model_id].prices.input_per_mtok
        assert reseller.output_per_mtok == curated[model_id].prices.output_per_mtok
