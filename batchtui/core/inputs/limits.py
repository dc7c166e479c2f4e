"""What a provider's batch API accepts: per-batch limits and per-request rules, as data.

Each provider package publishes one `ProviderLimits` (its spec's ``limits`` reference); the
validator reads the rules from it and never names a provider. Sizes use decimal megabytes
(200 MB = 200,000,000 bytes): the providers do not say which megabyte they mean, and the
smaller reading is the safe one. Tests may replace an entry of ``LIMITS`` (or pass
``limits=``) to exercise splitting with small numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from batchtui.core.registry import find_spec, provider_specs

MB = 1_000_000

ExtraCheck = Callable[[dict[str, Any], str], Iterable[tuple[str, str, str]]]
"""``check(body, endpoint) -> [(field, message, code), ...]``: more errors of one request
(``field`` is a path inside the body, such as ``"messages[0].content"``)."""


@dataclass(frozen=True, slots=True)
class ProviderLimits:
    """What one provider's batch API accepts, per request and per batch.

    Messages name the provider by its spec's title (``{title}`` in ``bad_endpoint_message``;
    ``{endpoint}`` and ``{endpoints}`` are the named endpoint and the accepted ones).
    """

    provider: str
    max_requests: int
    max_bytes: int
    part_overhead_bytes: int  # bytes a batch adds around its requests (a JSON wrapper)
    custom_id_max_len: int
    custom_id_pattern: re.Pattern[str] | None  # when set, a custom_id must match it (error)
    long_custom_id_is_error: bool  # over custom_id_max_len: error (True) or warning (False)
    endpoints: frozenset[str]  # endpoints a request may name
    default_endpoint: str  # where a request that names none runs
    roles: frozenset[str]
    temperature_max: float
    max_tokens_required: bool
    one_model_per_batch: bool
    one_endpoint_per_batch: bool
    custom_id_rule: str = ""
    """What ``custom_id_pattern`` allows, in words ("letters, digits, '_' and '-'")."""
    fixed_endpoint: bool = False
    """Every request runs on ``default_endpoint``, whichever of ``endpoints`` it names."""
    bad_endpoint_message: str = (
        "{endpoint} is not an endpoint {title} batches take (one of: {endpoints})"
    )
    chat_endpoints: frozenset[str] = frozenset()
    """Endpoints whose requests are chat-shaped (``messages``, optional ``system``)."""
    messages_endpoints: frozenset[str] = frozenset()
    """Endpoints that take the chat shape too when the body has ``messages`` (converted)."""
    input_endpoints: frozenset[str] = frozenset()
    """Endpoints whose requests, when not chat-shaped, need an ``input``."""
    model_optional_endpoints: frozenset[str] = frozenset()
    model_on_job: bool = False
    """The job names the model (lines may name none): a submission needs exactly one model,
    from its requests or the default model, and is refused before anything is sent without."""
    """Endpoints whose requests may omit the model."""
    system_text_only: bool = False
    """A system message's content blocks must be text blocks."""
    tool_call_keys: tuple[str, ...] = ()
    """An assistant message holding one of these keys may omit its content."""
    extra_check: ExtraCheck | None = None
    """More rules of this provider, run on every request (None: none)."""

    def with_(self, **changes: Any) -> ProviderLimits:
        """A copy with some fields changed (for tests and for profiles with other limits)."""
        return replace(self, **changes)


class LimitsTable(MutableMapping[str, ProviderLimits]):
    """Every registered provider's limits by name, loaded from its spec when asked for.

    An entry set here replaces the provider's own until it is deleted (or set back to the
    provider's own object), which is how tests shrink a provider's limits.
    """

    def __init__(self) -> None:
        self._set: dict[str, ProviderLimits] = {}

    def _own(self, name: str) -> ProviderLimits | None:
        spec = find_spec(name)
        if spec is None or spec.limits is None:
            return None
        own: ProviderLimits = spec.load(spec.limits)
        return own

    def __getitem__(self, name: str) -> ProviderLimits:
        found = self._set.get(name)
        if found is None:
            found = self._own(name)
            if found is None:
                raise KeyError(name)
        return found

    def __setitem__(self, name: str, value: ProviderLimits) -> None:
        if value is self._own(name):
            self._set.pop(name, None)
        else:
            self._set[name] = value

    def __delitem__(self, name: str) -> None:
        del self._set[name]

    def __iter__(self) -> Iterator[str]:
        names = [name for name, spec in provider_specs().items() if spec.limits is not None]
        return iter([*names, *(name for name in self._set if name not in names)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"LimitsTable({', '.join(self)})"


LIMITS: MutableMapping[str, ProviderLimits] = LimitsTable()


def limits_for(provider: str) -> ProviderLimits:
    """The current limits of ``provider`` (looked up at call time, so tests can patch LIMITS)."""
    try:
        return LIMITS[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r} (one of: {', '.join(LIMITS)})") from None


def chat_endpoints() -> frozenset[str]:
    """The chat-shaped endpoints of every registered provider: a request naming one is
    checked as a chat request whichever provider it is validated for."""
    found: set[str] = set()
    for name in LIMITS:
        found.update(LIMITS[name].chat_endpoints)
    return frozenset(found)


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":  # the providers with limits, as registered now
        return tuple(LIMITS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
