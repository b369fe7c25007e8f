"""Alembic environment: the engine comes from the caller (``monitor.db.upgrade``)."""

from __future__ import annotations

from alembic import context

from monitor.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
