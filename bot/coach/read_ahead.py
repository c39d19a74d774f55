"""What composing a morning's nudges reads, read for a chunk of one workspace's members at once.

A nudge shows the member's progress, may meet a breakdown the coach noticed (from the program's days so far and
the promises gone past their date) and may show a measured stand's trajectory. Read member by member, that is half
a dozen queries each: at a fan-out of thousands of members the interpreter's time per statement, not the
database, sets the pace. Read here for a chunk, it is a handful of queries whatever the chunk's size, and each
nudge is composed from the same figures the one-member reads give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from bot.coach import measures
from bot.coach.rules import PROGRAM_DAYS, Practice, program_day, week_of
from bot.coach.trajectory import Trajectory
from bot.coach.values import Progress
from storage import queries
from storage.models import Stand
from storage.schedule import DueNudge


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """Practice by member and day (from the earliest program start or week start to the latest week's end), the
    promises gone past their date by member, and the measured stands' trajectories on their nudge day."""

    daily: dict[str, dict[date, Practice]]
    overdue: dict[tuple[str, date], int]  # (member, nudge day): promises and accepted requests overdue before it
    trajectories: dict[tuple[int, date], Trajectory]

    def progress(self, due: DueNudge, stand: Stand | None) -> Progress:
        """`practice.progress` of the member on their nudge day."""
        monday, sunday = week_of(due.local_date)
        days = self.daily.get(due.user_id, {})
        day = program_day(stand.program_started_on, due.local_date) if stand else None
        return Progress(
            today=due.local_date,
            stand=stand,
            day=day if day is None or day <= PROGRAM_DAYS else None,
            today_practice=days.get(due.local_date, Practice()),
            week_practice=_total(done for on, done in days.items() if monday <= on <= sunday),
        )

    def practice_between(self, user_id: str, first: date, last: date) -> dict[date, Practice]:
        """The member's practice by day from `first` to `last`, days without any left out."""
        return {on: done for on, done in self.daily.get(user_id, {}).items() if first <= on <= last}

    def trajectory(self, stand: Stand | None, today: date) -> Trajectory | None:
        """The stand's trajectory on `today`, if it is measured."""
        return self.trajectories.get((stand.id, today)) if stand is not None and stand.id is not None else None


def read_ahead(due: Sequence[DueNudge], stands: dict[str, Stand], *, session: Session) -> ReadAhead:
    """What composing these members' nudges reads (all of one workspace), in a few queries in all."""
    if not due:
        return ReadAhead({}, {}, {})
    team_id = due[0].team_id
    assert all(d.team_id == team_id for d in due), "one workspace at a time"
    users = [d.user_id for d in due]
    starts = [week_of(d.local_date)[0] for d in due]
    starts += [stands[d.user_id].program_started_on for d in due if d.user_id in stands]
    first, last = min(starts), max(week_of(d.local_date)[1] for d in due)
    counts = queries.practice_of_members(team_id=team_id, user_ids=users, first=first, last=last, session=session)
    daily: dict[str, dict[date, Practice]] = {}
    for (user_id, on), done in counts.items():
        daily.setdefault(user_id, {})[on] = Practice(*done)
    overdue: dict[tuple[str, date], int] = {}
    trajectories: dict[tuple[int, date], Trajectory] = {}
    for day in sorted({d.local_date for d in due}):
        of_day = [d.user_id for d in due if d.local_date == day]
        for user_id, count in queries.overdue_by_member(
            team_id=team_id, user_ids=of_day, before=day, session=session
        ).items():
            overdue[(user_id, day)] = count
        measured = [stands[u] for u in of_day if u in stands]
        for stand_id, found in measures.trajectories(measured, today=day, session=session).items():
            trajectories[(stand_id, day)] = found
    return ReadAhead(daily, overdue, trajectories)


def _total(days: Iterable[Practice]) -> Practice:
    shares = actions = requests = 0
    for done in days:
        shares, actions, requests = shares + done.shares, actions + done.actions, requests + done.requests
    return Practice(shares, actions, requests)
