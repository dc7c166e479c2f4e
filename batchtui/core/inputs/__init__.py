"""Input files: detection, streaming readers, validation, conversion and splitting.

Formats (``InputFormat``): the neutral JSONL (``custom_id``, ``model``, ``messages``, optional
``system``, ``max_tokens``, ``temperature`` and other parameters, optional ``endpoint``), CSV/TSV
rendered through a prompt template with ``{column}`` placeholders, and the native batch lines
of every registered provider (JSONL, or for a format that has one a JSON document ``[...]`` or
``{"requests": [...]}``, streamed item by item). The core knows no provider: a provider
package publishes its format (`NativeFormat`) and its rules (`ProviderLimits`) through its
spec's ``inputs`` and ``limits`` references (`batchtui.core.registry`).

Public API::

    detect_format(path) -> InputFormat
    read_requests(path, fmt=None, *, csv_template=None, csv_id_column=None, csv_system=None,
                  defaults=None, progress=None) -> Iterator[tuple[int, BatchRequest]]
    validate_file(path, provider, *, fmt=None, defaults=None, csv_template=None,
                  csv_id_column=None, csv_system=None, split=True, limits=None,
                  progress=None, max_issues=200, estimator=estimate_input_tokens)
        -> ValidationReport          # .ok, .issues, .total_issues, .summary, .lines()
    to_native(request, provider) -> dict
    from_native(obj, provider) -> BatchRequest
    write_native(path, provider, out_dir, *, fmt=None, split=True, defaults=None,
                 csv_template=None, csv_id_column=None, csv_system=None, limits=None,
                 progress=None, name=None, max_issues=200, estimator=...)
        -> NativeParts               # list[NativePart(path, sha256, requests, bytes, ...)]
                                     # plus .report; raises InputValidationError on errors
    estimate_input_tokens(body) -> int   # ~4 characters per token; pass estimator= to replace
    limits_for(provider) -> ProviderLimits; LIMITS; PROVIDERS
    native_format(provider) -> NativeFormat

``provider`` is the name of a registered provider whose spec names an input format.
``defaults`` fill request parameters a record lacks (``model``, ``max_tokens``, ...; the key
``endpoint`` sets the request endpoint), which is how the CLI's ``--model`` and CSV inputs get
their model. ``progress(bytes_read, total_bytes)`` is called every few megabytes.
``write_native`` copies a JSONL line already in the provider's format as it is (blanks and CR
around it dropped) when neither a default nor the conversion would change it; every other
request is encoded again. A part's sha256 is that of its bytes, i.e. of what is uploaded.
Every issue prints as ``FILE:LINE: field: message``.
"""

from typing import TYPE_CHECKING, Any

from batchtui.core.lazy import lazy_exports

if TYPE_CHECKING:
    from batchtui.core.inputs.convert import NativeFormatError, from_native, to_native
    from batchtui.core.inputs.csvtemplate import PromptTemplate
    from batchtui.core.inputs.estimate import CHARS_PER_TOKEN, TokenEstimator, estimate_input_tokens
    from batchtui.core.inputs.formats import InputFormat, detect_format
    from batchtui.core.inputs.issues import (
        InputError,
        InputFileError,
        InputIssue,
        InputValidationError,
        Severity,
    )
    from batchtui.core.inputs.limits import LIMITS, ProviderLimits, limits_for
    from batchtui.core.inputs.native import EnvelopeFormat, NativeFormat, native_format
    from batchtui.core.inputs.readers import read_requests
    from batchtui.core.inputs.records import Progress
    from batchtui.core.inputs.split import PartPlan, SplitPlanner
    from batchtui.core.inputs.validate import (
        InputSummary,
        ModelTotals,
        ValidationReport,
        validate_file,
    )
    from batchtui.core.inputs.write import NativePart, NativeParts, encode_line, write_native


__all__ = [
    "CHARS_PER_TOKEN",
    "LIMITS",
    "PROVIDERS",
    "EnvelopeFormat",
    "InputError",
    "InputFileError",
    "InputFormat",
    "InputIssue",
    "InputSummary",
    "InputValidationError",
    "ModelTotals",
    "NativeFormat",
    "NativeFormatError",
    "NativePart",
    "NativeParts",
    "PartPlan",
    "Progress",
    "PromptTemplate",
    "ProviderLimits",
    "Severity",
    "SplitPlanner",
    "TokenEstimator",
    "ValidationReport",
    "detect_format",
    "encode_line",
    "estimate_input_tokens",
    "from_native",
    "limits_for",
    "native_format",
    "read_requests",
    "to_native",
    "validate_file",
    "write_native",
]


_EXPORTS = {
    "NativeFormatError": "convert",
    "from_native": "convert",
    "to_native": "convert",
    "PromptTemplate": "csvtemplate",
    "CHARS_PER_TOKEN": "estimate",
    "TokenEstimator": "estimate",
    "estimate_input_tokens": "estimate",
    "InputFormat": "formats",
    "detect_format": "formats",
    "InputError": "issues",
    "InputFileError": "issues",
    "InputIssue": "issues",
    "InputValidationError": "issues",
    "Severity": "issues",
    "LIMITS": "limits",
    "ProviderLimits": "limits",
    "limits_for": "limits",
    "EnvelopeFormat": "native",
    "NativeFormat": "native",
    "native_format": "native",
    "read_requests": "readers",
    "Progress": "records",
    "PartPlan": "split",
    "SplitPlanner": "split",
    "InputSummary": "validate",
    "ModelTotals": "validate",
    "ValidationReport": "validate",
    "validate_file": "validate",
    "NativePart": "write",
    "NativeParts": "write",
    "encode_line": "write",
    "write_native": "write",
}
_load = lazy_exports(__name__, _EXPORTS, globals())


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":  # the providers with limits, as registered now
        return tuple(_load("LIMITS"))
    return _load(name)
