"""ideas: what a follower offers the owner of a stand in answer to a breakdown, and the request it may become

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("stand_id", sa.Integer(), nullable=False),
        sa.Column("breakdown_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["stand_id"], ["stands.id"], name="fk_ideas_stand_id_stands", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["breakdown_id"], ["breakdowns.id"], name="fk_ideas_breakdown_id_breakdowns", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ideas"),
    )
    op.create_index("ix_ideas_team_id", "ideas", ["team_id"])
    op.create_index("ix_ideas_stand_id", "ideas", ["stand_id"])


def downgrade() -> None:
    op.drop_index("ix_ideas_stand_id", table_name="ideas")
    op.drop_index("ix_ideas_team_id", table_name="ideas")
    op.drop_table("ideas")
