"""What is due when: the members whose nudge time has come (read from each member's next nudge instant), the
follow-ups, promises and weekly lines due, each with what the pass needs to decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, func, literal, or_, select
from sqlmodel import Session, col
from sqlmodel import select as model_select

from storage import bulk
from storage.models import (
    STAND_IS_ACTIVE,
    ClaimStatus,
    Follower,
    FollowUp,
    Member,
    Nudge,
    Promise,
    PromiseStatus,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Stand,
    Workspace,
)

NEVER = datetime(9999, 12, 31, tzinfo=UTC)
"""The next nudge of a member whose program has no more days: scheduled, but never due."""


@dataclass(frozen=True, slots=True)
class DueNudge:
    """A participant whose nudge time has come on their local day."""

    team_id: str
    user_id: str
    local_date: date


@dataclass(frozen=True, slots=True)
class Schedule:
    """What it takes to work out a participant's next nudge."""

    team_id: str
    user_id: str
    tz: str | None
    nudge_time: str
    weekends: bool
    program_started_on: date
    next_nudge_at: datetime | None
    last_nudged_on: date | None


def _schedules(where: Any, session: Session, *, with_history: bool) -> list[Schedule]:
    last = (
        select(col(Nudge.team_id), col(Nudge.user_id), func.max(col(Nudge.local_date)).label("last"))
        .group_by(col(Nudge.team_id), col(Nudge.user_id))
        .subquery("last_nudges")
    )
    query = (
        select(
            col(Member.team_id),
            col(Member.user_id),
            col(Member.tz),
            col(Member.nudge_time),
            col(Member.weekends),
            col(Stand.program_started_on),
            col(Member.next_nudge_at),
            last.c.last if with_history else literal(None, Date),
        )
        .join(Stand, and_(col(Stand.team_id) == col(Member.team_id), col(Stand.user_id) == col(Member.user_id)))
        .where(STAND_IS_ACTIVE, col(Member.paused).is_(False), where)
    )
    if with_history:
        query = query.outerjoin(
            last, and_(last.c.team_id == col(Member.team_id), last.c.user_id == col(Member.user_id))
        )
    return [Schedule(*row) for row in session.execute(query)]


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A member whose next nudge instant has come."""

    team_id: str
    user_id: str
    tz: str | None
    next_nudge_at: datetime


def due_by_schedule(*, now: datetime, session: Session) -> list[Scheduled]:
    """Members whose scheduled next nudge is at or before `now`: one range scan on the schedule's index.

    Only members with an active stand have a schedule (the coach clears it otherwise), so no join is needed:
    a join would let the planner start from the stands and read every member.
    """
    rows = session.execute(
        select(col(Member.team_id), col(Member.user_id), col(Member.tz), col(Member.next_nudge_at)).where(
            col(Member.next_nudge_at) <= now, col(Member.paused).is_(False)
        )
    )
    return [Scheduled(*row) for row in rows]


def unscheduled(*, session: Session) -> list[Schedule]:
    """Participants whose next nudge was never worked out (new since the column, or after a migration)."""
    return _schedules(col(Member.next_nudge_at).is_(None), session, with_history=True)


def schedule_nudges(schedules: Sequence[tuple[str, str, datetime | None]], *, session: Session) -> None:
    """Store each member's next nudge instant."""
    bulk.update_each(
        session,
        Member.__table__,  # type: ignore[attr-defined]
        [{"team_id": team, "user_id": user, "next_nudge_at": at} for team, user, at in schedules],
        keys=("team_id", "user_id"),
    )


def last_nudged_on(*, team_id: str, user_id: str, session: Session) -> date | None:
    """The latest local day the member had a nudge claimed for."""
    return session.execute(
        select(func.max(col(Nudge.local_date))).where(col(Nudge.team_id) == team_id, col(Nudge.user_id) == user_id)
    ).scalar()


def members_by_key(*, keys: set[tuple[str, str]], session: Session) -> dict[tuple[str, str], Member]:
    """The members with these (team, user) keys."""
    if not keys:
        return {}
    users = {user for _, user in keys}
    rows = session.exec(model_select(Member).where(col(Member.user_id).in_(users)))
    return {(m.team_id, m.user_id): m for m in rows if (m.team_id, m.user_id) in keys}


def known_teams(*, session: Session) -> list[str]:
    """Every workspace the coach has met."""
    rows = session.execute(select(col(Member.team_id)).union(select(col(Workspace.team_id))))
    return sorted(str(team) for (team,) in rows)


