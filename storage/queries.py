"""Reads and writes, each scoped by `team_id`; the session is always a keyword-only argument."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, delete, func, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    FORGOTTEN_USER,
    Action,
    Breakdown,
    Breakthrough,
    Delivery,
    Follower,
    FollowUp,
    Member,
    Nudge,
    Outbox,
    Pause,
    Promise,
    PromiseStatus,
    Recap,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
    StandDraft,
    StandStatus,
    Workspace,
)

Row = TypeVar("Row", bound=SQLModel)

# What `export` lists, with the model behind each: the contract's lists in its order, then everything else stored
# about members. `deliveries` (requests from Slack already taken in, kept a short while so that a replay changes
# nothing twice) is bookkeeping rather than anything a member made or was told: forget deletes it, export leaves
# it out.
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
    ("renegotiations", Renegotiation),
    ("pauses", Pause),
    ("members", Member),
    ("followers", Follower),
    ("stand_drafts", StandDraft),
    ("follow_ups", FollowUp),
    ("outbox", Outbox),
    ("workspaces", Workspace),
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
            Stand.status == StandStatus.ACTIVE,
        )
        .order_by(col(Follower.created_at), col(Follower.id))
    )
    return [(stand, tz) for stand, tz in rows]


def active_stands_with_followers(
    *, team_id: str, declared_before: datetime, session: Session
) -> list[tuple[int, str, str, int, str | None]]:
    """(stand, owner, text, followers, first follower) for each active stand declared before `declared_before`,
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
    rows = session.execute(
        core_select(col(Stand.id), col(Stand.user_id), col(Stand.text), followers.label("followers"), first)
        .where(
            col(Stand.team_id) == team_id,
            col(Stand.status) == StandStatus.ACTIVE,
            col(Stand.created_at) < declared_before,
        )
        .order_by(followers.desc(), col(Stand.created_at), col(Stand.id))
    )
    return [(int(sid), owner, text, int(count), first) for sid, owner, text, count, first in rows]


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
    row = session.execute(_practice_counts_statement(len(spans)), values).one()
    return [(int(row[i]), int(row[i + 1]), int(row[i + 2])) for i in range(0, 3 * len(spans), 3)]


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


def open_promises(*, team_id: str, user_id: str, session: Session) -> Sequence[Promise]:
    """The member's own promises not yet accounted for, soonest due first."""
    return session.exec(
        select(Promise)
        .where(Promise.team_id == team_id, Promise.user_id == user_id, Promise.status == PromiseStatus.OPEN)
        .order_by(col(Promise.due_on).is_(None), col(Promise.due_on), col(Promise.created_at))
    ).all()


def _names_member(model: type[SQLModel], user_id: str) -> ColumnElement[bool]:
    """Where a row of `model` is about the member: their own, or someone else's that names them."""
    if model is Workspace:
        return col(Workspace.recap_set_by) == user_id
    own: ColumnElement[bool] = getattr(model, "user_id") == user_id  # noqa: B009
    if model is Share:  # shares that name them
        return own | (col(Share.told_user_id) == user_id)
    if model is Request:  # requests they received, and those they accepted: their promises
        return own | (col(Request.recipient_id) == user_id)
    if model is Stand:  # the stands they follow
        return own | col(Stand.id).in_(select(Follower.stand_id).where(Follower.user_id == user_id))
    if model is Follower:  # who follows their stands
        return own | col(Follower.stand_id).in_(select(Stand.id).where(Stand.user_id == user_id))
    if model is Renegotiation:  # new dates asked of them, as the requester
        return own | col(Renegotiation.request_id).in_(select(Request.id).where(Request.user_id == user_id))
    return own


def export_rows(*, session: Session, team_id: str | None = None, user_id: str | None = None) -> dict[str, list[Any]]:
    """Every exported row, by list name, optionally for one team and/or everything about one member."""
    document: dict[str, list[Any]] = {}
    for name, model in EXPORTED:
        query = select(model)
        if team_id is not None:
            query = query.where(getattr(model, "team_id") == team_id)  # noqa: B009
        if user_id is not None:
            query = query.where(_names_member(model, user_id))
        order = model.__table__.primary_key.columns  # type: ignore[attr-defined]
        document[name] = list(session.exec(query.order_by(*order)))
    return document


