"""What sets one OpenAI-compatible batch server apart from OpenAI: a `Preset` is data only.

Each fact carries its source tag from shared/providers.md (§5 and §9): [S] SDK source, [D]
provider docs, [U] unverified (the safe reading, listed in docs/providers/openai-compatible.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from batchtui.core.models import Capability

CHAT_ENDPOINT = "/v1/chat/completions"

_OPENAI_CAPABILITIES = (
    Capability.CANCEL
    | Capability.DELETE_FILES
    | Capability.LIVE_COUNTS
    | Capability.FILE_UPLOAD
    | Capability.METADATA
)


@dataclass(frozen=True, slots=True)
class Preset:
    """How one server differs from OpenAI's Batch API on the wire.

    URLs are ``base_url + path_prefix + "/files"`` (or ``/batches``); a base URL that already
    ends with ``path_prefix`` gets it only once, so both the SDK's host-only base URL
    (``https://api.groq.com``) and the full one (``https://api.groq.com/openai/v1``) work.
    """

    name: str
    """The spec's name (the ``provider`` of every job the adapter returns)."""
    title: str
    default_base_url: str | None
    """None: the profile must give a base URL (the user's own endpoint or proxy)."""
    path_prefix: str = "/v1"
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    """Put before the key in ``auth_header`` ("" or "none" sends the bare key, as Azure's
    ``api-key``)."""
    api_version_param: str | None = None
    """A query parameter sent on every call with the ``api_version`` option (Azure)."""
    default_api_version: str | None = None
    upload_purpose: str = "batch"
    upload_path: str = "/files"
    """Where the one-request multipart upload goes (Together: ``/files/upload``)."""
    upload_name_field: str | None = None
    """A form field that repeats the file's name (Together: ``file_name``); None: none."""
    upload_fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """More fixed form fields of the upload (Together: ``file_type=jsonl``)."""
    lines_carry_method_url: bool = True
    """Whether input lines are ``{custom_id, method, url, body}`` (else ``{custom_id, body}``)."""
    default_endpoint: str = CHAT_ENDPOINT
    completion_window: str = "24h"
    """Sent when a submission names no window."""
    window_hours: tuple[float, float] | None = (24.0, 24.0)
    """The shortest and longest window the server takes, in hours; None: not checked here."""
    uppercase_status: bool = False
    """Statuses spelled ``IN_PROGRESS`` (Together) instead of ``in_progress``."""
    create_wrapper: str | None = None
    """The key a create answer wraps the batch in (Together: ``job``); None: bare."""
    progress_percent: bool = False
    """Jobs report ``progress`` (0–100) instead of ``request_counts`` (Together)."""
    list_paging: bool = True
    """The batch list takes ``after``/``limit`` (False: one unpaged list, as Groq's SDK)."""
    model_header: str | None = None
    """An upload header naming the batch's target model (LiteLLM: ``x-litellm-model``)."""
    capabilities: Capability = _OPENAI_CAPABILITIES
    extra_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def with_options(self, **options: Any) -> Preset:
        """A copy with preset fields taken from profile options (strings, as config holds
        them): booleans from ``true/false/yes/no/1/0``, window bounds from ``24h``-style text.
        Unknown names raise ``TypeError``."""
        known = {f.name for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in options.items():
            if value is None:
                continue
            if key not in known:
                raise TypeError(f"{key!r} is not a preset field")
            current = getattr(self, key)
            if isinstance(current, bool):
                changes[key] = parse_bool(key, value)
            else:
                changes[key] = value
        return replace(self, **changes) if changes else self


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parse_bool(key: str, value: Any) -> bool:
    """A boolean profile option given as a string (or a bool)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{key} must be true or false, not {value!r}")


def window_hours(window: str) -> float | None:
    """Hours of a completion window written ``24h`` or ``7d``; None when it is neither."""
    text = window.strip().lower()
    if len(text) < 2 or text[-1] not in "hd":
        return None
    try:
        number = float(text[:-1])
    except ValueError:
        return None
    return number * (24.0 if text[-1] == "d" else 1.0)


GROQ = Preset(
    name="groq",
    title="Groq",
    # groq SDK: base https://api.groq.com, batch paths under /openai/v1 [S].
    default_base_url="https://api.groq.com",
    path_prefix="/openai/v1",
    # §9: completion_window from 24h to 7d [S]; 24h is the default we send [U].
    window_hours=(24.0, 168.0),
    # §5: the list takes no pagination parameters in the SDK [S].
    list_paging=False,
)

TOGETHER = Preset(
    name="together",
    title="Together AI",
    # §5: base https://api.together.xyz/v1 [D]; the 3.x SDK puts /v1 in its paths [S].
    default_base_url="https://api.together.xyz",
    path_prefix="/v1",
    upload_purpose="batch-api",
    # Together's reference documents a one-request upload, POST /v1/files/upload with the
    # form fields purpose, file_name, file_type and file [D]. (The together SDK uses a
    # three-step upload instead: announce, PUT to a storage URL, preprocess [S].)
    upload_path="/files/upload",
    upload_name_field="file_name",
    upload_fields=MappingProxyType({"file_type": "jsonl"}),
    lines_carry_method_url=False,
    uppercase_status=True,
    create_wrapper="job",
    progress_percent=True,
    # The SDK's list returns a bare JSON array with no paging parameters [S].
    list_paging=False,
    # §9: jobs report progress, not request counts [S]; no metadata field on the job [S].
    capabilities=Capability.CANCEL | Capability.DELETE_FILES | Capability.FILE_UPLOAD,
)

AZURE = Preset(
    name="azure",
    title="Azure OpenAI",
    default_base_url=None,
    # openai SDK's AzureOpenAI: base_url = endpoint + "/openai", header api-key, query
    # api-version [S]. Batch and file paths are not deployment-scoped [S].
    path_prefix="/openai",
    auth_header="api-key",
    auth_scheme="",
    api_version_param="api-version",
    # §5: GA data-plane version 2024-10-21 [S][D].
    default_api_version="2024-10-21",
    # Azure's own docs write the endpoint as /chat/completions on the versioned surface [D].
    default_endpoint="/chat/completions",
)

LITELLM = Preset(
    name="litellm",
    title="LiteLLM proxy",
    default_base_url=None,
    path_prefix="/v1",
    # §9: the upload must name its target model [D].
    model_header="x-litellm-model",
    # The proxy forwards to many back ends, each with its own windows: not checked here [U].
    window_hours=None,
)

GENERIC = Preset(
    name="openai-compatible",
    title="OpenAI-compatible server",
    default_base_url=None,
    path_prefix="/v1",
    # An unknown server decides its own windows [U].
    window_hours=None,
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {p.name: p for p in (GROQ, TOGETHER, AZURE, LITELLM, GENERIC)}
)

GENERIC_OPTIONS: tuple[str, ...] = (
    "path_prefix",
    "auth_header",
    "auth_scheme",
    "upload_purpose",
    "upload_path",
    "upload_name_field",
    "lines_carry_method_url",
    "default_endpoint",
    "completion_window",
    "uppercase_status",
    "create_wrapper",
    "progress_percent",
    "list_paging",
    "model_header",
)
"""Preset fields a generic profile may set (strings in the config; see `Preset.with_options`)."""