def promises_due(
    *, team_id: str, user_id: str, on: date, session: Session
) -> tuple[Sequence[Promise], Sequence[Request]]:
    """The member's own open promises and the requests they accepted, due on `on`."""
    promises = session.exec(
        model_select(Promise).where(
            Promise.team_id == team_id,
            Promise.user_id == user_id,
            Promise.status == PromiseStatus.OPEN,
            Promise.due_on == on,
        )
    ).all()
    requests = session.exec(
        model_select(Request).where(
            Request.team_id == team_id,
            Request.recipient_id == user_id,
            Request.status == RequestStatus.ACCEPTED,
            Request.due_on == on,
        )
    ).all()
    return promises, requests


def promises_due_for(
    due: Sequence[DueNudge], *, session: Session
) -> dict[tuple[str, str], tuple[list[Promise], list[Request]]]:
    """`promises_due` for many members at once (two queries in all), keyed by (team, member)."""
    found: dict[tuple[str, str], tuple[list[Promise], list[Request]]] = {(d.team_id, d.user_id): ([], []) for d in due}
    if not due:
        return found
    day_of = {(d.team_id, d.user_id): d.local_date for d in due}
    # Narrowed by workspace, not by member: a morning pass asks for thousands of members, and binding each of them
    # twice cost more than the reading (90 ms of a 50 x 200 pass's start, against 10); `day_of` picks the members.
    teams, days = {d.team_id for d in due}, {d.local_date for d in due}
    for promise in session.exec(
        model_select(Promise).where(
            col(Promise.team_id).in_(teams), Promise.status == PromiseStatus.OPEN, col(Promise.due_on).in_(days)
        )
    ):
        key = (promise.team_id, promise.user_id)
        if day_of.get(key) == promise.due_on:
            found[key][0].append(promise)
    for request in session.exec(
        model_select(Request).where(
            col(Request.team_id).in_(teams),
            Request.status == RequestStatus.ACCEPTED,
            col(Request.due_on).in_(days),
        )
    ):
        key = (request.team_id, request.recipient_id)
        if day_of.get(key) == request.due_on:
            found[key][1].append(request)
    return found


@dataclass(frozen=True, slots=True)
class FollowUpCandidate:
    """A promise or request that may need asking about, and the follow-ups it already had."""

    team_id: str
    user_id: str  # who is asked
    kind: str
    item_id: int
    due_on: date | None
    created_at: datetime
    unanswered: bool  # a request still waiting for a yes or no (else: a promise, or an accepted request)
    stages: dict[str, date]  # stage → local date it was claimed
    renegotiating: bool = False  # a new date was asked for and the requester has not answered yet
    promised_on: date | None = None  # an accepted request: the local day it was accepted
    done_on: date | None = None  # a request reported done on this local day, waiting for its requester to complete it


def follow_up_candidates(
    *, latest_due: date, asked_before: datetime, made_before: datetime, session: Session
) -> list[FollowUpCandidate]:
    """Open promises and accepted requests due by `latest_due` (or with no date, made before `made_before`),
    requests still unanswered since before `asked_before` and requests reported done two days before `latest_due`,
    and active stands whose own date is a day away, each with the follow-up stages it already had."""
    found = [
        *_promise_candidates(latest_due=latest_due, made_before=made_before, session=session),
        *_request_candidates(
            latest_due=latest_due, asked_before=asked_before, made_before=made_before, session=session
        ),
        *_stand_candidates(latest_due=latest_due, session=session),
    ]
    if not found:
        return []
    stages: dict[tuple[str, str, int], dict[str, date]] = {}
    for row in session.exec(model_select(FollowUp).where(col(FollowUp.item_id).in_({c.item_id for c in found}))):
        stages.setdefault((row.team_id, row.kind, row.item_id), {})[row.stage] = row.local_date
    request_ids = {c.item_id for c in found if c.kind == "request"}
    renegotiating: set[tuple[str, int]] = set()
    if request_ids:
        asked = model_select(Renegotiation.team_id, Renegotiation.request_id).where(
            col(Renegotiation.request_id).in_(request_ids), Renegotiation.status == RenegotiationStatus.PROPOSED
        )
        renegotiating = {(team, request_id) for team, request_id in session.exec(asked)}
    return [
        replace(
            c,
            stages=stages.get((c.team_id, c.kind, c.item_id), {}),
            renegotiating=c.kind == "request" and (c.team_id, c.item_id) in renegotiating,
        )
        for c in found
    ]


