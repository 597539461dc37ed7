"""Tickets moved to the archive tab (archived, not deleted)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("archived", sa.Integer, nullable=False,
                                       server_default=sa.text("0")))
