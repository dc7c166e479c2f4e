"""Per-profile polling settings and the statistics the poller reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How one profile is polled: cadence, concurrency, discovery and request budget.

    A job's interval is ``clamp(min_interval_s, age * age_factor, max_interval_s)``, where age
    counts from its submission, so a fresh job is polled every couple of seconds and a job of
    twenty minutes or more once a minute (with the defaults).
    """

    min_interval_s: float = 2.0
    max_interval_s: float = 60.0
    age_factor: float = 0.05
    max_concurrency: int = 4
    list_interval_s: float | None = 300.0
    """Seconds between discovery list calls; None turns discovery off."""
    list_limit: int = 100
    """At most this many jobs are read from the provider's list per discovery pass."""
    list_page_size: int = 100
    list_overlap_s: float = 600.0
    """After the first pass, a pass stops at jobs created this long before the previous pass."""
    sweep_min_jobs: int | None = 50
    """From this many tracked jobs on, due jobs are refreshed by reading the provider's list
    (one request per page of ``list_page_size`` jobs) instead of one request each; None: never.
    A job the list does not show is polled on its own from then on."""
    sweep_page_cost: float = 3.0
    """What reading one list page costs, in single polls: a sweep reads only as deep as the
    due jobs on its pages pay for, and a due job deeper down is polled on its own."""
    sweep_early: float = 0.25
    """A job within this last fraction of its interval joins a sweep that reads its page, so
    jobs refreshed by one sweep stay together for the next."""
    max_requests_per_minute: int | None = None
    """Cap on provider requests per minute for the profile; polls wait when it is reached."""
    error_backoff_base_s: float = 2.0
    error_backoff_max_s: float = 300.0
    max_retry_after_s: float = 900.0
    """A provider's Retry-After beyond this is clamped (guards against nonsense values)."""

    def __post_init__(self) -> None:
        if self.min_interval_s <= 0:
            raise ValueError("min_interval_s must be positive")
        if self.max_interval_s < self.min_interval_s:
            raise ValueError("max_interval_s must be at least min_interval_s")
        if self.age_factor < 0:
            raise ValueError("age_factor must not be negative")
        if self.sweep_min_jobs is not None and self.sweep_min_jobs < 1:
            raise ValueError("sweep_min_jobs must be at least 1 (or None)")
        if self.sweep_page_cost < 0:
            raise ValueError("sweep_page_cost must not be negative")
        if not 0 <= self.sweep_early < 1:
            raise ValueError("sweep_early must be in [0, 1)")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.list_interval_s is not None and self.list_interval_s <= 0:
            raise ValueError("list_interval_s must be positive or None")
        if self.list_limit < 1 or self.list_page_size < 1:
            raise ValueError("list_limit and list_page_size must be at least 1")
        if self.max_requests_per_minute is not None and self.max_requests_per_minute < 1:
            raise ValueError("max_requests_per_minute must be at least 1 or None")
        if self.error_backoff_base_s <= 0 or self.error_backoff_max_s < self.error_backoff_base_s:
            raise ValueError("error backoff must be positive and base <= max")

    def interval_for_age(self, age_s: float) -> float:
        """Seconds until the next poll of a job that is ``age_s`` seconds old."""
        return min(self.max_interval_s, max(self.min_interval_s, age_s * self.age_factor))

    def error_backoff(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure of one job."""
        exponent = min(max(failures - 1, 0), 30)
        return min(self.error_backoff_max_s, self.error_backoff_base_s * 2.0**exponent)


@dataclass(frozen=True, slots=True)
class ProfileStats:
    """A point-in-time view of one profile's polling, for status lines and benchmarks."""

    profile: str
    live: bool
    tracked: int
    in_flight: int
    requests_last_minute: int
    requests_total: int
    errors_total: int
    snapshots_total: int
    blocked_until: float | None
    """Clock time until which Retry-After (or the request cap) holds the profile back."""
    next_due: float | None
    """Clock time of the profile's next scheduled request, if any."""
    last_list_at: float | None
