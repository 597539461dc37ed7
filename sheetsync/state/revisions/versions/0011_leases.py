"""The lease: which replica runs cycles and sends effects, until when (seconds since the
epoch on the database's own clock, so the replicas' clocks need not agree)."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import insertion_order, key

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "leases",
        key("name"),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires", sa.DOUBLE_PRECISION, nullable=False),
        *insertion_order())
