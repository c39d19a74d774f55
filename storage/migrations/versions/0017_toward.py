"""toward: a share, action or request a follower logs for a stand they follow (`for @owner`) counts for that stand

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("shares", "actions", "requests")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("toward_stand_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_toward_stand_id_stands", "stands", ["toward_stand_id"], ["id"], ondelete="SET NULL"
            )
        op.create_index(f"ix_{table}_toward_stand_id", table, ["toward_stand_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_toward_stand_id", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_toward_stand_id_stands", type_="foreignkey")
            batch_op.drop_column("toward_stand_id")
