"""posts.version: the version of an edited post stored, so an older one never replaces it

X gives each edit of a post an id of its own, and pages newest first: a later edit can be read
before an earlier one (page 1, then page 2), or an earlier one brought in again by a retweet.
Without the stored version the pipeline could not tell them apart, and applied whichever came
last. Rows stored before this revision have none and count as their post's first version.

Revision ID: 0003_post_version
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_post_version"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("version", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("version")
