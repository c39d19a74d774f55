"""Reads and writes, each scoped by `team_id`; the session is always a keyword-only argument."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    FORGOTTEN_USER,
    Action,
    Breakdown,
    Breakthrough,
    Follower,
    Member,
    Nudge,
    Promise,
    PromiseStatus,
    Recap,
    Request,
    RequestStatus,
    Share,
    Stand,
    StandDraft,
    StandStatus,
    Workspace,
)

Row = TypeVar("Row", bound=SQLModel)

# What `export` lists, in the contract's order, with the model behind each list.
EXPORTED: tuple[tuple[str, type[SQLModel]], ...] = (
    ("stands", Stand),
    ("shares", Share),
    ("actions", Action),
    ("requests", Request),
    ("promises", Promise),
    ("breakdowns", Breakdown),
    ("breakthroughs", Breakthrough),
    ("nudges", Nudge),
    ("recaps", Recap),
)

OPEN_REQUEST_STATES = (RequestStatus.OPEN, RequestStatus.COUNTERED, RequestStatus.ACCEPTED, RequestStatus.DONE)


def get_scoped(
    model: type[Row], row_id: int, *, team_id: str, session: Session, for_update: bool = False
) -> Row | None:
    """The row with `row_id`, only if it belongs to `team_id`; `for_update` locks it until the commit."""
    row = session.get(model, row_id, with_for_update=for_update or None)
    if row is None or getattr(row, "team_id", None) != team_id:
        return None
    return row


def get_workspace(*, team_id: str, session: Session) -> Workspace | None:
    """The workspace's settings row, if it has one."""
    return session.get(Workspace, team_id)


def get_member(*, team_id: str, user_id: str, session: Session) -> Member | None:
    """The member row, if the coach has met them."""
    return session.get(Member, (team_id, user_id))


def active_stand(*, team_id: str, user_id: str, session: Session) -> Stand | None:
    """The member's one active stand."""
    return session.exec(
        select(Stand).where(Stand.team_id == team_id, Stand.user_id == user_id, Stand.status == StandStatus.ACTIVE)
    ).first()


def follower_ids(*, team_id: str, stand_id: int, session: Session) -> list[str]:
    """Who joined the stand, first follower first."""
    rows = session.exec(
        select(Follower.user_id)
        .where(Follower.team_id == team_id, Follower.stand_id == stand_id)
        .order_by(col(Follower.created_at), col(Follower.id))
    )
    return list(rows)


def _count(model: Any, *, team_id: str, user_id: str, first: date, last: date) -> Any:
    where: list[ColumnElement[bool]] = [
        model.team_id == team_id,
        model.user_id == user_id,
        model.local_date >= first,
        model.local_date <= last,
    ]
    if model is Request:
        where.append(col(Request.offered).is_(False))
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def practice_counts(
    *, team_id: str, user_id: str, spans: Sequence[tuple[date, date]], session: Session
) -> list[tuple[int, int, int]]:
    """Shares, actions and requests the member logged in each span of local dates, in one round trip."""
    columns = [
        _count(model, team_id=team_id, user_id=user_id, first=first, last=last)
        for first, last in spans
        for model in (Share, Action, Request)
    ]
    row = session.execute(select(*columns)).one()
    return [(int(row[i]), int(row[i + 1]), int(row[i + 2])) for i in range(0, len(columns), 3)]


