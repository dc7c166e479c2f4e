"""One snapshot per screen and modal, on the fixed fake workspace (plain def tests)."""

from __future__ import annotations

import pytest
from ui_scenarios import SCENARIOS, Scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_screen(snap_compare, scenario: Scenario) -> None:
    assert snap_compare(scenario.app(), terminal_size=scenario.size, run_before=scenario.run_before)
