"""The part of the core `Workspace` the dashboard calls, as a protocol the fakes also satisfy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from batchtui.core.clock import Clock


class WorkspaceAPI(Protocol):
    """What the UI needs from `batchtui.core.workspace.Workspace` (see the workspace contract)."""

    clock: Clock

    def profiles(self) -> list[Any]: ...

    def jobs(self) -> list[Any]: ...

    def job(self, id_or_local_id: str) -> Any: ...

    def children(self, local_id: str) -> list[Any]: ...

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]: ...

    async def start_polling(self) -> None: ...

    async def stop_polling(self) -> None: ...

    def poll_now(self, id_or_local_id: str | None = None) -> None: ...

    def validate(
        self, path: Path, profile: str, *, defaults: Any = None, progress: Any = None
    ) -> Any: ...

    async def submit_file(self, path: Path, profile: str, **kwargs: Any) -> list[Any]: ...

    async def cancel(self, id: str) -> Any: ...

    async def retry(self, id: str, **kwargs: Any) -> Any: ...

    async def recover(self, id: str) -> Any: ...

    async def fetch_results(
        self, id: str, *, progress: Any = None, on_lines: Any = None
    ) -> Any: ...

    def results(self, id: str) -> Any | None: ...

    def run_view(self, id: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class ProfileChoice:
    """A profile as the pickers show it."""

    name: str
    provider: str
    default_model: str | None = None

    @property
    def title(self) -> str:
        return f"{self.name} ({self.provider})" if self.provider else self.name


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def profile_choice(profile: Any) -> ProfileChoice:
    """A `ProfileChoice` from a core `Profile` (or a plain name)."""
    if isinstance(profile, ProfileChoice):
        return profile
    if isinstance(profile, str):
        return ProfileChoice(profile, "")
    return ProfileChoice(
        name=str(_get(profile, "name", default="")),
        provider=str(_get(profile, "provider", "kind", default="")),
        default_model=_get(profile, "default_model", "model", default=None),
    )


def profile_choices(workspace: WorkspaceAPI) -> list[ProfileChoice]:
    """Every profile of the workspace as picker choices."""
    return [profile_choice(p) for p in workspace.profiles()]
