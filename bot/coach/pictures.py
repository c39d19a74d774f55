"""The week as a picture: the figures a chart of the week is drawn from. The team's share, act and request day by
day against the day's targets, and each measured stand's readings against the line from its start to its target.
Drawing them is the handlers' (a PNG for Slack); what is drawn is decided here, from what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.coach import measures
from bot.coach.rules import DAILY_TARGET, Practice, week_of
from bot.coach.trajectory import Measure
from bot.coach.values import MemberId
from bot.coach.weeks import WEEK_DAYS, week_instants, working_days
from storage import queries
from storage.models import Stand


@dataclass(frozen=True, slots=True)
class DayPractice:
    """One day of the week: what was done, and the target of each of share, act and request that day."""

    day: date
    done: Practice
    target: int  # two for each member practising that day (weekdays, or every day with weekends on)


@dataclass(frozen=True, slots=True)
class StandLine:
    """A measured stand's readings against the straight line from where it started to its target by its date."""

    owner_id: str
    owner_name: str  # as Slack gave it; "" when it gave none
    measure: Measure
    started_on: date
    due_on: date
    readings: tuple[tuple[date, float], ...]  # one per day with a reading (the day's last), oldest first

    def planned(self, day: date) -> float:
        """Where the straight line from the start to the target stands on `day`."""
        span = max(1, (self.due_on - self.started_on).days)
        share = min(1.0, max(0.0, (day - self.started_on).days / span))
        return self.measure.start + (self.measure.target - self.measure.start) * share


@dataclass(frozen=True, slots=True)
class WeekPicture:
    """What one chart shows: a week's days (Monday first) and the measured stands in it."""

    team_id: str
    week_start: date
    days: tuple[DayPractice, ...]
    stands: tuple[StandLine, ...]
    user_id: str | None = None  # the member whose own week it is; None for the team's

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=WEEK_DAYS - 1)

    @property
    def empty(self) -> bool:
        """Nothing to draw: no one practised or had a target, and no stand is measured."""
        return not self.stands and not any(
            d.target or d.done.shares or d.done.actions or d.done.requests for d in self.days
        )


def _days(
    week_start: date,
    by_day: dict[tuple[str, date], tuple[int, int, int]],
    practising: dict[str, bool],
    *,
    through: date,
) -> tuple[DayPractice, ...]:
    """The week's days: practice summed over members, and two of each for every member practising that day (no
    target after `through`: a day not yet lived is not a day missed)."""
    days = []
    for offset in range(WEEK_DAYS):
        day = week_start + timedelta(days=offset)
        done = [counts for (_, on), counts in by_day.items() if on == day]
        practising_today = sum(
            1
            for weekends in practising.values()
            if day <= through and day in working_days(week_start, weekends=weekends)
        )
        days.append(
            DayPractice(
                day=day,
                done=Practice(*(sum(counts[i] for counts in done) for i in range(3))),
                target=DAILY_TARGET * practising_today,
            )
        )
    return tuple(days)


def _lines(stands: Sequence[Stand], *, through: date, session: Session) -> tuple[StandLine, ...]:
    """The measured ones among `stands` (of one workspace), with their readings through `through`."""
    measured: list[tuple[Stand, Measure]] = []
    for stand in stands:
        measure = measures.measure_of(stand)
        if stand.id is not None and measure is not None:
            measured.append((stand, measure))
    if not measured:
        return ()
    team_id = measured[0][0].team_id
    ids = [stand.id for stand, _ in measured if stand.id is not None]
    readings = queries.readings_by_day(team_id=team_id, stand_ids=ids, through=through, session=session)
    names = queries.member_names(team_id=team_id, user_ids={stand.user_id for stand, _ in measured}, session=session)
    lines = []
    for stand, measure in measured:
        assert stand.id is not None
        points = readings.get(stand.id, [])
        started_on = points[0][0] if points else stand.program_started_on
        lines.append(
            StandLine(
                owner_id=stand.user_id,
                owner_name=names.get(stand.user_id, ""),
                measure=measure,
                started_on=started_on,
                due_on=max(measures.due_on(stand), started_on),
                readings=tuple(points) or ((started_on, measure.start),),
            )
        )
    return tuple(lines)


def team_week(session: Session, *, team_id: str, week_start: date, zone: ZoneInfo) -> WeekPicture:
    """The workspace's week starting on Monday `week_start` (in its zone `zone`), as the recap tells it: everyone
    who practised or held a stand in it, and the stands active as it ended."""
    week_end = week_start + timedelta(days=WEEK_DAYS - 1)
    start, end = week_instants(week_start, zone)
    by_day = queries.practice_by_member_day(team_id=team_id, first=week_start, last=week_end, session=session)
    members = {user_id for user_id, _ in by_day} | queries.members_with_stand_between(
        team_id=team_id, start=start, end=end, session=session
    )
    with_weekends = queries.members_with_weekends(team_id=team_id, session=session)
    stands = queries.active_stands_with_followers(team_id=team_id, declared_before=end, session=session)
    return WeekPicture(
        team_id=team_id,
        week_start=week_start,
        days=_days(week_start, by_day, {user_id: user_id in with_weekends for user_id in members}, through=week_end),
        stands=_lines([stand for stand, _, _ in stands], through=week_end, session=session),
    )


def member_week(session: Session, *, who: MemberId, today: date, weekends: bool) -> WeekPicture:
    """The member's own week so far (Monday to `today`, their local date), with their active stand's line."""
    week_start, _ = week_of(today)
    by_day = queries.practice_by_member_day(
        team_id=who.team_id, first=week_start, last=today, user_id=who.user_id, session=session
    )
    stand = queries.active_stand(team_id=who.team_id, user_id=who.user_id, session=session)
    practising = {who.user_id: weekends} if stand is not None or by_day else {}
    return WeekPicture(
        team_id=who.team_id,
        week_start=week_start,
        days=_days(week_start, by_day, practising, through=today),
        stands=_lines([stand] if stand is not None else [], through=today, session=session),
        user_id=who.user_id,
    )
