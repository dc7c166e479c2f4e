"""Crash-safe submission: the intent is recorded before any network call, each id as it exists.

The order (docs/ARCHITECTURE.md "Job store and crash safety"): record the intent -> upload
(OpenAI, sent again after ambiguous failures, each send counted) and record the file id -> mark
creating ->
create with no blind retry -> record the batch id. An ambiguous create (5xx, 529, timeout, cut
connection, or a cancelled task) is never sent again before looking: the intent goes to
"unknown" and is settled by listing the provider's batches; only when two looks a pause apart
agree that nothing was made is it sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from batchtui.core.clock import Clock
from batchtui.core.models import BatchJob, Capability
from batchtui.core.paths import machine_name
from batchtui.core.provider import (
    BatchtuiError,
    NetworkError,
    ProgressCallback,
    Provider,
    ProviderError,
    ServerError,
    SubmissionUnsettled,
    SubmitOptions,
)
from batchtui.core.store import (
    Decision,
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


FOREIGN_IDLE_S = 600.0
"""How long a submission made on another machine (a team store) may sit before its create
without moving before another machine abandons it: its process cannot be probed from here,
and an upload of a large input over a slow link can take minutes."""


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
        endpoint=data.get("endpoint") or None,
        completion_window=data.get("completion_window") or None,
        model=data.get("model") or None,
        metadata=dict(data.get("metadata") or {}),
    )


DEFAULT_SETTLE_PAUSE_S = 3.0
"""Seconds between the two looks at the provider's list after an ambiguous create."""

MAX_CREATES = 10
"""At most this many create calls for one submission (each after two looks found nothing)."""


def _intent(store: JobStore, local_id: str) -> IntentRecord:
    intent = store.get_intent(local_id)
    if intent is None:
        raise BatchtuiError(f"submission {local_id} is not in the job store")
    return intent


def _count_upload(store: JobStore, local_id: str) -> None:
    store.note_upload_sent(local_id)


def upload_name(local_id: str) -> str:
    """The file name a submission's input is uploaded under: unique to the submission, so the
    files that a repeated upload may have left can be found by name."""
    return f"batchtui-{local_id}.jsonl"


