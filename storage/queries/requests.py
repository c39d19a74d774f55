"""Requests, both ways."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    FORGOTTEN_USER,
    Request,
    RequestStatus,
)

OPEN_REQUEST_STATES = (RequestStatus.OPEN, RequestStatus.COUNTERED, RequestStatus.ACCEPTED, RequestStatus.DONE)


def _requests_in_play(side: Any, user_id: str, team_id: str, session: Session) -> Sequence[Request]:
    return session.exec(
        select(Request)
        .where(Request.team_id == team_id, side == user_id, col(Request.status).in_(OPEN_REQUEST_STATES))
        .order_by(col(Request.created_at))
    ).all()


def requests_made(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Requests the member made that are still in play, oldest first."""
    return _requests_in_play(col(Request.user_id), user_id, team_id, session)


def requests_received(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Requests made of the member that are still in play, oldest first."""
    return _requests_in_play(col(Request.recipient_id), user_id, team_id, session)


def request_statuses(*, team_id: str, first: date, last: date, session: Session) -> dict[str, int]:
    """How many requests made from `first` to `last` (by local date, offers left out) are in each status now."""
    rows = session.exec(
        select(Request.status, func.count())
        .where(
            Request.team_id == team_id,
            col(Request.local_date) >= first,
            col(Request.local_date) <= last,
            col(Request.offered).is_(False),
            Request.user_id != FORGOTTEN_USER,
        )
        .group_by(col(Request.status))
    )
    return {str(status): int(count) for status, count in rows}


def promised_requests(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Every request the member accepted, so became their promise, in any state."""
    return session.exec(
        select(Request).where(
            Request.team_id == team_id, Request.recipient_id == user_id, col(Request.promise_status).is_not(None)
        )
    ).all()
