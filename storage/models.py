"""The coach's records. Every row carries `team_id`; every query filters by it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ColumnElement, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel, col

from storage.bookkeeping import Delivery, Outbox, OutboxStatus, Ref
from storage.types import NAMING_CONVENTION, UTCDateTime, utc_column, written_in

__all__ = [  # the bookkeeping records and the naming convention are part of the one vocabulary of record types
    "NAMING_CONVENTION",
    "Delivery",
    "Outbox",
    "OutboxStatus",
    "Ref",
]


FORGOTTEN_USER = "forgotten"
"""Stands in for a member who asked to be forgotten, on records that also belong to someone else."""


class StandStatus(StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    WITHDRAWN = "withdrawn"
    ENDED = "ended"


class RequestStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    DONE = "done"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    RENEGOTIATED = "renegotiated"
    BROKEN = "broken"
    REVOKED = "revoked"


class Workspace(SQLModel, table=True):
    """A Slack workspace's settings for the coach."""

    __tablename__ = "workspaces"

    team_id: str = Field(primary_key=True, max_length=32)
    recap_channel_id: str | None = Field(default=None, max_length=32)
    recap_set_by: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    recap_weekday: int = 0  # Monday
    recap_time: str = Field(default="09:00", max_length=5)
    # Whether the weekly recap shows the team's integrity (it does only from five promises ended in the week).
    recap_integrity: bool = True
    created_at: datetime = Field(sa_column=utc_column())


class Member(SQLModel, table=True):
    """A person in a workspace, with what Slack told us of them and their own coaching settings."""

    __tablename__ = "members"

    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=255)
    tz: str | None = Field(default=None, max_length=64)
    is_admin: bool = False
    is_bot: bool = False
    profile_fetched_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    nudge_time: str = Field(default="09:00", max_length=5)
    weekends: bool = False
    paused: bool = False
    paused_reason: str | None = Field(default=None, max_length=64)
    # When their next nudge is due (UTC), kept by the coach as settings, zones and programs change, so that
    # a tick finds who is due with one indexed range query however many members there are.
    next_nudge_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True))
    last_check_in_on: date | None = None  # the last local day a nudge met a noticed breakdown (at most every 3 days)
    welcomed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))  # their one welcome DM
    created_at: datetime = Field(sa_column=utc_column())


