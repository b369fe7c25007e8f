"""One scheduler leader per database: a lease row that the running leader keeps renewing.

Any number of daemons may share one PostgreSQL; only the holder of the ``scheduler`` lease
polls sources, so nothing is fetched twice. A leader that dies stops renewing, and another
daemon takes over once the lease has expired. Outbox rows have their own per-row leases
(:mod:`monitor.outbox`), timed the same way.

Two daemons started together against an empty table both find no row and both insert it; on
PostgreSQL the second insert waits for the first transaction and then fails on the primary key.
That insert runs in a SAVEPOINT, so the loser rolls back only the insert, reads the row the
winner committed and decides on it as usual; its caller's transaction stays usable. (SQLite
takes the write lock at ``BEGIN IMMEDIATE``, so there the second daemon simply waits and finds
the row.)

Lease times are the database's on PostgreSQL (callers pass :func:`monitor.db.shared_now` in
as ``now``): daemons on hosts whose clocks disagree by more than the lease's slack (its TTL
less the renewal period) would otherwise both lead, one reading the other's lease as expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.models import LeaderLease

__all__ = ["release", "try_lead"]


def try_lead(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; ``False`` if someone else holds it.

    Runs in the caller's transaction; the caller commits. On PostgreSQL the row is locked so
    two daemons deciding at the same moment cannot both win. A first lease row inserted by
    someone else while we inserted ours (ours fails on the primary key) is read and decided on
    like any other: a concurrent insert is a lost race, not an error. The winner may be
    another thread of the same daemon (its poll jobs all start at once); then ``holder``
    renews what it holds.
    """
    query = select(LeaderLease).where(LeaderLease.name == name).with_for_update()
    lease = session.scalar(query)
    if lease is None:
        try:
            with session.begin_nested():  # a SAVEPOINT: losing the race keeps our transaction
                session.add(LeaderLease(name=name, holder=holder, lease_until=now + ttl))
            return True
        except IntegrityError:
            lease = session.scalar(query)  # the winner's row, committed before our insert failed
            if lease is None:  # above READ COMMITTED our snapshot predates it: not ours
                return False
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
