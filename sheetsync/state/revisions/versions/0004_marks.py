"""The notes and highlights sheetsync put on a ticket's cells (recorded once written)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("marks", sa.Text, nullable=False,
                                       server_default=sa.text("'{}'")))
