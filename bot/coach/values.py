"""What the coach's use cases take and give back: the context they run in, their answers, and their refusals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from bot.coach.rules import Ledger, Practice, RequestMove, Role
from bot.coach.trajectory import Trajectory
from storage.models import Promise, Request, RequestStatus, Stand, StandDraft


class MemberId(NamedTuple):
    """Who a member is: the workspace and their user ID in it, which always travel together (a user ID means
    nothing outside its workspace). A tuple, so a query that wants the two columns can unpack it."""

    team_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Context:
    """What a use case reads besides the database: the instant it runs at (from the one clock tests can set) and
    the deployment's defaults."""

    now: datetime
    default_timezone: str = "UTC"
    default_recap_channel: str | None = None


class CoachRefusal(Exception):
    """Something the coach will not do, with a kind sentence saying why; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CoachRefusal):
    """The item does not exist in this workspace (or no longer does)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What Slack's users.info told us about a person."""

    name: str
    tz: str | None
    is_admin: bool
    is_bot: bool
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a member stands today: the program day and the practice counts."""

    today: date
    stand: Stand | None
    day: int | None
    today_practice: Practice
    week_practice: Practice
    nudge_out: bool | None = None
    """Whether the member's nudge of `today` is out (sent, or on its way), where it was read with the rest."""


@dataclass(frozen=True, slots=True)
class StandDeclared:
    """A new stand, and the one it replaced if any."""

    stand: Stand
    replaced: Stand | None = None


@dataclass(frozen=True, slots=True)
class StandConflict:
    """The member already has an active stand; the new one waits as a draft for their choice."""

    current: Stand
    draft: StandDraft


@dataclass(frozen=True, slots=True)
class Joined:
    """Someone joined a stand."""

    stand: Stand
    follower_ids: list[str]
    is_first: bool


@dataclass(frozen=True, slots=True)
class RequestMoved:
    """A request after a move, and which side should hear of it."""

    request: Request
    before: RequestStatus
    move: RequestMove
    actor: Role


@dataclass(frozen=True, slots=True)
class FollowedStand:
    """An active stand the member follows, and its program day in its owner's zone."""

    stand_id: int
    owner_id: str
    text: str
    day: int  # day N of its program: past 14 it is complete, below 1 another 14 days are about to start


@dataclass(frozen=True, slots=True)
class TeamStand:
    """One active stand as a lead reads it beside the others."""

    stand: Stand
    day: int  # day N of the program, in its owner's zone
    trajectory: Trajectory | None
    week: Practice  # the owner's practice this week (their Monday to today)
    open_breakdowns: int
    overdue: int  # the owner's promises and accepted requests past their date, still open
    first_follower: str | None
    followers: int
    from_followers: Practice = field(default_factory=Practice)  # what followers logged for it this week


@dataclass(frozen=True, slots=True)
class Status:
    """Everything `/coach status` and App Home show a member."""

    user_id: str
    progress: Progress
    followers: list[str]
    made: Sequence[Request]
    received: Sequence[Request]
    promises: Sequence[Promise]
    nudge_time: str
    weekends: bool
    paused: bool
    streak: int = 0
    best_streak: int = 0
    ledger: Ledger = field(default_factory=Ledger)
    following: list[FollowedStand] = field(default_factory=list)
    trajectory: Trajectory | None = None  # where the stand's measure stands, when it has one
    milestones: Sequence[Promise] = ()  # the active stand's milestones, by date
    team: Sequence[TeamStand] | None = None  # the workspace's active stands, for a member who leads it
    from_followers: Practice = field(default_factory=Practice)  # what followers logged for the stand this week
