"""The provider registry: every provider batchtui can drive, found through entry points.

A provider package publishes one `ProviderSpec` under the entry-point group
``batchtui.providers`` (the bundled providers register exactly as a third-party package
would, in batchtui's own ``pyproject.toml``). The core asks the registry for a provider's
facts by name and never names a provider itself. `register` adds a spec in-process (tests, or
a program embedding batchtui).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from batchtui.core.models import Capability

if TYPE_CHECKING:
    from batchtui.core.provider import Provider

ENTRY_POINT_GROUP = "batchtui.providers"


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """What the core needs to know of one provider, before any of its code is imported.

    ``adapter`` names the adapter class as ``"module:attribute"`` and is imported only when an
    adapter is built, so listing providers stays cheap. The class takes ``api_key``,
    ``base_url``, ``retry_budget``, ``profile`` and the ``env_options`` fields as keyword
    arguments, and ``from_env(**kwargs)`` reads a missing key from the environment.
    """

    name: str
    """The value of a profile's ``provider`` key, and the default profile's name."""
    title: str
    """How the provider is named to a person (``"Example AI"``)."""
    adapter: str
    classifier: str
    """``"module:function"`` of the results index's cheap line classifier
    (``classify(source, parsed_line) -> (custom_id, outcome, flag, error_type)``)."""
    key_env: str
    """The environment variable holding the key, as the provider's official SDK reads it."""
    base_url_env: str | None = None
    """The environment variable that overrides the API's base URL, if the SDK has one."""
    env_options: Mapping[str, str] = field(default_factory=dict)
    """Profile fields this provider takes besides the common ones, each with the environment
    variable that gives it a default (``{"organization": "EXAMPLE_ORG_ID"}``)."""
    profile_options: tuple[str, ...] = ()
    """More provider-only profile fields (strings, no environment default), e.g. a path
    prefix or an upload purpose. Each option is passed to the adapter as a keyword argument
    when set."""
    default_profile: bool = True
    """Whether a profile named after the provider exists without a config (False for
    providers that need a base URL or other settings of the user's before they can work)."""
    order: int = 100
    """Where the provider is listed (lower first); the name breaks ties."""
    capabilities: Capability = Capability(0)  # noqa: RUF009 (an immutable flag value)
    """What the provider's batch API can do (the adapter advertises the same)."""
    id_prefix: str | None = None
    """How this provider's batch ids begin (``"batch_"``), to guess the owner of an id."""
    result_marker: str | None = None
    """A top-level key that only this provider's result lines have, to tell lines apart."""
    inputs: str | None = None
    """``"module:attribute"`` of the provider's native batch line, an object implementing
    `batchtui.core.inputs.native.NativeFormat` (detection, reading, conversion to and from the
    neutral request); providers with one wire format may share it. None: no input files."""
    limits: str | None = None
    """``"module:attribute"`` of its `batchtui.core.inputs.limits.ProviderLimits`: per-batch
    limits and per-request rules, checked by validation."""
    limit_error_codes: frozenset[str] = frozenset()
    """Error codes (of a job's errors or a refused create) that mean "the account's queue,
    quota or spend limit is full": such a job says so and is not counted as a plain failure."""
    job_usage: str | None = None
    """``"module:function"`` of ``usage(raw_job) -> Usage | None``: a job's aggregate token
    usage from its raw provider object, for jobs that report one (the cost of an ended job
    whose results are not downloaded). None: jobs report no usage."""
    price_key: str | None = None
    """The provider's id in ``genai-prices`` when it is not ``name`` (``"google"`` for a
    provider named ``"gemini"``)."""
    key_prefixes: tuple[str, ...] = ()
    """Regular expressions of how this provider's keys begin (``"ex-key-"``, ``"ex-\\d+-"``):
    text that starts with one and goes on with at least six key characters is masked in
    anything batchtui writes or logs, keeping the prefix."""
    webhook_event: str | None = None
    """``"module:function"`` of ``batch_id(event: dict) -> str | None``: the batch a verified
    webhook event (its parsed JSON body) is about, None for an event batchtui ignores; it
    raises ValueError for a body that is not one of the provider's events. None: the provider
    sends no webhooks."""
    webhook_secret_env: str | None = None
    """The environment variable holding the webhook signing secret (``whsec_...``), as the
    provider's SDK reads it; a profile may name another (``webhook_secret_env``)."""

    @property
    def option_names(self) -> tuple[str, ...]:
        """Every provider-only profile field: ``env_options`` then ``profile_options``."""
        return (*self.env_options, *self.profile_options)

    def load(self, ref: str) -> Any:
        """Import ``"module:attribute"`` (one of this spec's references) now."""
        module, _, attribute = ref.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def adapter_class(self) -> Callable[..., Provider]:
        """The adapter class, imported now."""
        cls: Callable[..., Provider] = self.load(self.adapter)
        return cls

    def as_dict(self) -> dict[str, Any]:
        """The spec as JSON-able values (for `batchtui config --json`)."""
        return {
            "name": self.name,
            "title": self.title,
            "key_env": self.key_env,
            "base_url_env": self.base_url_env,
            "options": sorted(self.option_names),
            "webhooks": self.webhook_event is not None,
            "webhook_secret_env": self.webhook_secret_env,
        }


