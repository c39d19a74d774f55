"""schedules: the workspace's recap day and time, and why a member's program was paused

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("recap_weekday", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("recap_time", sa.String(length=5), nullable=False, server_default="09:00"))
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("paused_reason", sa.String(length=64), nullable=True))
    with op.batch_alter_table("nudges") as batch_op:
        batch_op.create_index("ix_nudges_status_claimed", ["status", "claimed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nudges") as batch_op:
        batch_op.drop_index("ix_nudges_status_claimed")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("paused_reason")
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("recap_time")
        batch_op.drop_column("recap_weekday")
