"""Crash-safe submission: the intent is recorded before any network call, each id as it exists.

The order (DESIGN.md "Job store and crash safety"): record the intent -> upload (OpenAI) and
record the file id -> mark creating -> create with no blind retry -> record the batch id. An
ambiguous create (5xx, 529, timeout, cut connection, or a cancelled task) is never sent again:
the intent goes to "unknown" and is settled by listing the provider's batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.clock import Clock
from batchtui.core.models import Capability
from batchtui.core.provider import (
    BatchtuiError,
    NetworkError,
    ProgressCallback,
    Provider,
    ProviderError,
    ServerError,
    SubmitOptions,
)
from batchtui.core.store import (
    DecisionKind,
    IntentRecord,
    IntentState,
    JobRecord,
    JobStore,
    reconcile_intent,
)

AMBIGUOUS = (ServerError, NetworkError)
"""Create failures after which the batch may exist at the provider."""

CRASH_ENV = "BATCHTUI_TEST_CRASH_AT"
"""Test-only: naming a step here kills the submitting process there (see `crash_point`)."""

CRASH_POINTS = ("recorded", "uploaded", "creating", "created")


def crash_point(step: str) -> None:
    """Test-only hook: die at once, as under SIGKILL, when BATCHTUI_TEST_CRASH_AT names ``step``.

    Steps: ``recorded`` (intent committed, nothing sent), ``uploaded`` (file id committed, no
    create sent), ``creating`` (create window opened, create not sent), ``created`` (the
    provider answered the create, its id not yet written). The crash-safety tests use it to
    stop a `batchtui submit` subprocess at an exact step; nothing else sets the variable.
    """
    if os.environ.get(CRASH_ENV) == step:
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(137)


def never_sent(exc: BaseException) -> bool:
    """Whether a failed call certainly never left this machine (no connection was opened).

    The adapters describe such failures as "cannot reach ..." (connect errors and timeouts,
    pool timeouts); an adapter may also set ``sent = False`` on the error.
    """
    if getattr(exc, "sent", None) is False:
        return True
    return isinstance(exc, NetworkError) and exc.message.startswith("cannot reach ")


def process_alive(pid: int | None) -> bool:
    """Whether a process with this id may still be running (True when it cannot be told)."""
    if not pid or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class SubmissionUnsettled(BatchtuiError):
    """A create failed ambiguously and the provider's list has not shown the batch yet."""


class DuplicateInput(BatchtuiError):
    """The same input already has a job on this profile; `--again` submits it anyway."""


@dataclass(frozen=True, slots=True)
class KeptPart:
    """One provider-ready input part, kept in the store: what was (or will be) submitted."""

    path: Path
    sha256: str
    requests: int
    bytes: int


def keep_part(store: JobStore, path: Path, sha256: str) -> Path:
    """Move a freshly written native part into the store's kept inputs, named by its hash."""
    target = store.inputs_dir / f"{sha256}.jsonl"
    if target.exists():
        path.unlink(missing_ok=True)
        return target
    try:
        os.replace(path, target)
    except OSError:  # another filesystem: copy through the store
        target = store.keep_input(path)
        path.unlink(missing_ok=True)
    return target


def options_of(intent: IntentRecord) -> SubmitOptions:
    """The create options kept with an intent."""
    data = intent.options or {}
    return SubmitOptions(
        endpoint=data.get("endpoint") or "/v1/chat/completions",
        completion_window=data.get("completion_window") or "24h",
        metadata=dict(data.get("metadata") or {}),
    )


