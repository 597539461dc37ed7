"""Each escalated ticket's escalation level (L1-L3), so raising it is a transition."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import insertion_order, key

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "levels",
        key("ticket_id"),
        sa.Column("level", sa.Text, nullable=False),
        *insertion_order())
