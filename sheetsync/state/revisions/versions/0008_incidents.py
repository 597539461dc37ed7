"""Incidents (many sellers, one problem) and the tickets in each."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import counter, insertion_order, key

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "incidents",
        counter("number"),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("opened_at", sa.Text, nullable=False),
        sa.Column("last_at", sa.Text, nullable=False),
        sa.Column("sellers", sa.Text, nullable=False),  # JSON: keyed hashes, never numbers
        *insertion_order())
    op.create_table(
        "incident_tickets",
        key("ticket_id"),
        sa.Column("number", sa.Integer, sa.ForeignKey("incidents.number"), nullable=False),
        sa.Column("joined_at", sa.Text, nullable=False),
        *insertion_order())
