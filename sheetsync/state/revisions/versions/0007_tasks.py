"""The ClickUp task each ticket follows, created by sheetsync or typed by a person."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import insertion_order, key

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "tasks",
        key("ticket_id"),
        sa.Column("task_id", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.Text),
        sa.Column("closed", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("found", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("written", sa.Integer, nullable=False, server_default=sa.text("0")),
        *insertion_order())
