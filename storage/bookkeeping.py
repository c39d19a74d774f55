"""The app's bookkeeping records: what Slack is still owed (the outbox) and which of Slack's deliveries were already
taken in. Re-exported by storage.models, the one vocabulary of record types."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from storage.types import utc_column


class Ref(StrEnum):
    """A message the app posted and keeps the place of, to update it later: which row and which columns."""

    REQUESTER_CARD = "requester_card"
    RECIPIENT_CARD = "recipient_card"
    ANNOUNCEMENT = "announcement"
    CELEBRATION = "celebration"
    RENEGOTIATION_QUESTION = "renegotiation_question"


class OutboxStatus(StrEnum):
    """Where a message for Slack stands. A sent one is deleted: the outbox holds only what is still owed."""

    PENDING = "pending"  # waiting for its turn (or for its next attempt after a failure)
    CLAIMED = "claimed"  # a sender has it; taken over by another once the claim is older than the lease
    FAILED = "failed"  # Slack refused for good; kept a while for the operator, then pruned


class Outbox(SQLModel, table=True):
    """Something Slack must be told after a change, written in the same transaction as the change.

    Items of one lane (a member's DM, a channel, a member's response_urls) go out in the order they were
    written, one at a time, so a card's update never overtakes the card itself.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_lane", "lane", "id"),
        Index("ix_outbox_member", "team_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str | None = Field(default=None, max_length=32)  # the member it is addressed to or about
    lane: str = Field(max_length=80)
    kind: str = Field(max_length=16)  # see handlers.outbox.Kind
    payload: str = Field(sa_column=Column(Text(), nullable=False))  # JSON: what to send
    ref_kind: str | None = Field(default=None, max_length=32)  # a posted message to remember, or one to update
    ref_id: int | None = None
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column())
    claimed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=utc_column())


class Delivery(SQLModel, table=True):
    """A request from Slack already taken in, keyed by event_id or by its signature, so that a retried or
    replayed delivery changes nothing the second time and gets the first answer again."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_created", "created_at"),)

    key: str = Field(primary_key=True, max_length=64)
    team_id: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    status: str = Field(default="handling", max_length=16)  # handling | done
    response: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))  # the ack body
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