_registered: dict[str, ProviderSpec] = {}


@functools.cache
def _from_entry_points() -> tuple[ProviderSpec, ...]:
    """Every spec published under the entry-point group; a broken one is reported and skipped."""
    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = point.load()
        except Exception as exc:  # a broken plug-in must not stop batchtui
            print(f"batchtui: provider {point.name!r} could not be loaded: {exc}", file=sys.stderr)
            continue
        if not isinstance(spec, ProviderSpec) or spec.name != point.name:
            print(
                f"batchtui: entry point {point.name!r} ({point.value}) is not a ProviderSpec "
                "of that name; skipped",
                file=sys.stderr,
            )
            continue
        found.append(spec)
    return tuple(found)


_listed: tuple[int, dict[str, ProviderSpec]] | None = None


def _listing() -> dict[str, ProviderSpec]:
    """Every known provider by name, in listing order: computed once per registry
    `generation` (hot paths such as the stale rule ask per job); never handed out as is."""
    global _listed
    if _listed is None or _listed[0] != _generation:
        specs = {spec.name: spec for spec in _from_entry_points()}
        specs.update(_registered)
        ordered = dict(sorted(specs.items(), key=lambda item: (item[1].order, item[0])))
        _listed = (_generation, ordered)
    return _listed[1]


def provider_specs() -> dict[str, ProviderSpec]:
    """Every known provider by name, in listing order (a fresh dict)."""
    return dict(_listing())


def find_spec(name: str) -> ProviderSpec | None:
    """The spec of provider ``name``, None when no such provider is known (no copy of the
    listing: for lookups per job)."""
    return _listing().get(name)


def provider_names() -> tuple[str, ...]:
    """The names of every known provider, in listing order."""
    return tuple(provider_specs())


def provider_spec(name: str) -> ProviderSpec:
    """The spec of one provider; KeyError naming the known ones when there is none."""
    spec = find_spec(name)
    if spec is None:
        raise KeyError(f"unknown provider {name!r}; expected one of {', '.join(_listing())}")
    return spec


_generation = 0


def generation() -> int:
    """A number that changes whenever `register` or `unregister` changes the registry (for
    caches of values derived from every spec)."""
    return _generation


def limit_error_codes(name: str) -> frozenset[str]:
    """The codes of provider ``name`` that mean a full queue, quota or spend limit."""
    spec = find_spec(name)
    return spec.limit_error_codes if spec is not None else frozenset()


def price_key(name: str) -> str:
    """The id under which ``genai-prices`` knows provider ``name`` (the name when unknown)."""
    spec = find_spec(name)
    return spec.price_key or name if spec is not None else name


def register(spec: ProviderSpec) -> None:
    """Add (or replace) a provider in this process, as an entry point would."""
    global _generation
    _registered[spec.name] = spec
    _generation += 1


def unregister(name: str) -> None:
    """Remove a provider added with `register`."""
    global _generation
    if _registered.pop(name, None) is not None:
        _generation += 1


@contextlib.contextmanager
def registered(*specs: ProviderSpec) -> Iterator[tuple[ProviderSpec, ...]]:
    """`register` the specs for the ``with`` block, then `unregister` them again."""
    for spec in specs:
        register(spec)
    try:
        yield specs
    finally:
        for spec in specs:
            unregister(spec.name)
