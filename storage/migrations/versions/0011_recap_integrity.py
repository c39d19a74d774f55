"""recap integrity: whether the weekly recap shows the team's integrity

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On by default, as for a workspace that never said otherwise.
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("recap_integrity", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("recap_integrity")
