"""What a sent message asked, and how it was answered: the nudge posted as a message, the follow-ups one message
carries, the messages that asked about one item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, literal_column, select, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

from storage import bulk, claims
from storage.models import (
    ClaimStatus,
    FollowUp,
    Nudge,
)
from storage.types import written_in


def remember_nudge(
    key: dict[str, Any],
    *,
    stand_id: int | None,
    program_day: int | None,
    moment: str | None,
    check_in_id: int | None,
    session: Session,
) -> None:
    """Keep on the claimed nudge what it asks, so rewriting it later reads as it was sent."""
    session.execute(
        update(Nudge)
        .where(*(getattr(Nudge, name) == value for name, value in key.items()))
        .values(stand_id=stand_id, program_day=program_day, moment=moment, check_in_id=check_in_id)
    )


def remember_nudges(asked: Sequence[Mapping[str, Any]], *, session: Session) -> None:
    """`remember_nudge` for many claimed nudges in one statement: each mapping holds the nudge's key (`team_id`,
    `user_id`, `local_date`) and what it asks (`stand_id`, `program_day`, `moment`, `check_in_id`)."""
    fields = (*claims.NUDGE_KEY, "stand_id", "program_day", "moment", "check_in_id")
    bulk.update_each(
        session,
        Nudge.__table__,  # type: ignore[attr-defined]
        [{name: row[name] for name in fields} for row in asked],
        keys=claims.NUDGE_KEY,
    )


def answer_check_in(*, team_id: str, user_id: str, check_in_id: int, answer: str, session: Session) -> bool:
    """Record the member's answer to the check-in their nudge asked; False when it was already answered."""
    result = session.execute(
        update(Nudge)
        .where(
            col(Nudge.team_id) == team_id,
            col(Nudge.user_id) == user_id,
            col(Nudge.check_in_id) == check_in_id,
            col(Nudge.check_in_answer).is_(None),
        )
        .values(check_in_answer=answer)
    )
    return bool(getattr(result, "rowcount", 0))


def nudge_at(*, team_id: str, channel_id: str, message_ts: str, session: Session) -> Nudge | None:
    """The nudge posted as that message, if it is one."""
    return session.exec(
        model_select(Nudge).where(
            Nudge.team_id == team_id, Nudge.channel_id == channel_id, Nudge.message_ts == message_ts
        )
    ).first()


def nudges_asking(
    *, team_id: str, stand_id: int | None = None, check_in_id: int | None = None, session: Session
) -> list[Nudge]:
    """Sent nudges that asked about the stand (its closing "what now?") or met the noticed breakdown."""
    query = model_select(Nudge).where(
        Nudge.team_id == team_id, Nudge.status == ClaimStatus.SENT, col(Nudge.message_ts).is_not(None)
    )
    if stand_id is not None:
        query = query.where(Nudge.stand_id == stand_id, Nudge.moment == "closing")
    if check_in_id is not None:
        query = query.where(Nudge.check_in_id == check_in_id)
    return list(session.exec(query))


def follow_ups_at(*, team_id: str, channel_id: str, message_ts: str, session: Session) -> list[FollowUp]:
    """The follow-ups one message carries, in the order they were sent."""
    return list(
        session.exec(
            model_select(FollowUp)
            .where(FollowUp.team_id == team_id, FollowUp.channel_id == channel_id, FollowUp.message_ts == message_ts)
            .order_by(col(FollowUp.id))
        )
    )


def follow_ups_about(*, team_id: str, kind: str, item_id: int, session: Session) -> list[FollowUp]:
    """The sent follow-ups that asked about one promise, request or stand."""
    return list(
        session.exec(
            model_select(FollowUp).where(
                FollowUp.team_id == team_id,
                FollowUp.kind == kind,
                FollowUp.item_id == item_id,
                col(FollowUp.message_ts).is_not(None),
            )
        )
    )


def nudge_in_flight(*, team_id: str, user_id: str, local_date: date, session: Session) -> bool:
    """Whether another sender holds the member's nudge of that day and has not sent it yet."""
    found = session.exec(
        model_select(Nudge.id).where(
            Nudge.team_id == team_id,
            Nudge.user_id == user_id,
            Nudge.local_date == local_date,
            Nudge.status == ClaimStatus.CLAIMED,
        )
    ).first()
    return found is not None


def nudges_in_flight(*, team_id: str, user_ids: set[str], claimed_since: datetime, session: Session) -> set[str]:
    """Which of `user_ids` have a nudge another sender claimed since `claimed_since` and has not sent yet."""
    if not user_ids:
        return set()
    return set(
        session.exec(
            model_select(Nudge.user_id).where(
                Nudge.team_id == team_id,
                col(Nudge.user_id).in_(user_ids),
                Nudge.status == ClaimStatus.CLAIMED,
                col(Nudge.claimed_at) >= claimed_since,
            )
        )
    )


_TODAYS_NUDGE = model_select(Nudge).where(
    Nudge.team_id == bindparam("team_id"),
    Nudge.user_id == bindparam("user_id"),
    Nudge.local_date == bindparam("local_date"),
    Nudge.status == ClaimStatus.SENT,
)


def nudge_out_exists(local_date: str) -> Any:
    """Whether the member (bound as `team_id`, `user_id`) has a nudge of the day bound as `local_date` sent, or
    claimed and on its way."""
    return exists(
        model_select(literal_column("1")).where(
            Nudge.team_id == bindparam("team_id"),
            Nudge.user_id == bindparam("user_id"),
            Nudge.local_date == bindparam(local_date),
            # Written in, not expanded at every execution: a fifth of the practice read's cost in SQLAlchemy.
            col(Nudge.status).in_([written_in(ClaimStatus.SENT), written_in(ClaimStatus.CLAIMED)]),
        )
    )


_NUDGE_OUT = select(nudge_out_exists("local_date"))
"""Built once: every /act, /share and /request asks whether the member has a nudge of today to refresh."""


def todays_nudge(*, team_id: str, user_id: str, local_date: date, session: Session) -> Nudge | None:
    """The member's nudge of that local day, if one was sent."""
    params = {"team_id": team_id, "user_id": user_id, "local_date": local_date}
    return session.exec(_TODAYS_NUDGE, params=params).first()


def nudge_out(*, team_id: str, user_id: str, local_date: date, session: Session) -> bool:
    """Whether the member's nudge of that local day was sent or is being sent (without loading it): the morning
    pass records a chunk of nudges as sent once the chunk's posts are through, a second or so after each landed."""
    params = {"team_id": team_id, "user_id": user_id, "local_date": local_date}
    return bool(session.connection().execute(_NUDGE_OUT, params).scalar())
