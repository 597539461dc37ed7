"""Whether a ticket's ID has been read back from the sheet (IDs given out but never written
are found again by their row; others never move to another row)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("in_sheet", sa.Integer, nullable=False,
                                       server_default=sa.text("1")))
