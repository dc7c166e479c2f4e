"""Conversion between the neutral ``BatchRequest`` and a provider's native batch line.

Each provider's input format (`batchtui.core.inputs.native.NativeFormat`, found through the
registry) does the work; these functions pick the format of ``provider``. Content blocks pass
through unchanged (images and tools are not translated between providers).

Round trips: native -> neutral -> native gives the same line; what neutral -> native ->
neutral gives depends on where the native line can keep each part of the request (a provider
without a top-level system prompt, for one, moves it into ``messages``).
"""

from __future__ import annotations

from typing import Any

from batchtui.core.inputs.native import NativeFormatError, native_format
from batchtui.core.models import BatchRequest

__all__ = ["NativeFormatError", "from_native", "to_native"]


def to_native(request: BatchRequest, provider: str) -> dict[str, Any]:
    """The provider's native batch line for ``request`` (a new dict; the request is not changed)."""
    return native_format(provider).to_native(request)


def from_native(obj: Any, provider: str) -> BatchRequest:
    """The neutral request of one native line (a line's endpoint is kept as the endpoint)."""
    return native_format(provider).from_native(obj)
