"""An attempt whose outcome is unknown (sent, then the connection dropped or the process
died): the next attempt looks the effect up in the service before sending it again."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("effects", sa.Column("unclear", sa.Integer, nullable=False,
                                       server_default=sa.text("0")))
    op.create_index("effects_by_ticket", "effects", ["ticket_id", "kind"])
