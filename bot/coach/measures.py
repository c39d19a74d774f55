"""Measured stands: where the count stands (`/progress`), and the trajectory from the start to the stand's date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session

from bot.coach import members
from bot.coach.rules import PROGRAM_DAYS
from bot.coach.trajectory import Measure, Trajectory
from bot.coach.values import CoachRefusal, Context, MemberId
from storage import queries
from storage.models import Reading, Stand

MAX_NOTE = 500


def measure_of(stand: Stand) -> Measure | None:
    """The stand's measure, if it has one."""
    if stand.measure is None or stand.measure_start is None or stand.measure_target is None:
        return None
    return Measure(what=stand.measure, start=stand.measure_start, target=stand.measure_target)


def due_on(stand: Stand) -> date:
    """The stand's date: the one the member gave, or the last day of its program."""
    return stand.due_on or stand.program_started_on + timedelta(days=PROGRAM_DAYS - 1)


def start(stand: Stand, *, today: date, session: Session) -> None:
    """Record where a measured stand stands on the day it is declared: the first point of its line."""
    measure = measure_of(stand)
    if measure is None or stand.id is None:
        return
    session.add(
        Reading(
            team_id=stand.team_id,
            user_id=stand.user_id,
            stand_id=stand.id,
            value=measure.start,
            local_date=today,
            created_at=stand.created_at,
        )
    )
    session.flush()


def trajectories(stands: Sequence[Stand], *, today: date, session: Session) -> dict[int, Trajectory]:
    """The trajectory of each measured stand among `stands` (all of one workspace) on `today`."""
    measured = [s for s in stands if s.id is not None and measure_of(s) is not None]
    if not measured:
        return {}
    spans = queries.reading_spans(
        team_id=measured[0].team_id, stand_ids=[s.id for s in measured if s.id], through=today, session=session
    )
    found: dict[int, Trajectory] = {}
    for stand in measured:
        assert stand.id is not None
        measure = measure_of(stand)
        assert measure is not None
        first, last = spans.get(stand.id, (None, None))
        started_on = first.local_date if first is not None else stand.program_started_on
        found[stand.id] = Trajectory(
            measure=measure,
            started_on=started_on,
            due_on=max(due_on(stand), started_on),
            today=today,
            current=last.value if last is not None else measure.start,
            current_on=last.local_date if last is not None else started_on,
        )
    return found


def trajectory(stand: Stand | None, *, today: date, session: Session) -> Trajectory | None:
    """The stand's trajectory on `today`, if it is measured."""
    if stand is None or stand.id is None:
        return None
    return trajectories([stand], today=today, session=session).get(stand.id)


def record(who: MemberId, value: float, note: str, *, ctx: Context, session: Session) -> Trajectory:
    """Where the member's measured stand stands today (`/progress`); the day's last reading is the one that counts."""
    team_id, user_id = who
    stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    if stand is None:
        raise CoachRefusal("You have no active stand to measure — declare one with `/stand`.")
    if measure_of(stand) is None or stand.id is None:
        raise CoachRefusal(
            "Your stand doesn't count anything yet. Give it a measure by declaring it again with the number, e.g. "
            "`/stand 80 sign-ups by 2026-12-18 (from 40)`: you'll be asked whether to replace the current one."
        )
    today = members.today(who, ctx=ctx, session=session)
    session.add(
        Reading(
            team_id=team_id,
            user_id=user_id,
            stand_id=stand.id,
            value=value,
            note=note[:MAX_NOTE] or None,
            local_date=today,
            created_at=ctx.now,
        )
    )
    session.flush()
    found = trajectory(stand, today=today, session=session)
    assert found is not None
    return found
