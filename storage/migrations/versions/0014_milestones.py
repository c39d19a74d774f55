"""milestones: a promise may be a milestone of its maker's stand, followed up like any promise

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promises") as batch_op:
        batch_op.add_column(sa.Column("milestone_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_promises_milestone_of_stands", "stands", ["milestone_of"], ["id"], ondelete="CASCADE"
        )
    op.create_index("ix_promises_milestone_of", "promises", ["milestone_of"])


def downgrade() -> None:
    op.drop_index("ix_promises_milestone_of", table_name="promises")
    with op.batch_alter_table("promises") as batch_op:
        batch_op.drop_constraint("fk_promises_milestone_of_stands", type_="foreignkey")
        batch_op.drop_column("milestone_of")
