"""One scheduler leader per database: a lease row that the running leader keeps renewing.

Any number of daemons may share one PostgreSQL; only the holder of the ``scheduler`` lease
polls sources, so nothing is fetched twice. A leader that dies stops renewing, and another
daemon takes over once the lease has expired. Outbox rows have their own per-row leases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import LeaderLease

__all__ = ["release", "try_lead"]


def try_lead(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; ``False`` if someone else holds it.

    Runs in the caller's transaction; the caller commits. On PostgreSQL the row is locked so
    two daemons deciding at the same moment cannot both win.
    """
    lease = session.scalar(select(LeaderLease).where(LeaderLease.name == name).with_for_update())
    if lease is None:
        session.add(LeaderLease(name=name, holder=holder, lease_until=now + ttl))
        session.flush()  # a concurrent insert fails here on the primary key: we are not leader
        return True
    if lease.holder != holder and lease.lease_until > now:
        return False
    lease.holder = holder
    lease.lease_until = now + ttl
    return True


def release(session: Session, *, name: str, holder: str, now: datetime) -> None:
    """Give the lease up on a clean stop, so a restarted daemon leads at once."""
    lease = session.get(LeaderLease, name)
    if lease is not None and lease.holder == holder:
        lease.lease_until = now
