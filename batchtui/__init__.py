"""batchtui: one terminal dashboard for LLM batch jobs across providers.

The Python API lives in `batchtui.api` (see docs/API.md); its entry points are reachable
from here without importing anything until first used::

    async with batchtui.open() as bt: ...      # batchtui.api.Batchtui
    with batchtui.open_sync() as bt: ...       # batchtui.api.SyncBatchtui
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from batchtui.api import Batchtui, SyncBatchtui, open_sync
    from batchtui.api import open as open  # the API entry point; a redundant alias re-exports

_API_NAMES = ("Batchtui", "SyncBatchtui", "open", "open_sync")

# `open` stays out of __all__: a star import must not hide the builtin.
__all__ = ["Batchtui", "SyncBatchtui", "__version__", "open_sync"]


def __getattr__(name: str) -> Any:
    """Load `batchtui.api` on first use of one of its entry points (keeps the import cheap)."""
    if name in _API_NAMES:
        from batchtui import api

        return getattr(api, name)
    raise AttributeError(f"module 'batchtui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API_NAMES})
