"""A workspace's Monday-to-Sunday week, worked out: each member's practice, the stands and their followers, the
requests and the promises due in it — what the recap, its thread and the weekly lines show."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.coach import measures
from bot.coach.rules import (
    DAILY_TARGET,
    STREAK_LOOKBACK,
    WEEKLY_REQUEST_TARGET,
    Ledger,
    Practice,
    ledger,
    local_today,
    member_zone,
    paused_days,
    streaks,
    unbroken_since,
    week_of,
)
from bot.coach.status import account_entries
from bot.coach.trajectory import Trajectory
from storage import queries
from storage.models import RequestStatus

WEEK_DAYS = 7
TEAM_INTEGRITY_FROM = 5
"""The fewest promises ended in a week for the recap to show the team's integrity: with fewer, the team's figure
could be one member's own, posted in front of everyone."""
WORKING_DAYS = 5  # Monday to Friday, unless the member has weekends on
STREAKS_SHOWN = 3

ACCEPTED_STATES = (RequestStatus.ACCEPTED, RequestStatus.DONE, RequestStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class ParticipantWeek:
    """One member's week of practice."""

    user_id: str
    shares: int
    actions: int
    requests: int
    days_full: int  # days with share 2, act 2, request 2 (any day of the week)
    best_streak: int  # longest run of consecutive working days with full practice within the week
    current_streak: int = 0  # the run still going as the week ended, however far back it began


@dataclass(frozen=True, slots=True)
class StandFollowers:
    """An active stand and who took it on: its first follower and how many follow it."""

    stand_id: int
    owner_id: str
    text: str
    followers: int
    first_follower: str | None
    trajectory: Trajectory | None = None  # where its measure stood at the week's end, when it has one
    from_followers: Practice = field(default_factory=Practice)  # what followers logged for it in the week


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """Everything the weekly recap tells the team about one week."""

    team_id: str
    week_start: date
    week_end: date
    participants: list[ParticipantWeek]
    shares: int
    actions: int
    requests: int
    share_target: int
    action_target: int
    request_target: int
    stands_declared: list[tuple[str, str]]
    joined: list[tuple[str, str]]
    breakthroughs: list[tuple[str, str]]
    breakdowns_met: int
    requests_made: int
    requests_accepted: int
    requests_completed: int
    longest_streaks: list[tuple[str, int]]
    breakdowns_resolved: int = 0
    overdue: int = 0  # promises still open after their date as the week ended (overdue, not yet accounted for)
    ledger: Ledger = field(default_factory=Ledger)  # the team's promises made this week, and due in it and ended
    stands: list[StandFollowers] = field(default_factory=list)  # active stands, most followed first
    team_integrity: bool = True  # the workspace's choice (`/coach recap integrity on|off`)

    @property
    def integrity_shown(self) -> bool:
        """Whether the recap shows the team's integrity: the workspace wants it and enough promises ended."""
        return self.team_integrity and self.ledger.ended >= TEAM_INTEGRITY_FROM


def last_full_week(now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The Monday and Sunday of the week before the one holding `now` on the workspace's wall."""
    this_monday, _ = week_of(local_today(now, zone))
    monday = this_monday - timedelta(days=WEEK_DAYS)
    return monday, monday + timedelta(days=WEEK_DAYS - 1)


def week_instants(week_start: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 of the week and of the next one in `zone`: the span for rows that have only a timestamp."""
    # Midnight is taken in the zone and compared as an instant, so a week keeps its 7 local days across a
    # daylight-saving change (it is then 167 or 169 hours long) and adjacent weeks never overlap.
    start = datetime.combine(week_start, time(), tzinfo=zone)
    end = datetime.combine(week_start + timedelta(days=WEEK_DAYS), time(), tzinfo=zone)
    return start, end


def working_days(week_start: date, *, weekends: bool) -> list[date]:
    """The days of the week the member practises: Monday to Friday, or all seven with weekends on."""
    return [week_start + timedelta(days=i) for i in range(WEEK_DAYS if weekends else WORKING_DAYS)]


def _paused_days_by_member(
    session: Session, *, team_id: str, first: date, last: date, zone: ZoneInfo, default_timezone: str
) -> dict[str, set[date]]:
    """Each member's paused local dates from `first` to `last`: one query for everyone's pauses."""
    # A day wider on each side than the workspace's days: members' local dates run up to a day ahead or behind.
    start = datetime.combine(first - timedelta(days=1), time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=2), time(), tzinfo=zone)
    pauses = queries.pauses_between(team_id=team_id, start=start, end=end, session=session)
    if not pauses:
        return {}
    zones = queries.member_zones(team_id=team_id, user_ids=list(pauses), session=session)
    return {
        user_id: paused_days(spans, member_zone(zones.get(user_id), default_timezone), first=first, last=last)
        for user_id, spans in pauses.items()
    }


def week_ledger(session: Session, *, team_id: str, first: date, last: date, zone: ZoneInfo) -> Ledger:
    """The team's integrity ledger for the week: the promises (own, and requests accepted) made in it, and how the
    ones due in it ended, whatever day their end was recorded; a promise with no date counts in the week it ended."""
    start, end = week_instants(first, zone)
    promises, requests, agreed = queries.week_accounts(
        team_id=team_id, first=first, last=last, start=start, end=end, session=session
    )

    def in_week(day: date | None) -> bool:
        return day is not None and first <= day <= last

    ended = [
        (status, due_on, settled_on)
        for status, due_on, settled_on in account_entries(promises, requests, agreed, zone)
        if settled_on is not None and in_week(due_on if due_on is not None else settled_on)
    ]
    made = (
        sum(1 for p in promises if start <= p.created_at < end)
        + sum(1 for r in requests if in_week(r.promised_on))
        # each new date agreed is a promise made afresh
        + sum(1 for a in agreed if a.settled_at is not None and start <= a.settled_at < end)
    )
    return replace(ledger(ended), made=made)


def _full_days(by_day: dict[tuple[str, date], tuple[int, int, int]]) -> dict[str, set[date]]:
    full: dict[str, set[date]] = {}
    for (user_id, day), done in by_day.items():
        if Practice(*done).met():
            full.setdefault(user_id, set()).add(day)
    return full


def participant_weeks(
    session: Session, *, team_id: str, week_start: date, zone: ZoneInfo, default_timezone: str = "UTC"
) -> tuple[list[ParticipantWeek], int]:
    """Each participant's week (whoever practised or held a stand in it), and their working days in all."""
    week_end = week_start + timedelta(days=WEEK_DAYS - 1)
    start, end = week_instants(week_start, zone)
    # Streaks are taken as the week ended: the Monday after is the day "under way", so an empty Sunday breaks them.
    after = week_end + timedelta(days=1)
    since = week_end - STREAK_LOOKBACK
    # Practice rows carry the member's own local date, so the week is theirs; everything else is by the workspace's.
    by_day = queries.practice_by_member_day(team_id=team_id, first=week_start, last=week_end, session=session)
    members = {user_id for user_id, _ in by_day} | queries.members_with_stand_between(
        team_id=team_id, start=start, end=end, session=session
    )
    with_weekends = queries.members_with_weekends(team_id=team_id, session=session)
    paused = _paused_days_by_member(
        session, team_id=team_id, first=since, last=week_end, zone=zone, default_timezone=default_timezone
    )
    full = _full_days(by_day)
    in_week = {
        user_id: streaks(
            full.get(user_id, set()),
            after,
            weekends=user_id in with_weekends,
            since=week_start,
            paused=paused.get(user_id, set()),
        )
        for user_id in members
    }

    # Only a streak unbroken all week can reach back before it: fetch earlier practice for those members alone.
    reaching = {
        user_id
        for user_id in members
        if unbroken_since(
            full.get(user_id, set()),
            after,
            weekends=user_id in with_weekends,
            since=week_start,
            paused=paused.get(user_id, set()),
        )
    }
    if reaching:
        earlier = queries.practice_by_member_day(
            team_id=team_id,
            first=since,
            last=week_start - timedelta(days=1),
            user_ids=sorted(reaching),
            session=session,
        )
        for user_id, days in _full_days(earlier).items():
            full.setdefault(user_id, set()).update(days)

    participants: list[ParticipantWeek] = []
    working_total = 0
    for user_id in sorted(members):
        weekends = user_id in with_weekends
        working_total += len(working_days(week_start, weekends=weekends))
        week = [Practice(*by_day.get((user_id, week_start + timedelta(days=i)), (0, 0, 0))) for i in range(WEEK_DAYS)]
        current, best = in_week[user_id]
        if user_id in reaching:
            member_full, member_paused = full.get(user_id, set()), paused.get(user_id, set())
            current, _ = streaks(member_full, after, weekends=weekends, since=since, paused=member_paused)
        participants.append(
            ParticipantWeek(
                user_id=user_id,
                shares=sum(p.shares for p in week),
                actions=sum(p.actions for p in week),
                requests=sum(p.requests for p in week),
                days_full=sum(p.met() for p in week),
                best_streak=best,
                current_streak=current,
            )
        )
    return participants, working_total


def summarize_week(
    session: Session,
    *,
    team_id: str,
    week_start: date,
    zone: ZoneInfo,
    default_timezone: str = "UTC",
    team_integrity: bool = True,
) -> WeekSummary:
    """The workspace's week starting on Monday `week_start`; `zone` is the workspace's zone, `team_integrity` its
    choice to show the team's integrity."""
    if week_start.weekday() != 0:
        raise ValueError(f"a recap week starts on a Monday, not on {week_start:%A}")
    week_end = week_start + timedelta(days=WEEK_DAYS - 1)
    start, end = week_instants(week_start, zone)
    participants, working_total = participant_weeks(
        session, team_id=team_id, week_start=week_start, zone=zone, default_timezone=default_timezone
    )

    # Which requests were accepted or completed *this week* would need each move's time; `updated_at` only
    # keeps the last one, so for now we report where the week's requests stand at the time of the recap.
    requests = queries.request_statuses(team_id=team_id, first=week_start, last=week_end, session=session)
    longest = sorted((p for p in participants if p.best_streak >= 1), key=lambda p: (-p.best_streak, p.user_id))
    daily_target = DAILY_TARGET * working_total
    return WeekSummary(
        team_id=team_id,
        week_start=week_start,
        week_end=week_end,
        participants=participants,
        shares=sum(p.shares for p in participants),
        actions=sum(p.actions for p in participants),
        requests=sum(p.requests for p in participants),
        share_target=daily_target,
        action_target=daily_target,
        request_target=max(daily_target, WEEKLY_REQUEST_TARGET * len(participants)),
        stands_declared=queries.stands_declared_between(team_id=team_id, start=start, end=end, session=session),
        joined=queries.joins_between(team_id=team_id, start=start, end=end, session=session),
        breakthroughs=queries.breakthroughs_between(team_id=team_id, start=start, end=end, session=session),
        breakdowns_met=queries.count_breakdowns_between(team_id=team_id, start=start, end=end, session=session),
        breakdowns_resolved=queries.count_resolved_between(team_id=team_id, start=start, end=end, session=session),
        requests_made=sum(requests.values()),
        requests_accepted=sum(requests.get(status, 0) for status in ACCEPTED_STATES),
        requests_completed=requests.get(RequestStatus.COMPLETED, 0),
        ledger=week_ledger(session, team_id=team_id, first=week_start, last=week_end, zone=zone),
        longest_streaks=[(p.user_id, p.best_streak) for p in longest[:STREAKS_SHOWN]],
        overdue=queries.count_overdue(team_id=team_id, before=week_start + timedelta(days=WEEK_DAYS), session=session),
        stands=_stands(session, team_id=team_id, declared_before=end, week_end=week_end),
        team_integrity=team_integrity,
    )


def _stands(session: Session, *, team_id: str, declared_before: datetime, week_end: date) -> list[StandFollowers]:
    """The active stands, most followed first, each with its measure's trajectory at the week's end and what its
    followers logged for it in the week."""
    rows = queries.active_stands_with_followers(team_id=team_id, declared_before=declared_before, session=session)
    found = measures.trajectories([stand for stand, _, _ in rows], today=week_end, session=session)
    given = queries.contributions(
        team_id=team_id,
        stand_ids=[stand.id for stand, _, _ in rows if stand.id],
        first=week_end - timedelta(days=WEEK_DAYS - 1),
        last=week_end,
        session=session,
    )
    return [
        StandFollowers(
            stand.id or 0,
            stand.user_id,
            stand.text,
            count,
            first,
            trajectory=found.get(stand.id or 0),
            from_followers=Practice(*given.get(stand.id or 0, (0, 0, 0))),
        )
        for stand, count, first in rows
    ]