def forget_member(*, team_id: str, user_id: str, now: datetime, session: Session) -> dict[str, int]:
    """Delete the member's own records and anonymize them on records shared with others, their DM's channel and
    message timestamps included; returns counts."""
    counts: dict[str, int] = {}
    stand_ids = select(Stand.id).where(Stand.team_id == team_id, Stand.user_id == user_id)
    asked_by = select(Request.id).where(Request.team_id == team_id, Request.user_id == user_id)
    involved = (col(Request.user_id) == user_id) | (col(Request.recipient_id) == user_id)
    involving = select(Request.id).where(Request.team_id == team_id, involved)

    def run(label: str, statement: Any) -> None:
        counts[label] = counts.get(label, 0) + int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    # Requests live on both sides: end the ones still waiting on the forgotten member, keep the rest anonymized.
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
    # A date-change question the forgotten member would ask or answer has no one left to settle it.
    run(
        "renegotiations_withdrawn",
        update(Renegotiation)
        .where(
            col(Renegotiation.team_id) == team_id,
            col(Renegotiation.request_id).in_(involving),
            col(Renegotiation.status) == RenegotiationStatus.PROPOSED,
        )
        .values(status=RenegotiationStatus.WITHDRAWN, settled_at=now),
    )
    # The question sits in the requester's DM: its channel and timestamp point at the member as surely as their ID.
    run(
        "renegotiations_anonymized",
        update(Renegotiation)
        .where(col(Renegotiation.team_id) == team_id, col(Renegotiation.request_id).in_(asked_by))
        .values(channel_id=None, message_ts=None),
    )
    run(
        "renegotiations_anonymized",
        update(Renegotiation)
        .where(col(Renegotiation.team_id) == team_id, col(Renegotiation.user_id) == user_id)
        .values(user_id=FORGOTTEN_USER),
    )
    for side, channel, ts in (
        ("user_id", "requester_channel", "requester_ts"),
        ("recipient_id", "recipient_channel", "recipient_ts"),
    ):
        run(
            "requests_anonymized",
            update(Request)
            .where(col(Request.team_id) == team_id, getattr(Request, side) == user_id)
            .values({side: FORGOTTEN_USER, channel: None, ts: None}),
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
        ("follow_ups", FollowUp),
        ("pauses", Pause),
        ("outbox", Outbox),
    ):
        run(label, delete(model).where(getattr(model, "team_id") == team_id, getattr(model, "user_id") == user_id))  # noqa: B009
    # A delivery may have come with no team (some events carry none); the member's ID alone is theirs.
    run(
        "deliveries",
        delete(Delivery).where(
            col(Delivery.team_id).is_(None) | (col(Delivery.team_id) == team_id), col(Delivery.user_id) == user_id
        ),
    )
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


def members_with_stand_between(*, team_id: str, start: datetime, end: datetime, session: Session) -> set[str]:
    """Members whose stand was active at some moment from `start` up to (not including) `end`."""
    rows = session.exec(
        select(Stand.user_id)
        .where(
            Stand.team_id == team_id,
            col(Stand.created_at) < end,
            (col(Stand.status) == StandStatus.ACTIVE)
            | (col(Stand.ended_at) >= start)
            | (col(Stand.created_at) >= start),
        )
        .distinct()
    )
    return set(rows)


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


def member_zones(*, team_id: str, user_ids: Collection[str], session: Session) -> dict[str, str | None]:
    """The stored IANA zone of each of these members (None when Slack gave none)."""
    rows = session.exec(
        select(Member.user_id, Member.tz).where(Member.team_id == team_id, col(Member.user_id).in_(user_ids))
    )
    return {member_id: tz for member_id, tz in rows}


def members_with_weekends(*, team_id: str, session: Session) -> set[str]:
    """Members who practise on weekends too."""
    return set(session.exec(select(Member.user_id).where(Member.team_id == team_id, col(Member.weekends).is_(True))))


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


def member_promises(*, team_id: str, user_id: str, session: Session) -> Sequence[Promise]:
    """Every promise the member made, in any state."""
    return session.exec(select(Promise).where(Promise.team_id == team_id, Promise.user_id == user_id)).all()


def promised_requests(*, team_id: str, user_id: str, session: Session) -> Sequence[Request]:
    """Every request the member accepted, so became their promise, in any state."""
    return session.exec(
        select(Request).where(
            Request.team_id == team_id, Request.recipient_id == user_id, col(Request.promise_status).is_not(None)
        )
    ).all()


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


def remove_follower(*, team_id: str, stand_id: int, user_id: str, session: Session) -> bool:
    """Stop `user_id` following the stand; whether they were following it."""
    row = session.exec(
        select(Follower).where(Follower.team_id == team_id, Follower.stand_id == stand_id, Follower.user_id == user_id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    return True


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


def compare_and_set(
    model: type[Row], row_id: int, *, team_id: str, expected: dict[str, Any], values: dict[str, Any], session: Session
) -> bool:
    """Write `values` to the row only if it still holds `expected`: of two racing moves, only one applies.

    The database decides, whatever isolation the transaction has; the row in the session follows the write.
    """
    table: Any = model
    moved = session.execute(
        update(table)
        .where(table.id == row_id, table.team_id == team_id, *(getattr(table, k) == v for k, v in expected.items()))
        .values(**values)
        .returning(table.id)
    ).first()
    return moved is not None


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
