"""closing words: how a member said their stand ended

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stands") as batch_op:
        batch_op.add_column(sa.Column("closing_words", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stands") as batch_op:
        batch_op.drop_column("closing_words")
