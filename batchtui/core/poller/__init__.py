"""The async polling scheduler: live jobs on their own schedules, bounded per profile."""

from batchtui.core.poller.feed import SnapshotFeed
from batchtui.core.poller.scheduler import (
    DiscoveredCallback,
    ErrorCallback,
    Poller,
    SleepFunction,
    SnapshotCallback,
)
from batchtui.core.poller.settings import PollSettings, ProfileStats

__all__ = [
    "DiscoveredCallback",
    "ErrorCallback",
    "PollSettings",
    "Poller",
    "ProfileStats",
    "SleepFunction",
    "SnapshotCallback",
    "SnapshotFeed",
]
