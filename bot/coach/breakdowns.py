"""Breakdowns (declared, or noticed by the coach and taken up, answered, resolved) and breakthroughs."""

from __future__ import annotations

from sqlmodel import Session

from bot.coach import members, workspaces
from bot.coach.values import CoachRefusal, Context, MemberId, NotFound
from storage import asking, queries
from storage.models import Breakdown, Breakthrough


def declare(who: MemberId, text: str, *, ctx: Context, session: Session) -> Breakdown:
    """A breakdown declared: a milestone to meet with questions, not a failure."""
    team_id, user_id = who
    members.meet(who, ctx=ctx, session=session)
    breakdown = Breakdown(team_id=team_id, user_id=user_id, text=text, created_at=ctx.now)
    session.add(breakdown)
    session.flush()
    return breakdown


def own(who: MemberId, breakdown_id: int, *, session: Session) -> Breakdown:
    """One of the member's own breakdowns."""
    team_id, user_id = who
    breakdown = queries.get_scoped(Breakdown, breakdown_id, team_id=team_id, session=session)
    if breakdown is None or breakdown.user_id != user_id:
        raise NotFound("I couldn't find that breakdown of yours in this workspace.")
    return breakdown


def declare_noticed(who: MemberId, breakdown_id: int, text: str, *, session: Session) -> Breakdown:
    """The member declares the breakdown the coach noticed, in their own words (still one breakdown met)."""
    breakdown = own(who, breakdown_id, session=session)
    # Taken up in the member's words, the coach's check-in becomes their breakdown: met, and counted.
    breakdown.text, breakdown.noticed = text, False
    session.add(breakdown)
    return breakdown


def on_it(who: MemberId, check_in_id: int, *, session: Session) -> bool:
    """The member answers a check-in "I'm on it": no breakdown declared, the question settled."""
    team_id, user_id = who
    return asking.answer_check_in(
        team_id=team_id, user_id=user_id, check_in_id=check_in_id, answer="on_it", session=session
    )


def resolve(who: MemberId, breakdown_id: int | None, resolution: str, *, ctx: Context, session: Session) -> Breakdown:
    """Log what shifted: resolves the given breakdown, or the member's latest unresolved one."""
    team_id, user_id = who
    if breakdown_id is None:
        found = queries.latest_unresolved_breakdown(team_id=team_id, user_id=user_id, session=session)
        if found is None:
            raise CoachRefusal("You have no open breakdown to resolve — declare one with `/breakdown`.")
        breakdown = found
    else:
        breakdown = own(who, breakdown_id, session=session)
    if breakdown.resolved_at is not None:
        raise CoachRefusal("That breakdown is already resolved — nothing changed.")
    breakdown.resolution, breakdown.resolved_at = resolution, ctx.now
    session.add(breakdown)
    return breakdown


def declare_breakthrough(
    who: MemberId, text: str, *, ctx: Context, session: Session
) -> tuple[Breakthrough, str | None]:
    """A breakthrough, and the recap channel where it should be celebrated (if one is set)."""
    team_id, user_id = who
    members.meet(who, ctx=ctx, session=session)
    stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    breakthrough = Breakthrough(
        team_id=team_id, user_id=user_id, text=text, stand_id=stand.id if stand else None, created_at=ctx.now
    )
    session.add(breakthrough)
    session.flush()
    return breakthrough, workspaces.recap_channel(team_id, ctx=ctx, session=session)
