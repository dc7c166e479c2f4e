"""Poll leases and the change feed: what lets several processes (a team's machines) share
one store without each polling every job."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from batchtui.core.store.base import StoreBase
from batchtui.core.store.records import JobRecord

_CHUNK = 500


class LeasesMixin(StoreBase):
    """Which process polls which job, and which jobs other processes changed."""

    def claim_polls(self, local_ids: Sequence[str], owner: str, lease_s: float) -> set[str]:
        """Of these jobs, those ``owner`` may poll for the next ``lease_s`` seconds: free ones,
        its own (renewed) and those whose lease ran out. Rows another claimer holds locked
        are skipped, not waited for (``FOR UPDATE SKIP LOCKED`` on a team store)."""
        now = self._now()
        until = now + lease_s
        claimed: set[str] = set()
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.shared else ""
        for start in range(0, len(local_ids), _CHUNK):
            chunk = list(local_ids[start : start + _CHUNK])
            marks = ", ".join("?" for _ in chunk)
            with self._tx(exclusive=False) as c:
                rows = c.execute(
                    "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE local_id IN ("
                    f"SELECT local_id FROM jobs WHERE local_id IN ({marks}) AND "
                    "(lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL "
                    f"OR lease_until < ?){skip_locked}) RETURNING local_id",
                    (owner, until, *chunk, owner, now),
                ).fetchall()
            claimed.update(row["local_id"] for row in rows)
        return claimed

    def release_polls(self, owner: str) -> int:
        """Give up every lease ``owner`` holds (a dashboard closing); returns how many. Like
        claims, it never waits on a row another transaction holds, so it cannot deadlock with
        a write."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.shared else ""
        with self._tx(exclusive=False) as c:  # a row locked now keeps its lease till it ends
            rows = c.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE local_id IN ("
                f"SELECT local_id FROM jobs WHERE lease_owner = ?{skip_locked}) "
                "RETURNING local_id",
                (owner,),
            ).fetchall()
        return len(rows)

    def changed_since(self, since: float) -> list[JobRecord]:
        """Jobs whose row moved (``updated_at``) after ``since``, oldest change first."""
        return self._jobs("j.updated_at > ?", [since], "j.updated_at", brief=True)

    def changes(self) -> Iterator[str] | None:
        """Local ids of jobs other processes change, as they change (a blocking iterator
        that also yields ``""`` about once a second), or None when the store cannot tell
        (SQLite: read `changed_since` instead)."""
        return self._db.listen()
