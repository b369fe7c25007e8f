"""Alembic environment: the engine comes from the caller (``monitor.db.upgrade``).

On SQLite a migration that alters a column rebuilds its table (``render_as_batch``): copy,
``DROP TABLE``, rename. With foreign keys enforced, as :mod:`monitor.db` turns them on for
every connection, that drop deletes or refuses the rows that point at the table: a database
holding cases failed to migrate ("FOREIGN KEY constraint failed"), one holding only posts lost
its entity matches. So foreign keys are off while migrating (SQLite ignores the pragma inside
a transaction: it is set before one begins), checked before the migration commits, and back
on after it, whatever happened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from monitor.errors import StorageError
from monitor.models import Base

#: Any fixed number: the PostgreSQL advisory lock that one migration at a time holds.
MIGRATION_LOCK = 0x7277_6D67

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    # on the driver's connection: through SQLAlchemy's, the pragma would begin a transaction
    # (BEGIN IMMEDIATE) first, inside which SQLite ignores it
    raw = connection.connection.driver_connection
    if sqlite:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # daemons starting together on a new database: the second waits, then finds
                # the schema at head (SQLite's write lock already serialises them)
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:  # rolled back: the database is left as it was
                    tables = sorted({str(row[0]) for row in broken})
                    raise StorageError(
                        f"migration left {len(broken)} rows pointing at rows that are gone "
                        f"(in {', '.join(tables)}); nothing was changed"
                    )
    finally:
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
