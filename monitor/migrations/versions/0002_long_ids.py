"""platform ids, handles, URLs and outbox keys as text

A web feed's post id is its feed URL and entry id (or the entry's link), often longer than 128
characters; PostgreSQL refused such a row, which failed the whole batch at every poll. Text
has no length limit (SQLite never enforced one) and costs PostgreSQL no more than varchar.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: table -> {column: its old length}
COLUMNS = {
    "authors": {"native_id": 128, "handle": 256, "display_name": 512},
    "posts": {
        "native_id": 128,
        "url": 2048,
        "in_reply_to": 128,
        "repost_of": 128,
        "conversation_id": 128,
    },
    "outbox": {"key": 255, "target": 255},
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.String(length), existing_type=sa.Text())
