"""the classifier's name and a case's message receipt as text

``posts.classifier`` is the verdict's model names: with the transformers backend two hub ids
with their commits (``cardiffnlp/twitter-xlm-roberta-base-sentiment-multilingual@f2f1202b1bdd
+int8+...``), past 128 characters. PostgreSQL refused every classified post then, failing
every source's batch at every poll. Clipping it would cut off what tells two model pairs
apart (the second model and its commit come last), so it is text.

``cases.slack_channel`` and ``cases.slack_ts`` hold the sink's receipt: on the console, the
channel's name (up to 81 characters) and the alert's key, which holds the post's native id (a
web feed's is a URL). PostgreSQL refused the receipt after the alert was shown, so the alert
was shown again at every retry and the case's updates waited for a message that never counted
as out.

Revision ID: 0004_wide_names
Revises: 0003_post_version
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_wide_names"
down_revision = "0003_post_version"
branch_labels = None
depends_on = None

#: table -> {column: its old length}
COLUMNS = {
    "posts": {"classifier": 128},
    "cases": {"slack_channel": 64, "slack_ts": 32},
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    """Fails on PostgreSQL while a longer value is stored (as 0002's downgrade does)."""
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.String(length), existing_type=sa.Text())
