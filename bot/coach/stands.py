"""Stands: declared (or kept as a draft while another is active), replaced, restarted, closed, joined and left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.coach import measures, members
from bot.coach.trajectory import Measure
from bot.coach.values import CoachRefusal, Context, Joined, MemberId, NotFound, StandConflict, StandDeclared
from storage import queries
from storage.models import Follower, Promise, Stand, StandDraft, StandStatus


def declare(
    who: MemberId,
    outcome: str,
    due_on: date | None,
    *,
    measure: Measure | None = None,
    origin: str | None = None,
    milestones: Sequence[tuple[str, date]] = (),
    channel_id: str | None,
    ctx: Context,
    session: Session,
) -> StandDeclared | StandConflict:
    """Declare a stand and start its 14-day program, unless one is active (then keep the new one as a draft)."""
    team_id, user_id = who
    members.meet(who, ctx=ctx, session=session)
    current = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    stand = Stand(
        team_id=team_id,
        user_id=user_id,
        text=outcome,
        due_on=due_on,
        status=StandStatus.ACTIVE,
        program_started_on=members.today(who, ctx=ctx, session=session),
        channel_id=channel_id,
        created_at=ctx.now,
        origin=origin,
        **_measure_columns(measure),
    )
    if current is not None:
        draft = StandDraft(
            team_id=team_id,
            user_id=user_id,
            text=outcome,
            due_on=due_on,
            channel_id=channel_id,
            created_at=ctx.now,
            origin=origin,
            **_measure_columns(measure),
        )
        session.add(draft)
        session.flush()
        return StandConflict(current=current, draft=draft)
    stand = _new(stand, ctx=ctx, session=session)
    for text, on in milestones:
        _milestone(stand, text, on, ctx=ctx, session=session)
    return StandDeclared(stand=stand)


MAX_MILESTONES = 5


def add_milestone(who: MemberId, text: str, due_on: date, *, ctx: Context, session: Session) -> Promise:
    """A milestone on the way to the member's active stand: a promise of theirs, followed up on its date."""
    stand = queries.active_stand(team_id=who.team_id, user_id=who.user_id, session=session)
    if stand is None:
        raise CoachRefusal("You have no active stand to add a milestone to — declare one with `/stand`.")
    return _milestone(stand, text, due_on, ctx=ctx, session=session)


def _milestone(stand: Stand, text: str, due_on: date, *, ctx: Context, session: Session) -> Promise:
    assert stand.id is not None
    if stand.due_on is not None and due_on > stand.due_on:
        raise CoachRefusal(
            f"A milestone comes on the way to your stand: pick a date on or before {stand.due_on:%a %d %b}."
        )
    if len(queries.milestones(team_id=stand.team_id, stand_id=stand.id, session=session)) >= MAX_MILESTONES:
        raise CoachRefusal(
            f"Your stand carries {MAX_MILESTONES} milestones already, the most it takes: let those mark the path."
        )
    milestone = Promise(
        team_id=stand.team_id,
        user_id=stand.user_id,
        text=text,
        due_on=due_on,
        created_at=ctx.now,
        updated_at=ctx.now,
        milestone_of=stand.id,
    )
    session.add(milestone)
    session.flush()
    return milestone


def _measure_columns(measure: Measure | None) -> dict[str, Any]:
    if measure is None:
        return {}
    return {"measure": measure.what, "measure_start": measure.start, "measure_target": measure.target}


def _new(stand: Stand, *, ctx: Context, session: Session) -> Stand:
    """Store a new active stand (its program starting today) and the first point of its measure's line."""
    who = MemberId(stand.team_id, stand.user_id)
    stand.program_started_on = members.today(who, ctx=ctx, session=session)
    session.add(stand)
    try:
        session.flush()
    except IntegrityError:
        raise CoachRefusal("You declared a stand a moment ago — it's the one that counts.") from None
    measures.start(stand, today=stand.program_started_on, session=session)
    members.reschedule_nudge(who, ctx=ctx, session=session)
    return stand


