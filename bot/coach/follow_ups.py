"""Follow-ups: asking about a promise on its date (and once more a day late), or a week after it was made when it
has no date; reminding about unanswered requests after two working days and closing them as expired after two
weeks; asking a requester about a request reported done and not yet completed. Each is claimed once per item and
stage, like nudges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.coach.facade import Coach
from bot.coach.nudges import CLAIM_TIMEOUT, closing_answer
from bot.coach.rules import breaks_today, local_today, member_zone
from storage import asking, claims, queries, schedule
from storage.db import unit_of_work
from storage.models import (
    ClaimStatus,
    FollowUp,
    FollowUpKind,
    FollowUpStage,
    Member,
    Promise,
    Request,
    RequestStatus,
    Stand,
)
from storage.schedule import FollowUpCandidate

UNANSWERED_WORKING_DAYS = 2
UNDATED_AFTER = timedelta(days=7)
"""A promise made with no date is asked about once, this long after it was made."""
EXPIRES_AFTER = timedelta(days=14)
"""A request nobody answered for this long is closed as expired."""
UNCONFIRMED_WORKING_DAYS = 2
"""A request reported done and not completed is put to its requester once, this many working days later."""


@dataclass(frozen=True, slots=True)
class DueFollowUp:
    """One follow-up to send now."""

    team_id: str
    user_id: str
    kind: FollowUpKind
    item_id: int
    stage: FollowUpStage
    local_date: date
    made_on: date | None = None  # an undated promise: the local day it was made (accepted, for a request)

    @property
    def key(self) -> dict[str, Any]:
        """The follow-up's unique key."""
        return {"team_id": self.team_id, "kind": self.kind, "item_id": self.item_id, "stage": self.stage}


def working_days_between(first: date, last: date, *, weekends: bool) -> int:
    """Working days after `first` up to and including `last`."""
    days = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    return sum(1 for day in days if weekends or day.weekday() < 5)


def made_on(candidate: FollowUpCandidate, member: Member) -> date:
    """The member's local day the promise was made: for a request, the day they accepted it."""
    if candidate.promised_on is not None:
        return candidate.promised_on
    return candidate.created_at.astimezone(member_zone(member.tz, "UTC")).date()


def next_stage(candidate: FollowUpCandidate, today: date, member: Member) -> FollowUpStage | None:
    """Which follow-up, if any, the candidate needs today."""
    if candidate.unanswered:
        asked_on = candidate.created_at.astimezone(member_zone(member.tz, "UTC")).date()
        if today - asked_on >= EXPIRES_AFTER:
            # Nothing stays silently open: two weeks without an answer closes it, and no reminder is due any more.
            return FollowUpStage.EXPIRED if "expired" not in candidate.stages else None
        waited = working_days_between(asked_on, today, weekends=member.weekends)
        return (
            FollowUpStage.REMINDER if waited >= UNANSWERED_WORKING_DAYS and "reminder" not in candidate.stages else None
        )
    if candidate.done_on is not None:
        # Reported done: the requester's turn to declare it complete, asked once; its date no longer matters.
        waited = working_days_between(candidate.done_on, today, weekends=member.weekends)
        return (
            FollowUpStage.UNCONFIRMED
            if waited >= UNCONFIRMED_WORKING_DAYS and "unconfirmed" not in candidate.stages
            else None
        )
    if candidate.kind == "stand":
        # The day before the stand's own date (or its date, if that day went by), once.
        eve = candidate.due_on is not None and candidate.due_on - timedelta(days=1) <= today
        return FollowUpStage.EVE if eve and "eve" not in candidate.stages else None
    if candidate.due_on is None:
        # No date to follow up on: asked once, a week after it was made, so it is not left silently open.
        old = today - made_on(candidate, member) >= UNDATED_AFTER
        return FollowUpStage.UNDATED if old and "undated" not in candidate.stages else None
    if candidate.due_on > today:
        return None
    if "due" not in candidate.stages:
        return FollowUpStage.DUE
    # Asked once more a day after the date; never nagged daily.
    if candidate.due_on < today and candidate.stages["due"] < today and "overdue" not in candidate.stages:
        return FollowUpStage.OVERDUE
    # Still unanswered days later: recorded as broken, so nothing stays silently open. A new date asked for in
    # time waits on the requester's answer instead.
    asked_late_before = candidate.stages.get("overdue", today) < today
    if breaks_today(candidate.due_on, today) and asked_late_before and "broken" not in candidate.stages:
        return None if candidate.renegotiating else FollowUpStage.BROKEN
    return None


