"""Costs come from genai-prices' batch variants; unknown models say "no price"."""

from __future__ import annotations

import json

import pytest

from batchtui.core import costs


def test_batch_prices_are_half_of_synchronous_for_known_models() -> None:
    for provider, model in (("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5")):
        batch = costs.unit_prices(provider, model, True)
        sync = costs.unit_prices(provider, model, False)
        assert batch is not None and sync is not None
        assert batch.input == pytest.approx(sync.input / 2)
        assert batch.output == pytest.approx(sync.output / 2)


def test_unknown_model_has_no_price() -> None:
    assert costs.unit_prices("openai", "no-such-model-xyz") is None
    est = costs.estimate("openai", {"no-such-model-xyz": (3, 30, 300)})
    assert est.cost_usd_low is None and est.cost_usd_high is None
    assert est.unpriced_models == ("no-such-model-xyz",)
    assert costs.format_usd(None) == "no price"


def test_estimate_low_is_input_only_and_high_adds_the_output_ceiling() -> None:
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert unit is not None
    est = costs.estimate("openai", {"gpt-4o-mini": (10, 1000, 5000)})
    assert est.cost_usd_low == pytest.approx(1000 * unit.input)
    assert est.cost_usd_high == pytest.approx(1000 * unit.input + 5000 * unit.output)


def test_cost_of_lines_sums_usage_of_both_providers_shapes() -> None:
    openai_line = {
        "custom_id": "a",
        "response": {
            "status_code": 200,
            "body": {
                "model": "gpt-4o-mini",
                "usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 50,
                    "prompt_tokens_details": {"cached_tokens": 0},
                },
            },
        },
        "error": None,
    }
    anthropic_line = {
        "custom_id": "b",
        "result": {
            "type": "succeeded",
            "message": {
                "model": "claude-haiku-4-5",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
        },
    }
    o = costs.cost_of_lines("openai", [json.dumps(openai_line).encode(), b"not json"])
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert unit is not None
    assert (o.requests, o.input_tokens, o.output_tokens) == (1, 100, 50)
    assert o.cost_usd == pytest.approx(100 * unit.input + 50 * unit.output)
    assert o.sync_cost_usd == pytest.approx(2 * o.cost_usd)
    a = costs.cost_of_lines("anthropic", [json.dumps(anthropic_line).encode()])
    assert a.input_tokens == 10 and a.cost_usd and a.saved_usd == pytest.approx(a.cost_usd)


def test_long_prompts_are_priced_one_by_one() -> None:
    big = costs.request_cost("openai", "gpt-4o-mini", input_tokens=150_000, output_tokens=10)
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert big is not None and unit is not None
    assert big == pytest.approx(150_000 * unit.input + 10 * unit.output, rel=1e-6)


def test_small_amounts_keep_their_digits() -> None:
    assert costs.format_usd(0.000045) == "$0.000045"
    assert costs.format_usd(0.0123) == "$0.0123"
    assert costs.format_usd(0) == "$0.0000"
    assert costs.format_usd(12.345) == "$12.35"


def test_estimates_round_trip_sum_and_split() -> None:
    est = costs.estimate("openai", {"gpt-4o-mini": (10, 1000, 5000)}, uncapped=2)
    assert est.uncapped_requests == 2 and est.priced
    assert costs.Estimate.from_dict(est.as_dict()) == costs.Estimate(
        est.requests,
        est.input_tokens,
        est.max_output_tokens,
        round(est.cost_usd_low, 6),  # type: ignore[arg-type]
        round(est.cost_usd_high, 6),  # type: ignore[arg-type]
        (),
        2,
    )
    half = est.scaled(5, 0.5, 0.5)
    assert half.requests == 5 and half.input_tokens == 500
    assert half.cost_usd_high == pytest.approx(est.cost_usd_high / 2)  # type: ignore[operator]
    both = costs.sum_estimates([half, half])
    assert both.cost_usd_high == pytest.approx(est.cost_usd_high)
    unknown = costs.estimate("openai", {"no-such-model-xyz": (1, 1, 1)})
    assert costs.sum_estimates([half, unknown]).cost_usd_high is None


def test_aggregate_usage_is_priced_like_the_lines_it_sums() -> None:
    agg = costs.cost_of_usage(
        "openai", "gpt-4o-mini", input_tokens=300, output_tokens=90, requests=3
    )
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert unit is not None
    assert agg.cost_usd == pytest.approx(300 * unit.input + 90 * unit.output)
    assert agg.sync_cost_usd == pytest.approx(2 * agg.cost_usd)
    assert costs.cost_of_usage("openai", None, input_tokens=1, output_tokens=1).cost_usd is None


def test_tiny_amounts_are_never_shown_as_zero() -> None:
    assert costs.format_usd(0.0000001) == "$1e-07"
