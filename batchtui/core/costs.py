"""What a batch will cost, what it did cost, and what the same requests cost synchronously.

Prices come from `genai-prices` (a maintained price database, pinned in pyproject), with each
provider's batch price variant (``processing=batch``); nothing here is a price table of ours.
The database takes about a second to import, so it is loaded lazily, once, off the hot path.
An unknown model yields ``None`` ("no price"), never a made-up number.

Per-request prices are linear below a provider's long-context threshold, so a request's cost is
its tokens times unit prices read once per model from the database; a request whose prompt is
over ``TIER_CHECK_TOKENS`` is priced on its own so tiered prices are honoured.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from batchtui.core.models import (
    UNPARSEABLE_LINE,
    BatchResult,
    Outcome,
    ResultError,
    ResultLine,
    Usage,
)
from batchtui.core.registry import find_spec, price_key

TIER_CHECK_TOKENS = 100_000
_PROBE = 1_000_000  # tokens per unit-price probe (prices are quoted per million tokens)
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """US dollars per token for one model: input, cached input read, cache write, output."""

    input: float
    cached_input: float
    cache_write: float
    output: float


@dataclass(frozen=True, slots=True)
class Estimate:
    """A submission's cost before it is sent: output between nothing and the max_tokens ceiling."""

    requests: int
    input_tokens: int
    max_output_tokens: int
    cost_usd_low: float | None
    cost_usd_high: float | None
    unpriced_models: tuple[str, ...] = ()
    uncapped_requests: int = 0
    """Requests that set no max_tokens: their output has no ceiling, so the high is not one."""

    @property
    def priced(self) -> bool:
        """Whether every model has a price (else both costs are None: "no price")."""
        return self.cost_usd_high is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "cost_usd_low": _round(self.cost_usd_low),
            "cost_usd_high": _round(self.cost_usd_high),
            "unpriced_models": list(self.unpriced_models),
            "uncapped_requests": self.uncapped_requests,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """Rebuild from `as_dict` output (e.g. the estimate kept on a job)."""
        return cls(
            requests=int(data.get("requests") or 0),
            input_tokens=int(data.get("input_tokens") or 0),
            max_output_tokens=int(data.get("max_output_tokens") or 0),
            cost_usd_low=data.get("cost_usd_low"),
            cost_usd_high=data.get("cost_usd_high"),
            unpriced_models=tuple(data.get("unpriced_models") or ()),
            uncapped_requests=int(data.get("uncapped_requests") or 0),
        )

    def scaled(self, requests: int, input_share: float, request_share: float) -> Estimate:
        """This estimate apportioned to a part: input by ``input_share`` (of the bytes),
        output ceiling and request counts by ``request_share``."""
        low = high = None
        if self.cost_usd_low is not None and self.cost_usd_high is not None:
            low = self.cost_usd_low * input_share
            high = low + (self.cost_usd_high - self.cost_usd_low) * request_share
        return Estimate(
            requests=requests,
            input_tokens=round(self.input_tokens * input_share),
            max_output_tokens=round(self.max_output_tokens * request_share),
            cost_usd_low=low,
            cost_usd_high=high,
            unpriced_models=self.unpriced_models,
            uncapped_requests=round(self.uncapped_requests * request_share),
        )


def sum_estimates(parts: Iterable[Estimate]) -> Estimate:
    """One estimate for several (e.g. the parts of a run); no price if any part has none."""
    items = list(parts)
    priced = all(e.priced for e in items)
    return Estimate(
        requests=sum(e.requests for e in items),
        input_tokens=sum(e.input_tokens for e in items),
        max_output_tokens=sum(e.max_output_tokens for e in items),
        cost_usd_low=sum(e.cost_usd_low or 0.0 for e in items) if priced else None,
        cost_usd_high=sum(e.cost_usd_high or 0.0 for e in items) if priced else None,
        unpriced_models=tuple(sorted({m for e in items for m in e.unpriced_models})),
        uncapped_requests=sum(e.uncapped_requests for e in items),
    )


