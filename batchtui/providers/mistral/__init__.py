"""Mistral batch inference: Files + Batch jobs (the adapter, its input format and limits, its
result lines and its status map)."""

from __future__ import annotations

from typing import Any

from batchtui.core.models import Capability
from batchtui.core.registry import ProviderSpec

SPEC = ProviderSpec(
    name="mistral",
    title="Mistral",
    classifier="batchtui.providers.mistral.classify:classify_mistral",
    inputs="batchtui.providers.mistral.inputs:NATIVE",
    limits="batchtui.providers.mistral.limits:LIMITS",
    adapter="batchtui.providers.mistral.adapter:MistralProvider",
    # The mistralai SDK reads only MISTRAL_API_KEY; its server URL comes from code
    # (``server_url=``), never from the environment, so there is no base-URL variable.
    key_env="MISTRAL_API_KEY",
    base_url_env=None,
    capabilities=Capability.CANCEL
    | Capability.DELETE_JOB  # DELETE /v1/batch/jobs/{id} [S]
    | Capability.DELETE_FILES  # DELETE /v1/files/{id} [S]
    | Capability.LIVE_COUNTS  # succeeded/failed/completed_requests move while RUNNING [S]
    | Capability.FILE_UPLOAD
    | Capability.METADATA,  # metadata (str -> str) is stored on the job [S]
    # Job ids are uuids: no prefix to recognise them by.
    id_prefix=None,
    # Mistral documents no error code for a full queue, quota or spend limit.
    limit_error_codes=frozenset(),
    # Mistral's result lines have the keys of OpenAI's (custom_id, response, error): no key
    # is only theirs, so lines of an unknown provider are never claimed for Mistral.
    result_marker=None,
    order=3,
)


def __getattr__(name: str) -> Any:
    """`MistralProvider` is imported on first use (listing providers imports no adapter)."""
    if name == "MistralProvider":
        from batchtui.providers.mistral.adapter import MistralProvider

        return MistralProvider
    raise AttributeError(name)


__all__ = ["SPEC", "MistralProvider"]
