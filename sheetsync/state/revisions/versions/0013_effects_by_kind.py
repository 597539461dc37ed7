"""Effects by kind and when they last changed: a cycle looks for the ClickUp tasks it has not
linked yet among the task effects changed since its last look, not among every one sent."""

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_index("effects_by_kind", "effects", ["kind", "updated_at"])
