"""Cheap per-line classifiers: custom_id, outcome, flag and error type from a parsed result line.

The index calls one for every line right after ``json.loads``, so each is a handful of dict
lookups (outcome follows the facts, not the file a line came in). Each provider package has its
own (its spec's ``classifier``), next to its full parser, and the two must agree; the
integration tests check that. This module finds them through the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from batchtui.core.models import UNPARSEABLE_LINE, Outcome, ResultFlag
from batchtui.core.registry import ProviderSpec, find_spec, provider_specs

Classification = tuple[str, Outcome, ResultFlag | None, str | None]
Classifier = Callable[[str, dict[str, Any]], Classification]
"""``classify(source, parsed_line) -> (custom_id, outcome, flag, error_type)``."""

LineReader = Callable[[str, bytes], Classification | None]
"""``read(source, raw_line)``: a classifier's optional fast path. It decodes only the fields it
needs straight from the raw line (``core.jsonline.typed_reader``) and returns what the
classifier would return for that line, or None whenever it cannot vouch for that (then the
index parses the whole line and asks the classifier). It never accepts a line the strict line
rule refuses."""

_READER = "read_line"
C = TypeVar("C", bound=Callable[..., Any])

CLASSIFIER_VERSION = 2
"""Bumped whenever a classifier's rules change, so persisted indexes are rebuilt."""

INVALID_LINE = "invalid_result_line"
"""Error type of a JSON object that is not a result of a known kind (the adapters' parsers use
the same name)."""
UNPARSEABLE = UNPARSEABLE_LINE
"""Error type of a line that is not one JSON object alone on its line (see the index)."""


def str_key(value: Any) -> str | None:
    """``value`` when it is a string (safe as a dict key), else None."""
    return value if type(value) is str else None


def reads_lines(reader: LineReader) -> Callable[[C], C]:
    """Decorator: give a classifier its fast path (see ``LineReader``)."""

    def attach(classify: C) -> C:
        setattr(classify, _READER, reader)
        return classify

    return attach


def line_reader(classify: Classifier) -> LineReader | None:
    """The classifier's fast path, if it has one."""
    reader: LineReader | None = getattr(classify, _READER, None)
    return reader


def _of(spec: ProviderSpec) -> Classifier:
    classify: Classifier = spec.load(spec.classifier)
    return classify


def classify_any(source: str, obj: dict[str, Any]) -> Classification:
    """Classify a line of any registered provider, telling them apart by shape: the first
    provider whose ``result_marker`` key the line has, else the first provider."""
    specs = list(provider_specs().values())
    for spec in specs:
        if spec.result_marker is not None and spec.result_marker in obj:
            return _of(spec)(source, obj)
    return _of(specs[0])(source, obj)


def _by_name(provider: str) -> Classifier | None:
    spec = find_spec(provider)
    return _of(spec) if spec is not None else None


def classifier_for(provider: str | None) -> Classifier:
    """The classifier of a registered provider; shape-sniffing (`classify_any`) otherwise."""
    return _by_name((provider or "").lower()) or classify_any


def classifier_name(classify: Classifier) -> str:
    """A stable name for a classifier, stored in a persisted index to detect a change of rules."""
    for name in provider_specs():
        if _by_name(name) is classify:
            return f"{name}/{CLASSIFIER_VERSION}"
    if classify is classify_any:
        return f"any/{CLASSIFIER_VERSION}"
    module = getattr(classify, "__module__", "?")
    qualname = getattr(classify, "__qualname__", type(classify).__name__)
    return f"{module}.{qualname}"
