"""Members, workspaces and pauses."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import (
    Member,
    Pause,
    Workspace,
)


def get_workspace(*, team_id: str, session: Session) -> Workspace | None:
    """The workspace's settings row, if it has one."""
    return session.get(Workspace, team_id)


def get_member(*, team_id: str, user_id: str, session: Session) -> Member | None:
    """The member row, if the coach has met them."""
    return session.get(Member, (team_id, user_id))


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a command needs to know of a member the coach has met: their zone, when Slack last said who they are,
    and when they were welcomed."""

    tz: str | None
    profile_fetched_at: datetime | None
    welcomed_at: datetime | None


@lru_cache(maxsize=1)
def _member_facts_statement() -> Any:
    # Built once, run on the session's connection and read as a plain row: every command reads this before its ack,
    # and loading the member as an object (the ORM's get) cost four times the read (111 us against 29 on SQLite).
    return core_select(col(Member.tz), col(Member.profile_fetched_at), col(Member.welcomed_at)).where(
        col(Member.team_id) == bindparam("team_id"), col(Member.user_id) == bindparam("user_id")
    )


def member_facts(*, team_id: str, user_id: str, session: Session) -> MemberFacts | None:
    """The member's zone, profile age and welcome as stored, if the coach has met them.

    Read on the session's connection without flushing it first: a member changed in this unit of work is read from
    the session instead (`bot.coach.members.facts`).
    """
    row = session.connection().execute(_member_facts_statement(), {"team_id": team_id, "user_id": user_id}).first()
    return None if row is None else MemberFacts(row[0], row[1], row[2])


@lru_cache(maxsize=1)
def _members_statement() -> Any:
    # Built once and run with bound values: the morning pass reads it for every chunk of members.
    return select(Member).where(
        Member.team_id == bindparam("team_id"), col(Member.user_id).in_(bindparam("user_ids", expanding=True))
    )


def get_members(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, Member]:
    """These members' rows, by member, in one query (and in the session, so `get_member` finds them after)."""
    if not user_ids:
        return {}
    rows = session.exec(_members_statement(), params={"team_id": team_id, "user_ids": list(user_ids)})
    return {member.user_id: member for member in rows}


def ensure_member(*, team_id: str, user_id: str, now: datetime, session: Session) -> Member:
    """The member row, made if the coach has not met them: two first requests at once both get the one row.

    An insert that ignores an existing row rather than read-then-insert: on PostgreSQL the second insert waits for
    the first transaction and then does nothing, where a plain insert would fail the second request.
    """
    member = session.get(Member, (team_id, user_id))
    if member is not None:
        return member
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(Member)
        .values(team_id=team_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id"])
    )
    member = session.get(Member, (team_id, user_id), populate_existing=True)
    assert member is not None
    return member


def member_zones(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, str | None]:
    """The stored IANA zone of each of these members (None when Slack gave none)."""
    rows = session.exec(
        select(Member.user_id, Member.tz).where(Member.team_id == team_id, col(Member.user_id).in_(user_ids))
    )
    return {member_id: tz for member_id, tz in rows}


def member_names(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, str]:
    """The name Slack gave each of these members, where it gave one."""
    rows = session.exec(
        select(Member.user_id, Member.name).where(Member.team_id == team_id, col(Member.user_id).in_(user_ids))
    )
    return {member_id: name for member_id, name in rows if name}


def members_with_weekends(*, team_id: str, session: Session) -> set[str]:
    """Members who practise on weekends too."""
    return set(session.exec(select(Member.user_id).where(Member.team_id == team_id, col(Member.weekends).is_(True))))


def open_pause(*, team_id: str, user_id: str, at: datetime, reason: str | None, session: Session) -> Pause:
    """The member's open pause: the one already open, else a new one from `at`."""
    current = session.exec(
        select(Pause).where(Pause.team_id == team_id, Pause.user_id == user_id, col(Pause.ended_at).is_(None))
    ).first()
    if current is None:
        current = Pause(team_id=team_id, user_id=user_id, started_at=at, reason=reason, created_at=at)
        session.add(current)
        session.flush()
    return current


def close_pause(*, team_id: str, user_id: str, at: datetime, session: Session) -> int:
    """End the member's open pause at `at`; how many were open (0 or 1)."""
    statement = (
        update(Pause)
        .where(col(Pause.team_id) == team_id, col(Pause.user_id) == user_id, col(Pause.ended_at).is_(None))
        .values(ended_at=at)
    )
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def pauses_between(
    *, team_id: str, start: datetime, end: datetime, session: Session, user_id: str | None = None
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """Each member's pauses (start, end or None while open) that overlap [start, end), in one query; for one
    member when `user_id` is given."""
    where: list[ColumnElement[bool]] = [
        col(Pause.team_id) == team_id,
        col(Pause.started_at) < end,
        col(Pause.ended_at).is_(None) | (col(Pause.ended_at) >= start),
    ]
    if user_id is not None:
        where.append(col(Pause.user_id) == user_id)
    rows = session.exec(
        select(Pause.user_id, Pause.started_at, Pause.ended_at).where(*where).order_by(col(Pause.started_at))
    )
    spans: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for member_id, started_at, ended_at in rows:
        spans.setdefault(member_id, []).append((started_at, ended_at))
    return spans


def mark_welcomed(*, team_id: str, user_id: str, now: datetime, session: Session) -> bool:
    """Record the member's welcome unless it was already given; True when this call gave it (of two racing
    first commands, one)."""
    welcomed = session.execute(
        update(Member)
        .where(col(Member.team_id) == team_id, col(Member.user_id) == user_id, col(Member.welcomed_at).is_(None))
        .values(welcomed_at=now)
        .returning(col(Member.user_id))
    ).first()
    return welcomed is not None
