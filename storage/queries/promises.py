"""Promises — own ones, accepted requests, new dates asked for — and their follow-ups."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, union_all, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.models import (
    FollowUp,
    Promise,
    PromiseStatus,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
)


def open_promises(*, team_id: str, user_id: str, session: Session) -> Sequence[Promise]:
    """The member's own promises not yet accounted for, soonest due first."""
    return session.exec(
        select(Promise)
        .where(Promise.team_id == team_id, Promise.user_id == user_id, Promise.status == PromiseStatus.OPEN)
        .order_by(col(Promise.due_on).is_(None), col(Promise.due_on), col(Promise.created_at))
    ).all()


def member_promises(*, team_id: str, user_id: str, session: Session) -> Sequence[Promise]:
    """Every promise the member made, in any state."""
    return session.exec(select(Promise).where(Promise.team_id == team_id, Promise.user_id == user_id)).all()


def agreed_renegotiations(*, team_id: str, user_id: str | None = None, session: Session) -> Sequence[Renegotiation]:
    """New dates the requester agreed to, asked by `user_id` (or anyone in the workspace)."""
    query = select(Renegotiation).where(
        Renegotiation.team_id == team_id, Renegotiation.status == RenegotiationStatus.ACCEPTED
    )
    if user_id is not None:
        query = query.where(Renegotiation.user_id == user_id)
    return session.exec(query).all()


def proposed_renegotiation(*, team_id: str, request_id: int, session: Session) -> Renegotiation | None:
    """The date change still waiting for the requester's answer, if any."""
    return session.exec(
        select(Renegotiation).where(
            Renegotiation.team_id == team_id,
            Renegotiation.request_id == request_id,
            Renegotiation.status == RenegotiationStatus.PROPOSED,
        )
    ).first()


def withdraw_renegotiations(*, team_id: str, request_id: int | None, session: Session) -> None:
    """Close the date-change question on a request that moved on before the requester answered."""
    session.execute(
        update(Renegotiation)
        .where(
            col(Renegotiation.team_id) == team_id,
            col(Renegotiation.request_id) == request_id,
            col(Renegotiation.status) == RenegotiationStatus.PROPOSED,
        )
        .values(status=RenegotiationStatus.WITHDRAWN)
    )


def forget_follow_ups(*, team_id: str, kind: str, item_id: int | None, session: Session) -> None:
    """Drop the follow-ups an item had about its date, so a new date is followed up afresh."""
    session.execute(
        delete(FollowUp).where(
            col(FollowUp.team_id) == team_id,
            col(FollowUp.kind) == kind,
            col(FollowUp.item_id) == item_id,
            col(FollowUp.stage).in_(("due", "overdue", "broken")),
        )
    )


def week_accounts(
    *, team_id: str, first: date, last: date, start: datetime, end: datetime, session: Session
) -> tuple[Sequence[Promise], Sequence[Request], Sequence[Renegotiation]]:
    """The workspace's promises made, due or ended in a week: its own promises and requests promised or due by
    local date `first`..`last` or changed in [start, end), and the new dates agreed in [start, end) or in place of
    a date in the week."""
    promises = session.exec(
        select(Promise).where(
            Promise.team_id == team_id,
            ((col(Promise.updated_at) >= start) & (col(Promise.updated_at) < end))
            | ((col(Promise.created_at) >= start) & (col(Promise.created_at) < end))
            | col(Promise.due_on).between(first, last),
        )
    ).all()
    requests = session.exec(
        select(Request).where(
            Request.team_id == team_id,
            col(Request.promise_status).is_not(None),
            ((col(Request.updated_at) >= start) & (col(Request.updated_at) < end))
            | col(Request.promised_on).between(first, last)
            | col(Request.done_on).between(first, last)
            | col(Request.due_on).between(first, last),
        )
    ).all()
    agreed = session.exec(
        select(Renegotiation).where(
            Renegotiation.team_id == team_id,
            Renegotiation.status == RenegotiationStatus.ACCEPTED,
            ((col(Renegotiation.settled_at) >= start) & (col(Renegotiation.settled_at) < end))
            | col(Renegotiation.old_due_on).between(first, last),
        )
    ).all()
    return promises, requests, agreed