def _promise_candidates(*, latest_due: date, made_before: datetime, session: Session) -> list[FollowUpCandidate]:
    found = []
    for promise in session.exec(
        model_select(Promise).where(
            Promise.status == PromiseStatus.OPEN,
            or_(
                and_(col(Promise.due_on).is_not(None), col(Promise.due_on) <= latest_due),
                and_(col(Promise.due_on).is_(None), col(Promise.created_at) < made_before),
            ),
        )
    ):
        assert promise.id is not None
        found.append(
            FollowUpCandidate(
                promise.team_id, promise.user_id, "promise", promise.id, promise.due_on, promise.created_at, False, {}
            )
        )
    return found


def _request_candidates(
    *, latest_due: date, asked_before: datetime, made_before: datetime, session: Session
) -> list[FollowUpCandidate]:
    found = []
    for request in session.exec(
        model_select(Request).where(
            or_(
                and_(
                    col(Request.status) == RequestStatus.ACCEPTED,
                    col(Request.due_on).is_not(None),
                    col(Request.due_on) <= latest_due,
                ),
                and_(
                    col(Request.status) == RequestStatus.ACCEPTED,
                    col(Request.due_on).is_(None),
                    col(Request.promised_on) <= made_before.date(),
                ),
                and_(col(Request.status) == RequestStatus.OPEN, col(Request.created_at) < asked_before),
                and_(col(Request.status) == RequestStatus.DONE, col(Request.done_on) <= latest_due - timedelta(days=2)),
            )
        )
    ):
        assert request.id is not None
        done = request.status == RequestStatus.DONE
        found.append(
            FollowUpCandidate(
                request.team_id,
                # Reported done, it is the requester's turn: they are the one asked.
                request.user_id if done else request.recipient_id,
                "request",
                request.id,
                request.due_on,
                request.created_at,
                request.status == RequestStatus.OPEN,
                {},
                promised_on=request.promised_on,
                done_on=request.done_on if done else None,
            )
        )
    return found


def _stand_candidates(*, latest_due: date, session: Session) -> list[FollowUpCandidate]:
    """A stand's own date: asked about the day before it (`latest_due` reaches a day ahead for that)."""
    found = []
    for stand in session.exec(
        model_select(Stand).where(
            STAND_IS_ACTIVE,
            col(Stand.due_on).is_not(None),
            col(Stand.due_on) <= latest_due + timedelta(days=1),
        )
    ):
        assert stand.id is not None
        found.append(
            FollowUpCandidate(
                stand.team_id, stand.user_id, "stand", stand.id, stand.due_on, stand.created_at, False, {}
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class WeeklyLineCandidate:
    """A follower of an active stand who may be owed the stand owner's weekly line."""

    follower_id: int  # the Follower row: the claim's item
    user_id: str  # the follower
    stand_id: int
    owner_id: str
    stand_text: str


def weekly_line_candidates(
    *,
    team_id: str,
    kind: str,
    stage: str,
    declared_before: datetime,
    joined_before: datetime,
    stale_before: datetime,
    session: Session,
) -> list[WeeklyLineCandidate]:
    """Followers (who joined before `joined_before`) of the workspace's active stands declared before
    `declared_before` whose line for `stage` was neither sent, failed for good, nor claimed by a live sender;
    paused followers and owners left out."""
    claimed = (
        select(col(FollowUp.item_id), col(FollowUp.status), col(FollowUp.claimed_at))
        .where(col(FollowUp.team_id) == team_id, col(FollowUp.kind) == kind, col(FollowUp.stage) == stage)
        .subquery("claimed")
    )
    rows = session.execute(
        select(col(Follower.id), col(Follower.user_id), col(Stand.id), col(Stand.user_id), col(Stand.text))
        .join(Stand, col(Stand.id) == col(Follower.stand_id))
        .outerjoin(
            Member, and_(col(Member.team_id) == col(Follower.team_id), col(Member.user_id) == col(Follower.user_id))
        )
        .outerjoin(claimed, claimed.c.item_id == col(Follower.id))
        .where(
            col(Follower.team_id) == team_id,
            col(Stand.team_id) == team_id,
            STAND_IS_ACTIVE,
            col(Stand.created_at) < declared_before,
            col(Follower.created_at) < joined_before,
            col(Follower.user_id) != col(Stand.user_id),
            or_(col(Member.paused).is_(None), col(Member.paused).is_(False)),
            or_(
                claimed.c.item_id.is_(None),
                and_(claimed.c.status == ClaimStatus.CLAIMED, claimed.c.claimed_at < stale_before),
            ),
        )
        .order_by(col(Stand.id), col(Follower.id))
    )
    return [WeeklyLineCandidate(*row) for row in rows]
