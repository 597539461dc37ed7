"""What people did from Slack (a button, a modal, /ticket), recorded before Slack is answered
so each is applied once across redeliveries and restarts; and who made each transition that
was not a cycle's finding (a person's click: "Priya (Support) (Slack)")."""

import sqlalchemy as sa
from alembic import op

from sheetsync.state.revisions import insertion_order, key

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "slack_actions",
        key("action_id"),  # the click's action_ts:user:ticket:kind
        # Slack's delivery: a redelivery has the same one
        sa.Column("envelope_id", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),  # take, wait, resolve, new, query
        sa.Column("ticket_id", sa.Text),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),  # JSON: what was shown, where to answer
        sa.Column("status", sa.Text, sa.CheckConstraint(
            "status IN ('recorded', 'waiting', 'applied', 'refused')"), nullable=False),
        sa.Column("outcome", sa.Text),  # what the person was told
        sa.Column("received_at", sa.Text, nullable=False),
        sa.Column("settled_at", sa.Text),
        *insertion_order())
    op.create_index("slack_actions_by_status", "slack_actions", ["status", "received_at"])
    op.add_column("transitions", sa.Column("actor", sa.Text))
