"""A team store lost and back, as the dashboard shows it: one warning that stays while the
store is lost (however many writes fail meanwhile), the table as it was, and one line when
the store answers again."""

from __future__ import annotations

from ui_fakes import FakeWorkspace
from ui_helpers import settle

from batchtui.core.store import StoreUnavailable
from batchtui.core.workspace_team import StoreReconnected
from batchtui.ui.app import BatchTuiApp

SIZE = (120, 36)


async def test_a_lost_team_store_is_said_once_and_its_return_clears_the_warning(
    ui_app: BatchTuiApp, fake_ws: FakeWorkspace
) -> None:
    async with ui_app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        before = ui_app.jobs_screen.table.row_text("j3").status
        lost = StoreUnavailable("lost the team store postgresql://team@db:5432/batchtui")
        for profile in ("store", "openai", "anthropic", "openai"):
            fake_ws.poll_error(profile, None, lost)
        await settle(pilot)
        notes = list(ui_app._notifications)
        assert len(notes) == 1, [n.message for n in notes]
        assert notes[0].severity == "warning"
        assert "showing the last state" in notes[0].message
        assert notes[0].timeout > 3600  # stays up while the store is lost
        assert ui_app.jobs_screen.table.row_text("j3").status == before
        assert ui_app.is_running

        fake_ws.poll_error("store", None, StoreReconnected("the team store answers again"))
        await settle(pilot)
        notes = list(ui_app._notifications)
        assert [n.severity for n in notes] == ["information"]
        assert "answers again" in notes[0].message

        fake_ws.poll_error("store", None, StoreReconnected("the team store answers again"))
        await settle(pilot)
        assert len(list(ui_app._notifications)) == 1  # back twice is said once


def test_the_job_detail_names_who_submitted_a_job_when_the_store_records_it() -> None:
    from datetime import UTC, datetime

    from batchtui.core.models import BatchStatus
    from batchtui.ui.models.jobs import JobView
    from batchtui.ui.widgets.job_detail import job_detail_content

    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = JobView(local_id="j1", label="nightly", provider="openai", profile="openai",
                   status=BatchStatus.IN_PROGRESS)  # fmt: skip
    *_, files = job_detail_content(base, now)
    assert "submitted by" not in files.plain  # this machine's own store: nothing to say
    shared = JobView(local_id="j1", label="nightly", provider="openai", profile="openai",
                     status=BatchStatus.IN_PROGRESS, submitted_by="alice")  # fmt: skip
    *_, files = job_detail_content(shared, now)
    assert "submitted by" in files.plain and "alice" in files.plain
