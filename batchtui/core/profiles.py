"""What a profile adds to every request of an input (shared by the Workspace and the CLI's
`validate`, which runs without one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.core.config import Profile


def request_defaults(prof: Profile, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Request parameters a record may lack, from the caller then the profile."""
    out: dict[str, Any] = {}
    if prof.default_model:
        out["model"] = prof.default_model
    if prof.default_max_tokens:
        out["max_tokens"] = prof.default_max_tokens
    for key, value in (given or {}).items():
        if value is not None:
            out[key] = value
    return out
