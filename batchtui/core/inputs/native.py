"""Native batch lines: the protocol a provider package implements for its input format.

A provider's spec names its format as ``inputs="package.module:attribute"`` (see
`batchtui.core.registry.ProviderSpec`); the object there implements `NativeFormat`. The core
never names a provider: it finds formats through the registry, reads records of any of them
into the neutral request, and converts neutral requests into the format of the provider a
file is submitted to. Most batch lines wrap the request parameters in one object next to the
``custom_id`` (``{"custom_id": ..., "<body_key>": {...}}``, perhaps with an endpoint and an
HTTP method beside them); `EnvelopeFormat` implements the protocol for all of those, so a
provider package only supplies its keys and its body conversion.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from batchtui.core.models import BatchRequest
from batchtui.core.registry import ProviderSpec, find_spec, provider_specs

Split = tuple[Any, dict[str, Any], Any, Any]
"""``(custom_id, body, endpoint, method)`` of one record, as found (checked by the validator)."""

Splitter = Callable[[Any, bool], Split]
"""``split(record, copy) -> Split``; raises `Shape` when the record is not a request of its
format. With ``copy`` false the body may be the record's own object (saves a copy when
nothing will change or keep it)."""

BodyConverter = Callable[[dict[str, Any], "str | None"], dict[str, Any]]
"""``convert(neutral_body, endpoint) -> native_body`` (a new dict; the input is not changed)."""


class Shape(Exception):
    """A record that is valid JSON but not a request of its format."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


class NativeFormatError(ValueError):
    """A native line does not have the shape of its provider's batch line."""


