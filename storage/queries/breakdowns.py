"""Breakdowns and breakthroughs."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    Breakdown,
    Breakthrough,
)


def noticed_on(*, team_id: str, user_id: str, day: date, session: Session) -> Breakdown | None:
    """The breakdown the coach noticed for the member on the nudge of `day` (the latest one recorded)."""
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return session.exec(
        select(Breakdown)
        .where(
            Breakdown.team_id == team_id,
            Breakdown.user_id == user_id,
            col(Breakdown.noticed).is_(True),
            col(Breakdown.created_at) >= start,
        )
        .order_by(col(Breakdown.id).desc())
    ).first()


def latest_unresolved_breakdown(*, team_id: str, user_id: str, session: Session) -> Breakdown | None:
    """The member's most recent breakdown not yet resolved."""
    return session.exec(
        select(Breakdown)
        .where(
            Breakdown.team_id == team_id,
            Breakdown.user_id == user_id,
            col(Breakdown.noticed).is_(False),
            col(Breakdown.resolved_at).is_(None),
        )
        .order_by(col(Breakdown.id).desc())
    ).first()


def count_resolved_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> int:
    """Breakdowns resolved from `start` up to (not including) `end`."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Breakdown)
            .where(
                Breakdown.team_id == team_id,
                col(Breakdown.resolved_at) >= start,
                col(Breakdown.resolved_at) < end,
            )
        ).one()
    )


def count_breakdowns_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> int:
    """How many breakdowns were met in [start, end): declared by a member, or taken up from a check-in (a check-in
    nobody answered is the coach's question, not a breakdown met)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Breakdown)
            .where(
                Breakdown.team_id == team_id,
                col(Breakdown.noticed).is_(False),
                col(Breakdown.created_at) >= start,
                col(Breakdown.created_at) < end,
            )
        ).one()
    )


def stand_has_breakthrough(*, team_id: str, stand_id: int, session: Session) -> bool:
    """Whether a breakthrough was declared on the stand."""
    found = session.exec(
        select(Breakthrough.id).where(Breakthrough.team_id == team_id, Breakthrough.stand_id == stand_id).limit(1)
    ).first()
    return found is not None


def breakthrough_since(*, team_id: str, stand_id: int, since: datetime, session: Session) -> bool:
    """Whether a breakthrough was declared on the stand at or after `since`."""
    found = session.exec(
        select(Breakthrough.id)
        .where(
            Breakthrough.team_id == team_id,
            Breakthrough.stand_id == stand_id,
            col(Breakthrough.created_at) >= since,
        )
        .limit(1)
    ).first()
    return found is not None


def breakthroughs_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> list[tuple[str, str]]:
    """(member, breakthrough) for breakthroughs declared in [start, end), earliest first."""
    rows = session.exec(
        select(Breakthrough.user_id, Breakthrough.text)
        .where(
            Breakthrough.team_id == team_id,
            col(Breakthrough.created_at) >= start,
            col(Breakthrough.created_at) < end,
        )
        .order_by(col(Breakthrough.created_at), col(Breakthrough.id))
    )
    return [(user_id, text) for user_id, text in rows]


def open_breakdowns_by_member(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, int]:
    """How many declared breakdowns each of these members has not resolved yet (a check-in not taken up is none)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Breakdown.user_id, func.count())
        .where(
            col(Breakdown.team_id) == team_id,
            col(Breakdown.user_id).in_(user_ids),
            col(Breakdown.noticed).is_(False),
            col(Breakdown.resolved_at).is_(None),
        )
        .group_by(col(Breakdown.user_id))
    )
    return {user_id: int(count) for user_id, count in rows}