@dataclass(frozen=True, slots=True)
class Asked:
    """One question a message asked, with what it asked about as that stands now (to render it answered)."""

    kind: str
    stage: str
    local_date: date
    item: Promise | Request | Stand
    answer: str | None = None  # a stand: how "what now?" was answered (bot.coach.nudges.closing_answer); "expired"
    made_on: date | None = None  # an undated promise: the member's local day it was made (accepted, for a request)


class FollowUps:
    """The follow-up pass's decisions and records; it sends nothing itself."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    def due(self, now: datetime) -> list[DueFollowUp]:
        """Follow-ups whose member's nudge time has come on a working day of theirs, not yet sent."""
        default = self.coach.default_timezone
        found = []
        with unit_of_work(self.coach.engine) as session:
            candidates = schedule.follow_up_candidates(
                latest_due=(now + timedelta(hours=14)).date(),  # the furthest-ahead zone's today
                asked_before=now - timedelta(days=UNANSWERED_WORKING_DAYS),
                made_before=now - UNDATED_AFTER + timedelta(days=1),  # a week on any zone's calendar
                session=session,
            )
            members = schedule.members_by_key(keys={(c.team_id, c.user_id) for c in candidates}, session=session)
        for candidate in candidates:
            member = members.get((candidate.team_id, candidate.user_id))
            if member is None or member.paused:
                continue
            local = now.astimezone(member_zone(member.tz, default))
            today = local_today(now, member_zone(member.tz, default))
            if (today.weekday() >= 5 and not member.weekends) or f"{local:%H:%M}" < member.nudge_time:
                continue
            stage = next_stage(candidate, today, member)
            if stage is not None:
                found.append(
                    DueFollowUp(
                        candidate.team_id,
                        candidate.user_id,
                        FollowUpKind(candidate.kind),
                        candidate.item_id,
                        stage,
                        today,
                        made_on=made_on(candidate, member) if stage == "undated" else None,
                    )
                )
        return found

    def claim(self, due: DueFollowUp, now: datetime) -> bool:
        """Claim one follow-up; only one instance gets True."""
        return claim_row(self.coach.engine, due.key, user_id=due.user_id, local_date=due.local_date, now=now)

    def at_message(self, team_id: str, channel_id: str, message_ts: str) -> tuple[list[Asked], list[str]]:
        """What one message (a morning nudge, or follow-ups sent on their own) asked, as it stands now, and the lines
        it told as first rendered (weekly lines, as the stored text the handlers wrote), to keep them when it is
        rewritten."""
        with unit_of_work(self.coach.engine, read_only=True) as session:
            rows = asking.follow_ups_at(team_id=team_id, channel_id=channel_id, message_ts=message_ts, session=session)
            asked = [question for row in rows if (question := self._asked(session, row)) is not None]
            return asked, [row.blocks for row in rows if row.blocks]

    def _asked(self, session: Session, row: FollowUp) -> Asked | None:
        item: Promise | Request | Stand | None
        if row.kind == "promise":
            item = queries.get_scoped(Promise, row.item_id, team_id=row.team_id, session=session)
        elif row.kind == "request":
            item = queries.get_scoped(Request, row.item_id, team_id=row.team_id, session=session)
        elif row.kind == "stand":
            item = queries.get_scoped(Stand, row.item_id, team_id=row.team_id, session=session)
        else:
            return None  # a kind of claim that is not a question (a weekly line)
        if item is None:
            return None  # forgotten
        answer, made = None, None
        if isinstance(item, Stand):
            answer = closing_answer(session, item, asked_on=row.local_date, asked_at=row.claimed_at)
        elif isinstance(item, Request) and item.status == RequestStatus.CANCELLED and item.promise_status is None:
            stages = asking.follow_ups_about(team_id=row.team_id, kind="request", item_id=row.item_id, session=session)
            answer = "expired" if any(other.stage == "expired" for other in stages) else None
        if row.stage == "undated":
            member = session.get(Member, (row.team_id, row.user_id))
            made = item.promised_on if isinstance(item, Request) else None
            if isinstance(item, Promise):
                made = item.created_at.astimezone(member_zone(member.tz if member else None, "UTC")).date()
        return Asked(row.kind, row.stage, row.local_date, item, answer, made)

    def reminded_on(self, team_id: str, request_id: int) -> date | None:
        """The day the person asked was reminded of the request, if they were."""
        with unit_of_work(self.coach.engine, read_only=True) as session:
            rows = asking.follow_ups_about(team_id=team_id, kind="request", item_id=request_id, session=session)
            return next((row.local_date for row in rows if row.stage == "reminder"), None)

    def messages_about(self, team_id: str, kind: str, item_id: int) -> list[tuple[str, str, str]]:
        """Every message that asked about a promise, request, stand or noticed breakdown: (member, channel, ts)."""
        with unit_of_work(self.coach.engine, read_only=True) as session:
            found = {
                (row.user_id, row.channel_id, row.message_ts)
                for row in asking.follow_ups_about(team_id=team_id, kind=kind, item_id=item_id, session=session)
                if row.channel_id and row.message_ts
            }
            if kind in ("stand", "breakdown"):
                nudges = asking.nudges_asking(
                    team_id=team_id,
                    stand_id=item_id if kind == "stand" else None,
                    check_in_id=item_id if kind == "breakdown" else None,
                    session=session,
                )
                found |= {(n.user_id, n.channel_id, n.message_ts) for n in nudges if n.channel_id and n.message_ts}
        return sorted(found)

    def item(self, due: DueFollowUp) -> Promise | Request | Stand:
        """The promise, request or stand the follow-up is about."""
        if due.kind == "promise":
            return self.coach.promise(due.team_id, due.item_id)
        if due.kind == "stand":
            return self.coach.stand(due.team_id, due.item_id)
        return self.coach.request(due.team_id, due.item_id)

    def break_unanswered(self, due: DueFollowUp, now: datetime) -> Promise | Request | None:
        """Record the promise as broken; None (and the claim let go) when it was settled in the meantime."""
        broken = self.coach.break_if_unanswered(due.team_id, due.kind, due.item_id, today=due.local_date, now=now)
        if broken is None:
            with unit_of_work(self.coach.engine) as session:
                claims.release(FollowUp, due.key, session=session)
        return broken

    def expire_unanswered(self, due: DueFollowUp, now: datetime) -> Request | None:
        """Close the request as expired; None (and the claim let go) when it was answered in the meantime."""
        expired = self.coach.expire_if_unanswered(due.team_id, due.item_id, now=now)
        if expired is None:
            with unit_of_work(self.coach.engine) as session:
                claims.release(FollowUp, due.key, session=session)
        return expired

    def sent(self, due: DueFollowUp, channel_id: str, ts: str) -> None:
        """The follow-up went out."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(
                FollowUp, due.key, status=ClaimStatus.SENT, channel_id=channel_id, message_ts=ts, session=session
            )

    def failed(self, due: DueFollowUp) -> None:
        """Slack refused it for good."""
        with unit_of_work(self.coach.engine) as session:
            claims.finish(FollowUp, due.key, status=ClaimStatus.FAILED, session=session)


def claim_row(engine: Engine, key: Mapping[str, Any], *, user_id: str, local_date: date, now: datetime) -> bool:
    """Claim one follow_ups row (a question, or a follower's weekly line) by its key; only one instance gets True.
    A claim older than its timeout belongs to a sender that died, and is taken over."""
    with unit_of_work(engine) as session:
        return claims.claim(
            FollowUp,
            dict(key),
            now=now,
            stale_before=now - CLAIM_TIMEOUT,
            session=session,
            extra={"user_id": user_id, "local_date": local_date},
        )