async def send_intent(
    store: JobStore,
    provider: Provider,
    intent: IntentRecord,
    *,
    clock: Clock,
    progress: ProgressCallback | None = None,
    settle_pause_s: float = DEFAULT_SETTLE_PAUSE_S,
    budget_s: float = 60.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JobRecord:
    """Carry one recorded intent to the provider, committing each step before the next call.

    An upload answered 5xx/529, timed out or cut is sent again by the adapter (each send
    counted); files the batch does not use are deleted once it exists. A create answered
    ambiguously is settled by two looks at the provider's list ``settle_pause_s`` apart: a
    batch found is the submission's; when both looks agree that none was made, the create is
    sent again, while ``budget_s`` seconds have not passed since the first one.
    """
    local_id = intent.local_id
    if intent.input_path is None:
        raise BatchtuiError(f"submission {local_id} has no kept input")
    path = intent.input_path
    file_id = intent.input_file_id
    crash_point("recorded")
    if provider.capabilities & Capability.FILE_UPLOAD and not file_id:
        file_id = await _upload(store, provider, local_id, path, progress)
        crash_point("uploaded")
    started = clock.time()
    while True:
        store.mark_creating(local_id)
        crash_point("creating")
        try:
            job = await provider.create(path, input_file_id=file_id, options=options_of(intent))
        except AMBIGUOUS as exc:
            if never_sent(exc):
                store.mark_failed(local_id, f"create not sent: {exc}")
                raise
            store.mark_create_unknown(local_id, reason=str(exc))
            settled = await _look_twice(
                store, provider, local_id, exc, clock=clock, pause_s=settle_pause_s, sleep=sleep
            )
            if settled is not None:
                record = settled
                break
            sent = _intent(store, local_id).creates_sent
            if sent >= MAX_CREATES or clock.time() - started > budget_s:
                store.mark_failed(
                    local_id,
                    f"create failed {sent} times and the provider's list shows no batch: {exc}",
                )
                raise
            continue
        except ProviderError as exc:
            store.mark_failed(local_id, str(exc))
            raise
        except asyncio.CancelledError:
            store.mark_create_unknown(local_id, reason="interrupted during create")
            raise
        crash_point("created")
        record = store.mark_created(local_id, job)
        break
    await drop_stray_uploads(store, provider, local_id, keep=file_id)
    return store.get(local_id) or record


async def _upload(
    store: JobStore,
    provider: Provider,
    local_id: str,
    path: Path,
    progress: ProgressCallback | None,
) -> str | None:
    """Upload the input (sent again by the adapter after ambiguous failures, each send
    counted in the store) and record the file id."""
    store.mark_uploading(local_id)
    try:
        file_id = await provider.upload_input(
            path,
            progress=progress,
            name=upload_name(local_id),
            on_attempt=lambda _n: _count_upload(store, local_id),
        )
    except (BatchtuiError, OSError) as exc:
        # No batch can exist without a create; files a send may have left are deleted. (A
        # BatchtuiError here is the adapter's "cannot read" or "changed while sent", e.g. a
        # kept input that is on another machine of a team store.)
        store.mark_failed(local_id, f"upload failed: {exc}")
        with contextlib.suppress(ProviderError):
            await drop_stray_uploads(store, provider, local_id, keep=None)
        raise
    except asyncio.CancelledError:
        store.mark_abandoned(local_id, "interrupted during upload; nothing was created")
        raise
    store.mark_uploaded(local_id, file_id or "")
    return file_id


async def drop_stray_uploads(
    store: JobStore, provider: Provider, local_id: str, *, keep: str | None
) -> list[str]:
    """Delete the files a repeated upload left at the provider (all but ``keep``); those that
    cannot be deleted stay on the job for `clean`. Returns the ids still left.

    Nothing is asked of the provider unless an upload was sent more than once (or sent and
    failed, ``keep`` None).
    """
    intent = store.get_intent(local_id)
    if intent is None or intent.uploads_sent < (2 if keep else 1):
        return []
    try:
        found = await provider.find_uploads(upload_name(local_id))
    except ProviderError as exc:
        store.log_event(
            local_id, "upload", f"could not list the files a repeated upload may have left: {exc}"
        )
        return []
    left = []
    for file_id in found:
        if file_id == keep:
            continue
        try:
            await provider.delete_file(file_id)
        except ProviderError as exc:
            left.append(file_id)
            store.log_event(local_id, "upload", f"could not delete unused upload {file_id}: {exc}")
    store.set_stray_files(local_id, left)
    return left


async def _look_twice(
    store: JobStore,
    provider: Provider,
    local_id: str,
    failure: ProviderError,
    *,
    clock: Clock,
    pause_s: float,
    sleep: Callable[[float], Awaitable[None]],
) -> JobRecord | None:
    """Settle an ambiguous create: the job when the list shows its batch, None when two looks
    ``pause_s`` apart agree that none was made. Raises SubmissionUnsettled when the list
    cannot be read or does not reach back past the create's window."""
    for look in (1, 2):
        if look == 2:
            await sleep(pause_s)
        try:
            decision = await _look(store, provider, local_id, clock)
        except ProviderError as exc:
            raise SubmissionUnsettled(
                f"submission {local_id}: the create failed ambiguously ({failure}) and the "
                f"provider's list could not be read ({exc}); the batch may exist: "
                "`batchtui list` settles it (it is never sent twice)"
            ) from failure
        if decision.kind is DecisionKind.MATCHED:
            return store.apply_decision(local_id, decision)
        if decision.kind is not DecisionKind.ABANDON:
            raise SubmissionUnsettled(
                f"submission {local_id}: the create failed ambiguously ({failure}) and "
                f"{decision.reason}; the batch may exist: `batchtui list` settles it "
                "(it is never sent twice)"
            ) from failure
    return None


async def _look(store: JobStore, provider: Provider, local_id: str, clock: Clock) -> Decision:
    """One look at the provider's list for an intent whose create just failed (no grace:
    this process knows the create is no longer in flight)."""
    intent = _intent(store, local_id)
    jobs = await list_recent(provider)
    return reconcile_intent(
        intent,
        jobs,
        clock.now(),
        grace_s=0.0,
        known_ids=store.claimed_batch_ids(intent.profile),
        listed_since=_listed_since(jobs),
    )


def _listed_since(jobs: list[BatchJob]) -> datetime | None:
    """How far back a capped list reaches (None: it holds every batch)."""
    if len(jobs) < LIST_CAP:
        return None
    return min((j.times.created_at for j in jobs if j.times.created_at), default=None)


LIST_CAP = 200
"""How many of the provider's newest batches one settling look reads."""


async def list_recent(provider: Provider, *, limit: int = LIST_CAP) -> list[BatchJob]:
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
    listed: list[BatchJob] | None = None,
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
    decision = reconcile_intent(
        intent,
        jobs,
        clock.now(),
        known_ids=store.claimed_batch_ids(intent.profile),
        listed_since=_listed_since(jobs),
    )
    if decision.kind is DecisionKind.NOT_SENT:
        age = clock.time() - intent.updated_at.timestamp()
        here = intent.host is None or intent.host == machine_name()
        if here:
            wait = min_idle_s if process_alive(intent.pid) else 0.0
        else:  # another machine's process cannot be probed: it may be mid-upload
            wait = max(min_idle_s, FOREIGN_IDLE_S)
        if age < wait:
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
