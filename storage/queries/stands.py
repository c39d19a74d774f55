"""Stands and their followers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.models import (
    STAND_IS_ACTIVE,
    Follower,
    Idea,
    Member,
    Reading,
    Stand,
    StandStatus,
)

# Built once and run with bound values: nearly every command and button reads the member's active stand, and
# building the statement anew cost as much as running it.
_ACTIVE_STAND = select(Stand).where(
    Stand.team_id == bindparam("team_id"), Stand.user_id == bindparam("user_id"), STAND_IS_ACTIVE
)


def active_stand(*, team_id: str, user_id: str, session: Session) -> Stand | None:
    """The member's one active stand."""
    return session.exec(_ACTIVE_STAND, params={"team_id": team_id, "user_id": user_id}).first()


@lru_cache(maxsize=1)
def _active_stands_statement() -> Any:
    # Built once and run with bound values: the morning pass reads it for every chunk of members.
    return select(Stand).where(
        Stand.team_id == bindparam("team_id"),
        col(Stand.user_id).in_(bindparam("user_ids", expanding=True)),
        STAND_IS_ACTIVE,
    )


def active_stands(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, Stand]:
    """Each of these members' one active stand, by member, in one query."""
    if not user_ids:
        return {}
    rows = session.exec(_active_stands_statement(), params={"team_id": team_id, "user_ids": list(user_ids)})
    return {stand.user_id: stand for stand in rows}


def follower_ids(*, team_id: str, stand_id: int, session: Session) -> list[str]:
    """Who joined the stand, first follower first."""
    rows = session.exec(
        select(Follower.user_id)
        .where(Follower.team_id == team_id, Follower.stand_id == stand_id)
        .order_by(col(Follower.created_at), col(Follower.id))
    )
    return list(rows)


def stands_followed(*, team_id: str, user_id: str, session: Session) -> list[tuple[Stand, str | None]]:
    """The active stands the member follows, earliest joined first, each with its owner's zone."""
    rows = session.exec(
        select(Stand, Member.tz)
        .join(Follower, col(Follower.stand_id) == col(Stand.id))
        .outerjoin(Member, (col(Member.team_id) == col(Stand.team_id)) & (col(Member.user_id) == col(Stand.user_id)))
        .where(
            Follower.team_id == team_id,
            Follower.user_id == user_id,
            Stand.team_id == team_id,
            STAND_IS_ACTIVE,
        )
        .order_by(col(Follower.created_at), col(Follower.id))
    )
    return [(stand, tz) for stand, tz in rows]


def active_stands_with_followers(
    *, team_id: str, declared_before: datetime | None = None, session: Session
) -> list[tuple[Stand, int, str | None]]:
    """(stand, followers, first follower) for each active stand (declared before `declared_before`, when given),
    most followed first, in one query however many stands there are."""
    # Correlated subqueries, each an index probe on (stand_id, user_id) per stand: a window over the team's
    # followers outer-joined to the stands let PostgreSQL re-rank every follower once per stand on a misestimate.
    # The stands are the team's, so their followers are too; a team_id test here would steer the planner to
    # the team index and read all the team's followers for every stand.
    of_stand = (col(Follower.stand_id) == col(Stand.id),)
    followers = core_select(func.count()).where(*of_stand).scalar_subquery()
    first = (
        core_select(col(Follower.user_id))
        .where(*of_stand)
        .order_by(col(Follower.created_at), col(Follower.id))
        .limit(1)
        .scalar_subquery()
    )
    declared = [] if declared_before is None else [col(Stand.created_at) < declared_before]
    rows = session.execute(
        select(Stand, followers.label("followers"), first)
        .where(col(Stand.team_id) == team_id, STAND_IS_ACTIVE, *declared)
        .order_by(followers.desc(), col(Stand.created_at), col(Stand.id))
    )
    return [(stand, int(count), first) for stand, count, first in rows]


