"""The first schema: the store's facts, ticket snapshots, cycles, transitions, the outbox,
job runs."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import counter, insertion_order, key

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table("meta", key("key"),
                    sa.Column("value", sa.Text, nullable=False), *insertion_order())
    op.create_table(
        "tickets",
        key("ticket_id"),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("row_hash", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),  # JSON: the tracked fields, canonical
        sa.Column("present", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Text, nullable=False),
        *insertion_order())
    op.create_table(
        "cycles",
        counter("id"),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("new_tickets", sa.Integer, nullable=False),
        sa.Column("transitions", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("effects", sa.Integer, nullable=False),
        *insertion_order())
    op.create_table(
        "transitions",
        counter("id"),
        sa.Column("ticket_id", sa.Text, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("observed_at", sa.Text, nullable=False),
        sa.Column("cycle_id", sa.Integer, sa.ForeignKey("cycles.id"), nullable=False),
        *insertion_order())
    op.create_index("transitions_by_ticket", "transitions", ["ticket_id", "id"])
    op.create_index("transitions_by_time", "transitions", ["observed_at"])
    op.create_table(
        "effects",
        key("key"),  # says what the effect is for
        sa.Column("kind", sa.Text, nullable=False),  # slack.message, clickup.task, ...
        sa.Column("ticket_id", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),  # JSON
        sa.Column("status", sa.Text, sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')"), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        sa.Column("result", sa.Text),  # JSON: what the service answered (ts, task id)
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("cycle_id", sa.Integer, sa.ForeignKey("cycles.id"), nullable=False),
        *insertion_order())
    op.create_index("effects_by_status", "effects", ["status", "created_at"])
    op.create_table(
        "job_runs",
        sa.Column("job", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        *insertion_order())
    if op.get_bind().dialect.name == "postgresql":  # SQLite's is PRAGMA user_version
        op.create_table("schema_version", sa.Column("version", sa.Integer),
                        *insertion_order())
