"""The part of the core `Workspace` the dashboard calls, as a protocol the fakes also satisfy.

Optional parts are looked up with getattr so the UI runs on older cores and on the fakes:
`config` (keymap, theme), `cost_totals()`, `clean_plan()` / `clean(plan)`, `subscribe_errors`.
"""

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


@dataclass(frozen=True, slots=True)
class UiConfig:
    """The config's UI part: the [keymap] table (binding id -> keys) and the theme name."""

    keymap: Mapping[str, str]
    theme: str | None = None


def ui_settings(workspace: Any) -> UiConfig:
    """The UI settings of the workspace's config (empty when it has none, e.g. in tests)."""
    config = getattr(workspace, "config", None)
    keymap = _get(config, "keymap", default=None) or {}
    ui = _get(config, "ui", default=None)
    theme = _get(ui, "theme", default=None)
    clean = {str(k): str(v) for k, v in dict(keymap).items() if str(v).strip()}
    return UiConfig(clean, str(theme) if theme else None)


def stale_thresholds(workspace: Any) -> dict[str, float]:
    """Each profile's seconds without progress before a job is marked stale: the workspace's
    `stale_after(profile)` (which applies the core's default), else the profile's own
    `stale_after_s`; profiles with neither are left out (no marker)."""
    thresholds: dict[str, float] = {}
    core_rule = getattr(workspace, "stale_after", None)
    for profile in workspace.profiles():
        name = _get(profile, "name", default=None)
        after = core_rule(name) if callable(core_rule) and name else None
        if after is None:
            after = _get(profile, "stale_after_s", default=None)
        if name and isinstance(after, int | float) and after > 0:
            thresholds[str(name)] = float(after)
    return thresholds
