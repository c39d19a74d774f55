"""promise accounts: the recipient's promise on each accepted request, and renegotiations agreed by the requester

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(sa.Column("promise_status", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("promised_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("done_on", sa.Date(), nullable=True))
    # Requests accepted before this migration become promises in the account, kept if they were done.
    op.execute(
        "UPDATE requests SET promise_status = CASE WHEN status IN ('done', 'completed') THEN 'kept' ELSE 'open' END "
        "WHERE status IN ('accepted', 'done', 'completed')"
    )
    op.create_table(
        "renegotiations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("old_due_on", sa.Date(), nullable=True),
        sa.Column("new_due_on", sa.Date(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_renegotiations_one_proposed",
        "renegotiations",
        ["request_id"],
        unique=True,
        sqlite_where=sa.text("status = 'proposed'"),
        postgresql_where=sa.text("status = 'proposed'"),
    )
    op.create_index("ix_renegotiations_team_user", "renegotiations", ["team_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_renegotiations_team_user", table_name="renegotiations")
    op.drop_index("uq_renegotiations_one_proposed", table_name="renegotiations")
    op.drop_table("renegotiations")
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("done_on")
        batch_op.drop_column("promised_on")
        batch_op.drop_column("promise_status")
