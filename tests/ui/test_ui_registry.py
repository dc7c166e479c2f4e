"""The dashboard lists what the provider registry holds: a provider registered the same way as
the bundled ones gets a profile in the compose screen's picker, and the "no API key" notice
names its key variable beside theirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spec_helpers import spec_for_tests
from textual.widgets import OptionList, Select
from ui_helpers import settle, wait_for

from batchtui.core.clock import FixedClock
from batchtui.core.config import Config, default_profiles
from batchtui.core.registry import ProviderSpec, provider_specs, registered
from batchtui.core.workspace import Workspace
from batchtui.ui.app import make_app
from batchtui.ui.screens.compose import ComposeScreen

SIZE = (120, 36)


@pytest.fixture
def fake_provider() -> Iterator[ProviderSpec]:
    spec = spec_for_tests("fakebatch", title="Fake Batch", order=50)
    with registered(spec):
        yield spec


@pytest.fixture
def keyless_ws(
    fake_provider: ProviderSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """A real workspace on the default profiles (one per registered provider), no key set."""
    for spec in provider_specs().values():
        monkeypatch.delenv(spec.key_env, raising=False)
    profiles = default_profiles()
    config = Config(profiles=profiles, default_profile=next(iter(profiles)))
    ws = Workspace.open(tmp_path / "home", config=config, clock=FixedClock(1_790_000_000))
    yield ws
    ws.store.close()


async def test_a_registered_provider_shows_in_compose_and_the_key_notice(
    keyless_ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(keyless_ws, keyless_ws.clock, cursor_blink=False, compose_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: any("No API key" in (n.title or "") for n in app._notifications)
        )
        notice = next(n for n in app._notifications if n.title == "No API key")
        for variable in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "FAKEBATCH_API_KEY"):
            assert variable in notice.message
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        picker = screen.query_one("#compose-profile", Select)
        picker.focus()
        await pilot.press("enter")
        await settle(pilot)
        shown = [str(option.prompt) for option in picker.query_one(OptionList).options]
        assert "fakebatch (fakebatch)" in shown
        assert shown.index("anthropic (anthropic)") < shown.index("fakebatch (fakebatch)")
