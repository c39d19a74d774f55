"""pauses: when each member was paused, so paused days neither count nor break a streak

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.create_index("ix_pauses_member", ["team_id", "user_id"], unique=False)
        batch_op.create_index(
            "uq_pauses_one_open",
            ["team_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    # Members already paused have no history: their pause opens now, the earliest moment we can vouch for.
    now = sa.bindparam("now", datetime.now(UTC), type_=UTCDateTime())
    members = sa.table(
        "members", sa.column("team_id"), sa.column("user_id"), sa.column("paused"), sa.column("paused_reason")
    )
    pauses = sa.table(
        "pauses",
        sa.column("team_id"),
        sa.column("user_id"),
        sa.column("started_at"),
        sa.column("reason"),
        sa.column("created_at"),
    )
    op.execute(
        pauses.insert().from_select(
            ["team_id", "user_id", "started_at", "reason", "created_at"],
            sa.select(members.c.team_id, members.c.user_id, now, members.c.paused_reason, now).where(
                members.c.paused == sa.true()
            ),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_pauses_one_open",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index("ix_pauses_member")
    op.drop_table("pauses")
