"""nudge memory: what each morning nudge asked (its stand, program day, moment and check-in), so a nudge rewritten
days later still reads as it did and shows how its questions were answered; and what a line told in a morning
message said (a weekly line is rendered once, when sent)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nudges") as batch_op:
        batch_op.add_column(sa.Column("stand_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("program_day", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moment", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("check_in_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("check_in_answer", sa.String(16), nullable=True))
    with op.batch_alter_table("follow_ups") as batch_op:
        batch_op.add_column(sa.Column("blocks", sa.Text(), nullable=True))
    op.create_index("ix_nudges_stand_id", "nudges", ["stand_id"])
    op.create_index("ix_nudges_check_in_id", "nudges", ["check_in_id"])
    op.create_index("ix_nudges_message", "nudges", ["channel_id", "message_ts"])
    op.create_index("ix_follow_ups_message", "follow_ups", ["channel_id", "message_ts"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_message", table_name="follow_ups")
    op.drop_index("ix_nudges_message", table_name="nudges")
    op.drop_index("ix_nudges_check_in_id", table_name="nudges")
    op.drop_index("ix_nudges_stand_id", table_name="nudges")
    with op.batch_alter_table("follow_ups") as batch_op:
        batch_op.drop_column("blocks")
    with op.batch_alter_table("nudges") as batch_op:
        batch_op.drop_column("check_in_answer")
        batch_op.drop_column("check_in_id")
        batch_op.drop_column("moment")
        batch_op.drop_column("program_day")
        batch_op.drop_column("stand_id")