class Pause(SQLModel, table=True):
    """A span in which the member was paused, by `/coach pause` or because Slack says they are gone; open until
    they resume. Paused days neither count nor break a streak."""

    __tablename__ = "pauses"
    __table_args__ = (
        Index("ix_pauses_member", "team_id", "user_id"),
        # At most one open pause per member, enforced by the database so two racing pauses cannot both open one.
        Index(
            "uq_pauses_one_open",
            "team_id",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    started_at: datetime = Field(sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason: str | None = Field(default=None, max_length=64)  # None when the member paused themselves
    created_at: datetime = Field(sa_column=utc_column())


class Stand(SQLModel, table=True):
    """A public commitment to an outcome beyond the predictable; an active one runs a 14-day program."""

    __tablename__ = "stands"
    __table_args__ = (
        # One active stand per member, enforced by the database so two racing /stand commands cannot both win.
        Index(
            "uq_stands_one_active",
            "team_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    due_on: date | None = None
    status: StandStatus = Field(default=StandStatus.ACTIVE, sa_type=String(16))
    program_started_on: date
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closing_words: str | None = None  # how the member said it ended, when they closed it
    # Its measure, when it has one: what is counted, where it stood when declared, the number it commits to.
    measure: str | None = Field(default=None, max_length=80)
    measure_start: float | None = None
    measure_target: float | None = None
    origin: str | None = Field(default=None, max_length=16)  # "crisis" or "inspiration", when the member said


STAND_IS_ACTIVE: ColumnElement[bool] = col(Stand.status) == written_in(StandStatus.ACTIVE)
"""Where a query asks for active stands: the status written into the SQL, on which the partial index
uq_stands_one_active depends (the member's active stand cost 23 us of SQLite's time bound, 6 written in)."""


class StandDraft(SQLModel, table=True):
    """A stand typed while another is active, kept until the member chooses to replace or keep."""

    __tablename__ = "stand_drafts"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    due_on: date | None = None
    channel_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=utc_column())
    measure: str | None = Field(default=None, max_length=80)
    measure_start: float | None = None
    measure_target: float | None = None
    origin: str | None = Field(default=None, max_length=16)


class Reading(SQLModel, table=True):
    """Where a measured stand stood on a day, as its owner recorded it with `/progress`."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_stand_day", "team_id", "stand_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    stand_id: int = Field(foreign_key="stands.id", ondelete="CASCADE")
    value: float
    note: str | None = None
    local_date: date
    created_at: datetime = Field(sa_column=utc_column())


class Idea(SQLModel, table=True):
    """An idea a follower offered the owner of a stand they joined, in answer to a breakdown; the owner may turn it
    into a request of the follower."""

    __tablename__ = "ideas"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)  # the follower who offered it
    stand_id: int = Field(foreign_key="stands.id", ondelete="CASCADE", index=True)
    breakdown_id: int | None = Field(default=None, foreign_key="breakdowns.id", ondelete="SET NULL")
    text: str
    request_id: int | None = None  # the request the owner turned it into
    created_at: datetime = Field(sa_column=utc_column())


class Follower(SQLModel, table=True):
    """Someone who joined a stand; the earliest is its first follower."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("stand_id", "user_id", name="uq_followers_stand_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    stand_id: int = Field(foreign_key="stands.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=utc_column())


class Share(SQLModel, table=True):
    """One person told about a member's stand."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_member_day", "team_id", "user_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    told_user_id: str = Field(max_length=32)
    text: str = ""
    local_date: date
    created_at: datetime = Field(sa_column=utc_column())
    # A stand the member follows that this counts for too (logged `for @owner`); None for their own practice.
    toward_stand_id: int | None = Field(default=None, foreign_key="stands.id", ondelete="SET NULL", index=True)


class Action(SQLModel, table=True):
    """One action a member took toward their stand."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_member_day", "team_id", "user_id", "local_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    local_date: date
    created_at: datetime = Field(sa_column=utc_column())
    # A stand the member follows that this counts for too (logged `for @owner`); None for their own practice.
    toward_stand_id: int | None = Field(default=None, foreign_key="stands.id", ondelete="SET NULL", index=True)


class Request(SQLModel, table=True):
    """A request from `user_id` to `recipient_id`; once accepted it is the recipient's promise.

    An offer of help is stored as a request the helper has already counter-offered: the stand's owner
    (`user_id`) accepts or declines it, exactly as they would a counter-offer.
    """

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_member_day", "team_id", "user_id", "local_date"),
        Index("ix_requests_recipient", "team_id", "recipient_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    recipient_id: str = Field(max_length=32)
    text: str
    due_on: date | None = None
    status: RequestStatus = Field(default=RequestStatus.OPEN, sa_type=String(16))
    offered: bool = False
    stand_id: int | None = Field(default=None, foreign_key="stands.id", ondelete="SET NULL")
    counter_text: str | None = None
    counter_due_on: date | None = None
    local_date: date
    # The account of the recipient's promise once they accept: open, kept (reported done), broken or revoked.
    # `done_on` is the recipient's local day of their last "done", which decides whether it was kept on time.
    promise_status: PromiseStatus | None = Field(default=None, sa_type=String(16))
    promised_on: date | None = None
    done_on: date | None = None
    requester_channel: str | None = Field(default=None, max_length=32)
    requester_ts: str | None = Field(default=None, max_length=32)
    recipient_channel: str | None = Field(default=None, max_length=32)
    recipient_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    # A stand the member follows that this counts for too (logged `for @owner`); None for their own practice.
    toward_stand_id: int | None = Field(default=None, foreign_key="stands.id", ondelete="SET NULL", index=True)


class Promise(SQLModel, table=True):
    """A promise a member made on their own, followed up on its date; a milestone of their stand is one too."""

    __tablename__ = "promises"
    __table_args__ = (Index("ix_promises_member_status", "team_id", "user_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    due_on: date | None = None
    status: PromiseStatus = Field(default=PromiseStatus.OPEN, sa_type=String(16))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    milestone_of: int | None = Field(default=None, foreign_key="stands.id", ondelete="CASCADE", index=True)


class RenegotiationStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the request moved on (done, revoked) before the requester answered


class Renegotiation(SQLModel, table=True):
    """A new date for an accepted request, asked by the one who promised it and agreed (or not) by the requester.

    An accepted one ends the promise as renegotiated — in time when it was asked on or before the old date —
    and the same request goes on as a promise with the new date.
    """

    __tablename__ = "renegotiations"
    __table_args__ = (
        # One question at a time per request, so two quick submits cannot ask twice.
        Index(
            "uq_renegotiations_one_proposed",
            "request_id",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
        Index("ix_renegotiations_team_user", "team_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    request_id: int = Field(foreign_key="requests.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)  # who asks: the one who promised
    old_due_on: date | None = None
    new_due_on: date
    asked_on: date  # the asker's local day
    status: RenegotiationStatus = Field(default=RenegotiationStatus.PROPOSED, sa_type=String(16))
    channel_id: str | None = Field(default=None, max_length=32)  # the question in the requester's DM
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=utc_column())
    settled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Breakdown(SQLModel, table=True):
    """A moment the trajectory stopped reaching the stand: a milestone met, not a failure."""

    __tablename__ = "breakdowns"
    __table_args__ = (Index("ix_breakdowns_member", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    noticed: bool = False  # a check-in the coach made that the member has not taken up: not a breakdown met
    resolution: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


class Breakthrough(SQLModel, table=True):
    """The leap itself, declared and celebrated."""

    __tablename__ = "breakthroughs"
    __table_args__ = (Index("ix_breakthroughs_member", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    text: str
    stand_id: int | None = Field(default=None, foreign_key="stands.id", ondelete="SET NULL")
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=utc_column())


class ClaimStatus(StrEnum):
    """Where a scheduled send (a nudge, a recap) stands."""

    CLAIMED = "claimed"  # an instance is sending it; taken over by another once the claim times out
    SENT = "sent"
    FAILED = "failed"  # Slack refused for good; not retried until the cause is fixed


class FollowUpKind(StrEnum):
    """What a follow-up row is about: the `item_id` it names is a promise, a request, a stand, or a follower of a
    stand (a weekly line)."""

    PROMISE = "promise"
    REQUEST = "request"
    STAND = "stand"
    WEEKLY = "weekly"


class FollowUpStage(StrEnum):
    """Which question a follow-up asks of its item (a weekly line's stage names its week instead)."""

    DUE = "due"  # a promise on its date
    OVERDUE = "overdue"  # once more, a day late
    BROKEN = "broken"  # still open days later: recorded as broken
    UNDATED = "undated"  # a promise with no date, a week after it was made
    REMINDER = "reminder"  # a request unanswered for two working days
    EXPIRED = "expired"  # a request unanswered for two weeks: closed
    UNCONFIRMED = "unconfirmed"  # a request reported done and not declared complete
    EVE = "eve"  # the day before a stand's own date


class Nudge(SQLModel, table=True):
    """One morning DM to one member on one local day; the unique key is the claim that makes it once."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "local_date", name="uq_nudges_member_day"),
        Index("ix_nudges_status_claimed", "status", "claimed_at"),
        Index("ix_nudges_stand_id", "stand_id"),
        Index("ix_nudges_check_in_id", "check_in_id"),
        Index("ix_nudges_message", "channel_id", "message_ts"),  # a nudge found by the message it became
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    local_date: date
    status: ClaimStatus = Field(default=ClaimStatus.CLAIMED, sa_type=String(16))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # What the nudge asked when it went out, so a rewrite days later reads as it did (a restarted program
    # moves its stand's first day) and shows how its questions were answered.
    stand_id: int | None = None
    program_day: int | None = None
    moment: str | None = Field(default=None, max_length=16)  # "opening", "midpoint" or "closing"
    check_in_id: int | None = None  # the breakdown the coach noticed in it
    check_in_answer: str | None = Field(default=None, max_length=16)  # "on_it": the member answered "I'm on it"
    claimed_at: datetime = Field(sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column())


class Recap(SQLModel, table=True):
    """One weekly recap of one workspace for the week starting on `week` (a Monday)."""

    __tablename__ = "recaps"
    __table_args__ = (UniqueConstraint("team_id", "week", name="uq_recaps_team_week"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    week: date
    status: ClaimStatus = Field(default=ClaimStatus.CLAIMED, sa_type=String(16))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    claimed_at: datetime = Field(sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column())


class FollowUp(SQLModel, table=True):
    """One follow-up DM about one promise or request at one stage; the unique key makes it once."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("team_id", "kind", "item_id", "stage", name="uq_follow_ups_item_stage"),
        Index("ix_follow_ups_message", "channel_id", "message_ts"),  # the questions one message asked
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)  # who is asked
    kind: FollowUpKind = Field(sa_type=String(16))
    item_id: int
    stage: str = Field(max_length=16)  # a FollowUpStage, or a weekly line's week ("week2026-11-16")
    local_date: date
    status: ClaimStatus = Field(default=ClaimStatus.CLAIMED, sa_type=String(16))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # Block Kit JSON of what it told, for a line rendered once when sent (a weekly line inside a morning message),
    # so rewriting that message keeps it; questions are rendered again from their state instead.
    blocks: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    claimed_at: datetime = Field(sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column())
