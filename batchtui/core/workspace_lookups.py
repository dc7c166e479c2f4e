"""Finding jobs: a fresh snapshot from the provider, and adopting a batch made elsewhere."""

from __future__ import annotations

import contextlib

from batchtui.core.config import ConfigError
from batchtui.core.provider import BatchtuiError, NotFoundError, ProviderError
from batchtui.core.registry import provider_spec
from batchtui.core.store import JobRecord
from batchtui.core.workspace_base import WorkspaceContext
from batchtui.core.workspace_money import Money


class Lookups:
    """Jobs by id, fresh from the provider when asked; ids the store lacks are adopted."""

    def __init__(self, ctx: WorkspaceContext, money: Money) -> None:
        self.ctx = ctx
        self.money = money

    async def refresh(self, ident: str, profile: str | None = None) -> JobRecord:
        """A fresh snapshot from the provider (adopting a provider id the store lacks)."""
        record = self.ctx.store.get(ident)
        if record is None:
            return await self.adopt(ident, profile)
        if not record.id:
            return record
        if (record.cleaned or {}).get("batch"):
            return record  # deleted at the provider by `clean`: the stored snapshot is final
        job = await self.ctx.provider(record.profile).get(record.id)
        record = self.ctx.remember(job, record.profile)
        return await self.money.cost_when_terminal(record)

    async def resolve(self, ident: str, profile: str | None = None) -> JobRecord:
        """The stored job for an id, adopting a provider id the store does not know yet."""
        record = self.ctx.store.get(ident)
        if record is not None:
            return record
        return await self.adopt(ident, profile)

    async def adopt(self, batch_id: str, profile: str | None = None) -> JobRecord:
        """Fetch a batch created elsewhere and add it to the store.

        Every usable profile is asked (the provider the id looks like first). When none has
        it, the provider's own error is raised: NotFoundError when every profile answered
        404, else the first other failure (a wrong key, an unreachable server).
        """
        if profile:
            names = [self.ctx.profile(profile).name]
        else:
            names = self.ctx.usable_profiles()
            if not names:
                raise ConfigError(
                    f"no job {batch_id} in the local store, and no profile has an API key "
                    "to look for it at a provider"
                )

        def owns(name: str) -> bool:
            prefix = provider_spec(self.ctx.config.profile(name).provider).id_prefix
            return prefix is not None and batch_id.startswith(prefix)

        names.sort(key=lambda n: not owns(n))
        failures: list[ProviderError] = []
        for name in names:
            try:
                job = await self.ctx.provider(name).get(batch_id)
            except ProviderError as exc:
                failures.append(exc)
                continue
            return self.ctx.remember(job, name)
        others = [e for e in failures if not isinstance(e, NotFoundError)]
        if others:
            raise others[0]
        first = failures[0]
        where = ", ".join(names)
        raise NotFoundError(
            f"no job {batch_id} in the local store or at profile(s) {where}: {first.message}",
            provider=first.provider,
            status_code=first.status_code,
            request_id=first.request_id,
            error_type=first.error_type,
        )

    async def fresh(self, record: JobRecord) -> JobRecord:
        """A live job refreshed from the provider (the stored one when that fails)."""
        if record.id and not record.is_terminal:
            with contextlib.suppress(BatchtuiError):
                return await self.refresh(record.local_id)
        return record
