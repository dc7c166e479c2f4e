"""Settings for one emulator instance: seed, timings, failure rate, auth and faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchtui.core.clock import Clock

MB = 1024 * 1024


@dataclass
class EmulatorConfig:
    """How the emulator behaves; every field has a default that mimics the real APIs, scaled."""

    seed: int = 0
    job_seconds: float = 5.0
    expire_seconds: float = 86400.0
    fail_rate: float = 0.0
    api_key: str | None = None
    faults: str = ""
    clock: Clock | None = None
    # Extras beyond the shared contract (all optional):
    validate_share: float = 0.1  # share of job_seconds spent in OpenAI `validating`
    finalize_share: float = 0.1  # share of job_seconds spent in OpenAI `finalizing`
    cancel_seconds: float | None = None  # cancelling -> cancelled delay; None = 10% of job_seconds
    cancel_terminal_error: bool = False  # cancel of a terminal batch: 400 instead of unchanged
    openai_max_file_bytes: int = 200 * MB  # batch input cap ("File is too large.")
    openai_max_tasks: int = 50_000
    anthropic_max_body_bytes: int = 256 * MB  # create body cap (413 request_too_large)
    anthropic_max_requests: int = 100_000
    file_retention_seconds: float = 30 * 86400.0  # OpenAI batch files expire after 30 days
    results_retention_seconds: float = 29 * 86400.0  # Anthropic archived_at after 29 days
    # OpenAI per-model enqueued-token limit of the organization: a batch whose prompt tokens
    # with those of the model's unfinished batches top it fails validation with
    # `token_limit_exceeded` (line null). None: no limit.
    enqueued_token_limit: int | None = None
    organization: str = "org-emulator"
    # Webhooks: when both are set, a signed event is POSTed to webhook_url (``{provider}`` in
    # it is replaced by the half's name) as each job ends (batchtui.emulator.webhooks).
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_interval: float = 0.05  # how often ended jobs are looked for, in seconds