async def send_intent(
    store: JobStore,
    provider: Provider,
    intent: IntentRecord,
    *,
    clock: Clock,
    progress: ProgressCallback | None = None,
) -> JobRecord:
    """Carry one recorded intent to the provider, committing each step before the next call."""
    local_id = intent.local_id
    if intent.input_path is None:
        raise BatchtuiError(f"submission {local_id} has no kept input")
    path = intent.input_path
    file_id = intent.input_file_id
    crash_point("recorded")
    if provider.capabilities & Capability.FILE_UPLOAD and not file_id:
        store.mark_uploading(local_id)
        try:
            file_id = await provider.upload_input(path, progress=progress)
        except (ProviderError, OSError) as exc:
            # No batch can exist without a create; an orphan file is at worst left behind.
            store.mark_failed(local_id, f"upload failed: {exc}")
            raise
        except asyncio.CancelledError:
            store.mark_abandoned(local_id, "interrupted during upload; nothing was created")
            raise
        store.mark_uploaded(local_id, file_id or "")
        crash_point("uploaded")
    store.mark_creating(local_id)
    crash_point("creating")
    try:
        job = await provider.create(path, input_file_id=file_id, options=options_of(intent))
    except AMBIGUOUS as exc:
        if never_sent(exc):
            store.mark_failed(local_id, f"create not sent: {exc}")
            raise
        store.mark_create_unknown(local_id, reason=str(exc))
        try:
            settled = await settle_intent(store, provider, local_id, clock=clock)
        except ProviderError as list_exc:
            raise SubmissionUnsettled(
                f"the create call failed ambiguously ({exc}) and the provider's list could not "
                f"be read ({list_exc}); the batch may exist. It is recorded as {local_id} and "
                "will be settled from the list later (`batchtui list --refresh`), never sent twice."
            ) from exc
        if settled is not None:
            return settled
        raise SubmissionUnsettled(
            f"the create call failed ambiguously ({exc}); the batch may exist. It is recorded "
            f"as {local_id} and will be settled from the provider's list, never sent twice."
        ) from exc
    except ProviderError as exc:
        store.mark_failed(local_id, str(exc))
        raise
    except asyncio.CancelledError:
        store.mark_create_unknown(local_id, reason="interrupted during create")
        raise
    crash_point("created")
    return store.mark_created(local_id, job)


async def list_recent(provider: Provider, *, limit: int = 200) -> list:
    """The provider's newest batches (enough to settle recent intents)."""
    jobs = []
    async for job in provider.list(page_size=100):
        jobs.append(job)
        if len(jobs) >= limit:
            break
    return jobs


async def settle_intent(
    store: JobStore,
    provider: Provider,
    local_id: str,
    *,
    clock: Clock,
    listed: list | None = None,
    min_idle_s: float = 0.0,
) -> JobRecord | None:
    """Look for the intent's batch in the provider's list; returns the job once it is known.

    An intent whose create was never sent is abandoned (nothing can exist) once the process
    that last moved it is gone, or once it has been idle ``min_idle_s`` seconds, so a
    submission still running in another process is not cut off.
    """
    intent = store.get_intent(local_id)
    if intent is None or intent.state is IntentState.CREATED:
        return store.get(local_id)
    jobs = listed if listed is not None else await list_recent(provider)
    listed_since = None
    if len(jobs) >= 200 and jobs:
        listed_since = min((j.times.created_at for j in jobs if j.times.created_at), default=None)
    decision = reconcile_intent(
        intent,
        jobs,
        clock.now(),
        known_ids=store.claimed_batch_ids(intent.profile),
        listed_since=listed_since,
    )
    if decision.kind is DecisionKind.NOT_SENT:
        age = clock.time() - intent.updated_at.timestamp()
        if age < min_idle_s and process_alive(intent.pid):
            return None  # maybe still in flight in another process: leave it alone
        store.mark_abandoned(local_id, "interrupted before the create call; nothing was created")
        return store.get(local_id)
    return store.apply_decision(local_id, decision)


async def reconcile_profile(
    store: JobStore,
    provider: Provider,
    profile: str,
    *,
    clock: Clock,
    on_change: Callable[[JobRecord], None] | None = None,
    skip: frozenset[str] | set[str] = frozenset(),
    min_idle_s: float = 30.0,
) -> list[JobRecord]:
    """Settle every unsettled intent of a profile (after a crash); returns jobs that changed."""
    intents = [i for i in store.unsettled_intents(profile) if i.local_id not in skip]
    if not intents:
        return []
    listed = None
    if any(i.state.create_maybe_sent for i in intents):
        listed = await list_recent(provider)
    changed = []
    for intent in intents:
        record = await settle_intent(
            store,
            provider,
            intent.local_id,
            clock=clock,
            listed=listed or [],
            min_idle_s=min_idle_s,
        )
        if record is not None:
            changed.append(record)
            if on_change is not None:
                on_change(record)
    return changed


def remove_quietly(path: Path) -> None:
    """Delete a staging file, ignoring one already gone."""
    with contextlib.suppress(OSError):
        path.unlink()
