"""Follow-ups people scheduled (a Follow-up Date), for reminders on the clock."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import insertion_order, key

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "followups",
        key("ticket_id"),
        sa.Column("due", sa.Text, nullable=False),
        sa.Column("assignee", sa.Text),
        *insertion_order())
