"""The weekly recap's job: which workspaces are due their recap, and which followers their stand owner's weekly
line; claimed once each, like nudges. The week itself is worked out in `bot.coach.weeks`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.coach import members, pictures
from bot.coach.facade import Coach
from bot.coach.follow_ups import claim_row
from bot.coach.nudges import CLAIM_TIMEOUT
from bot.coach.pictures import WeekPicture
from bot.coach.rules import (
    local_today,
    member_zone,
    week_of,
)
from bot.coach.values import MemberId
from bot.coach.weeks import (
    WEEK_DAYS,
    ParticipantWeek,
    WeekSummary,
    participant_weeks,
    summarize_week,
    week_instants,
)
from storage import asking, claims, queries, schedule
from storage.db import unit_of_work
from storage.models import ClaimStatus, FollowUp, Recap, Workspace
from storage.outbox import Outgoing

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

    def next_recap_at(self, team_id: str, now: datetime) -> datetime:
        """The first moment after `now` when the workspace's weekly recap falls (its day and time, in its zone)."""
        with unit_of_work(self.coach.engine) as session:
            moment = self._recap_time(session, team_id, now).moment
        if moment > now:
            return moment
        # Wall-clock arithmetic in the workspace's zone: the same day and time next week, across a change of offset.
        return datetime.combine(moment.date() + timedelta(days=WEEK_DAYS), moment.timetz())

    def due(self, now: datetime) -> list[DueRecap]:
        """Workspaces with a recap channel whose recap time this week has passed and whose recap is not out yet.

        A recap missed on its day (the app was down) is still due until the week ends; then the next week's is.
        """
        found = []
        with unit_of_work(self.coach.engine) as session:
            for team_id in schedule.known_teams(session=session):
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

    def picture(self, team_id: str, week_start: date, zone: ZoneInfo) -> WeekPicture:
        """The figures of the week's chart: the team's practice day by day and each measured stand's line."""
        with unit_of_work(self.coach.engine, read_only=True) as session:
            return pictures.team_week(session, team_id=team_id, week_start=week_start, zone=zone)

    def posted(self, due: DueRecap, channel_id: str, ts: str, *, then: Sequence[Outgoing] = ()) -> None:
        """The recap is out: remember where, and owe Slack what follows it in its thread (its chart) in the same
        transaction, so a crash between the two can lose neither."""
        with self.coach.transaction() as session:
            claims.finish(
                Recap, due.key, status=ClaimStatus.SENT, channel_id=channel_id, message_ts=ts, session=session
            )
            if then:
                self.coach.tell(*then)

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
            for team_id in schedule.known_teams(session=session):
                recap_time = self._recap_time(session, team_id, now)
                if now < recap_time.moment:
                    continue
                week = recap_time.week_start
                _, end = week_instants(week, recap_time.zone)
                candidates = schedule.weekly_line_candidates(
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
        members = schedule.members_by_key(keys={(team_id, user) for user in users}, session=session)
        due = {
            user
            for (_, user), m in members.items()
            if m.next_nudge_at is not None and now - CLAIM_TIMEOUT < m.next_nudge_at <= now
        }
        # A claim older than its timeout belongs to a sender that died: it holds nothing back either.
        in_flight = asking.nudges_in_flight(
            team_id=team_id, user_ids=users - due, claimed_since=now - CLAIM_TIMEOUT, session=session
        )
        return due | in_flight

    def claim_line(self, due: DueWeeklyLine, now: datetime) -> bool:
        """Claim one follower's weekly line; only one instance gets True."""
        return claim_row(self.coach.engine, due.key, user_id=due.user_id, local_date=due.local_date, now=now)

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
            members.pause_gone(MemberId(due.team_id, due.user_id), reason, ctx=self.coach.context(), session=session)
