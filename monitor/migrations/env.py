"""Alembic environment: the engine comes from the caller (``monitor.db.upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from monitor.models import Base

#: Any fixed number: the PostgreSQL advisory lock that one migration at a time holds.
MIGRATION_LOCK = 0x7277_6D67

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # daemons starting together on a new database: the second waits, then finds the
        # schema at head (SQLite's write lock already serialises them)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