class NativeFormat(Protocol):
    """One provider's batch line: how to recognise, read and write it.

    ``name`` is the `InputFormat` value of a JSONL file of such lines; ``document``, when set,
    is the value of a JSON document holding the same records (``[...]`` or
    ``{"requests": [...]}``). ``detect_keys`` recognise a file's first record: it is in this
    format when it holds every key of any one of the sets. ``body_key`` is where the request
    parameters sit (issue field paths start with it); ``endpoint_key`` names the record's
    endpoint field (None: records name none); ``method`` is the HTTP method every record must
    name (None: records name none).
    """

    @property
    def name(self) -> str: ...
    @property
    def document(self) -> str | None: ...
    @property
    def body_key(self) -> str: ...
    @property
    def endpoint_key(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def detect_keys(self) -> tuple[frozenset[str], ...]: ...

    def split(self, obj: Any, copy: bool) -> Split:
        """Take one parsed record apart (see `Splitter`)."""
        ...

    def to_native(self, request: BatchRequest) -> dict[str, Any]:
        """The native batch line of a neutral request (a new dict)."""
        ...

    def is_native_line(
        self, record: Any, custom_id: str, body: dict[str, Any], endpoint: str | None
    ) -> bool:
        """Whether ``to_native(BatchRequest(custom_id, body, endpoint)) == record`` (the line
        ``record`` was read from can then be copied as it is); may skip building the line."""
        ...

    def from_native(self, obj: Any) -> BatchRequest:
        """The neutral request of one native line; `NativeFormatError` when it has not the
        shape of one."""
        ...

    def with_max_tokens(self, obj: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        """The native line ``obj`` asking for at most ``max_tokens`` output tokens, set where
        this format keeps that limit (for a retry of truncated answers); may change ``obj``."""
        ...


def kind_of(value: Any) -> str:
    """How a JSON value is named in messages ("an object", "a string", ...)."""
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def not_object(obj: Any) -> Shape:
    """The problem of a record that is not a JSON object."""
    return Shape("record", f"expected a JSON object, found {kind_of(obj)}", "not_object")


def envelope_splitter(
    body_key: str, endpoint_key: str | None = None, with_method: bool = False
) -> Splitter:
    """A fast `Splitter` of ``{"custom_id", body_key: {...}, [endpoint_key], ["method"]}``.

    The function is built once per format, so the per-record path is a few dict lookups.
    """
    missing, bad = f"missing_{body_key}", f"bad_{body_key}"

    def shape(body: Any) -> Shape:
        if body is None:
            return Shape(body_key, "missing", missing)
        return Shape(body_key, f"must be an object, found {kind_of(body)}", bad)

    if endpoint_key is None:

        def split(obj: Any, copy: bool) -> Split:
            if obj.__class__ is not dict:
                raise not_object(obj)
            body = obj.get(body_key)
            if body.__class__ is not dict:
                raise shape(body)
            return obj.get("custom_id"), dict(body) if copy else body, None, None

    elif with_method:

        def split(obj: Any, copy: bool) -> Split:
            if obj.__class__ is not dict:
                raise not_object(obj)
            body = obj.get(body_key)
            if body.__class__ is not dict:
                raise shape(body)
            return (
                obj.get("custom_id"),
                dict(body) if copy else body,
                obj.get(endpoint_key),
                obj.get("method"),
            )

    else:

        def split(obj: Any, copy: bool) -> Split:
            if obj.__class__ is not dict:
                raise not_object(obj)
            body = obj.get(body_key)
            if body.__class__ is not dict:
                raise shape(body)
            return obj.get("custom_id"), dict(body) if copy else body, obj.get(endpoint_key), None

    return split


def _same_body(body: dict[str, Any], endpoint: str | None) -> dict[str, Any]:
    return dict(body)


@dataclass(frozen=True, eq=False)
class EnvelopeFormat:
    """A `NativeFormat` whose lines wrap the request parameters in one object.

    A line is ``{"custom_id", ["method": method], [endpoint_key: endpoint], body_key: body}``
    (in that order when written). ``native_body`` turns a neutral body into the native one
    for the endpoint it runs on; reading keeps the body as it is (so native -> neutral ->
    native is the identity). ``default_endpoint`` is written for a request that names none.
    """

    name: str
    body_key: str
    detect_keys: tuple[frozenset[str], ...]
    endpoint_key: str | None = None
    method: str | None = None
    default_endpoint: str | None = None
    document: str | None = None
    native_body: BodyConverter = _same_body
    max_tokens_keys: tuple[str, ...] = ("max_tokens",)
    """Body keys that may hold the output-token limit: a retry sets the first one the body
    has, else the last."""
    split: Splitter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        splitter = envelope_splitter(self.body_key, self.endpoint_key, self.method is not None)
        object.__setattr__(self, "split", splitter)

    def to_native(self, request: BatchRequest) -> dict[str, Any]:
        line: dict[str, Any] = {"custom_id": request.custom_id}
        if self.endpoint_key is None:
            line[self.body_key] = self.native_body(request.body, None)
            return line
        endpoint = request.endpoint or self.default_endpoint
        if self.method is not None:
            line["method"] = self.method
        line[self.endpoint_key] = endpoint
        line[self.body_key] = self.native_body(request.body, endpoint)
        return line

    def is_native_line(
        self, record: Any, custom_id: str, body: dict[str, Any], endpoint: str | None
    ) -> bool:
        """Whether ``to_native(BatchRequest(custom_id, body, endpoint)) == record``, without
        building the line: ``record`` holds just this format's keys, with these values."""
        if self.endpoint_key is None:
            return (
                len(record) == 2
                and record.get("custom_id") == custom_id
                and record.get(self.body_key) == self.native_body(body, None)
            )
        endpoint = endpoint or self.default_endpoint
        method = self.method
        return (
            len(record) == (3 if method is None else 4)
            and record.get("custom_id") == custom_id
            and self.endpoint_key in record
            and record[self.endpoint_key] == endpoint
            and (method is None or record.get("method") == method)
            and record.get(self.body_key) == self.native_body(body, endpoint)
        )

    def from_native(self, obj: Any) -> BatchRequest:
        if not isinstance(obj, dict):
            raise NativeFormatError("a native batch line must be a JSON object")
        custom_id = obj.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            raise NativeFormatError("custom_id: missing or not a string")
        body = obj.get(self.body_key)
        if not isinstance(body, dict):
            raise NativeFormatError(f"{self.body_key}: missing or not an object")
        if self.endpoint_key is None:
            return BatchRequest(custom_id, dict(body), None)
        endpoint = obj.get(self.endpoint_key)
        if endpoint is not None and not isinstance(endpoint, str):
            raise NativeFormatError(f"{self.endpoint_key}: must be a string")
        return BatchRequest(custom_id, dict(body), endpoint)

    def with_max_tokens(self, obj: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        body = obj.get(self.body_key)
        if isinstance(body, dict):
            keys = self.max_tokens_keys
            body[next((key for key in keys if key in body), keys[-1])] = max_tokens
        return obj


# -- finding formats through the registry ---------------------------------------------------

_broken: set[str] = set()


def _load(spec: ProviderSpec, ref: str) -> Any:
    """``spec.load(ref)``; a broken reference is reported once and gives None."""
    try:
        return spec.load(ref)
    except Exception as exc:  # a broken plug-in must not stop batchtui
        if ref not in _broken:
            _broken.add(ref)
            print(
                f"batchtui: provider {spec.name!r}: {ref} could not be loaded: {exc}",
                file=sys.stderr,
            )
        return None


def input_specs() -> dict[str, ProviderSpec]:
    """The registered providers that take input files (their spec names an input format)."""
    return {name: spec for name, spec in provider_specs().items() if spec.inputs is not None}


def native_formats() -> list[NativeFormat]:
    """Every registered input format once (providers may share one), in listing order."""
    found: list[NativeFormat] = []
    for spec in provider_specs().values():
        if spec.inputs is None:
            continue
        fmt: NativeFormat | None = _load(spec, spec.inputs)
        if fmt is not None and all(fmt is not seen for seen in found):
            found.append(fmt)
    return found


def native_format(provider: str) -> NativeFormat:
    """The input format of ``provider``; ValueError naming the known ones when it has none."""
    spec = find_spec(provider)
    fmt: NativeFormat | None = None
    if spec is not None and spec.inputs is not None:
        fmt = _load(spec, spec.inputs)
    if fmt is None:
        known = ", ".join(input_specs())
        raise ValueError(f"unknown provider {provider!r} (one of: {known})")
    return fmt


def provider_title(provider: str) -> str:
    """How ``provider`` is named to a person (its spec's title; the name when unknown)."""
    spec = find_spec(provider)
    return spec.title if spec is not None else provider
