"""measures: a stand may count something (what, where it stood when declared, the target) and say whether it came
from a crisis or an inspiration; readings record where it stands on a day (`/progress`)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("stands", "stand_drafts"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("measure", sa.String(length=80), nullable=True))
            batch_op.add_column(sa.Column("measure_start", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("measure_target", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("stand_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["stand_id"], ["stands.id"], name="fk_readings_stand_id_stands", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_readings"),
    )
    op.create_index("ix_readings_stand_day", "readings", ["team_id", "stand_id", "local_date"])


def downgrade() -> None:
    op.drop_index("ix_readings_stand_day", table_name="readings")
    op.drop_table("readings")
    for table in ("stand_drafts", "stands"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("origin")
            batch_op.drop_column("measure_target")
            batch_op.drop_column("measure_start")
            batch_op.drop_column("measure")