def remove_follower(*, team_id: str, stand_id: int, user_id: str, session: Session) -> bool:
    """Stop `user_id` following the stand; whether they were following it."""
    row = session.exec(
        select(Follower).where(Follower.team_id == team_id, Follower.stand_id == stand_id, Follower.user_id == user_id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    return True


def stands_declared_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> list[tuple[str, str]]:
    """(member, stand) for stands declared in [start, end) and not withdrawn, earliest first."""
    rows = session.exec(
        select(Stand.user_id, Stand.text)
        .where(
            Stand.team_id == team_id,
            col(Stand.created_at) >= start,
            col(Stand.created_at) < end,
            Stand.status != StandStatus.WITHDRAWN,
        )
        .order_by(col(Stand.created_at), col(Stand.id))
    )
    return [(user_id, text) for user_id, text in rows]


def joins_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> list[tuple[str, str]]:
    """(follower, stand owner) for each join in [start, end), earliest first."""
    rows = session.exec(
        select(Follower.user_id, Stand.user_id)
        .join(Stand, col(Stand.id) == col(Follower.stand_id))
        .where(
            Follower.team_id == team_id,
            Stand.team_id == team_id,
            col(Follower.created_at) >= start,
            col(Follower.created_at) < end,
        )
        .order_by(col(Follower.created_at), col(Follower.id))
    )
    return [(follower, owner) for follower, owner in rows]


def members_with_stand_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> set[str]:
    """Members whose stand was active at some moment from `start` up to (not including) `end`."""
    rows = session.exec(
        select(Stand.user_id)
        .where(
            Stand.team_id == team_id,
            col(Stand.created_at) < end,
            STAND_IS_ACTIVE | (col(Stand.ended_at) >= start) | (col(Stand.created_at) >= start),
        )
        .distinct()
    )
    return set(rows)


def reading_spans(
    *, team_id: str, stand_ids: Sequence[int], through: date, session: Session
) -> dict[int, tuple[Reading, Reading]]:
    """The first and the last reading of each of these stands recorded on or before `through` (the first is where
    the stand stood when declared); stands with none are absent."""
    if not stand_ids:
        return {}
    rows = session.exec(
        select(Reading)
        .where(
            col(Reading.team_id) == team_id,
            col(Reading.stand_id).in_(stand_ids),
            col(Reading.local_date) <= through,
        )
        .order_by(col(Reading.local_date), col(Reading.id))
    )
    spans: dict[int, tuple[Reading, Reading]] = {}
    for reading in rows:
        first = spans[reading.stand_id][0] if reading.stand_id in spans else reading
        spans[reading.stand_id] = (first, reading)
    return spans


def readings_by_day(
    *, team_id: str, stand_ids: Sequence[int], through: date, session: Session
) -> dict[int, list[tuple[date, float]]]:
    """Each stand's readings on or before `through`, one per day (the day's last), oldest first."""
    if not stand_ids:
        return {}
    rows = session.exec(
        select(col(Reading.stand_id), col(Reading.local_date), col(Reading.value))
        .where(
            col(Reading.team_id) == team_id,
            col(Reading.stand_id).in_(stand_ids),
            col(Reading.local_date) <= through,
        )
        .order_by(col(Reading.local_date), col(Reading.id))
    )
    days: dict[int, dict[date, float]] = {}
    for stand_id, day, value in rows:
        days.setdefault(stand_id, {})[day] = value  # a later reading of the same day replaces the earlier
    return {stand_id: sorted(by_day.items()) for stand_id, by_day in days.items()}


def set_idea_request(*, team_id: str, idea_id: int, request_id: int, session: Session) -> bool:
    """Record the request an idea became, unless it already became one (of two racing clicks, one wins)."""
    moved = session.execute(
        update(Idea)
        .where(col(Idea.team_id) == team_id, col(Idea.id) == idea_id, col(Idea.request_id).is_(None))
        .values(request_id=request_id)
        .returning(col(Idea.id))
    ).first()
    return moved is not None
