"""`r` (poll now) settles open submissions first, as `batchtui list` does: in a worker, one
reconcile per usable profile, a job that turns out to exist handed to the poller, and a
provider error shown as a notification that stops neither the other profiles nor polling."""

from __future__ import annotations

from typing import Any

from ui_fakes import FakeWorkspace
from ui_helpers import settle

from batchtui.core.provider import ServerError
from batchtui.ui.app import BatchTuiApp

SIZE = (120, 36)


class Settled:
    """The part of a store record the app reads after a reconcile."""

    def __init__(self, local_id: str, id: str | None) -> None:
        self.local_id = local_id
        self.id = id


def give_reconcile(fake_ws: FakeWorkspace, answers: dict[str, Any]) -> list[str | None]:
    """Add `usable_profiles` and `reconcile(profile)` to the fake; returns the calls made."""
    calls: list[str | None] = []

    def usable_profiles() -> list[str]:
        return list(answers)

    async def reconcile(profile: str | None = None) -> list[Any]:
        calls.append(profile)
        answer = answers[profile]  # type: ignore[index]
        if isinstance(answer, Exception):
            raise answer
        return answer

    fake_ws.usable_profiles = usable_profiles  # type: ignore[attr-defined]
    fake_ws.reconcile = reconcile  # type: ignore[attr-defined]
    return calls


async def test_r_settles_open_submissions_and_polls_what_it_found(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    calls = give_reconcile(
        fake_ws, {"openai-main": [Settled("settled-1", "batch_found")], "anthropic": []}
    )
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert calls == []  # the fake does not poll, so nothing settles before `r`
        await pilot.press("r")
        await settle(pilot)
        assert calls == ["openai-main", "anthropic"]
        assert ("poll_now", "settled-1") in fake_ws.calls
        assert not [n for n in ui_app._notifications if n.severity == "error"]


async def test_a_failing_list_is_a_notification_and_the_rest_goes_on(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    error = ServerError("list failed", provider="openai", status_code=500, request_id="req_9")
    calls = give_reconcile(
        fake_ws, {"openai-main": error, "anthropic": [Settled("settled-2", "msgbatch_found")]}
    )
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert calls == ["openai-main", "anthropic"]
        assert ("poll_now", "settled-2") in fake_ws.calls
        (shown,) = [n for n in ui_app._notifications if n.severity == "error"]
        assert "list failed" in shown.message and "openai-main" in shown.title
        assert ui_app.is_running
        await pilot.press("r")  # the next `r` tries again
        await settle(pilot)
        assert calls.count("openai-main") == 2
