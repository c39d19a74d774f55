"""The daily nudge: who is due at this instant, what their nudge says, and the claim that makes it once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.coach import measures, members, practice
from bot.coach.facade import Coach
from bot.coach.read_ahead import ReadAhead, read_ahead
from bot.coach.rules import (
    CHECK_IN_EVERY,
    Practice,
    local_today,
    member_zone,
    next_nudge,
    notice_breakdown,
    program_moment,
    working_day_of_program,
)
from bot.coach.trajectory import Trajectory
from bot.coach.values import MemberId, Progress
from storage import asking, claims, queries, schedule
from storage.db import unit_of_work
from storage.models import Breakdown, ClaimStatus, Member, Nudge, Promise, Request, Stand, StandStatus
from storage.schedule import NEVER, Schedule
from storage.schedule import DueNudge as DueNudge  # the nudge pass speaks of it too

DueItems = tuple[Sequence[Promise], Sequence[Request]]

CLAIM_TIMEOUT = timedelta(minutes=10)
"""A claim older than this belongs to a sender that died: another instance may take it over."""


@dataclass(frozen=True, slots=True)
class Theme:
    """One of the ten steps, as the theme of a program day."""

    title: str
    prompt: str


THEMES = (
    Theme("Decide where you are going", "Read your stand aloud. Is it still big enough to need other people?"),
    Theme("Share your goals broadly", "Who hasn't heard your stand yet? Tell two people today, in your own words."),
    Theme("Take time rather than make time", "Block one hour today for the stand before the day fills it for you."),
    Theme("Change your conversations", "Steer one routine conversation today toward what you're out to achieve."),
    Theme("Align your context for success", "Notice one thing around you that says 'impossible' — and change it."),
    Theme("Enrol evangelists", "Invite someone to take your stand on as their own, not just to help."),
    Theme("Find what and whom you need to know", "Name one thing you don't know yet and one person who does."),
    Theme("Open the floodgates to ideas", "Ask three people: what would you do if this were your stand?"),
    Theme("Get into action", "Pick the action you've been putting off and take its first step before noon."),
    Theme("Make at least five requests a week", "Count this week's requests. Who could you ask for something today?"),
)


def theme_for(step: int) -> Theme:
    """The theme of the program's `step`th working day (1-based): the ten steps in order, then from the top.

    Counted in working days, not calendar days: with weekends off a program has exactly ten, one per step.
    """
    return THEMES[(step - 1) % len(THEMES)]


def closing_answer(session: Session, stand: Stand, *, asked_on: date, asked_at: datetime) -> str | None:
    """How the member answered "what now?" about their stand, asked on `asked_on`: None while it is open.

    "restarted" (another 14 days), the stand's closing status, or "breakthrough" (declared since it was asked;
    going on or closing is still theirs to choose).
    """
    if stand.status != StandStatus.ACTIVE:
        return str(stand.status)
    if stand.program_started_on > asked_on:
        return "restarted"
    assert stand.id is not None
    if queries.breakthrough_since(team_id=stand.team_id, stand_id=stand.id, since=asked_at, session=session):
        return "breakthrough"
    return None


def scheduled_for(row: Schedule, now: datetime, default_tz: str, *, done_through: date | None) -> datetime:
    """The member's next nudge instant (NEVER once their program has no more days)."""
    return (
        next_nudge(
            now=now,
            zone=member_zone(row.tz, default_tz),
            nudge_time=row.nudge_time,
            weekends=row.weekends,
            program_started_on=row.program_started_on,
            done_through=done_through,
        )
        or NEVER
    )


@dataclass(frozen=True, slots=True)
class NudgeContent:
    """Everything one morning's nudge shows."""

    team_id: str
    user_id: str
    local_date: date
    progress: Progress
    theme: Theme
    promises_due: Sequence[Promise]
    requests_due: Sequence[Request]
    moment: str | None = None  # "opening", "midpoint" or "closing" of the program
    check_in: str | None = None  # a breakdown the coach noticed, met in this nudge
    check_in_id: int | None = None  # the noticed breakdown's row
    check_in_declared: bool = False  # the member declared the noticed breakdown: the question is answered
    check_in_on_it: bool = False  # the member answered "I'm on it": answered too, nothing to count
    closing_answer: str | None = None  # how the closing "what now?" was answered (see `closing_answer`)
    numbers: dict[str, int] = field(default_factory=dict)  # the program in numbers, at its closing
    sent_hour: int = 9  # the member's local hour when it was first sent: a late nudge is not a "good morning"
    trajectory: Trajectory | None = None  # where the stand's measure stands, when it has one


