"""The weekly recap: one workspace's Monday-to-Sunday week of practice, stands, requests and promises."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.coach import members
from bot.coach.facade import Coach
from bot.coach.nudges import CLAIM_TIMEOUT
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
from storage import claims, queries
from storage.db import unit_of_work
from storage.models import ClaimStatus, FollowUp, Recap, RequestStatus, Workspace

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
        stands=[
            StandFollowers(*row)
            for row in queries.active_stands_with_followers(team_id=team_id, declared_before=end, session=session)
        ],
        team_integrity=team_integrity,
    )


# Posting the recap ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueRecap:
    """A workspace whose recap time has come this week, for the last full week."""

    team_id: str
    week_start: date
    channel_id: str
    zone: ZoneInfo
    set_by: str | None
    team_integrity: bool = True  # the workspace shows the team's integrity in its recap

    @property
    def key(self) -> dict[str, object]:
        """The recap's unique key: one per workspace and week."""
        return {"team_id": self.team_id, "week": self.week_start}


WEEKLY_LINE = "weekly"  # the FollowUp kind of a stand owner's weekly line sent to one follower


def weekly_stage(week_start: date) -> str:
    """The claim stage of the weekly lines for the week starting `week_start`: "week2026-11-16", 14 characters."""
    return f"week{week_start.isoformat()}"


@dataclass(frozen=True, slots=True)
class DueWeeklyLine:
    """A follower owed the line of the stand owner's last full week."""

    team_id: str
    follower_id: int  # the Follower row
    user_id: str  # the follower
    stand_id: int
    owner_id: str
    stand_text: str
    week_start: date
    local_date: date  # the workspace's date when it is sent
    week: ParticipantWeek  # the owner's week: the line the recap's thread gives them

    @property
    def key(self) -> dict[str, object]:
        """The line's unique key: one per follower of a stand and week."""
        return {
            "team_id": self.team_id,
            "kind": WEEKLY_LINE,
            "item_id": self.follower_id,
            "stage": weekly_stage(self.week_start),
        }


@dataclass(frozen=True, slots=True)
class RecapTime:
    """When a workspace's recap falls this week, and which week it recaps."""

    workspace: Workspace | None
    zone: ZoneInfo
    moment: datetime
    week_start: date  # the Monday of the last full week


