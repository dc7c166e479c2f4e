"""Streaming validation of an input file against one provider's rules and limits.

One pass over the file reports every problem (the first ``max_issues`` kept, all counted) and
sums up what would be submitted: requests, models, bytes, estimated input tokens, the
``max_tokens`` ceiling and the split plan. Requests are not kept; only their custom_ids are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.core.inputs.estimate import (
    CHARS_PER_TOKEN,
    TokenEstimator,
    estimate_input_tokens,
    text_chars,
)
from batchtui.core.inputs.formats import InputFormat
from batchtui.core.inputs.issues import InputIssue, Severity
from batchtui.core.inputs.limits import ProviderLimits, chat_endpoints, limits_for
from batchtui.core.inputs.native import Shape, native_format, provider_title
from batchtui.core.inputs.readers import (
    BUFFER,
    apply_defaults,
    body_prefix,
    endpoint_field,
    open_records,
    resolve_format,
    splitter_for,
)
from batchtui.core.inputs.records import (
    LineRecord,
    Problem,
    Progress,
    Record,
    iter_jsonl_lines,
)
from batchtui.core.inputs.split import PartPlan, SplitPlanner

MAX_TOKENS_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
_MISSING: Any = object()

RequestSink = Callable[[int, str, dict[str, Any], Any, Any, "bytes | None"], int]
"""Called with (line, custom_id, body, endpoint, record, raw) for each valid request (the
`BatchRequest` of those three); returns its native size in bytes. ``record`` and ``raw`` are
the parsed line and its bytes when the input is JSONL in the provider's own format (the writer
may then copy the line as it is), else None."""

NO_MODEL = "(none)"
"""How the summary counts the requests that name no model."""


@dataclass(slots=True)
class ModelTotals:
    """What the requests of one model add up to."""

    requests: int = 0
    input_tokens: int = 0
    max_tokens: int = 0
    max_tokens_missing: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "max_tokens": self.max_tokens,
            "max_tokens_missing": self.max_tokens_missing,
        }


@dataclass(slots=True)
class InputSummary:
    """What an input file holds, as it would be submitted to one provider.

    ``input_tokens`` is an estimate (see ``estimate.py``); ``max_tokens_total`` is the output
    ceiling over the requests that set a limit (``max_tokens_missing`` did not). ``parts`` is
    the split plan: one part when the input fits one batch. In ``validate_file`` part sizes are
    estimates of the native bytes; ``write_native`` reports the exact ones.
    """

    path: str
    format: InputFormat
    provider: str
    file_bytes: int = 0
    requests: int = 0
    native_bytes: int = 0
    input_tokens: int = 0
    max_tokens_total: int = 0
    max_tokens_missing: int = 0
    models: dict[str, ModelTotals] = field(default_factory=dict)
    endpoints: dict[str, int] = field(default_factory=dict)
    parts: list[PartPlan] = field(default_factory=list)

    @property
    def needs_split(self) -> bool:
        return len(self.parts) > 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": str(self.format),
            "provider": self.provider,
            "file_bytes": self.file_bytes,
            "requests": self.requests,
            "native_bytes": self.native_bytes,
            "input_tokens": self.input_tokens,
            "max_tokens_total": self.max_tokens_total,
            "max_tokens_missing": self.max_tokens_missing,
            "models": {name: t.as_dict() for name, t in self.models.items()},
            "endpoints": dict(self.endpoints),
            "parts": [p.as_dict() for p in self.parts],
        }


@dataclass(slots=True)
class ValidationReport:
    """The issues of one input file (the first ``max_issues``) and its summary."""

    path: str
    provider: str
    format: InputFormat
    issues: list[InputIssue]
    total_issues: int
    error_count: int
    warning_count: int
    summary: InputSummary

    @property
    def ok(self) -> bool:
        """True when nothing blocks a submission (warnings allowed)."""
        return self.error_count == 0

    @property
    def errors(self) -> list[InputIssue]:
        return [i for i in self.issues if i.is_error]

    @property
    def omitted(self) -> int:
        """Issues counted but not kept because of the cap."""
        return self.total_issues - len(self.issues)

    def lines(self) -> list[str]:
        """One ``FILE:LINE: field: message`` line per kept issue, plus a line for the rest."""
        out = [str(i) for i in self.issues]
        if self.omitted:
            out.append(f"{self.path}: ... and {self.omitted} more issue(s) not shown")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "provider": self.provider,
            "format": str(self.format),
            "ok": self.ok,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "total_issues": self.total_issues,
            "issues": [i.as_dict() for i in self.issues],
            "summary": self.summary.as_dict(),
        }


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if type(value) in names:
        return names[type(value)]
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Scanner:
    """One validation pass; ``sink`` (used by the writer) receives every valid request.

    The per-request path is written for speed (validation of a 200 MB file should cost about
    what parsing it does): the common, valid case runs straight through, and every problem
    goes to a slower method that names it. The provider's format and rules are looked up once,
    here; the rules are data (`ProviderLimits`), so the path names no provider.
    """

    def __init__(
        self,
        path: str | Path,
        provider: str,
        fmt: InputFormat,
        *,
        limits: ProviderLimits | None = None,
        defaults: Mapping[str, Any] | None = None,
        split: bool = True,
        estimator: TokenEstimator = estimate_input_tokens,
        max_issues: int = 200,
        sink: RequestSink | None = None,
    ) -> None:
        self.path = str(path)
        self.provider = provider
        self.fmt = fmt
        target = native_format(provider)
        self.limits = limits = limits if limits is not None else limits_for(provider)
        self.defaults = dict(defaults) if defaults else None
        self.split = split
        self.estimator = estimator
        self.max_issues = max(0, max_issues)
        self.sink = sink
        self.issues: list[InputIssue] = []
        self.total = 0
        self.errors = 0
        self.warnings = 0
        self.seen: dict[str, int] = {}
        self.first_model: tuple[str, int] | None = None
        self.first_endpoint: tuple[str, int] | None = None
        self.planner = SplitPlanner(limits)
        self.summary = InputSummary(self.path, fmt, provider)
        self.prefix = body_prefix(fmt)
        source = fmt.native
        self.splitter = splitter_for(fmt)
        self.native_source = source is target
        self.method = None if source is None else source.method
        self.endpoint_field = endpoint_field(fmt)
        self.name = provider_title(provider)
        self.chat_shaped = chat_endpoints() | limits.chat_endpoints
        self.extra_check = limits.extra_check
        self.fast_tokens = estimator is estimate_input_tokens
        self.cid_match = (
            limits.custom_id_pattern.fullmatch if limits.custom_id_pattern is not None else None
        )
        self.copy_body = sink is not None or self.defaults is not None
        self._last_model: Any = _MISSING
        self._last_totals = ModelTotals()

    # -- issues ---------------------------------------------------------------------------
    def add(
        self,
        line: int | None,
        where: str,
        message: str,
        code: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Count one issue and keep it while under the cap."""
        self.total += 1
        if severity is Severity.ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.issues) < self.max_issues:
            self.issues.append(InputIssue(self.path, line, where, message, code, severity))

    # -- the pass -------------------------------------------------------------------------
    def run(self, records: Iterable[Record]) -> ValidationReport:
        """Consume ``records`` and return the report."""
        split = self.splitter
        defaults = self.defaults
        copy = self.copy_body
        request = self.request
        seen_any = False
        for line, size, index, value in records:
            seen_any = True
            top = "" if index is None else f"requests[{index}]."
            if value.__class__ is Problem:
                self.add(line, top + value.field, value.message, value.code)
                if value.fatal:
                    break
                continue
            try:
                custom_id, body, endpoint, method = split(value, copy)
            except Shape as exc:
                self.add(line, top + exc.field, exc.message, exc.code)
                continue
            if defaults is not None:
                body, endpoint = apply_defaults(body, endpoint, defaults)
            request(line, top, size, custom_id, body, endpoint, method)
        self.finish(seen_any)
        return self.report()

    def run_lines(self, lines: Iterable[LineRecord]) -> ValidationReport:
        """`run` over JSONL lines in the provider's own format (``iter_jsonl_lines``): each
        valid request reaches the sink with its parsed line and bytes, so a line that needs
        no rewriting can be copied as it is."""
        split = self.splitter
        defaults = self.defaults
        request = self.request
        seen_any = False
        for line, size, raw, value in lines:
            seen_any = True
            if value.__class__ is Problem:
                self.add(line, value.field, value.message, value.code)
                if value.fatal:
                    break
                continue
            try:
                custom_id, body, endpoint, method = split(value, True)
            except Shape as exc:
                self.add(line, exc.field, exc.message, exc.code)
                continue
            if defaults is not None:
                body, endpoint = apply_defaults(body, endpoint, defaults)
            request(line, "", size, custom_id, body, endpoint, method, value, raw)
        self.finish(seen_any)
        return self.report()

    def request(
        self,
        line: int,
        top: str,
        size: int,
        custom_id: Any,
        body: dict[str, Any],
        endpoint: Any,
        method: Any,
        record: Any = None,
        raw: bytes | None = None,
    ) -> None:
        """Check one request, add it to the summary and hand it to the sink (with the
        ``record`` it came from and its ``raw`` bytes, when `run_lines` has them)."""
        limits = self.limits
        pre = top + self.prefix if top else self.prefix

        # custom_id: present, unique, within the provider's rule
        if custom_id.__class__ is str and custom_id:
            seen = self.seen
            known = len(seen)
            first = seen.setdefault(custom_id, line)
            if len(seen) == known:
                self._duplicate(line, top, custom_id, first)
            if len(custom_id) > limits.custom_id_max_len or (
                self.cid_match is not None and self.cid_match(custom_id) is None
            ):
                self._custom_id_rule(line, top, custom_id)
            cid_ok = True
        else:
            self._custom_id_missing(line, top, custom_id)
            cid_ok = False

        # method and endpoint
        if method is not None and method != self.method:
            self._method(line, top, method)
        ep = limits.default_endpoint if endpoint is None else self._endpoint(line, top, endpoint)
        if limits.one_endpoint_per_batch:
            first_ep = self.first_endpoint
            if first_ep is None:
                if ep in limits.endpoints:
                    self.first_endpoint = (ep, line)
            elif ep != first_ep[0] and ep in limits.endpoints:
                self.add(
                    line,
                    top + self.endpoint_field,
                    f"{ep} differs from {first_ep[0]} (line {first_ep[1]}); one {self.name} "
                    "batch runs one endpoint",
                    "url_mismatch",
                )

        # model
        model = body.get("model")
        if model.__class__ is not str or not model:
            self._model_problem(line, pre, model, ep)
            model = None
        elif limits.one_model_per_batch:
            first_model = self.first_model
            if first_model is None:
                self.first_model = (model, line)
            elif model != first_model[0]:
                self.add(
                    line,
                    pre + "model",
                    f"{_show(model)} differs from {_show(first_model[0])} (line "
                    f"{first_model[1]}); one {self.name} batch takes one model",
                    "model_mismatch",
                )

        # prompt: messages (chat-shaped endpoints) and system
        chars = 0
        if ep in self.chat_shaped or (ep in limits.messages_endpoints and "messages" in body):
            messages = body.get("messages")
            if messages.__class__ is list and messages:
                roles = limits.roles
                for message in messages:  # fast path: plain-text messages with good roles
                    if message.__class__ is dict and message.get("role") in roles:
                        content = message.get("content")
                        if content.__class__ is str:
                            chars += len(content)
                            continue
                    chars = self._messages(line, pre, messages)
                    break
            else:
                self._messages_problem(line, pre, body.get("messages", _MISSING))
            system = body.get("system")
            if system is not None:
                if system.__class__ is str:
                    chars += len(system)
                else:
                    self._system(line, pre + "system", system)
                    chars += text_chars(system)
        else:
            if ep in limits.input_endpoints and body.get("input") is None:
                self.add(line, pre + "input", "missing", "missing_input")
            chars = -1  # not chat-shaped: let the estimator read the body

        # max_tokens
        max_tokens = body.get("max_tokens", _MISSING)
        if max_tokens.__class__ is not int or max_tokens < 1:
            max_tokens = self._max_tokens(line, pre, body)

        # other parameters
        temperature = body.get("temperature")
        if temperature is not None and (
            temperature.__class__ not in (int, float)
            or not 0 <= temperature <= limits.temperature_max
        ):
            self._temperature(line, pre, temperature)
        if body.get("stream") is True:
            self.add(line, pre + "stream", "batch requests cannot stream", "stream_not_allowed")
        if self.extra_check is not None:
            for where, message, code in self.extra_check(body, ep):
                self.add(line, pre + where, message, code)

        # size and split plan
        if not self.native_source:
            size += 64 + len(ep)
        planner = self.planner
        if size > planner.max_bytes:
            self.add(
                line,
                top + "record",
                f"request is {size:,} bytes; one {self.name} batch holds at most "
                f"{planner.max_bytes:,}",
                "request_too_large",
            )
            return
        sink = self.sink
        if sink is not None:
            if self.errors:
                self.sink = None  # nothing will be written; keep validating only
            elif cid_ok:
                size = sink(line, custom_id, body, endpoint, record, raw)
        planner.add(line, size)

        # summary
        if self.fast_tokens and chars >= 0:
            tokens = -(-chars // CHARS_PER_TOKEN)  # what estimate_input_tokens(body) gives
        else:
            tokens = self.estimator(body)
        # Per-model totals only; the file's totals are summed from them in finish().
        endpoints = self.summary.endpoints
        endpoints[ep] = endpoints.get(ep, 0) + 1
        totals = self._last_totals if model == self._last_model else self._totals_for(model)
        totals.requests += 1
        totals.input_tokens += tokens
        if max_tokens is None:
            totals.max_tokens_missing += 1
        else:
            totals.max_tokens += max_tokens

    def _totals_for(self, model: Any) -> ModelTotals:
        models = self.summary.models
        name = model if model.__class__ is str else NO_MODEL
        totals = models.get(name)
        if totals is None:
            totals = models[name] = ModelTotals()
        self._last_model = model
        self._last_totals = totals
        return totals

    # -- the slow paths: each names one problem ------------------------------------------
    def _duplicate(self, line: int, top: str, custom_id: str, first: int) -> None:
        self.add(
            line,
            top + "custom_id",
            f"duplicate custom_id {_show(custom_id)} (first on line {first})",
            "duplicate_custom_id",
        )

    def _custom_id_rule(self, line: int, top: str, custom_id: str) -> None:
        limits = self.limits
        if len(custom_id) > limits.custom_id_max_len:
            error = limits.long_custom_id_is_error
            self.add(
                line,
                top + "custom_id",
                f"is {len(custom_id)} characters; {self.name} "
                + (
                    f"allows at most {limits.custom_id_max_len}"
                    if error
                    else f"ids over {limits.custom_id_max_len} are not recommended"
                ),
                "custom_id_too_long",
                Severity.ERROR if error else Severity.WARNING,
            )
        else:
            pattern = limits.custom_id_pattern
            self.add(
                line,
                top + "custom_id",
                f"{_show(custom_id)} may only contain {limits.custom_id_rule} "
                f"({self.name} requires ^{pattern.pattern if pattern else ''}$)",
                "invalid_custom_id",
            )

    def _custom_id_missing(self, line: int, top: str, custom_id: Any) -> None:
        if custom_id is None:
            self.add(line, top + "custom_id", "missing", "missing_custom_id")
        elif isinstance(custom_id, str):
            self.add(line, top + "custom_id", "is empty", "missing_custom_id")
        else:
            self.add(
                line,
                top + "custom_id",
                f"must be a string, found {_kind(custom_id)}",
                "bad_custom_id",
            )

    def _method(self, line: int, top: str, method: Any) -> None:
        self.add(
            line,
            top + "method",
            f'must be "{self.method}", found {_show(method)}',
            "bad_method",
        )

    def _endpoint(self, line: int, top: str, endpoint: Any) -> str:
        """Check a request's own endpoint; returns the endpoint it will run on."""
        limits = self.limits
        where = top + self.endpoint_field
        if not isinstance(endpoint, str):
            self.add(line, where, f"must be a string, found {_kind(endpoint)}", "bad_endpoint")
            return limits.default_endpoint
        if endpoint not in limits.endpoints:
            message = limits.bad_endpoint_message.format(
                endpoint=_show(endpoint),
                title=self.name,
                endpoints=", ".join(sorted(limits.endpoints)),
            )
            self.add(line, where, message, "bad_endpoint")
        return limits.default_endpoint if limits.fixed_endpoint else endpoint

    def _model_problem(self, line: int, pre: str, model: Any, ep: str) -> None:
        if model is None:
            if ep not in self.limits.model_optional_endpoints:
                self.add(
                    line,
                    pre + "model",
                    "missing (set it in the file or pass a default model)",
                    "missing_model",
                )
        else:
            self.add(
                line,
                pre + "model",
                f"must be a non-empty string, found {_show(model)}",
                "bad_model",
            )
        return None

    def _messages_problem(self, line: int, pre: str, messages: Any) -> None:
        if messages is _MISSING or messages is None:
            self.add(line, pre + "messages", "missing", "missing_messages")
        elif not isinstance(messages, list):
            self.add(
                line, pre + "messages", f"must be an array, found {_kind(messages)}", "bad_messages"
            )
        else:
            self.add(line, pre + "messages", "is empty", "empty_messages")

    def _messages(self, line: int, pre: str, messages: list[Any]) -> int:
        """Check every message (some are not plain text); returns their text length."""
        roles = self.limits.roles
        chars = 0
        for i, message in enumerate(messages):
            if message.__class__ is not dict:
                self.add(
                    line,
                    f"{pre}messages[{i}]",
                    f"must be an object, found {_kind(message)}",
                    "bad_message",
                )
                continue
            role = message.get("role")
            if role not in roles:
                self.add(
                    line,
                    f"{pre}messages[{i}].role",
                    (
                        "missing"
                        if role is None
                        else f"{_show(role)} is not a role {self.name} accepts"
                    )
                    + f" (one of: {', '.join(sorted(roles))})",
                    "bad_role",
                )
            content = message.get("content", _MISSING)
            if content.__class__ is str:
                chars += len(content)
            else:
                chars += self._content(line, pre, i, role, message, content)
        return chars

    def _content(
        self, line: int, pre: str, i: int, role: Any, message: dict[str, Any], content: Any
    ) -> int:
        """Check a message content that is not a plain string; returns its text length."""
        where = f"{pre}messages[{i}].content"
        if isinstance(content, list):
            text_only = role == "system" and self.limits.system_text_only
            self._blocks(line, where, content, text_only=text_only)
            return text_chars(content)
        if (
            role == "assistant"
            and (content is None or content is _MISSING)
            and any(message.get(key) for key in self.limits.tool_call_keys)
        ):
            return 0
        if content is _MISSING:
            self.add(line, where, "missing", "bad_content")
        else:
            self.add(
                line,
                where,
                f"must be a string or an array of content blocks, found {_kind(content)}",
                "bad_content",
            )
        return 0

    def _blocks(self, line: int, where: str, blocks: list[Any], *, text_only: bool) -> None:
        if not blocks:
            self.add(line, where, "is an empty array", "bad_content")
            return
        for j, block in enumerate(blocks):
            kind = block.get("type") if isinstance(block, dict) else None
            if not isinstance(kind, str):
                self.add(
                    line,
                    f"{where}[{j}]",
                    "a content block must be an object with a string 'type'",
                    "bad_content",
                )
            elif text_only and kind != "text":
                self.add(
                    line,
                    f"{where}[{j}]",
                    f"{_show(kind)} block where only text blocks are allowed",
                    "bad_content",
                )

    def _system(self, line: int, where: str, system: Any) -> None:
        if isinstance(system, list):
            self._blocks(line, where, system, text_only=True)
            return
        self.add(
            line,
            where,
            f"must be a string or an array of text blocks, found {_kind(system)}",
            "bad_content",
        )

    def _max_tokens(self, line: int, pre: str, body: dict[str, Any]) -> int | None:
        """Find and check the output limit when ``max_tokens`` is not a plain positive int."""
        key = next((k for k in MAX_TOKENS_KEYS if body.get(k) is not None), None)
        if key is None:
            if self.limits.max_tokens_required:
                self.add(
                    line,
                    pre + "max_tokens",
                    f"missing; {self.name} requires it (set it in the file or pass a default "
                    "max_tokens)",
                    "missing_max_tokens",
                )
            return None
        value = body[key]
        if value.__class__ is not int or value < 1:
            self.add(
                line,
                pre + key,
                f"must be an integer >= 1, found {_show(value)}",
                "invalid_max_tokens",
            )
            return None
        return value

    def _temperature(self, line: int, pre: str, temperature: Any) -> None:
        if temperature.__class__ not in (int, float):
            self.add(
                line,
                pre + "temperature",
                f"must be a number, found {_kind(temperature)}",
                "bad_temperature",
            )
        else:
            self.add(
                line,
                pre + "temperature",
                f"{temperature} is outside 0..{self.limits.temperature_max:g} accepted by "
                f"{self.name}",
                "temperature_range",
            )

    def finish(self, seen_any: bool) -> None:
        """File-level checks after the last record, and the file's totals."""
        parts = self.planner.parts
        summary = self.summary
        models = summary.models.values()
        summary.requests = sum(t.requests for t in models)
        summary.input_tokens = sum(t.input_tokens for t in models)
        summary.max_tokens_total = sum(t.max_tokens for t in models)
        summary.max_tokens_missing = sum(t.max_tokens_missing for t in models)
        summary.native_bytes = sum(p.bytes for p in parts)
        if not seen_any:
            self.add(None, "file", "the file has no requests", "empty_file")
        elif len(parts) > 1 and not self.split:
            limits = self.limits
            self.add(
                parts[1].first_line,
                "file",
                f"{self.summary.requests:,} requests (~{self.summary.native_bytes / 1e6:.1f} MB) "
                f"exceed one {self.name} batch ({limits.max_requests:,} requests, "
                f"{limits.max_bytes / 1e6:g} MB); it needs {len(parts)} batches "
                "(allow splitting)",
                "over_limit",
            )
        self.summary.parts = list(parts)

    def report(self) -> ValidationReport:
        return ValidationReport(
            self.path,
            self.provider,
            self.fmt,
            self.issues,
            self.total,
            self.errors,
            self.warnings,
            self.summary,
        )


def validate_file(
    path: str | Path,
    provider: str,
    *,
    fmt: InputFormat | str | None = None,
    defaults: Mapping[str, Any] | None = None,
    csv_template: str | None = None,
    csv_id_column: str | None = None,
    csv_system: str | None = None,
    split: bool = True,
    limits: ProviderLimits | None = None,
    progress: Progress | None = None,
    max_issues: int = 200,
    estimator: TokenEstimator = estimate_input_tokens,
) -> ValidationReport:
    """Validate ``path`` for ``provider`` in one streaming pass and summarise it.

    ``defaults`` fill parameters the records lack (``model``, ``max_tokens``, ...; key
    ``endpoint`` sets the request endpoint). With ``split=False`` an input over the provider's
    per-batch limits is an ``over_limit`` error; otherwise it is a plan of several parts in
    ``summary.parts``. ``progress(bytes_read, total)`` is called every few megabytes.
    """
    return scan_file(
        path,
        provider,
        fmt=fmt,
        defaults=defaults,
        csv_template=csv_template,
        csv_id_column=csv_id_column,
        csv_system=csv_system,
        split=split,
        limits=limits,
        progress=progress,
        max_issues=max_issues,
        estimator=estimator,
    )


def scan_file(
    path: str | Path,
    provider: str,
    *,
    fmt: InputFormat | str | None = None,
    defaults: Mapping[str, Any] | None = None,
    csv_template: str | None = None,
    csv_id_column: str | None = None,
    csv_system: str | None = None,
    split: bool = True,
    limits: ProviderLimits | None = None,
    progress: Progress | None = None,
    max_issues: int = 200,
    estimator: TokenEstimator = estimate_input_tokens,
    sink: RequestSink | None = None,
) -> ValidationReport:
    """The one streaming pass behind `validate_file` and `write_native` (which passes the
    ``sink`` that writes the native parts).

    With a sink, a JSONL input already in ``provider``'s format is read with each line's bytes
    (`Scanner.run_lines`), so the writer can copy the lines that need no rewriting.
    """
    resolved = resolve_format(path, fmt)
    scanner = Scanner(
        path,
        provider,
        resolved,
        limits=limits,
        defaults=defaults,
        split=split,
        estimator=estimator,
        max_issues=max_issues,
        sink=sink,
    )
    total = scanner.summary.file_bytes = Path(path).stat().st_size
    if sink is not None and scanner.native_source and resolved.is_jsonl:
        with Path(path).open("rb", buffering=BUFFER) as f:
            return scanner.run_lines(iter_jsonl_lines(f, total, progress))
    with open_records(
        path,
        resolved,
        csv_template=csv_template,
        csv_id_column=csv_id_column,
        csv_system=csv_system,
        progress=progress,
    ) as records:
        return scanner.run(records)
