"""Ideas: a follower answers the breakdown of a stand they joined with an idea; its owner may turn it into a request
of that follower with one click."""

from __future__ import annotations

from sqlmodel import Session

from bot.coach import members, requests
from bot.coach.values import CoachRefusal, Context, MemberId, NotFound
from storage import queries
from storage.models import Breakdown, Idea, Request, Stand, StandStatus

MAX_IDEA = 2000


def offer(who: MemberId, breakdown_id: int, text: str, *, ctx: Context, session: Session) -> tuple[Idea, Stand]:
    """A follower's idea for the stand whose breakdown they were told of; the stand it is for."""
    breakdown = members.one(Breakdown, breakdown_id, team_id=who.team_id, what="breakdown", session=session)
    stand = queries.active_stand(team_id=who.team_id, user_id=breakdown.user_id, session=session)
    if stand is None or stand.id is None or stand.status != StandStatus.ACTIVE:
        raise CoachRefusal("That stand has closed, so there is no breakdown left to help with. Thank you all the same.")
    if who.user_id not in queries.follower_ids(team_id=who.team_id, stand_id=stand.id, session=session):
        raise CoachRefusal("Ideas for a stand come from the people who joined it: join it first from its announcement.")
    members.meet(who, ctx=ctx, session=session)
    idea = Idea(
        team_id=who.team_id,
        user_id=who.user_id,
        stand_id=stand.id,
        breakdown_id=breakdown.id,
        text=text[:MAX_IDEA],
        created_at=ctx.now,
    )
    session.add(idea)
    session.flush()
    return idea, stand


def to_request(who: MemberId, idea_id: int, *, ctx: Context, session: Session) -> tuple[Idea, Request]:
    """The stand's owner turns a follower's idea into a request of that follower (once)."""
    idea = members.one(Idea, idea_id, team_id=who.team_id, what="idea", session=session)
    stand = session.get(Stand, idea.stand_id)
    if stand is None or stand.user_id != who.user_id:
        raise NotFound("I couldn't find that idea for your stand in this workspace.")
    already = CoachRefusal("That idea is already a request — nothing changed.")
    if idea.request_id is not None:
        raise already
    request = requests.make(who, idea.user_id, idea.text, None, ctx=ctx, session=session)
    assert request.id is not None
    if not queries.set_idea_request(team_id=who.team_id, idea_id=idea_id, request_id=request.id, session=session):
        raise already  # another click made it first: this one's request rolls back with the refusal
    session.refresh(idea)
    return idea, request
