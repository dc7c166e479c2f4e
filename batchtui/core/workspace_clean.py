"""Provider file hygiene for the Workspace: plan what to delete, then delete and record it."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from batchtui.core.models import Capability
from batchtui.core.provider import BatchtuiError, NotFoundError, ProviderError
from batchtui.core.workspace_base import WorkspaceContext

if TYPE_CHECKING:
    from batchtui.core.clean import CleanPlan, CleanReport


class Hygiene:
    """`clean_plan` lists what may be deleted at the providers; `clean` deletes it."""

    def __init__(self, ctx: WorkspaceContext) -> None:
        self.ctx = ctx

    def clean_plan(self, profile: str | None = None) -> CleanPlan:
        """What `clean` would delete (nothing whose results are not fully cached here).

        Profiles without a key are left out (nothing could be deleted there).
        """
        from batchtui.core.clean import plan

        names = [self.ctx.profile(profile).name] if profile else self.ctx.usable_profiles()
        capabilities: dict[str, tuple[bool, bool]] = {}
        for name in names:
            caps = self._deletes(name)
            if caps is not None:
                capabilities[name] = caps
        records = [r for r in self.ctx.store.list_jobs() if r.profile in capabilities]
        records.reverse()  # oldest first
        return plan(records, capabilities)

    async def clean(self, cleaning: CleanPlan) -> CleanReport:
        """Delete every item of a plan at its provider and record each deletion on its job.

        Something already gone at the provider (404) counts as deleted. An item is checked
        again just before it goes: a job whose results are no longer fully cached is skipped.
        Failures are collected with the provider's message; the rest carry on.
        """
        from batchtui.core.clean import CleanReport, job_items

        report = CleanReport()
        for item in cleaning.items:
            record = self.ctx.store.get(item.local_id)
            caps = self._deletes(item.profile)
            current = (
                job_items(record, can_delete_files=caps[0], can_delete_job=caps[1])
                if record is not None and caps is not None
                else []
            )
            if item not in current:
                report.failed.append((item, "no longer safe to delete; skipped"))
                continue
            provider = self.ctx.provider(item.profile)
            try:
                if item.kind == "batch":
                    await provider.delete_job(item.target)
                else:
                    await provider.delete_file(item.target)
            except NotFoundError:
                pass  # already gone: nothing left to delete
            except (ProviderError, BatchtuiError) as exc:
                report.failed.append((item, str(exc)))
                continue
            with contextlib.suppress(BatchtuiError):
                if item.kind == "batch":
                    updated = self.ctx.store.mark_cleaned(item.local_id, batch=True)
                else:
                    updated = self.ctx.store.mark_cleaned(
                        item.local_id, file_id=item.target, role=item.role
                    )
                self.ctx.emit(updated)
            report.deleted.append(item)
        return report

    def _deletes(self, profile: str) -> tuple[bool, bool] | None:
        """(can delete files, can delete jobs) of a profile's adapter; None without a key."""
        try:
            caps = self.ctx.provider(profile).capabilities
        except BatchtuiError:
            return None
        return bool(caps & Capability.DELETE_FILES), bool(caps & Capability.DELETE_JOB)
