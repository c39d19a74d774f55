"""next_nudge_at: when each member's next nudge is due, indexed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Left empty for existing members: the next nudge pass schedules everyone it finds unscheduled.
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("next_nudge_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_members_next_nudge_at", ["next_nudge_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_index("ix_members_next_nudge_at")
        batch_op.drop_column("next_nudge_at")