class Recaps:
    """The recap pass's decisions and records; it posts nothing itself."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    def _recap_time(self, session: Session, team_id: str, now: datetime) -> RecapTime:
        workspace = queries.get_workspace(team_id=team_id, session=session)
        zone = member_zone(workspace.timezone if workspace else None, self.coach.default_timezone)
        this_monday, _ = week_of(local_today(now, zone))
        weekday, at = (workspace.recap_weekday, workspace.recap_time) if workspace else (0, "09:00")
        moment = datetime.combine(this_monday + timedelta(days=weekday), time.fromisoformat(at), tzinfo=zone)
        return RecapTime(workspace, zone, moment, this_monday - timedelta(days=WEEK_DAYS))

    def due(self, now: datetime) -> list[DueRecap]:
        """Workspaces with a recap channel whose recap time this week has passed and whose recap is not out yet.

        A recap missed on its day (the app was down) is still due until the week ends; then the next week's is.
        """
        found = []
        with unit_of_work(self.coach.engine) as session:
            for team_id in claims.known_teams(session=session):
                recap_time = self._recap_time(session, team_id, now)
                workspace, week = recap_time.workspace, recap_time.week_start
                channel = (workspace.recap_channel_id if workspace else None) or self.coach.default_recap_channel
                if not channel or now < recap_time.moment:
                    continue
                if claims.recap_settled(team_id=team_id, week=week, stale_before=now - CLAIM_TIMEOUT, session=session):
                    continue
                found.append(
                    DueRecap(
                        team_id=team_id,
                        week_start=week,
                        channel_id=channel,
                        zone=recap_time.zone,
                        set_by=workspace.recap_set_by if workspace else None,
                        team_integrity=workspace.recap_integrity if workspace else True,
                    )
                )
        return found

    def claim(self, due: DueRecap, now: datetime) -> bool:
        """Claim the week's recap; only one instance gets True."""
        with unit_of_work(self.coach.engine) as session:
            return claims.claim(Recap, due.key, now=now, stale_before=now - CLAIM_TIMEOUT, session=session)

    def summary(self, due: DueRecap) -> WeekSummary:
        """The week to recap."""
        with unit_of_work(self.coach.engine) as session:
            return summarize_week(
                session,
                team_id=due.team_id,
                week_start=due.week_start,
                zone=due.zone,
                default_timezone=self.coach.default_timezone,
                team_integrity=due.team_integrity,
            )

    def posted(self, due: DueRecap, channel_id: str, ts: str) -> None:
        """The recap is out: remember where."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(
                Recap, due.key, status=ClaimStatus.SENT, channel_id=channel_id, message_ts=ts, session=session
            )

    def failed(self, due: DueRecap) -> None:
        """The channel refused the recap for good; `/coach recap here` gives it another chance."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(Recap, due.key, status=ClaimStatus.FAILED, channel_id=due.channel_id, session=session)

    # The owner's weekly line, to each follower of their stand ------------------------------------------

    def weekly_lines_due(self, now: datetime, *, leave_to_mornings: bool = False) -> list[DueWeeklyLine]:
        """Followers of active stands owed the owner's line for the last full week, from the recap's moment on.

        `leave_to_mornings`: without the followers whose morning message is due now or being sent, since the line
        goes inside it (one message, not two); the line reaches everyone else on its own.

        The moment is the workspace's recap day and time in its zone, whether or not it has a recap channel
        (a workspace without one has Monday 09:00 in DEFAULT_TIMEZONE unless an admin chose another time).
        Only stands declared before that week ended count (their owners always have a line in it), and only
        followers who joined before the moment: someone joining on a Wednesday starts with the next week's line.
        A line missed on its day (the app was down) is still due until the week ends, like the recap.
        """
        found = []
        with unit_of_work(self.coach.engine) as session:
            for team_id in claims.known_teams(session=session):
                recap_time = self._recap_time(session, team_id, now)
                if now < recap_time.moment:
                    continue
                week = recap_time.week_start
                _, end = week_instants(week, recap_time.zone)
                candidates = claims.weekly_line_candidates(
                    team_id=team_id,
                    kind=WEEKLY_LINE,
                    stage=weekly_stage(week),
                    declared_before=end,
                    joined_before=recap_time.moment,
                    stale_before=now - CLAIM_TIMEOUT,
                    session=session,
                )
                if not candidates:
                    continue
                participants, _ = participant_weeks(
                    session,
                    team_id=team_id,
                    week_start=week,
                    zone=recap_time.zone,
                    default_timezone=self.coach.default_timezone,
                )
                weeks = {p.user_id: p for p in participants}
                today = local_today(now, recap_time.zone)
                mornings = self._mornings_now(session, team_id, {c.user_id for c in candidates}, now)
                for candidate in candidates:
                    owner_week = weeks.get(candidate.owner_id)
                    if owner_week is None or (leave_to_mornings and candidate.user_id in mornings):
                        continue
                    found.append(
                        DueWeeklyLine(
                            team_id=team_id,
                            follower_id=candidate.follower_id,
                            user_id=candidate.user_id,
                            stand_id=candidate.stand_id,
                            owner_id=candidate.owner_id,
                            stand_text=candidate.stand_text,
                            week_start=week,
                            local_date=today,
                            week=owner_week,
                        )
                    )
        return found

    def _mornings_now(self, session: Session, team_id: str, users: set[str], now: datetime) -> set[str]:
        """Which of `users` have a nudge that came due in the last minutes or is being sent: their weekly line
        waits to go inside it. A nudge overdue for longer (its pass is failing) does not hold the line back."""
        members = claims.members_by_key(keys={(team_id, user) for user in users}, session=session)
        due = {
            user
            for (_, user), m in members.items()
            if m.next_nudge_at is not None and now - CLAIM_TIMEOUT < m.next_nudge_at <= now
        }
        in_flight = {
            user
            for user in users - due
            if (member := members.get((team_id, user))) is not None
            and claims.nudge_in_flight(
                team_id=team_id,
                user_id=user,
                local_date=local_today(now, member_zone(member.tz, self.coach.default_timezone)),
                session=session,
            )
        }
        return due | in_flight

    def claim_line(self, due: DueWeeklyLine, now: datetime) -> bool:
        """Claim one follower's weekly line; only one instance gets True."""
        with unit_of_work(self.coach.engine) as session:
            return claims.claim(
                FollowUp,
                due.key,
                now=now,
                stale_before=now - CLAIM_TIMEOUT,
                session=session,
                extra={"user_id": due.user_id, "local_date": due.local_date},
            )

    def line_sent(self, due: DueWeeklyLine, channel_id: str, ts: str, *, blocks: str | None = None) -> None:
        """The weekly line is out; `blocks` (JSON) when it went inside a morning message, to keep it there when
        that message is rewritten."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(
                FollowUp,
                due.key,
                status=ClaimStatus.SENT,
                channel_id=channel_id,
                message_ts=ts,
                session=session,
                blocks=blocks,
            )

    def follower_gone(self, due: DueWeeklyLine, reason: str) -> None:
        """Slack says the follower is gone: fail this line for good and pause them, as a nudge would."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(FollowUp, due.key, status=ClaimStatus.FAILED, session=session)
            members.pause_gone(due.team_id, due.user_id, reason, ctx=self.coach.context(), session=session)