class Nudges:
    """The nudge pass's decisions and records; it sends nothing itself."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    @property
    def engine(self) -> Engine:
        return self.coach.engine

    def due(self, now: datetime) -> list[DueNudge]:
        """Everyone whose local nudge time has come today and who has had no nudge this local day.

        Reads the schedule (one indexed range query), not every member: each member's next nudge instant is
        kept up to date by the coach and advanced here as nudges are claimed.
        """
        default = self.coach.default_timezone
        found: dict[tuple[str, str], DueNudge] = {}
        with unit_of_work(self.engine) as session:
            fresh = [
                (row.team_id, row.user_id, scheduled_for(row, now, default, done_through=row.last_nudged_on))
                for row in schedule.unscheduled(session=session)
            ]
            schedule.schedule_nudges(fresh, session=session)
            for row in schedule.due_by_schedule(now=now, session=session):
                zone = member_zone(row.tz, default)
                day, today = row.next_nudge_at.astimezone(zone).date(), local_today(now, zone)
                if day < today:
                    # That day ended with nobody running: it is not nudged late. Today may still be due.
                    members.reschedule_nudge(
                        MemberId(row.team_id, row.user_id), ctx=self.coach.context(now), session=session
                    )
                    member = session.get(Member, (row.team_id, row.user_id))
                    if member is None or member.next_nudge_at is None or member.next_nudge_at > now:
                        continue
                    day = today
                found[(row.team_id, row.user_id)] = DueNudge(team_id=row.team_id, user_id=row.user_id, local_date=day)
            for stale, tz in claims.stale_claims(stale_before=now - CLAIM_TIMEOUT, session=session):
                if stale.local_date == local_today(now, member_zone(tz, default)):
                    found.setdefault((stale.team_id, stale.user_id), stale)
        return sorted(found.values(), key=lambda d: (d.team_id, d.user_id))

    def claim(self, due: DueNudge, now: datetime) -> bool:
        """Claim one nudge; only one instance (or one taker of a stale claim) gets True."""
        return self.claim_and_compose(due, now) is not None

    def due_items(self, due: Sequence[DueNudge]) -> dict[tuple[str, str], DueItems]:
        """What falls due on each member's nudge day, read for a whole pass at once."""
        with unit_of_work(self.engine) as session:
            found = schedule.promises_due_for(due, session=session)
        return {key: (promises, requests) for key, (promises, requests) in found.items()}

    def claim_and_compose(self, due: DueNudge, now: datetime, *, items: DueItems | None = None) -> NudgeContent | None:
        """Claim one nudge and, for the instance that won it, what it shows; in one unit of work.

        Winner or not, the member's schedule moves on to their next day. `items` are what falls due that day,
        when the caller read them for many members at once.
        """
        with unit_of_work(self.engine) as session:
            won = claims.claim(Nudge, claims.nudge_key(due), now=now, stale_before=now - CLAIM_TIMEOUT, session=session)
            member = session.get(Member, (due.team_id, due.user_id))
            stand = queries.active_stand(team_id=due.team_id, user_id=due.user_id, session=session)
            if member is not None:
                members.schedule_next_nudge(
                    member, stand, done_through=due.local_date, ctx=self.coach.context(now), session=session
                )
            if not won:
                return None
            hour = self._local_hour(member, now)
            content = self._compose(session, due, stand, items, record_check_in=True, sent_hour=hour)
            asking.remember_nudge(
                claims.nudge_key(due),
                stand_id=stand.id if stand else None,
                program_day=content.progress.day,
                moment=content.moment,
                check_in_id=content.check_in_id,
                session=session,
            )
            return content

    def claim_and_compose_many(
        self, due: Sequence[DueNudge], now: datetime, *, items: Mapping[tuple[str, str], DueItems]
    ) -> dict[tuple[str, str], NudgeContent]:
        """`claim_and_compose` for many members of one workspace in one unit of work and a few statements: what
        each nudge this instance won shows, by (team, member). Every member's schedule moves on, winner or not.

        Each claim is still its own compare-and-set (see `claims.claim_nudges`): the chunk only shares the
        transaction, so two instances given the same members never both win one.
        """
        return self.claim_and_compose_each([due], now, items=items)

    def claim_and_compose_each(
        self, chunks: Sequence[Sequence[DueNudge]], now: datetime, *, items: Mapping[tuple[str, str], DueItems]
    ) -> dict[tuple[str, str], NudgeContent]:
        """`claim_and_compose_many` for a chunk of each of several workspaces, in one unit of work: the claims,
        the schedules moved on and what each nudge asks are one statement each for them all; what a nudge shows is
        read a workspace at a time.

        A pass claims the first chunk of every workspace this way, a few workspaces at a time, before its first
        post: 50 x 20 members take ~0.15-0.2 s so, where fifty units of their own, each queueing for the writer
        behind the others (and for the interpreter behind the posts of the workspaces already started), let the
        last workspace start a second or more after the first. Later chunks are claimed so too, grouped with those
        of the other workspaces that came while the last group was claimed (`handlers.jobs.MorningSender`).
        """
        chunks = [due for due in chunks if due]
        if not chunks:
            return {}
        ctx = self.coach.context(now)
        with unit_of_work(self.engine) as session:
            keys = [(d.team_id, d.user_id, d.local_date) for due in chunks for d in due]
            won = claims.claim_nudges(keys, now=now, stale_before=now - CLAIM_TIMEOUT, session=session)
            # One UPDATE for all (executemany), not an ORM flush of each member: the members read below are not
            # changed in the session, whose copies of next_nudge_at go stale until it ends (nothing reads them).
            schedules: list[tuple[str, str, datetime | None]] = []
            contents: dict[tuple[str, str], NudgeContent] = {}
            asked: list[dict[str, object]] = []
            for due in chunks:
                team_id = due[0].team_id
                users = [d.user_id for d in due]
                found = queries.get_members(team_id=team_id, user_ids=users, session=session)
                stands = queries.active_stands(team_id=team_id, user_ids=users, session=session)
                schedules += [
                    (
                        d.team_id,
                        d.user_id,
                        members.next_nudge_at(member, stands.get(d.user_id), ctx=ctx, done_through=d.local_date),
                    )
                    for d in due
                    if (member := found.get(d.user_id)) is not None
                ]
                winners = [d for d in due if (d.team_id, d.user_id, d.local_date) in won]
                ahead = read_ahead(winners, stands, session=session)
                for d in winners:
                    stand, key = stands.get(d.user_id), (d.team_id, d.user_id)
                    hour = self._local_hour(found.get(d.user_id), now)
                    content = self._compose(
                        session, d, stand, items.get(key), record_check_in=True, sent_hour=hour, ahead=ahead
                    )
                    contents[key] = content
                    asked.append(
                        {
                            **claims.nudge_key(d),
                            "stand_id": stand.id if stand else None,
                            "program_day": content.progress.day,
                            "moment": content.moment,
                            "check_in_id": content.check_in_id,
                        }
                    )
            schedule.schedule_nudges(schedules, session=session)
            asking.remember_nudges(asked, session=session)
            return contents

    def content(self, due: DueNudge) -> NudgeContent:
        """What the member's nudge of that day shows now: as it was sent, with its questions as answered since."""
        with unit_of_work(self.engine, read_only=True) as session:
            sent = asking.todays_nudge(
                team_id=due.team_id, user_id=due.user_id, local_date=due.local_date, session=session
            )
            member = session.get(Member, (due.team_id, due.user_id))
            if sent is None or sent.program_day is None:
                # Sent before nudges remembered what they asked: read as today's.
                stand = queries.active_stand(team_id=due.team_id, user_id=due.user_id, session=session)
                at = sent.claimed_at if sent else self.coach.clock.now()
                return self._compose(session, due, stand, sent_hour=self._local_hour(member, at))
            stand = queries.get_scoped(Stand, sent.stand_id or 0, team_id=due.team_id, session=session)
            return self._compose(session, due, stand, sent_hour=self._local_hour(member, sent.claimed_at), sent=sent)

    def _local_hour(self, member: Member | None, at: datetime) -> int:
        return at.astimezone(member_zone(member.tz if member else None, self.coach.default_timezone)).hour

    def _compose(
        self,
        session: Session,
        due: DueNudge,
        stand: Stand | None,
        items: DueItems | None = None,
        *,
        record_check_in: bool = False,
        sent_hour: int = 9,
        sent: Nudge | None = None,
        ahead: ReadAhead | None = None,
    ) -> NudgeContent:
        if ahead is not None:
            progress = ahead.progress(due, stand)
        else:
            progress = practice.progress(
                MemberId(due.team_id, due.user_id),
                on=due.local_date,
                stand=stand,
                ctx=self.coach.context(),
                session=session,
            )
        member = session.get(Member, (due.team_id, due.user_id))
        weekends = bool(member and member.weekends)
        started_on = stand.program_started_on if stand is not None else None
        if sent is not None and sent.program_day is not None:
            # The program this nudge belonged to, even if another 14 days have moved the stand's first day since.
            progress = replace(progress, day=sent.program_day)
            started_on = due.local_date - timedelta(days=sent.program_day - 1)
        promises, requests = items or schedule.promises_due(
            team_id=due.team_id, user_id=due.user_id, on=due.local_date, session=session
        )
        numbers: dict[str, int] = {}
        moment = program_moment(started_on, due.local_date, weekends=weekends) if started_on is not None else None
        if sent is not None:
            moment = sent.moment
        if moment in ("midpoint", "closing") and stand is not None and stand.id is not None:
            # The program so far: at the midpoint (often a Monday) the week's counts have only just begun.
            assert started_on is not None
            numbers = queries.program_numbers(
                team_id=due.team_id,
                user_id=due.user_id,
                stand_id=stand.id,
                first=started_on,
                session=session,
            )
        if ahead is not None:
            trajectory = ahead.trajectory(stand, due.local_date)
        else:
            trajectory = measures.trajectory(stand, today=due.local_date, session=session)
        if sent is not None:
            check_in_id = sent.check_in_id
            noticed = session.get(Breakdown, check_in_id) if check_in_id is not None else None
            check_in = noticed.text if noticed is not None else None
        else:
            check_in, check_in_id = self._check_in(
                session, due, stand, member, moment, trajectory, record=record_check_in, ahead=ahead
            )
            noticed = None
        closing = None
        if moment == "closing" and stand is not None:
            asked_at = sent.claimed_at if sent is not None else self.coach.clock.now()
            closing = closing_answer(session, stand, asked_on=due.local_date, asked_at=asked_at)
        step = working_day_of_program(started_on, due.local_date, weekends=weekends) if started_on else None
        return NudgeContent(
            team_id=due.team_id,
            user_id=due.user_id,
            local_date=due.local_date,
            progress=progress,
            theme=theme_for(step or 1),
            promises_due=promises,
            requests_due=requests,
            moment=moment,
            numbers=numbers,
            check_in=check_in,
            check_in_id=check_in_id,
            check_in_declared=noticed is not None and not noticed.noticed,
            check_in_on_it=sent is not None and sent.check_in_answer == "on_it",
            closing_answer=closing,
            sent_hour=sent_hour,
            trajectory=trajectory,
        )

    def _check_in(
        self,
        session: Session,
        due: DueNudge,
        stand: Stand | None,
        member: Member | None,
        moment: str | None,
        trajectory: Trajectory | None,
        *,
        record: bool,
        ahead: ReadAhead | None = None,
    ) -> tuple[str | None, int | None]:
        """The breakdown this nudge meets, if the coach noticed one; recorded (once every three days) when sent."""
        if stand is None or member is None:
            return None, None
        today = due.local_date
        if not record:  # the nudge being rebuilt later that day shows the check-in it was sent with
            noticed = queries.noticed_on(team_id=due.team_id, user_id=due.user_id, day=today, session=session)
            return (
                (noticed.text, noticed.id) if noticed is not None and member.last_check_in_on == today else (None, None)
            )
        if member.last_check_in_on is not None and today - member.last_check_in_on < CHECK_IN_EVERY:
            return None, None
        yesterday = today - timedelta(days=1)
        if ahead is not None:
            daily = ahead.practice_between(due.user_id, stand.program_started_on, yesterday)
            overdue = ahead.overdue.get((due.user_id, today), 0)
        else:
            counts = queries.practice_by_member_day(
                team_id=due.team_id,
                first=stand.program_started_on,
                last=yesterday,
                user_id=due.user_id,
                session=session,
            )
            daily = {day: Practice(*done) for (_, day), done in counts.items()}
            overdue = queries.count_overdue(team_id=due.team_id, user_id=due.user_id, before=today, session=session)
        reason = notice_breakdown(
            today=today,
            started_on=stand.program_started_on,
            weekends=member.weekends,
            daily=daily,
            midpoint=moment == "midpoint",
            overdue=overdue,
            off_track=trajectory.off_track if trajectory is not None else None,
        )
        if reason is None:
            return None, None
        noticed = Breakdown(
            team_id=due.team_id, user_id=due.user_id, text=reason, noticed=True, created_at=self.coach.clock.now()
        )
        session.add(noticed)
        member.last_check_in_on = today
        session.add(member)
        session.flush()
        return reason, noticed.id

    def sent(self, due: DueNudge, channel_id: str, ts: str) -> None:
        """The nudge went out: remember where, so the day's logging can update it in place."""
        with unit_of_work(self.engine) as session:
            claims.finish(
                Nudge,
                claims.nudge_key(due),
                status=ClaimStatus.SENT,
                channel_id=channel_id,
                message_ts=ts,
                session=session,
            )

    def sent_many(self, sent: Sequence[tuple[DueNudge, str, str]]) -> None:
        """`sent` for many nudges at once: each (nudge, channel, ts), recorded in one statement."""
        if sent:
            with unit_of_work(self.engine) as session:
                claims.nudges_sent(sent, session=session)

    def gone(self, due: DueNudge, reason: str) -> None:
        """Slack says the member is gone: fail this nudge for good and pause their program."""
        with unit_of_work(self.engine) as session:
            claims.finish(Nudge, claims.nudge_key(due), status=ClaimStatus.FAILED, session=session)
            members.pause_gone(MemberId(due.team_id, due.user_id), reason, ctx=self.coach.context(), session=session)

    def in_flight(self, who: MemberId, local_date: date) -> bool:
        """Whether the member's nudge of that day is being sent by another instance (their follow-ups go with it)."""
        team_id, user_id = who
        with unit_of_work(self.engine, read_only=True) as session:
            return asking.nudge_in_flight(team_id=team_id, user_id=user_id, local_date=local_date, session=session)

    def posted_at(self, team_id: str, channel_id: str, message_ts: str) -> DueNudge | None:
        """The nudge posted as that message, if it is one."""
        with unit_of_work(self.engine, read_only=True) as session:
            sent = asking.nudge_at(team_id=team_id, channel_id=channel_id, message_ts=message_ts, session=session)
            return DueNudge(team_id=team_id, user_id=sent.user_id, local_date=sent.local_date) if sent else None

    def todays(self, who: MemberId) -> tuple[str, str] | None:
        """Where the member's nudge of today is, to update it in place as they log practice."""
        team_id, user_id = who
        today = self.coach.today(who)
        with unit_of_work(self.engine, read_only=True) as session:
            nudge = asking.todays_nudge(team_id=team_id, user_id=user_id, local_date=today, session=session)
            if nudge is None or not nudge.channel_id or not nudge.message_ts:
                return None
            return nudge.channel_id, nudge.message_ts
