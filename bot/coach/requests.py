"""Requests: asked of someone, offered as help, moved by either side, and expired when never answered."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from bot.coach import members
from bot.coach.rules import MoveRefused, RequestMove, Role, move_request, revoked_or_broken
from bot.coach.values import CoachRefusal, Context, MemberId, NotFound, RequestMoved
from storage import queries
from storage.models import PromiseStatus, Request, RequestStatus, Stand


def make(
    who: MemberId,
    recipient_id: str,
    text: str,
    due_on: date | None,
    *,
    toward: int | None = None,
    ctx: Context,
    session: Session,
) -> Request:
    """A request of someone else; it counts toward the requester's practice."""
    team_id, user_id = who
    if recipient_id == user_id:
        raise CoachRefusal("A request is something you ask of someone else — pick another person.")
    members.meet(who, ctx=ctx, session=session)
    request = Request(
        team_id=team_id,
        user_id=user_id,
        recipient_id=recipient_id,
        text=text,
        due_on=due_on,
        local_date=members.today(who, ctx=ctx, session=session),
        created_at=ctx.now,
        updated_at=ctx.now,
        toward_stand_id=toward,
    )
    session.add(request)
    session.flush()
    return request


def offer_help(
    team_id: str, stand_id: int, helper_id: str, text: str, due_on: date | None, *, ctx: Context, session: Session
) -> Request:
    """An offer of help with a stand, waiting for its owner to accept it as the helper's promise.

    Stored as a request the helper has already counter-offered: the stand's owner accepts or declines it.
    """
    stand = members.one(Stand, stand_id, team_id=team_id, what="stand", session=session)
    if stand.user_id == helper_id:
        raise CoachRefusal("This is your own stand — make a request of someone instead.")
    request = Request(
        team_id=team_id,
        user_id=stand.user_id,
        recipient_id=helper_id,
        text=text,
        due_on=due_on,
        status=RequestStatus.COUNTERED,
        offered=True,
        stand_id=stand.id,
        counter_text=text,
        counter_due_on=due_on,
        local_date=members.today(MemberId(team_id, stand.user_id), ctx=ctx, session=session),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(request)
    session.flush()
    return request


def move(
    team_id: str,
    request_id: int,
    actor_id: str,
    requested: RequestMove,
    *,
    ctx: Context,
    session: Session,
    terms: str | None = None,
    due_on: date | None = None,
) -> RequestMoved:
    """Apply one side's move to a request; raises MoveRefused when it no longer applies."""
    request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
    if request is None:
        raise NotFound("I couldn't find that request in this workspace.")
    if actor_id == request.user_id:
        role = Role.REQUESTER
    elif actor_id == request.recipient_id:
        role = Role.RECIPIENT
    else:
        raise CoachRefusal(
            "This request is between two other people, so its buttons aren't yours to press — nothing changed."
        )
    before = RequestStatus(request.status)
    values: dict[str, Any] = {"status": move_request(before, requested, role), "updated_at": ctx.now}
    if requested is RequestMove.COUNTER:
        values.update(counter_text=terms or request.text, counter_due_on=due_on)
    elif requested is RequestMove.ACCEPT_COUNTER:
        values.update(text=request.counter_text or request.text, due_on=request.counter_due_on)
    values.update(_promise_account(request, requested, ctx=ctx, session=session))
    # Compare-and-set on the state the move was decided from: of two racing clicks, one applies.
    if not queries.compare_and_set(
        Request, request_id, team_id=team_id, expected={"status": before}, values=values, session=session
    ):
        session.refresh(request)
        raise MoveRefused("spent", status=RequestStatus(request.status))
    if requested in (RequestMove.DONE, RequestMove.REVOKE):
        # A date-change question still waiting for the requester has nothing left to move.
        queries.withdraw_renegotiations(team_id=team_id, request_id=request_id, session=session)
    return RequestMoved(request=request, before=before, move=requested, actor=role)


def _promise_account(request: Request, requested: RequestMove, *, ctx: Context, session: Session) -> dict[str, Any]:
    """How the account of the recipient's promise changes with a move on the request."""
    today = members.today(MemberId(request.team_id, request.recipient_id), ctx=ctx, session=session)
    if requested in (RequestMove.ACCEPT, RequestMove.ACCEPT_COUNTER):
        return {"promise_status": PromiseStatus.OPEN, "promised_on": today}
    if requested is RequestMove.DONE:
        return {"promise_status": PromiseStatus.KEPT, "done_on": today}
    if requested is RequestMove.NOT_YET:
        return {"promise_status": PromiseStatus.OPEN, "done_on": None}
    if requested is RequestMove.REVOKE:
        return {"promise_status": revoked_or_broken(request.due_on, today)}
    return {}


def expire_if_unanswered(team_id: str, request_id: int, *, ctx: Context, session: Session) -> Request | None:
    """Close a request its recipient never answered as expired (stored as cancelled: the contract's statuses
    are fixed); None when it was answered or cancelled in the meantime. Nothing is owed: it was never a promise.
    """
    request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
    if request is None or request.status != RequestStatus.OPEN:
        return None
    request.status, request.updated_at = RequestStatus.CANCELLED, ctx.now
    session.add(request)
    return request
