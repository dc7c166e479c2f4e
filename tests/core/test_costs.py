"""Costs come from genai-prices' batch variants; unknown models say "no price"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from batchtui.core import costs
from batchtui.core.models import BatchResult, ResultLine
from batchtui.providers.anthropic.results import parse_anthropic_line as anthropic_parse
from batchtui.providers.openai.results import parse_openai_line as openai_parse


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
    o = costs.cost_of_lines(
        "openai", [line("output", openai_line), ResultLine("output", b"not json")], openai_parse
    )
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert unit is not None
    assert (o.requests, o.input_tokens, o.output_tokens) == (1, 100, 50)
    assert o.cost_usd == pytest.approx(100 * unit.input + 50 * unit.output)
    assert o.sync_cost_usd == pytest.approx(2 * o.cost_usd)
    assert o.unparseable_lines == 1 and o.note and "1 result line(s)" in o.note
    a = costs.cost_of_lines("anthropic", [line("results", anthropic_line)], anthropic_parse)
    assert a.input_tokens == 10 and a.cost_usd and a.saved_usd == pytest.approx(a.cost_usd)
    assert a.unparseable_lines == 0 and a.note is None and a.as_dict()["note"] is None


def line(source: str, obj: Any) -> ResultLine:
    return ResultLine(source, json.dumps(obj).encode())


def anthropic_cached_line(custom_id: str = "c") -> dict[str, Any]:
    usage = {
        "input_tokens": 40,
        "output_tokens": 30,
        "cache_read_input_tokens": 2_000,
        "cache_creation_input_tokens": 500,
    }
    message = {"model": "claude-haiku-4-5", "stop_reason": "end_turn", "usage": usage}
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}


def test_anthropic_cache_reads_and_writes_are_priced_at_their_own_rates() -> None:
    """The adapter's usage (input = 40 fresh + 2,000 read + 500 written) feeds the cost, and
    each part is priced at its rate: the cost and the results view count the same tokens."""
    result = anthropic_parse(line("results", anthropic_cached_line()))
    assert result.usage is not None and result.usage.input_tokens == 2_540
    cost = costs.cost_of_results("anthropic", [result])
    unit = costs.unit_prices("anthropic", "claude-haiku-4-5")
    sync = costs.unit_prices("anthropic", "claude-haiku-4-5", batch=False)
    assert unit is not None and sync is not None
    assert unit.cached_input < unit.input < unit.cache_write
    assert (cost.requests, cost.input_tokens, cost.output_tokens) == (1, 2_540, 30)
    assert (cost.cached_input_tokens, cost.cache_creation_input_tokens) == (2_000, 500)
    expected = 40 * unit.input + 2_000 * unit.cached_input + 500 * unit.cache_write
    assert cost.cost_usd == pytest.approx(expected + 30 * unit.output)
    expected_sync = 40 * sync.input + 2_000 * sync.cached_input + 500 * sync.cache_write
    assert cost.sync_cost_usd == pytest.approx(expected_sync + 30 * sync.output)
    as_dict = cost.as_dict()
    assert as_dict["input_tokens"] == 2_540 and as_dict["cache_creation_input_tokens"] == 500
    # genai-prices, given Anthropic's own usage object, agrees on the batch price.
    prices = costs._genai_prices()
    usage = anthropic_cached_line()["result"]["message"]["usage"]
    extracted = prices.extract_usage(
        {"model": "claude-haiku-4-5", "usage": usage}, provider_id="anthropic"
    )
    assert extracted.usage.input_tokens == 2_540
    assert extracted.usage.cache_read_tokens == 2_000
    assert extracted.usage.cache_write_tokens == 500


def test_openai_cached_prompt_tokens_are_part_of_the_prompt() -> None:
    body = {
        "model": "gpt-4o-mini",
        "usage": {
            "prompt_tokens": 1_000,
            "completion_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 600},
        },
    }
    obj = {"custom_id": "o", "response": {"status_code": 200, "body": body}, "error": None}
    cost = costs.cost_of_lines("openai", [line("output", obj)], openai_parse)
    unit = costs.unit_prices("openai", "gpt-4o-mini")
    assert unit is not None and unit.cached_input <= unit.input
    assert (cost.input_tokens, cost.cached_input_tokens) == (1_000, 600)
    expected = 400 * unit.input + 600 * unit.cached_input + 10 * unit.output
    assert cost.cost_usd == pytest.approx(expected)


def test_unparseable_lines_are_counted_and_left_out() -> None:
    good = line("results", anthropic_cached_line("g"))
    bad = [
        ResultLine("results", b"[1, 2]"),
        ResultLine("results", b'"x"'),
        ResultLine("results", b"not json"),
        ResultLine("results", good.data + b" xyz"),
    ]
    only_good = costs.cost_of_lines("anthropic", [good], anthropic_parse)
    mixed = costs.cost_of_lines("anthropic", [bad[0], good, *bad[1:]], anthropic_parse)
    assert mixed.unparseable_lines == 4 and only_good.unparseable_lines == 0
    assert mixed.requests == only_good.requests == 1
    assert mixed.cost_usd == pytest.approx(only_good.cost_usd)
    assert mixed.note is not None and "4 result line(s)" in mixed.note
    assert mixed.as_dict()["unparseable_lines"] == 4 and mixed.as_dict()["note"] == mixed.note


def test_a_parser_that_raises_does_not_stop_the_sum() -> None:
    def fragile(result_line: ResultLine) -> BatchResult:
        if result_line.data == b"boom":
            raise TypeError("adapter bug")
        return anthropic_parse(result_line)

    good = line("results", anthropic_cached_line())
    cost = costs.cost_of_lines("anthropic", [good, ResultLine("results", b"boom")], fragile)
    assert (cost.requests, cost.unparseable_lines) == (1, 1) and cost.cost_usd


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


def test_warming_fills_the_price_cache_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    thread = costs.warm_prices("openai", ["gpt-4.1-nano", None])
    assert thread.daemon
    thread.join(30)
    before = costs._unit_prices.cache_info().hits
    assert costs.unit_prices("openai", "gpt-4.1-nano") is not None
    assert costs._unit_prices.cache_info().hits == before + 1  # the warm-up computed it

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("price database unreadable")

    monkeypatch.setattr(costs, "unit_prices", broken)
    failing = costs.warm_prices("openai", ["gpt-4o"])
    failing.join(30)
    assert not failing.is_alive()  # the failure stayed in the thread, for the estimate to meet
