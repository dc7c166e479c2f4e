"""The one place where a failed worker becomes a notification instead of a crash."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.markup import escape
from textual.worker import Worker, WorkerState

from batchtui.core.budget import BudgetExceeded
from batchtui.core.provider import BatchtuiError, ProviderError


def error_title(error: BaseException) -> str:
    """A short title for a notification about `error`."""
    if isinstance(error, ProviderError):
        name = type(error).__name__.removesuffix("Error") or "Provider"
        return f"{error.provider} {name.lower()} error".strip()
    if isinstance(error, BudgetExceeded):
        return "Over budget: nothing was sent"
    if isinstance(error, BatchtuiError):
        return "batchtui"
    return type(error).__name__


def error_text(error: BaseException) -> str:
    """The user-facing text of `error`, escaped for markup (keeps message and request id)."""
    return escape(str(error) or type(error).__name__)


def report_worker_state(node: DOMNode, worker: Worker, state: WorkerState) -> None:
    """Notify the user when `worker` ended in error; other states are ignored."""
    if state is not WorkerState.ERROR or worker.error is None:
        return
    what = worker.description or worker.name or worker.group
    node.app.notify(
        error_text(worker.error),
        title=escape(f"{error_title(worker.error)} ({what})"),
        severity="error",
        timeout=8,
    )
