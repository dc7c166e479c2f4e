"""The dashboard's job end: in-app toast, the terminal's escape sequence through Textual's
driver, the bell, the profile's on_end once per end; a stale job notifies once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from notify_helpers import hook_command, runs
from ui_fakes import FakeWorkspace
from ui_helpers import settle, wait_for

from batchtui.core.config import Config, UiSettings
from batchtui.core.models import BatchStatus
from batchtui.ui.app import BatchTuiApp, make_app
from batchtui.ui.notify import TerminalNotifier

SIZE = (120, 36)
ESC, BEL = "\x1b", "\a"


def app_with(ws: FakeWorkspace, tmp_path: Path, **profile_fields: Any) -> BatchTuiApp:
    profiles = {
        name: dataclasses.replace(p, **profile_fields) for name, p in ws.config.profiles.items()
    }
    ws.config = Config(
        profiles,
        ws.config.default_profile,
        ui=UiSettings(bell=True, desktop_notify="osc777"),
    )
    return make_app(ws, ws.clock, cursor_blink=False, compose_dir=tmp_path)


async def test_job_end_runs_on_end_once_and_writes_the_terminal_notification(
    tmp_path: Path,
) -> None:
    ws = FakeWorkspace()
    argv, out = hook_command(tmp_path)
    app = app_with(ws, tmp_path, on_end=tuple(argv))
    written: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.end_notifications.terminal.write = written.append  # type: ignore[method-assign]
        ws.set_status("j3", BatchStatus.COMPLETED, succeeded=990, errored=10, processing=0)
        await wait_for(pilot, lambda: len(runs(out)) == 1)
        ws.set_status("j3", BatchStatus.COMPLETED, succeeded=990, errored=10, processing=0)
        await settle(pilot)  # waits for the on_end worker too (not a background group)
        notes = list(app._notifications)
        assert any("summaries-q1 completed" in n.title for n in notes)
    ((stdin, env),) = runs(out)
    assert stdin == ws.records["j3"].to_json()
    assert env["BATCHTUI_JOB_STATUS"] == "completed" and env["BATCHTUI_PROFILE"] == "anthropic"
    (sequence,) = written
    assert sequence.startswith(f"{ESC}]777;notify;batchtui: summaries-q1 completed;")
    assert "990 succeeded, 10 errored of 1,000" in sequence
    assert sequence.endswith(BEL + BEL)  # the OSC's terminator, then the bell


async def test_a_failing_hook_is_one_error_notification(tmp_path: Path) -> None:
    ws = FakeWorkspace()
    argv, out = hook_command(tmp_path, "fail")
    app = app_with(ws, tmp_path, on_end=tuple(argv))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        ws.set_status("j3", BatchStatus.FAILED)
        await wait_for(
            pilot,
            lambda: any(
                n.severity == "error" and "on_end" in n.message for n in app._notifications
            ),
        )
        errors = [n for n in app._notifications if "on_end" in n.message]
        assert len(errors) == 1
        assert "profile anthropic" in errors[0].message
        assert "exited with status 3" in errors[0].message
    assert len(runs(out)) == 1


async def test_a_stale_job_notifies_once(tmp_path: Path) -> None:
    ws = FakeWorkspace()
    app = app_with(ws, tmp_path)
    written: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.end_notifications.terminal.write = written.append  # type: ignore[method-assign]
        view = app.jobs_screen.table.views["j2"]
        before = len(app._notifications)
        app.notify_stale(view)
        app.notify_stale(view)
        await pilot.pause()
        stale = list(app._notifications)[before:]
        assert len(stale) == 1 and "translate-fr retry stale" in stale[0].title
    (sequence,) = written
    assert sequence.startswith(f"{ESC}]777;notify;batchtui: translate-fr retry stale;")


class FakeDriver:
    def __init__(self) -> None:
        self.out: list[str] = []

    def write(self, data: str) -> None:
        self.out.append(data)


class FakeApp:
    def __init__(self, headless: bool) -> None:
        self.is_headless = headless
        self._driver = FakeDriver()


def test_the_sequence_goes_through_the_driver_unless_headless() -> None:
    ui = UiSettings(desktop_notify="osc9")
    live = FakeApp(headless=False)
    TerminalNotifier(live, ui, env={}).notify("batchtui: x completed", "1 of 1")  # type: ignore[arg-type]
    assert live._driver.out == [f"{ESC}]9;batchtui: x completed: 1 of 1{BEL}"]
    headless = FakeApp(headless=True)
    TerminalNotifier(headless, ui, env={}).notify("t", "b")  # type: ignore[arg-type]
    assert headless._driver.out == []


def test_auto_with_an_unknown_terminal_and_no_bell_writes_nothing() -> None:
    app = FakeApp(headless=False)
    notifier = TerminalNotifier(app, UiSettings(), env={"TERM": "xterm"})  # type: ignore[arg-type]
    notifier.notify("t", "b")
    assert app._driver.out == []
    bell_only = TerminalNotifier(app, UiSettings(bell=True), env={})  # type: ignore[arg-type]
    assert bell_only.sequence("t", "b") == BEL


async def test_the_stale_check_announces_a_few_jobs_one_by_one_and_many_in_one_line(
    tmp_path: Path,
) -> None:
    ws = FakeWorkspace()
    app = app_with(ws, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.end_notifications.terminal.write = lambda _text: None  # type: ignore[method-assign]
        screen = app.jobs_screen
        before = len(app._notifications)
        screen._watch_for_stale(ws.clock.now())
        screen._watch_for_stale(ws.clock.now())  # the same jobs again: nothing new
        await pilot.pause()
        titles = [n.title for n in list(app._notifications)[before:]]
        assert titles == ["translate-fr retry stale"]
    ws = FakeWorkspace()
    stuck = ws.records["j2"]
    for n in range(5):  # five more jobs stuck like j2
        copy = dataclasses.replace(stuck, local_id=f"stuck{n}", id=f"batch_stuck{n}")
        ws.records[copy.local_id] = copy
    app = app_with(ws, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.end_notifications.terminal.write = lambda _text: None  # type: ignore[method-assign]
        before = len(app._notifications)
        app.jobs_screen._watch_for_stale(ws.clock.now())
        await pilot.pause()
        added = list(app._notifications)[before:]
        assert [n.title for n in added] == ["Stale jobs"]
        assert added[0].message.startswith("6 jobs have made no progress")