@dataclass(slots=True)
class Cost:
    """A job's actual cost from its results' usage, beside the synchronous price of the same."""

    requests: int = 0
    input_tokens: int = 0
    """Every prompt token, cache reads and writes included (see `batchtui.core.models.Usage`)."""
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float | None = 0.0
    sync_cost_usd: float | None = 0.0
    unpriced_models: set[str] = field(default_factory=set)
    unparseable_lines: int = 0
    """Result lines left out because they are not results (``unparseable_line``)."""

    @property
    def saved_usd(self) -> float | None:
        if self.cost_usd is None or self.sync_cost_usd is None:
            return None
        return self.sync_cost_usd - self.cost_usd

    @property
    def note(self) -> str | None:
        """What the cost leaves out, in a sentence (None when it leaves nothing out)."""
        if not self.unparseable_lines:
            return None
        return (
            f"{self.unparseable_lines} result line(s) could not be read (not a JSON object, "
            "or data after it) and are left out of this cost"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cost_usd": _round(self.cost_usd),
            "sync_cost_usd": _round(self.sync_cost_usd),
            "saved_usd": _round(self.saved_usd),
            "unpriced_models": sorted(self.unpriced_models),
            "unparseable_lines": self.unparseable_lines,
            "note": self.note,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@functools.cache
def _genai_prices() -> Any:
    with _lock:
        import genai_prices

        return genai_prices


def warm_prices(provider: str, models: Iterable[str | None] = ()) -> threading.Thread:
    """Load the price database and ``provider``'s batch prices (those of ``models`` too, where
    known) on a thread of its own, and return the thread (a daemon).

    For a caller that will need an estimate after some other work (an input's validation):
    the import then runs while that work waits on its disk writes, instead of after it. The
    warm-up only fills caches; a failure in it is left for the estimate itself to meet.
    """

    def warm() -> None:
        with contextlib.suppress(Exception):
            for model in sorted({m for m in models if m} or {""}):
                unit_prices(provider, model)  # an unknown model still loads the database

    thread = threading.Thread(target=warm, name="batchtui-prices", daemon=True)
    thread.start()
    return thread


def _calc(key: str, model: str, batch: bool, **tokens: int) -> Any:
    """genai-prices' price of ``tokens`` of ``model`` at the provider it knows as ``key``."""
    prices = _genai_prices()
    context = {"processing": "batch"} if batch else None
    return prices.calc_price(
        prices.Usage(**tokens), model_ref=model, provider_id=key, price_context=context
    )


def unit_prices(provider: str, model: str, batch: bool = True) -> UnitPrices | None:
    """Per-token prices of a model at a provider (batch or synchronous); None when unknown."""
    return _unit_prices(price_key(provider), model, batch)


@functools.lru_cache(maxsize=512)
def _unit_prices(provider: str, model: str, batch: bool) -> UnitPrices | None:
    try:
        base = _calc(provider, model, batch, input_tokens=_PROBE, output_tokens=_PROBE)
        cached = _calc(
            provider, model, batch, input_tokens=_PROBE, cache_read_tokens=_PROBE
        ).input_price
        written = _calc(
            provider, model, batch, input_tokens=_PROBE, cache_write_tokens=_PROBE
        ).input_price
    except (LookupError, ValueError, KeyError):
        return None
    return UnitPrices(
        input=float(base.input_price) / _PROBE,
        cached_input=float(cached) / _PROBE,
        cache_write=float(written) / _PROBE,
        output=float(base.output_price) / _PROBE,
    )


def request_cost(
    provider: str,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
    batch: bool = True,
) -> float | None:
    """The price of one request; ``input_tokens`` counts every prompt token, the cache reads
    (``cached_input_tokens``) and writes (``cache_write_tokens``) included, as genai-prices
    counts them too; each part is priced at its own rate."""
    if input_tokens > TIER_CHECK_TOKENS:
        try:
            calc = _calc(
                price_key(provider),
                model,
                batch,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cached_input_tokens,
                cache_write_tokens=cache_write_tokens,
            )
        except (LookupError, ValueError, KeyError):
            return None
        return float(calc.total_price)
    unit = unit_prices(provider, model, batch)
    if unit is None:
        return None
    fresh = max(0, input_tokens - cached_input_tokens - cache_write_tokens)
    return (
        fresh * unit.input
        + cached_input_tokens * unit.cached_input
        + cache_write_tokens * unit.cache_write
        + output_tokens * unit.output
    )


def estimate(
    provider: str, per_model: dict[str, tuple[int, int, int]], *, uncapped: int = 0
) -> Estimate:
    """Estimate from ``{model: (requests, input_tokens, max_output_tokens)}``.

    Low: input tokens only (every answer empty). High: every answer reaching its max_tokens.
    Input tokens are per-request averages, priced request by request at that average.
    ``uncapped`` counts requests with no max_tokens (their output is left out of the high).
    """
    requests = sum(v[0] for v in per_model.values())
    input_tokens = sum(v[1] for v in per_model.values())
    max_output = sum(v[2] for v in per_model.values())
    low: float | None = 0.0
    high: float | None = 0.0
    unpriced: list[str] = []
    for model, (count, tokens_in, tokens_out) in per_model.items():
        if count <= 0:
            continue
        avg_in = tokens_in // count
        floor = request_cost(provider, model, input_tokens=avg_in, output_tokens=0)
        ceiling = request_cost(
            provider, model, input_tokens=avg_in, output_tokens=tokens_out // count
        )
        if floor is None or ceiling is None:
            unpriced.append(model)
            continue
        low = (low or 0.0) + floor * count
        high = (high or 0.0) + ceiling * count
    if unpriced:
        low = high = None
    return Estimate(
        requests, input_tokens, max_output, low, high, tuple(sorted(unpriced)), uncapped
    )


def cost_of_results(
    provider: str, results: Iterable[BatchResult], default_model: str | None = None
) -> Cost:
    """Sum the actual (batch) and synchronous cost over parsed results (any outcome).

    Usage is the adapter's, in the neutral sense of `Usage`: ``input_tokens`` counts every
    prompt token, and its cache reads and cache writes are priced at their own rates. A result
    without tokens costs nothing; an ``unparseable_line`` result is counted and left out.
    """
    cost = Cost()
    for result in results:
        error = result.error
        if error is not None and error.type == UNPARSEABLE_LINE:
            cost.unparseable_lines += 1
            continue
        usage = result.usage
        if usage is None or not (usage.input_tokens or usage.output_tokens):
            continue
        model = result.model or default_model
        cost.requests += 1
        cost.input_tokens += usage.input_tokens
        cost.output_tokens += usage.output_tokens
        cost.cached_input_tokens += usage.cached_input_tokens
        cost.cache_creation_input_tokens += usage.cache_creation_input_tokens
        if model is None:
            cost.unpriced_models.add("(unknown model)")
            continue
        for batch in (True, False):
            price = request_cost(
                provider,
                model,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                cache_write_tokens=usage.cache_creation_input_tokens,
                batch=batch,
            )
            if price is None:
                cost.unpriced_models.add(model)
            elif batch and cost.cost_usd is not None:
                cost.cost_usd += price
            elif not batch and cost.sync_cost_usd is not None:
                cost.sync_cost_usd += price
    if cost.unpriced_models:
        cost.cost_usd = cost.sync_cost_usd = None
    return cost


def cost_of_lines(
    provider: str,
    lines: Iterable[ResultLine],
    parse: Callable[[ResultLine], BatchResult],
    default_model: str | None = None,
) -> Cost:
    """`cost_of_results` over raw result lines, each read by ``parse`` (the adapter's
    ``parse_result``: the one reader of provider JSON, so usage means what the results view
    shows). A line the parser cannot read at all counts as unparseable, like a line that is
    not a JSON object."""

    def parsed() -> Iterator[BatchResult]:
        for line in lines:
            try:
                yield parse(line)
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                yield _UNREADABLE

    return cost_of_results(provider, parsed(), default_model)


_UNREADABLE = BatchResult(
    custom_id="",
    outcome=Outcome.ERRORED,
    error=ResultError(UNPARSEABLE_LINE, None, "the provider's line could not be read"),
)


def job_usage(provider: str, raw: Mapping[str, Any]) -> Usage | None:
    """A job's aggregate token usage from its raw provider object, through the provider's
    ``job_usage`` (None when the provider reports none, or this job has none yet)."""
    spec = find_spec(provider)
    if spec is None or spec.job_usage is None:
        return None
    usage: Usage | None = spec.load(spec.job_usage)(raw)
    return usage


def cost_of_usage(
    provider: str,
    model: str | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    requests: int = 0,
) -> Cost:
    """The cost of a job's aggregate usage (see `job_usage`), at unit prices."""
    cost = Cost(
        requests=requests,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached_input_tokens,
    )
    if not model:
        cost.unpriced_models.add("(unknown model)")
        cost.cost_usd = cost.sync_cost_usd = None
        return cost
    for batch in (True, False):
        unit = unit_prices(provider, model, batch)
        if unit is None:
            cost.unpriced_models.add(model)
            cost.cost_usd = cost.sync_cost_usd = None
            return cost
        fresh = max(0, input_tokens - cached_input_tokens)
        price = (
            fresh * unit.input
            + cached_input_tokens * unit.cached_input
            + output_tokens * unit.output
        )
        if batch:
            cost.cost_usd = price
        else:
            cost.sync_cost_usd = price
    return cost


def format_usd(value: float | None) -> str:
    """``$12.34``/``$0.0123``/``$0.000045``-style money for tables; "no price" for None."""
    if value is None:
        return "no price"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    if value >= 0.01 or value == 0:
        return f"${value:.4f}"
    if value >= 0.000001:
        return f"${value:.6f}"
    return f"${value:.2g}"
