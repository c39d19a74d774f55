"""The coach's rules that need no database: program days, practice targets, the request state machine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import PromiseStatus, RequestStatus

PROGRAM_DAYS = 14
DAILY_TARGET = 2
WEEKLY_REQUEST_TARGET = 5
PROFILE_MAX_AGE = timedelta(days=1)


@lru_cache(maxsize=1024)
def member_zone(tz: str | None, default: str) -> ZoneInfo:
    """The member's IANA zone, or the default when Slack gave none we know."""
    # Cached: ZoneInfo keeps only a few zones strongly, and a nudge pass reads hundreds of them every minute.
    for name in (tz, default):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date on the member's wall at `now`."""
    return now.astimezone(zone).date()


def program_day(started_on: date, today: date) -> int:
    """Day N of the program, 1 on the day it started; past PROGRAM_DAYS the program is over."""
    return (today - started_on).days + 1


def week_of(day: date) -> tuple[date, date]:
    """The Monday and Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


@dataclass(frozen=True, slots=True)
class Practice:
    """Counts of the daily practice over some span of days."""

    shares: int = 0
    actions: int = 0
    requests: int = 0

    def met(self, days: int = 1) -> bool:
        """Whether share 2, act 2, request 2 was met on each of `days` days (in total)."""
        target = DAILY_TARGET * days
        return self.shares >= target and self.actions >= target and self.requests >= target


class Role(StrEnum):
    """Which side of a request someone is on."""

    REQUESTER = "requester"
    RECIPIENT = "recipient"


class RequestMove(StrEnum):
    """What either side can do to a request."""

    ACCEPT = "accept"
    DECLINE = "decline"
    COUNTER = "counter"
    CANCEL = "cancel"
    DONE = "done"
    COMPLETE = "complete"
    NOT_YET = "not_yet"
    REVOKE = "revoke"
    ACCEPT_COUNTER = "accept_counter"
    DECLINE_COUNTER = "decline_counter"


_MOVES: dict[tuple[RequestStatus, RequestMove], tuple[Role, RequestStatus]] = {
    (RequestStatus.OPEN, RequestMove.ACCEPT): (Role.RECIPIENT, RequestStatus.ACCEPTED),
    (RequestStatus.OPEN, RequestMove.DECLINE): (Role.RECIPIENT, RequestStatus.DECLINED),
    (RequestStatus.OPEN, RequestMove.COUNTER): (Role.RECIPIENT, RequestStatus.COUNTERED),
    (RequestStatus.OPEN, RequestMove.CANCEL): (Role.REQUESTER, RequestStatus.CANCELLED),
    (RequestStatus.COUNTERED, RequestMove.ACCEPT_COUNTER): (Role.REQUESTER, RequestStatus.ACCEPTED),
    (RequestStatus.COUNTERED, RequestMove.DECLINE_COUNTER): (Role.REQUESTER, RequestStatus.CANCELLED),
    (RequestStatus.COUNTERED, RequestMove.CANCEL): (Role.REQUESTER, RequestStatus.CANCELLED),
    (RequestStatus.ACCEPTED, RequestMove.DONE): (Role.RECIPIENT, RequestStatus.DONE),
    (RequestStatus.ACCEPTED, RequestMove.REVOKE): (Role.RECIPIENT, RequestStatus.CANCELLED),
    (RequestStatus.DONE, RequestMove.COMPLETE): (Role.REQUESTER, RequestStatus.COMPLETED),
    (RequestStatus.DONE, RequestMove.NOT_YET): (Role.REQUESTER, RequestStatus.ACCEPTED),
}


class MoveRefused(Exception):
    """A move that does not apply: the request has moved on, or it is the other side's to make."""

    def __init__(self, reason: str, *, status: RequestStatus, owner: Role | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.owner = owner


def move_request(status: RequestStatus, move: RequestMove, role: Role) -> RequestStatus:
    """The status after `role` makes `move` on a request in `status`; raises MoveRefused when it does not apply."""
    found = _MOVES.get((RequestStatus(status), move))
    if found is None:
        raise MoveRefused("spent", status=RequestStatus(status))
    owner, after = found
    if owner is not role:
        raise MoveRefused("other_side", status=RequestStatus(status), owner=owner)
    return after


def moves_for(status: RequestStatus, role: Role) -> list[RequestMove]:
    """The moves `role` can make on a request in `status`, in the order buttons show them."""
    return [move for (state, move), (owner, _) in _MOVES.items() if state == status and owner is role]


def next_nudge(
    *,
    now: datetime,
    zone: ZoneInfo,
    nudge_time: str,
    weekends: bool,
    program_started_on: date,
    done_through: date | None,
) -> datetime | None:
    """When the member's next nudge is due: their nudge time on the first working day of the program that is
    not over (before today) and not already nudged (up to `done_through`); None once the program has ended.

    Today counts even when its nudge time has passed: an app that was down at 09:00 still nudges at 11:00.
    A nudge time that doesn't exist on a spring-forward day falls at the same distance past the jump.
    """
    day = max(local_today(now, zone), program_started_on)
    if done_through is not None:
        day = max(day, done_through + timedelta(days=1))
    while not weekends and day.weekday() >= 5:
        day += timedelta(days=1)
    if program_day(program_started_on, day) > PROGRAM_DAYS:
        return None
    hour, minute = (int(part) for part in nudge_time.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


STREAK_LOOKBACK = timedelta(days=120)


def _streak_days(
    full_days: Set[date], today: date, *, weekends: bool, since: date, paused: Set[date]
) -> Iterator[bool | None]:
    """Each day from `since` to `today`: True when it counts, False when it breaks the streak, None when it's off."""
    day = since
    while day <= today:
        working = weekends or day.weekday() < 5
        if working and day in full_days:
            yield True  # paused or not: they practised
        elif working and day not in paused and day < today:
            yield False
        else:
            yield None
        day += timedelta(days=1)


def streaks(
    full_days: Set[date], today: date, *, weekends: bool, since: date, paused: Set[date] = frozenset()
) -> tuple[int, int]:
    """The current and best run of working days with the full practice; days off, pauses and today never break it."""
    best = run = 0
    for verdict in _streak_days(full_days, today, weekends=weekends, since=since, paused=paused):
        if verdict:
            run += 1
            best = max(best, run)
        elif verdict is False:
            run = 0
    return run, best


def unbroken_since(
    full_days: Set[date], today: date, *, weekends: bool, since: date, paused: Set[date] = frozenset()
) -> bool:
    """Whether no day from `since` up to `today` broke the streak, so it may reach back further still."""
    return False not in _streak_days(full_days, today, weekends=weekends, since=since, paused=paused)


def paused_days(
    pauses: Iterable[tuple[datetime, datetime | None]], zone: ZoneInfo, *, first: date, last: date
) -> set[date]:
    """The local dates from `first` to `last` on which the member was paused at any moment (open pauses run on)."""
    days: set[date] = set()
    for started_at, ended_at in pauses:
        day = max(local_today(started_at, zone), first)
        until = last if ended_at is None else min(local_today(ended_at, zone), last)
        while day <= until:
            days.add(day)
            day += timedelta(days=1)
    return days


def working_day_of_program(started_on: date, today: date, *, weekends: bool) -> int | None:
    """Which of the program's working days `today` is (1 on the first); None on a day off or outside it."""
    if not 0 <= (today - started_on).days < PROGRAM_DAYS or (not weekends and today.weekday() >= 5):
        return None
    days = (started_on + timedelta(days=i) for i in range((today - started_on).days + 1))
    return sum(1 for day in days if weekends or day.weekday() < 5)


def program_moment(started_on: date, today: date, *, weekends: bool) -> str | None:
    """ "opening", "midpoint" or "closing" when `today` is that moment of the program, else None.

    Moments fall on the member's working days: with weekends off, a program that starts on a Monday closes
    on its second Friday (day 12), and its midpoint is the Monday of day 8.
    """
    days = [started_on + timedelta(days=i) for i in range(PROGRAM_DAYS)]
    working = [d for d in days if weekends or d.weekday() < 5]
    if not working or today not in working:
        return None
    if today == working[-1]:
        return "closing"
    if today == working[0]:
        return "opening"
    midpoint = next((d for d in working if program_day(started_on, d) >= PROGRAM_DAYS // 2), None)
    return "midpoint" if today == midpoint else None


@dataclass(frozen=True, slots=True)
class Ledger:
    """A member's account of their promises."""

    made: int = 0
    kept_on_time: int = 0
    kept_late: int = 0
    renegotiated_in_time: int = 0
    renegotiated_late: int = 0
    broken: int = 0
    revoked: int = 0

    @property
    def ended(self) -> int:
        """Promises accounted for, one way or another."""
        return (
            self.kept_on_time
            + self.kept_late
            + self.renegotiated_in_time
            + self.renegotiated_late
            + self.broken
            + self.revoked
        )

    @property
    def integrity(self) -> float | None:
        """(kept on time + renegotiated in time) / ended; None before anything has ended."""
        return (self.kept_on_time + self.renegotiated_in_time) / self.ended if self.ended else None


LedgerEntry = tuple[str, date | None, date | None]
"""One promise in the account: its status, its date, and the local day it ended (None while open)."""


def ledger(promises: Sequence[LedgerEntry]) -> Ledger:
    """The ledger of promises given as (status, due date, local day it was settled)."""
    counts = dict.fromkeys(("made", "kept_on_time", "kept_late", "renegotiated_in_time", "renegotiated_late"), 0)
    broken = revoked = 0
    for status, due_on, settled_on in promises:
        counts["made"] += 1
        in_time = due_on is None or settled_on is None or settled_on <= due_on
        if status == "kept":
            counts["kept_on_time" if in_time else "kept_late"] += 1
        elif status == "renegotiated":
            counts["renegotiated_in_time" if in_time else "renegotiated_late"] += 1
        elif status == "broken":
            broken += 1
        elif status == "revoked":
            revoked += 1
    return Ledger(**counts, broken=broken, revoked=revoked)


BROKEN_AFTER_DAYS = 3
"""A promise still open this many days past its date — after the follow-up on the date and the one a day late
went unanswered — is recorded as broken, so that nothing stays silently open."""


def revoked_or_broken(due_on: date | None, today: date) -> PromiseStatus:
    """Taking a promise back before its date has passed revokes it; once the date has passed, it was broken."""
    return PromiseStatus.BROKEN if due_on is not None and today > due_on else PromiseStatus.REVOKED


def breaks_today(due_on: date | None, today: date) -> bool:
    """Whether an open promise due on `due_on` has gone unanswered long enough to be recorded as broken."""
    return due_on is not None and (today - due_on).days >= BROKEN_AFTER_DAYS


CHECK_IN_EVERY = timedelta(days=3)


def notice_breakdown(
    *,
    today: date,
    started_on: date,
    weekends: bool,
    daily: dict[date, Practice],
    midpoint: bool,
    overdue: int,
    off_track: str | None = None,
) -> str | None:
    """What the coach notices when the trajectory no longer reaches the stand, in one kind sentence; or None.

    A promise gone past its date, a measure whose line no longer reaches its target (`off_track`, the trajectory's
    own sentence), no practice on the last two working days, or at the midpoint under half the targets so far for
    shares, actions or requests. `daily` holds the practice of the program's days before today.
    """
    if overdue:
        return "A promise of yours has passed its date without an answer yet."
    if off_track:
        return off_track
    worked = [
        started_on + timedelta(days=i)
        for i in range((today - started_on).days)
        if weekends or (started_on + timedelta(days=i)).weekday() < 5
    ]
    if len(worked) >= 2 and all(daily.get(day, Practice()) == Practice() for day in worked[-2:]):
        return "Your last two working days went by without any practice logged."
    if midpoint and worked:
        target = DAILY_TARGET * len(worked) / 2
        shares = sum(p.shares for p in daily.values())
        actions = sum(p.actions for p in daily.values())
        requests = sum(p.requests for p in daily.values())
        behind = [
            name for name, done in (("shares", shares), ("actions", actions), ("requests", requests)) if done < target
        ]
        if behind:
            return f"At the midpoint, your {' and '.join(behind)} are under half of the target so far."
    return None
