"""The daily practice: shares and actions logged, and the progress they add up to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from bot.coach import members
from bot.coach.rules import PROGRAM_DAYS, Practice, program_day, week_of
from bot.coach.values import CoachRefusal, Context, MemberId, Progress
from storage import queries
from storage.models import Stand


def log_shares(
    who: MemberId, told: Sequence[str], note: str, *, toward: int | None = None, ctx: Context, session: Session
) -> Progress:
    """Each person told about the stand counts as one share (for a stand the member follows too, `toward`)."""
    team_id, user_id = who
    if user_id in told:
        raise CoachRefusal("Telling yourself doesn't count — share your stand with someone else.")
    members.meet(who, ctx=ctx, session=session)
    today = members.today(who, ctx=ctx, session=session)
    queries.add_shares(
        team_id=team_id,
        user_id=user_id,
        told_user_ids=told,
        text=note,
        local_date=today,
        toward_stand_id=toward,
        now=ctx.now,
        session=session,
    )
    return progress(who, ctx=ctx, session=session)


def log_action(who: MemberId, text: str, *, toward: int | None = None, ctx: Context, session: Session) -> Progress:
    """One action toward the stand (and toward a stand the member follows, `toward`)."""
    team_id, user_id = who
    members.meet(who, ctx=ctx, session=session)
    today = members.today(who, ctx=ctx, session=session)
    queries.add_action(
        team_id=team_id,
        user_id=user_id,
        text=text,
        local_date=today,
        toward_stand_id=toward,
        now=ctx.now,
        session=session,
    )
    return progress(who, ctx=ctx, session=session)


def progress(
    who: MemberId,
    *,
    ctx: Context,
    session: Session,
    on: date | None = None,
    stand: Stand | None = None,
) -> Progress:
    """The day's (today's, unless `on` names another local date) and its week's practice, and the program day;
    `stand` when the caller already read the active one. Read without it, the progress also says whether the
    member's nudge of the day is out (read beside the rest, in the same statement)."""
    team_id, user_id = who
    today = on or members.today(who, ctx=ctx, session=session)
    monday, sunday = week_of(today)
    spans = [(today, today), (monday, sunday)]
    nudge_out: bool | None = None
    if stand is None:
        day_of = queries.day_of_practice(team_id=team_id, user_id=user_id, spans=spans, nudge_on=today, session=session)
        stand, (day_counts, week_counts), nudge_out = day_of.stand, day_of.counts, day_of.nudge_out
    else:
        day_counts, week_counts = queries.practice_counts(
            team_id=team_id, user_id=user_id, spans=spans, session=session
        )
    day = program_day(stand.program_started_on, today) if stand else None
    return Progress(
        today=today,
        stand=stand,
        day=day if day is None or day <= PROGRAM_DAYS else None,
        today_practice=Practice(*day_counts),
        week_practice=Practice(*week_counts),
        nudge_out=nudge_out,
    )
