"""What the dashboard reads from the core's `Workspace`: profile choices, UI settings, stale
thresholds.

Screens hold the real `batchtui.core.workspace.Workspace` and call its methods directly; the
fake of the UI tests is checked against it (tests/ui/test_ui_fake_contract.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ProfileChoice:
    """A profile as the pickers show it."""

    name: str
    provider: str
    default_model: str | None = None

    @property
    def title(self) -> str:
        return f"{self.name} ({self.provider})" if self.provider else self.name


def profile_choice(profile: Profile) -> ProfileChoice:
    """A `ProfileChoice` from a core `Profile`."""
    return ProfileChoice(profile.name, profile.provider, profile.default_model)


def profile_choices(workspace: Workspace) -> list[ProfileChoice]:
    """Every profile of the workspace as picker choices."""
    return [profile_choice(p) for p in workspace.profiles()]


@dataclass(frozen=True, slots=True)
class UiConfig:
    """The config's UI part: the [keymap] table (binding id -> keys) and the theme name."""

    keymap: Mapping[str, str]
    theme: str | None = None


def ui_settings(workspace: Workspace) -> UiConfig:
    """The UI settings of the workspace's config (entries with empty keys left out)."""
    config = workspace.config
    keymap = {str(k): str(v) for k, v in config.keymap.items() if str(v).strip()}
    theme = config.ui.theme
    return UiConfig(keymap, str(theme) if theme else None)


def stale_thresholds(workspace: Workspace) -> dict[str, float]:
    """Each profile's seconds without progress before a job is marked stale, by the core's
    rule (`Workspace.stale_after`: the profile's `stale_after_s`, else the core's default);
    a threshold that is not positive means no marker, and its profile is left out."""
    thresholds: dict[str, float] = {}
    for profile in workspace.profiles():
        after = workspace.stale_after(profile.name)
        if after > 0:
            thresholds[profile.name] = float(after)
    return thresholds