def settle_draft(
    who: MemberId, draft_id: int, *, replace: bool, ctx: Context, session: Session
) -> StandDeclared | None:
    """Replace the active stand with the draft (withdrawing it), or drop the draft and keep the stand."""
    team_id, user_id = who
    draft = queries.get_scoped(StandDraft, draft_id, team_id=team_id, session=session)
    if draft is None or draft.user_id != user_id:
        raise NotFound("That choice has already been made — nothing changed.")
    session.delete(draft)
    if not replace:
        return None
    current = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    if current is not None:
        current.status = StandStatus.WITHDRAWN
        current.ended_at = ctx.now
        session.add(current)
        session.flush()
    stand = Stand(
        team_id=team_id,
        user_id=user_id,
        text=draft.text,
        due_on=draft.due_on,
        status=StandStatus.ACTIVE,
        program_started_on=draft.created_at.date(),  # set to the member's today by _new
        channel_id=draft.channel_id,
        created_at=ctx.now,
        measure=draft.measure,
        measure_start=draft.measure_start,
        measure_target=draft.measure_target,
        origin=draft.origin,
    )
    return StandDeclared(stand=_new(stand, ctx=ctx, session=session), replaced=current)


def restart_program(who: MemberId, *, ctx: Context, session: Session) -> Stand:
    """Another 14 days on the same stand, from the member's next working day."""
    team_id, user_id = who
    stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    if stand is None:
        raise CoachRefusal("You have no active stand to continue — declare one with `/stand`.")
    member = members.ensure(who, ctx=ctx, session=session)
    start = members.today(who, ctx=ctx, session=session) + timedelta(days=1)
    while not member.weekends and start.weekday() >= 5:  # day 1 should be a day they practise
        start += timedelta(days=1)
    stand.program_started_on = start
    session.add(stand)
    session.flush()
    members.reschedule_nudge(who, ctx=ctx, session=session)
    return stand


def close(who: MemberId, status: StandStatus, words: str, *, ctx: Context, session: Session) -> Stand:
    """Close the member's active stand as achieved or ended, in their words; their history stays."""
    team_id, user_id = who
    if status not in (StandStatus.ACHIEVED, StandStatus.ENDED):
        raise ValueError(f"a stand closes as achieved or ended, not {status}")
    stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    if stand is None or not queries.compare_and_set(
        Stand,
        stand.id or 0,
        team_id=team_id,
        expected={"status": StandStatus.ACTIVE},
        values={"status": status, "ended_at": ctx.now, "closing_words": words or None},
        session=session,
    ):
        raise CoachRefusal("That stand is already closed — nothing changed.")
    members.reschedule_nudge(who, ctx=ctx, session=session)  # a closed stand stops the nudges
    return stand


def join(team_id: str, stand_id: int, user_id: str, *, ctx: Context, session: Session) -> Joined:
    """Join a stand; the first to join is its first follower."""
    stand = members.one(Stand, stand_id, team_id=team_id, what="stand", session=session)
    if stand.status != StandStatus.ACTIVE:
        raise CoachRefusal("That stand has closed, so it can't be joined any more.")
    if stand.user_id == user_id:
        raise CoachRefusal("This is your own stand — you're already all in.")
    members.meet(MemberId(team_id, user_id), ctx=ctx, session=session)  # a follower is written to: pausable like anyone
    if user_id in queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session):
        raise CoachRefusal("You've already joined this stand — nothing changed.")
    session.add(Follower(team_id=team_id, stand_id=stand_id, user_id=user_id, created_at=ctx.now))
    try:
        session.flush()
    except IntegrityError:
        raise CoachRefusal("You've already joined this stand — nothing changed.") from None
    followers = queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session)
    return Joined(stand=stand, follower_ids=followers, is_first=followers[:1] == [user_id])


def leave(team_id: str, stand_id: int, user_id: str, *, session: Session) -> Stand:
    """Stop following a stand."""
    stand = members.one(Stand, stand_id, team_id=team_id, what="stand", session=session)
    if not queries.remove_follower(team_id=team_id, stand_id=stand_id, user_id=user_id, session=session):
        raise CoachRefusal("You're not following this stand — nothing changed.")
    return stand


def followed(who: MemberId, owner_id: str, *, session: Session) -> Stand:
    """The active stand of `owner_id` that the member follows, for practice logged `for @owner`."""
    if owner_id == who.user_id:
        raise CoachRefusal("That's your own stand — everything you log counts for it already.")
    stand = queries.active_stand(team_id=who.team_id, user_id=owner_id, session=session)
    if stand is None or stand.id is None:
        raise CoachRefusal(f"<@{owner_id}> has no active stand to log this for — nothing changed.")
    if who.user_id not in queries.follower_ids(team_id=who.team_id, stand_id=stand.id, session=session):
        raise CoachRefusal(
            f"Only those who joined <@{owner_id}>'s stand log for it. Join it from its announcement first."
        )
    return stand