def count_overdue(*, team_id: str, before: date, session: Session, user_id: str | None = None) -> int:
    """Promises still open, and accepted requests not yet done, whose date is before `before`; the member's own
    when `user_id` is given."""
    promise_where: list[ColumnElement[bool]] = [
        col(Promise.team_id) == team_id,
        col(Promise.status) == PromiseStatus.OPEN,
        col(Promise.due_on) < before,
    ]
    request_where: list[ColumnElement[bool]] = [
        col(Request.team_id) == team_id,
        col(Request.status) == RequestStatus.ACCEPTED,
        col(Request.due_on) < before,
    ]
    if user_id is not None:
        promise_where.append(col(Promise.user_id) == user_id)
        request_where.append(col(Request.recipient_id) == user_id)
    promises = session.exec(select(func.count()).select_from(Promise).where(*promise_where)).one()
    requests = session.exec(select(func.count()).select_from(Request).where(*request_where)).one()
    return int(promises) + int(requests)


@lru_cache(maxsize=1)
def _overdue_by_member_statement() -> Any:
    # Built once and run with bound values: the morning pass reads it for every chunk of members.
    promises: Any = core_select(col(Promise.user_id).label("user_id")).where(
        col(Promise.team_id) == bindparam("team_id"),
        col(Promise.user_id).in_(bindparam("user_ids", expanding=True)),
        col(Promise.status) == PromiseStatus.OPEN,
        col(Promise.due_on) < bindparam("before"),
    )
    requests: Any = core_select(col(Request.recipient_id).label("user_id")).where(
        col(Request.team_id) == bindparam("team_id"),
        col(Request.recipient_id).in_(bindparam("user_ids", expanding=True)),
        col(Request.status) == RequestStatus.ACCEPTED,
        col(Request.due_on) < bindparam("before"),
    )
    overdue = union_all(promises, requests).subquery()
    return core_select(overdue.c.user_id, func.count()).group_by(overdue.c.user_id)


def overdue_by_member(*, team_id: str, user_ids: Collection[str], before: date, session: Session) -> dict[str, int]:
    """`count_overdue` for each of these members (those with none left out), in one round trip."""
    if not user_ids:
        return {}
    values = {"team_id": team_id, "user_ids": list(user_ids), "before": before}
    return {user_id: int(count) for user_id, count in session.execute(_overdue_by_member_statement(), values)}


def milestones(*, team_id: str, stand_id: int, session: Session) -> Sequence[Promise]:
    """The stand's milestones by date; one renegotiated to a new date is its successor, not a second milestone."""
    return session.exec(
        select(Promise)
        .where(
            col(Promise.team_id) == team_id,
            col(Promise.milestone_of) == stand_id,
            col(Promise.status) != PromiseStatus.RENEGOTIATED,
        )
        .order_by(col(Promise.due_on), col(Promise.id))
    ).all()


def open_due_dates_by_member(
    *, team_id: str, user_ids: Collection[str], before: date, session: Session
) -> dict[str, list[date]]:
    """The dates before `before` of each member's open promises and accepted requests not yet done (as the person
    who accepted them): what may be overdue, for the caller to compare with each member's own today."""
    if not user_ids:
        return {}
    found: dict[str, list[date]] = {}
    promises = session.exec(
        select(col(Promise.user_id), col(Promise.due_on)).where(
            col(Promise.team_id) == team_id,
            col(Promise.user_id).in_(user_ids),
            col(Promise.status) == PromiseStatus.OPEN,
            col(Promise.due_on) < before,
        )
    )
    accepted = session.exec(
        select(col(Request.recipient_id), col(Request.due_on)).where(
            col(Request.team_id) == team_id,
            col(Request.recipient_id).in_(user_ids),
            col(Request.status) == RequestStatus.ACCEPTED,
            col(Request.due_on) < before,
        )
    )
    for user_id, due_on in [*promises, *accepted]:
        if due_on is not None:
            found.setdefault(user_id, []).append(due_on)
    return found
