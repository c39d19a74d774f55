"""The daily practice: shares, actions and requests counted by day, week and program."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, literal, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.asking import nudge_out_exists
from storage.models import (
    FORGOTTEN_USER,
    STAND_IS_ACTIVE,
    Action,
    Breakdown,
    Follower,
    Promise,
    PromiseStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
)
from storage.types import table_of

# Written with Core inserts of statements built once, run on the session's connection: every /act and /share writes
# here before its ack, and the ORM's unit of work (an object, a flush) cost several times the insert itself.
# Nothing reads the new rows back as objects.
_ADD_ACTION = insert(table_of(Action))
_ADD_SHARE = insert(table_of(Share))


def add_action(
    *,
    team_id: str,
    user_id: str,
    text: str,
    local_date: date,
    toward_stand_id: int | None,
    now: datetime,
    session: Session,
) -> None:
    """Store one action the member took on their local day."""
    session.connection().execute(
        _ADD_ACTION,
        {
            "team_id": team_id,
            "user_id": user_id,
            "text": text,
            "local_date": local_date,
            "created_at": now,
            "toward_stand_id": toward_stand_id,
        },
    )


def add_shares(
    *,
    team_id: str,
    user_id: str,
    told_user_ids: Sequence[str],
    text: str,
    local_date: date,
    toward_stand_id: int | None,
    now: datetime,
    session: Session,
) -> None:
    """Store one share per person the member told about their stand on their local day."""
    common = {"team_id": team_id, "user_id": user_id, "text": text, "local_date": local_date, "created_at": now}
    rows = [{**common, "told_user_id": told, "toward_stand_id": toward_stand_id} for told in told_user_ids]
    session.connection().execute(_ADD_SHARE, rows)


def _count(model: Any, span: int) -> Any:
    where: list[ColumnElement[bool]] = [
        model.team_id == bindparam("team_id"),
        model.user_id == bindparam("user_id"),
        model.local_date >= bindparam(f"first_{span}"),
        model.local_date <= bindparam(f"last_{span}"),
    ]
    if model is Request:
        where.append(col(Request.offered).is_(False))
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


@lru_cache(maxsize=8)
def _practice_counts_statement(spans: int) -> Any:
    # Built once per number of spans and run with bound values: every /act, /share and /request reads these
    # counts, and building the statement anew cost more than running it.
    return select(*[_count(model, span) for span in range(spans) for model in (Share, Action, Request)])


def practice_counts(
    *, team_id: str, user_id: str, spans: Sequence[tuple[date, date]], session: Session
) -> list[tuple[int, int, int]]:
    """Shares, actions and requests the member logged in each span of local dates, in one round trip."""
    values: dict[str, Any] = {"team_id": team_id, "user_id": user_id}
    for span, (first, last) in enumerate(spans):
        values[f"first_{span}"], values[f"last_{span}"] = first, last
    row = session.connection().execute(_practice_counts_statement(len(spans)), values).one()
    return [(int(row[i]), int(row[i + 1]), int(row[i + 2])) for i in range(0, 3 * len(spans), 3)]


@dataclass(frozen=True, slots=True)
class DayOfPractice:
    """A member's day, read in one statement: their active stand, the practice counts of each span, and whether
    their nudge of the day is out (sent, or claimed and on its way)."""

    stand: Stand | None
    counts: list[tuple[int, int, int]]
    nudge_out: bool


@lru_cache(maxsize=4)
def _day_of_practice_statement(spans: int) -> Any:
    # Built once per number of spans and run with bound values: the member's active stand with the counts and the
    # nudge beside it, one round trip where there were three, which every /act, /share and /request pays before its
    # ack (on PostgreSQL each is a trip to the server). Joined onto a one-row table, so that a member with no active
    # stand still gets their row of counts (and None for the stand).
    columns = [_count(model, span) for span in range(spans) for model in (Share, Action, Request)]
    one = core_select(literal(1).label("one")).subquery("one")
    active = and_(
        col(Stand.team_id) == bindparam("team_id"),
        col(Stand.user_id) == bindparam("user_id"),
        STAND_IS_ACTIVE,
    )
    return core_select(Stand, *columns, nudge_out_exists("nudge_on")).select_from(one).outerjoin(Stand, active)


def day_of_practice(
    *, team_id: str, user_id: str, spans: Sequence[tuple[date, date]], nudge_on: date, session: Session
) -> DayOfPractice:
    """The member's active stand, their shares, actions and requests in each span of local dates, and whether
    their nudge of `nudge_on` is out, in one statement."""
    values: dict[str, Any] = {"team_id": team_id, "user_id": user_id, "nudge_on": nudge_on}
    for span, (first, last) in enumerate(spans):
        values[f"first_{span}"], values[f"last_{span}"] = first, last
    row = session.execute(_day_of_practice_statement(len(spans)), values).one()
    counts = [(int(row[i]), int(row[i + 1]), int(row[i + 2])) for i in range(1, 1 + 3 * len(spans), 3)]
    return DayOfPractice(stand=row[0], counts=counts, nudge_out=bool(row[-1]))


def _per_member_day(
    model: Any,
    *,
    team_id: str,
    first: date,
    last: date,
    session: Session,
    user_id: str | None = None,
    user_ids: Collection[str] | None = None,
) -> Any:
    where: list[ColumnElement[bool]] = [
        model.team_id == team_id,
        model.local_date >= first,
        model.local_date <= last,
        model.user_id != FORGOTTEN_USER,
    ]
    if user_id is not None:
        where.append(model.user_id == user_id)
    if user_ids is not None:
        where.append(model.user_id.in_(user_ids))
    if model is Request:
        where.append(col(Request.offered).is_(False))
    return session.execute(
        select(model.user_id, model.local_date, func.count()).where(*where).group_by(model.user_id, model.local_date)
    ).all()


def practice_by_member_day(
    *,
    team_id: str,
    first: date,
    last: date,
    session: Session,
    user_id: str | None = None,
    user_ids: Collection[str] | None = None,
) -> dict[tuple[str, date], tuple[int, int, int]]:
    """Shares, actions and requests (offers of help left out) per member and local date from `first` to `last`;
    for one member when `user_id` is given, or for some when `user_ids` is."""
    counts: dict[tuple[str, date], list[int]] = {}
    for index, model in enumerate((Share, Action, Request)):
        for member_id, local_date, count in _per_member_day(
            model, team_id=team_id, first=first, last=last, session=session, user_id=user_id, user_ids=user_ids
        ):
            counts.setdefault((member_id, local_date), [0, 0, 0])[index] = int(count)
    return {key: (value[0], value[1], value[2]) for key, value in counts.items()}


@lru_cache(maxsize=1)
def _practice_of_members_statement() -> Any:
    # Built once and run with bound values (the members as an expanding IN): the morning pass reads this for every
    # chunk of members, and building a statement costs more than running it.
    def logged(index: int, model: Any) -> Any:
        where = [
            model.team_id == bindparam("team_id"),
            model.user_id.in_(bindparam("user_ids", expanding=True)),
            model.local_date >= bindparam("first"),
            model.local_date <= bindparam("last"),
        ]
        if model is Request:
            where.append(col(Request.offered).is_(False))
        return core_select(
            literal(index).label("kind"), model.user_id.label("user_id"), model.local_date.label("local_date")
        ).where(*where)

    rows = union_all(*(logged(index, model) for index, model in enumerate((Share, Action, Request)))).subquery()
    return core_select(rows.c.user_id, rows.c.local_date, rows.c.kind, func.count()).group_by(
        rows.c.user_id, rows.c.local_date, rows.c.kind
    )


def practice_of_members(
    *, team_id: str, user_ids: Collection[str], first: date, last: date, session: Session
) -> dict[tuple[str, date], tuple[int, int, int]]:
    """`practice_by_member_day` for these members (none of them forgotten), in one round trip."""
    if not user_ids:
        return {}
    values = {"team_id": team_id, "user_ids": list(user_ids), "first": first, "last": last}
    counts: dict[tuple[str, date], list[int]] = {}
    for user_id, local_date, kind, count in session.execute(_practice_of_members_statement(), values):
        counts.setdefault((user_id, local_date), [0, 0, 0])[int(kind)] = int(count)
    return {key: (value[0], value[1], value[2]) for key, value in counts.items()}


def program_numbers(*, team_id: str, user_id: str, stand_id: int, first: date, session: Session) -> dict[str, int]:
    """A member's program since local date `first`: shares, people told, actions, requests made and completed,
    promises made and kept, breakdowns met, followers."""

    def count(query: Any) -> int:
        return int(session.exec(query).one())

    member = (Share.team_id == team_id, Share.user_id == user_id, col(Share.local_date) >= first)
    made = (
        Request.team_id == team_id,
        Request.user_id == user_id,
        col(Request.local_date) >= first,
        col(Request.offered).is_(False),
    )
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    return {
        "shares": count(select(func.count()).select_from(Share).where(*member)),
        "people": count(select(func.count(func.distinct(Share.told_user_id))).where(*member)),
        "actions": count(
            select(func.count())
            .select_from(Action)
            .where(Action.team_id == team_id, Action.user_id == user_id, col(Action.local_date) >= first)
        ),
        "requests": count(select(func.count()).select_from(Request).where(*made)),
        "requests_kept": count(
            select(func.count()).select_from(Request).where(*made, Request.status == RequestStatus.COMPLETED)
        ),
        "promises": count(
            select(func.count())
            .select_from(Promise)
            .where(Promise.team_id == team_id, Promise.user_id == user_id, col(Promise.created_at) >= start)
        ),
        "promises_kept": count(
            select(func.count())
            .select_from(Promise)
            .where(
                Promise.team_id == team_id,
                Promise.user_id == user_id,
                col(Promise.created_at) >= start,
                Promise.status == PromiseStatus.KEPT,
            )
        ),
        "breakdowns": count(
            select(func.count())
            .select_from(Breakdown)
            .where(
                Breakdown.team_id == team_id,
                Breakdown.user_id == user_id,
                col(Breakdown.noticed).is_(False),  # met, not merely noticed
                col(Breakdown.created_at) >= start,
            )
        ),
        "followers": count(
            select(func.count()).select_from(Follower).where(Follower.team_id == team_id, Follower.stand_id == stand_id)
        ),
    }


def contributions(
    *, team_id: str, stand_ids: Collection[int], first: date, last: date, session: Session
) -> dict[int, tuple[int, int, int]]:
    """Shares, actions and requests followers logged for each of these stands (`for @owner`) from `first` to `last`,
    in one round trip."""
    if not stand_ids:
        return {}
    parts = [
        core_select(literal(index).label("kind"), table.c.toward_stand_id.label("stand_id")).where(
            table.c.team_id == team_id,
            table.c.toward_stand_id.in_(list(stand_ids)),
            table.c.local_date >= first,
            table.c.local_date <= last,
        )
        for index, table in enumerate(m.__table__ for m in (Share, Action, Request))  # type: ignore[union-attr]
    ]
    logged = union_all(*parts).subquery()
    rows = session.execute(
        core_select(logged.c.stand_id, logged.c.kind, func.count()).group_by(logged.c.stand_id, logged.c.kind)
    )
    found: dict[int, list[int]] = {}
    for stand_id, kind, count in rows:
        found.setdefault(int(stand_id), [0, 0, 0])[int(kind)] = int(count)
    return {stand_id: (c[0], c[1], c[2]) for stand_id, c in found.items()}
