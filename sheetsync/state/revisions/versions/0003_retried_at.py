"""When a person last asked for an effect to be retried (its hold age counts from then)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("effects", sa.Column("retried_at", sa.Text))
