"""Promises: a member's own and the ones they gave by accepting a request — accounted for as kept, renegotiated
(with the requester's agreement for an accepted request), revoked, or recorded broken when left open."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.coach import members
from bot.coach.rules import breaks_today, revoked_or_broken
from bot.coach.values import CoachRefusal, Context, MemberId, NotFound
from storage import queries
from storage.models import Promise, PromiseStatus, Renegotiation, RenegotiationStatus, Request, RequestStatus


def make(who: MemberId, text: str, due_on: date | None, *, ctx: Context, session: Session) -> Promise:
    """A promise of the member's own, open until accounted for."""
    team_id, user_id = who
    members.meet(who, ctx=ctx, session=session)
    promise = Promise(
        team_id=team_id, user_id=user_id, text=text, due_on=due_on, created_at=ctx.now, updated_at=ctx.now
    )
    session.add(promise)
    session.flush()
    return promise


def account(
    who: MemberId,
    promise_id: int,
    outcome: PromiseStatus,
    *,
    ctx: Context,
    session: Session,
    new_date: date | None = None,
) -> tuple[Promise, Promise | None]:
    """Account for an open promise: kept, revoked, or renegotiated to `new_date` (which opens its successor)."""
    team_id, user_id = who
    promise = queries.get_scoped(Promise, promise_id, team_id=team_id, session=session, for_update=True)
    if promise is None or promise.user_id != user_id:
        raise NotFound("I couldn't find that promise of yours in this workspace.")
    if promise.status != PromiseStatus.OPEN:
        raise CoachRefusal(f"That promise is already accounted for ({promise.status}) — nothing changed.")
    if outcome == PromiseStatus.REVOKED:
        outcome = revoked_or_broken(promise.due_on, members.today(MemberId(team_id, user_id), ctx=ctx, session=session))
    if not queries.compare_and_set(
        Promise,
        promise_id,
        team_id=team_id,
        expected={"status": PromiseStatus.OPEN},
        values={"status": outcome, "updated_at": ctx.now},
        session=session,
    ):
        session.refresh(promise)
        raise CoachRefusal(f"That promise is already accounted for ({promise.status}) — nothing changed.")
    successor = None
    if outcome == PromiseStatus.RENEGOTIATED:
        if new_date is None:
            raise CoachRefusal("A renegotiated promise needs its new date.")
        successor = Promise(
            team_id=team_id,
            user_id=user_id,
            text=promise.text,
            due_on=new_date,
            created_at=ctx.now,
            updated_at=ctx.now,
            milestone_of=promise.milestone_of,  # a milestone moved is still the stand's milestone
        )
        session.add(successor)
        session.flush()
    return promise, successor


def propose_renegotiation(
    who: MemberId, request_id: int, new_date: date, *, ctx: Context, session: Session
) -> tuple[Renegotiation, Request]:
    """The person who accepted a request asks its requester for a new date; until they agree, the old one holds."""
    team_id, user_id = who
    request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
    if request is None or request.recipient_id != user_id:
        raise NotFound("I couldn't find that promise of yours in this workspace.")
    if request.status != RequestStatus.ACCEPTED:
        raise CoachRefusal("That request isn't an open promise any more — nothing changed.")
    today = members.today(who, ctx=ctx, session=session)
    if new_date < today:
        raise CoachRefusal("The new date has already gone by — pick today or a later day.")
    if new_date == request.due_on:
        raise CoachRefusal("That's the date it already has — pick a different one.")
    pending = queries.proposed_renegotiation(team_id=team_id, request_id=request_id, session=session)
    if pending is not None:
        raise CoachRefusal(
            f"You've already asked to move it to {pending.new_due_on:%A %-d %B}; "
            "I'll let you know as soon as they answer."
        )
    asked = Renegotiation(
        team_id=team_id,
        request_id=request_id,
        user_id=user_id,
        old_due_on=request.due_on,
        new_due_on=new_date,
        asked_on=today,
        created_at=ctx.now,
    )
    session.add(asked)
    try:
        session.flush()
    except IntegrityError:
        # A second submit raced this one past the check above; the database let only one through.
        raise CoachRefusal("You've already asked to move it; I'll let you know their answer.") from None
    return asked, request


def withdraw_renegotiation(team_id: str, renegotiation_id: int, *, ctx: Context, session: Session) -> None:
    """Take back a date-change question that could not be delivered."""
    asked = queries.get_scoped(Renegotiation, renegotiation_id, team_id=team_id, session=session)
    if asked is not None and asked.status == RenegotiationStatus.PROPOSED:
        asked.status, asked.settled_at = RenegotiationStatus.WITHDRAWN, ctx.now
        session.add(asked)


def answer_renegotiation(
    who: MemberId, renegotiation_id: int, *, agree: bool, ctx: Context, session: Session
) -> tuple[Renegotiation, Request]:
    """The requester agrees to the new date (the promise is renegotiated) or keeps the old one."""
    team_id, user_id = who
    asked = queries.get_scoped(Renegotiation, renegotiation_id, team_id=team_id, session=session, for_update=True)
    request = (
        queries.get_scoped(Request, asked.request_id, team_id=team_id, session=session, for_update=True)
        if asked
        else None
    )
    if asked is None or request is None:
        raise NotFound("I couldn't find that question in this workspace.")
    if request.user_id != user_id:
        raise CoachRefusal("This question is for the person who made the request — nothing changed.")
    if asked.status != RenegotiationStatus.PROPOSED:
        raise CoachRefusal(f"That question is already settled ({asked.status}) — nothing changed.")
    if request.status != RequestStatus.ACCEPTED:
        asked.status, asked.settled_at = RenegotiationStatus.WITHDRAWN, ctx.now
        session.add(asked)
        raise CoachRefusal("That promise has moved on since they asked, so the date stays as it was.")
    if not queries.compare_and_set(
        Renegotiation,
        renegotiation_id,
        team_id=team_id,
        expected={"status": RenegotiationStatus.PROPOSED},
        values={
            "status": RenegotiationStatus.ACCEPTED if agree else RenegotiationStatus.DECLINED,
            "settled_at": ctx.now,
        },
        session=session,
    ):
        raise CoachRefusal("That question is already settled — nothing changed.")
    if agree:
        request.due_on, request.updated_at = asked.new_due_on, ctx.now
        session.add(request)
        # The new date gets its own follow-ups: on the day, a day late, and the account after.
        queries.forget_follow_ups(team_id=team_id, kind="request", item_id=request.id, session=session)
    return asked, request


def break_if_unanswered(
    team_id: str, kind: str, item_id: int, *, today: date, ctx: Context, session: Session
) -> Promise | Request | None:
    """Record a promise still open well past its date (on the promiser's local `today`) as broken; None when it
    was settled meanwhile."""
    if kind == "promise":
        promise = queries.get_scoped(Promise, item_id, team_id=team_id, session=session, for_update=True)
        if promise is None or promise.status != PromiseStatus.OPEN or not breaks_today(promise.due_on, today):
            return None
        promise.status, promise.updated_at = PromiseStatus.BROKEN, ctx.now
        session.add(promise)
        return promise
    request = queries.get_scoped(Request, item_id, team_id=team_id, session=session, for_update=True)
    if request is None or request.status != RequestStatus.ACCEPTED or not breaks_today(request.due_on, today):
        return None
    if queries.proposed_renegotiation(team_id=team_id, request_id=item_id, session=session):
        return None  # they asked for a new date in time; the requester's answer decides
    request.status, request.promise_status, request.updated_at = RequestStatus.CANCELLED, PromiseStatus.BROKEN, ctx.now
    session.add(request)
    return request