def requests_made(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Requests the member made that are still in play, oldest first."""
    return session.exec(
        select(Request)
        .where(
            Request.team_id == team_id,
            Request.user_id == user_id,
            col(Request.status).in_(OPEN_REQUEST_STATES),
        )
        .order_by(col(Request.created_at))
    ).all()


def requests_received(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Requests made of the member that are still in play, oldest first."""
    return session.exec(
        select(Request)
        .where(
            Request.team_id == team_id,
            Request.recipient_id == user_id,
            col(Request.status).in_(OPEN_REQUEST_STATES),
        )
        .order_by(col(Request.created_at))
    ).all()


def open_promises(*, team_id: str, user_id: str, session: Session) -> Sequence[Promise]:
    """The member's own promises not yet accounted for, soonest due first."""
    return session.exec(
        select(Promise)
        .where(Promise.team_id == team_id, Promise.user_id == user_id, Promise.status == PromiseStatus.OPEN)
        .order_by(col(Promise.due_on).is_(None), col(Promise.due_on), col(Promise.created_at))
    ).all()


def export_rows(*, session: Session, team_id: str | None = None, user_id: str | None = None) -> dict[str, list[Any]]:
    """Every exported row, by list name, optionally for one team and/or one member."""
    document: dict[str, list[Any]] = {}
    for name, model in EXPORTED:
        query = select(model)
        if team_id is not None:
            query = query.where(getattr(model, "team_id") == team_id)  # noqa: B009
        if user_id is not None:
            query = query.where(getattr(model, "user_id") == user_id)  # noqa: B009
        document[name] = list(session.exec(query.order_by(getattr(model, "id"))))  # noqa: B009
    return document


def forget_member(*, team_id: str, user_id: str, session: Session) -> dict[str, int]:
    """Delete the member's own records and anonymize them on records shared with others; returns counts."""
    counts: dict[str, int] = {}
    stand_ids = select(Stand.id).where(Stand.team_id == team_id, Stand.user_id == user_id)

    def run(label: str, statement: Any) -> None:
        counts[label] = counts.get(label, 0) + int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    # Requests live on both sides: end the ones still waiting on the forgotten member, keep the rest anonymized.
    involved = (col(Request.user_id) == user_id) | (col(Request.recipient_id) == user_id)
    run(
        "requests_cancelled",
        update(Request)
        .where(
            col(Request.team_id) == team_id,
            involved,
            col(Request.status).in_((RequestStatus.OPEN, RequestStatus.COUNTERED)),
        )
        .values(status=RequestStatus.CANCELLED),
    )
    for side_name in ("user_id", "recipient_id"):
        run(
            "requests_anonymized",
            update(Request)
            .where(col(Request.team_id) == team_id, getattr(Request, side_name) == user_id)
            .values({side_name: FORGOTTEN_USER}),
        )
    run(
        "shares_anonymized",
        update(Share)
        .where(col(Share.team_id) == team_id, col(Share.told_user_id) == user_id)
        .values(told_user_id=FORGOTTEN_USER),
    )
    run(
        "requests_unlinked",
        update(Request)
        .where(col(Request.team_id) == team_id, col(Request.stand_id).in_(stand_ids))
        .values(stand_id=None),
    )
    run(
        "follows_deleted",
        delete(Follower).where(
            col(Follower.team_id) == team_id,
            (col(Follower.user_id) == user_id) | col(Follower.stand_id).in_(stand_ids),
        ),
    )
    for label, model in (
        ("breakthroughs", Breakthrough),
        ("stands", Stand),
        ("stand_drafts", StandDraft),
        ("shares", Share),
        ("actions", Action),
        ("promises", Promise),
        ("breakdowns", Breakdown),
        ("nudges", Nudge),
    ):
        run(label, delete(model).where(getattr(model, "team_id") == team_id, getattr(model, "user_id") == user_id))  # noqa: B009
    run(
        "recaps_anonymized",
        update(Recap).where(col(Recap.team_id) == team_id, col(Recap.user_id) == user_id).values(user_id=None),
    )
    run(
        "workspace",
        update(Workspace)
        .where(col(Workspace.team_id) == team_id, col(Workspace.recap_set_by) == user_id)
        .values(recap_set_by=None),
    )
    run("member", delete(Member).where(col(Member.team_id) == team_id, col(Member.user_id) == user_id))
    return counts


def delete_rows(rows: Iterable[SQLModel], *, session: Session) -> None:
    """Delete each of `rows`."""
    for row in rows:
        session.delete(row)
