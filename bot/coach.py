"""The coach's use cases: each method is one unit of work against storage, reading time from one clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from bot.clock import Clock
from bot.rules import (
    PROFILE_MAX_AGE,
    PROGRAM_DAYS,
    STREAK_LOOKBACK,
    Ledger,
    LedgerEntry,
    MoveRefused,
    Practice,
    RequestMove,
    Role,
    breaks_today,
    ledger,
    local_today,
    member_zone,
    move_request,
    next_nudge,
    paused_days,
    program_day,
    revoked_or_broken,
    streaks,
    week_of,
)
from storage import claims, outbox, queries
from storage.db import current_session, unit_of_work
from storage.models import (
    Action,
    Breakdown,
    Breakthrough,
    Follower,
    Member,
    Promise,
    PromiseStatus,
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
from storage.queries import Row


class CoachRefusal(Exception):
    """Something the coach will not do, with a kind sentence saying why; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CoachRefusal):
    """The item does not exist in this workspace (or no longer does)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What Slack's users.info told us about a person."""

    name: str
    tz: str | None
    is_admin: bool
    is_bot: bool
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a member stands today: the program day and the practice counts."""

    today: date
    stand: Stand | None
    day: int | None
    today_practice: Practice
    week_practice: Practice


@dataclass(frozen=True, slots=True)
class StandDeclared:
    """A new stand, and the one it replaced if any."""

    stand: Stand
    replaced: Stand | None = None


@dataclass(frozen=True, slots=True)
class StandConflict:
    """The member already has an active stand; the new one waits as a draft for their choice."""

    current: Stand
    draft: StandDraft


@dataclass(frozen=True, slots=True)
class Joined:
    """Someone joined a stand."""

    stand: Stand
    follower_ids: list[str]
    is_first: bool


@dataclass(frozen=True, slots=True)
class RequestMoved:
    """A request after a move, and which side should hear of it."""

    request: Request
    before: RequestStatus
    move: RequestMove
    actor: Role


@dataclass(frozen=True, slots=True)
class FollowedStand:
    """An active stand the member follows, and its program day in its owner's zone."""

    stand_id: int
    owner_id: str
    text: str
    day: int  # day N of its program: past 14 it is complete, below 1 another 14 days are about to start


@dataclass(frozen=True, slots=True)
class Status:
    """Everything `/coach status` and App Home show a member."""

    user_id: str
    progress: Progress
    followers: list[str]
    made: Sequence[Request]
    received: Sequence[Request]
    promises: Sequence[Promise]
    nudge_time: str
    weekends: bool
    paused: bool
    streak: int = 0
    best_streak: int = 0
    ledger: Ledger = field(default_factory=Ledger)
    following: list[FollowedStand] = field(default_factory=list)


class Coach:
    """The domain: decides and records; knows nothing of Slack."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        recap_channel: str | None = None,
        admins: frozenset[str] = frozenset(),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.default_timezone = default_timezone
        self.default_recap_channel = recap_channel
        self.admins = admins
        self.on_outbox: Callable[[], None] | None = None
        """Called after a transaction that owes Slack messages commits (the outbox's sender wakes up)."""

    # Transactions ------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work for a whole use case: every step inside it, and what Slack is owed, commit together."""
        with unit_of_work(self.engine) as session:
            depth = session.info.get("depth", 0)
            session.info["depth"] = depth + 1
            try:
                yield session
            finally:
                session.info["depth"] = depth
            owed = session.info.pop("owed", 0) if depth == 0 else 0  # only the outermost commits
        if owed and self.on_outbox is not None:
            self.on_outbox()

    def nudged_today(self, team_id: str, user_id: str) -> bool:
        """Whether the member has a nudge of today to keep up to date (read in the open unit of work)."""
        with unit_of_work(self.engine, read_only=True) as session:
            today = self._today(session, team_id, user_id)
            return claims.todays_nudge(team_id=team_id, user_id=user_id, local_date=today, session=session) is not None

    def tell(self, *items: outbox.Outgoing) -> None:
        """Owe Slack these messages, written in the open transaction and sent once it has committed."""
        session = current_session(self.engine)
        # Wall-clock, not the coach's clock: the sender's retry delays and leases are real seconds.
        written = outbox.enqueue(items, now=datetime.now(UTC), session=session)
        session.info["owed"] = session.info.get("owed", 0) + written

    # Members -----------------------------------------------------------------------------------------

    def member(self, team_id: str, user_id: str) -> Member | None:
        """The member as last stored, if the coach has met them."""
        with unit_of_work(self.engine, read_only=True) as session:
            return queries.get_member(team_id=team_id, user_id=user_id, session=session)

    def needs_profile(self, member: Member | None) -> bool:
        """Whether Slack should be asked again about this member (never asked, or asked over a day ago)."""
        if member is None or member.profile_fetched_at is None:
            return True
        return self.clock.now() - member.profile_fetched_at > PROFILE_MAX_AGE

    def remember_profile(self, team_id: str, user_id: str, profile: Profile) -> Member:
        """Store what Slack said about a person, creating them if new."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            member = queries.ensure_member(team_id=team_id, user_id=user_id, now=now, session=session)
            member.name = profile.name[:255]
            member.tz = profile.tz
            member.is_admin = profile.is_admin
            member.is_bot = profile.is_bot
            member.profile_fetched_at = now
            session.add(member)
            session.flush()
            self.reschedule_nudge(session, team_id, user_id)  # the zone may have changed
            return member

    def reschedule_nudge(
        self,
        session: Session,
        team_id: str,
        user_id: str,
        *,
        done_through: date | None = None,
        now: datetime | None = None,
    ) -> None:
        """Work out the member's next nudge instant again, after anything it depends on changed.

        Call it whenever the zone, nudge time, weekends, the active stand or its program change: the nudge pass
        reads only this schedule.
        """
        member = queries.get_member(team_id=team_id, user_id=user_id, session=session)
        if member is None:
            return
        stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
        # A nudge just claimed is the latest there is; only otherwise ask which day was nudged last.
        if done_through is None and stand is not None:
            done_through = claims.last_nudged_on(team_id=team_id, user_id=user_id, session=session)
        self.schedule_next_nudge(session, member, stand, done_through=done_through, now=now)

    def schedule_next_nudge(
        self,
        session: Session,
        member: Member,
        stand: Stand | None,
        *,
        done_through: date | None,
        now: datetime | None = None,
    ) -> None:
        """Set the member's next nudge instant from what the caller already read."""
        if stand is None:
            member.next_nudge_at = None
        else:
            done = done_through
            member.next_nudge_at = (
                next_nudge(
                    now=now or self.clock.now(),
                    zone=member_zone(member.tz, self.default_timezone),
                    nudge_time=member.nudge_time,
                    weekends=member.weekends,
                    program_started_on=stand.program_started_on,
                    done_through=done,
                )
                or claims.NEVER
            )
        session.add(member)

    def today(self, team_id: str, user_id: str) -> date:
        """The member's local date now, by their stored zone (or the default zone)."""
        with unit_of_work(self.engine, read_only=True) as session:
            return self._today(session, team_id, user_id)

    def is_admin(self, team_id: str, user_id: str) -> bool:
        """Whether the member may change workspace settings (Slack admin or owner, or in COACH_ADMINS)."""
        if user_id in self.admins:
            return True
        member = self.member(team_id, user_id)
        return bool(member and member.is_admin)

    def _member(self, session: Session, team_id: str, user_id: str) -> Member:
        return _held(
            session, queries.ensure_member(team_id=team_id, user_id=user_id, now=self.clock.now(), session=session)
        )

    def _today(self, session: Session, team_id: str, user_id: str) -> date:
        member = _held(session, queries.get_member(team_id=team_id, user_id=user_id, session=session))
        zone = member_zone(member.tz if member else None, self.default_timezone)
        return local_today(self.clock.now(), zone)

    # Stands ------------------------------------------------------------------------------------------

    def declare_stand(
        self, team_id: str, user_id: str, outcome: str, due_on: date | None, *, channel_id: str | None = None
    ) -> StandDeclared | StandConflict:
        """Declare a stand and start its 14-day program, unless one is active (then keep the new one as a draft)."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            current = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            if current is not None:
                draft = StandDraft(
                    team_id=team_id, user_id=user_id, text=outcome, due_on=due_on, channel_id=channel_id, created_at=now
                )
                session.add(draft)
                session.flush()
                return StandConflict(current=current, draft=draft)
            stand = self._new_stand(session, team_id, user_id, outcome, due_on, channel_id)
            return StandDeclared(stand=stand)

    def _new_stand(
        self, session: Session, team_id: str, user_id: str, outcome: str, due_on: date | None, channel_id: str | None
    ) -> Stand:
        stand = Stand(
            team_id=team_id,
            user_id=user_id,
            text=outcome,
            due_on=due_on,
            status=StandStatus.ACTIVE,
            program_started_on=self._today(session, team_id, user_id),
            channel_id=channel_id,
            created_at=self.clock.now(),
        )
        session.add(stand)
        try:
            session.flush()
        except IntegrityError:
            raise CoachRefusal("You declared a stand a moment ago — it's the one that counts.") from None
        self.reschedule_nudge(session, team_id, user_id)
        return stand

    def settle_draft(self, team_id: str, user_id: str, draft_id: int, *, replace: bool) -> StandDeclared | None:
        """Replace the active stand with the draft (withdrawing it), or drop the draft and keep the stand."""
        with unit_of_work(self.engine) as session:
            draft = queries.get_scoped(StandDraft, draft_id, team_id=team_id, session=session)
            if draft is None or draft.user_id != user_id:
                raise NotFound("That choice has already been made — nothing changed.")
            session.delete(draft)
            if not replace:
                return None
            current = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            if current is not None:
                current.status = StandStatus.WITHDRAWN
                current.ended_at = self.clock.now()
                session.add(current)
                session.flush()
            stand = self._new_stand(session, team_id, user_id, draft.text, draft.due_on, draft.channel_id)
            return StandDeclared(stand=stand, replaced=current)

    def restart_program(self, team_id: str, user_id: str) -> Stand:
        """Another 14 days on the same stand, from the member's next working day."""
        with unit_of_work(self.engine) as session:
            stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            if stand is None:
                raise CoachRefusal("You have no active stand to continue — declare one with `/stand`.")
            member = self._member(session, team_id, user_id)
            start = self._today(session, team_id, user_id) + timedelta(days=1)
            while not member.weekends and start.weekday() >= 5:  # day 1 should be a day they practise
                start += timedelta(days=1)
            stand.program_started_on = start
            session.add(stand)
            session.flush()
            self.reschedule_nudge(session, team_id, user_id)
            return stand

    def close_stand(self, team_id: str, user_id: str, status: StandStatus, words: str) -> Stand:
        """Close the member's active stand as achieved or ended, in their words; their history stays."""
        if status not in (StandStatus.ACHIEVED, StandStatus.ENDED):
            raise ValueError(f"a stand closes as achieved or ended, not {status}")
        with unit_of_work(self.engine) as session:
            stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            if stand is None or not queries.compare_and_set(
                Stand,
                stand.id or 0,
                team_id=team_id,
                expected={"status": StandStatus.ACTIVE},
                values={"status": status, "ended_at": self.clock.now(), "closing_words": words or None},
                session=session,
            ):
                raise CoachRefusal("That stand is already closed — nothing changed.")
            self.reschedule_nudge(session, team_id, user_id)  # a closed stand stops the nudges
            return stand

    def program_numbers(self, team_id: str, user_id: str) -> dict[str, int]:
        """The active program in numbers, since its first day."""
        with unit_of_work(self.engine) as session:
            stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            if stand is None or stand.id is None:
                return {}
            return queries.program_numbers(
                team_id=team_id, user_id=user_id, stand_id=stand.id, first=stand.program_started_on, session=session
            )

    def join_stand(self, team_id: str, stand_id: int, user_id: str) -> Joined:
        """Join a stand; the first to join is its first follower."""
        with unit_of_work(self.engine) as session:
            stand = queries.get_scoped(Stand, stand_id, team_id=team_id, session=session)
            if stand is None:
                raise NotFound("I couldn't find that stand in this workspace.")
            if stand.status != StandStatus.ACTIVE:
                raise CoachRefusal("That stand has closed, so it can't be joined any more.")
            if stand.user_id == user_id:
                raise CoachRefusal("This is your own stand — you're already all in.")
            self._member(session, team_id, user_id)  # a follower is someone the coach writes to: pausable like anyone
            existing = queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session)
            if user_id in existing:
                raise CoachRefusal("You've already joined this stand — nothing changed.")
            session.add(Follower(team_id=team_id, stand_id=stand_id, user_id=user_id, created_at=self.clock.now()))
            try:
                session.flush()
            except IntegrityError:
                raise CoachRefusal("You've already joined this stand — nothing changed.") from None
            followers = queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session)
            return Joined(stand=stand, follower_ids=followers, is_first=followers[:1] == [user_id])

    def leave_stand(self, team_id: str, stand_id: int, user_id: str) -> Stand:
        """Stop following a stand."""
        with unit_of_work(self.engine) as session:
            stand = queries.get_scoped(Stand, stand_id, team_id=team_id, session=session)
            if stand is None:
                raise NotFound("I couldn't find that stand in this workspace.")
            if not queries.remove_follower(team_id=team_id, stand_id=stand_id, user_id=user_id, session=session):
                raise CoachRefusal("You're not following this stand — nothing changed.")
            return stand

    def _one(self, model: type[Row], row_id: int, team_id: str, what: str) -> Row:
        with unit_of_work(self.engine) as session:
            row = queries.get_scoped(model, row_id, team_id=team_id, session=session)
            if row is None:
                raise NotFound(f"I couldn't find that {what} in this workspace.")
            return row

    def stand(self, team_id: str, stand_id: int) -> Stand:
        """One stand of this workspace."""
        return self._one(Stand, stand_id, team_id, "stand")

    def followers(self, team_id: str, stand_id: int) -> list[str]:
        """Who joined the stand, first follower first."""
        with unit_of_work(self.engine) as session:
            return queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session)

    # Practice ----------------------------------------------------------------------------------------

    def log_shares(self, team_id: str, user_id: str, told: Sequence[str], note: str) -> Progress:
        """Each person told about the stand counts as one share."""
        if user_id in told:
            raise CoachRefusal("Telling yourself doesn't count — share your stand with someone else.")
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            today, now = self._today(session, team_id, user_id), self.clock.now()
            for person in told:
                session.add(
                    Share(
                        team_id=team_id,
                        user_id=user_id,
                        told_user_id=person,
                        text=note,
                        local_date=today,
                        created_at=now,
                    )
                )
            session.flush()
            return self._progress(session, team_id, user_id)

    def log_action(self, team_id: str, user_id: str, text: str) -> Progress:
        """One action toward the stand."""
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            today = self._today(session, team_id, user_id)
            session.add(
                Action(team_id=team_id, user_id=user_id, text=text, local_date=today, created_at=self.clock.now())
            )
            session.flush()
            return self._progress(session, team_id, user_id)

    def progress(self, team_id: str, user_id: str, *, on: date | None = None) -> Progress:
        """The day's (today's, unless `on` names another local date) and its week's practice, and the program day."""
        with unit_of_work(self.engine) as session:
            return self._progress(session, team_id, user_id, on=on)

    def progress_in(self, session: Session, team_id: str, user_id: str, *, on: date, stand: Stand | None) -> Progress:
        """`progress` inside the caller's unit of work, with the stand it already read."""
        return self._progress(session, team_id, user_id, on=on, stand=stand)

    def _progress(
        self, session: Session, team_id: str, user_id: str, *, on: date | None = None, stand: Stand | None = None
    ) -> Progress:
        today = on or self._today(session, team_id, user_id)
        monday, sunday = week_of(today)
        stand = stand or queries.active_stand(team_id=team_id, user_id=user_id, session=session)
        day = program_day(stand.program_started_on, today) if stand else None
        day_counts, week_counts = queries.practice_counts(
            team_id=team_id, user_id=user_id, spans=[(today, today), (monday, sunday)], session=session
        )
        return Progress(
            today=today,
            stand=stand,
            day=day if day is None or day <= PROGRAM_DAYS else None,
            today_practice=Practice(*day_counts),
            week_practice=Practice(*week_counts),
        )

    # Requests ----------------------------------------------------------------------------------------

    def make_request(self, team_id: str, user_id: str, recipient_id: str, text: str, due_on: date | None) -> Request:
        """A request of someone else; it counts toward the requester's practice."""
        if recipient_id == user_id:
            raise CoachRefusal("A request is something you ask of someone else — pick another person.")
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            now = self.clock.now()
            request = Request(
                team_id=team_id,
                user_id=user_id,
                recipient_id=recipient_id,
                text=text,
                due_on=due_on,
                local_date=self._today(session, team_id, user_id),
                created_at=now,
                updated_at=now,
            )
            session.add(request)
            session.flush()
            return request

    def offer_help(self, team_id: str, stand_id: int, helper_id: str, text: str, due_on: date | None) -> Request:
        """An offer of help with a stand, waiting for its owner to accept it as the helper's promise."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            stand = queries.get_scoped(Stand, stand_id, team_id=team_id, session=session)
            if stand is None:
                raise NotFound("I couldn't find that stand in this workspace.")
            if stand.user_id == helper_id:
                raise CoachRefusal("This is your own stand — make a request of someone instead.")
            request = Request(
                team_id=team_id,
                user_id=stand.user_id,
                recipient_id=helper_id,
                text=text,
                due_on=due_on,
                status=RequestStatus.COUNTERED,
                offered=True,
                stand_id=stand.id,
                counter_text=text,
                counter_due_on=due_on,
                local_date=self._today(session, team_id, stand.user_id),
                created_at=now,
                updated_at=now,
            )
            session.add(request)
            session.flush()
            return request

    def request(self, team_id: str, request_id: int) -> Request:
        """One request of this workspace."""
        return self._one(Request, request_id, team_id, "request")

    def move_request(
        self,
        team_id: str,
        request_id: int,
        actor_id: str,
        move: RequestMove,
        *,
        terms: str | None = None,
        due_on: date | None = None,
    ) -> RequestMoved:
        """Apply one side's move to a request; raises MoveRefused when it no longer applies."""
        with unit_of_work(self.engine) as session:
            request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
            if request is None:
                raise NotFound("I couldn't find that request in this workspace.")
            if actor_id == request.user_id:
                role = Role.REQUESTER
            elif actor_id == request.recipient_id:
                role = Role.RECIPIENT
            else:
                raise CoachRefusal(
                    "This request is between two other people, so its buttons aren't yours to press — nothing changed."
                )
            before = RequestStatus(request.status)
            values: dict[str, Any] = {"status": move_request(before, move, role), "updated_at": self.clock.now()}
            if move is RequestMove.COUNTER:
                values.update(counter_text=terms or request.text, counter_due_on=due_on)
            elif move is RequestMove.ACCEPT_COUNTER:
                values.update(text=request.counter_text or request.text, due_on=request.counter_due_on)
            values.update(self._promise_account(session, request, move))
            # Compare-and-set on the state the move was decided from: of two racing clicks, one applies.
            if not queries.compare_and_set(
                Request, request_id, team_id=team_id, expected={"status": before}, values=values, session=session
            ):
                session.refresh(request)
                raise MoveRefused("spent", status=RequestStatus(request.status))
            if move in (RequestMove.DONE, RequestMove.REVOKE):
                # A date-change question still waiting for the requester has nothing left to move.
                queries.withdraw_renegotiations(team_id=team_id, request_id=request_id, session=session)
            return RequestMoved(request=request, before=before, move=move, actor=role)

    def _promise_account(self, session: Session, request: Request, move: RequestMove) -> dict[str, Any]:
        """How the account of the recipient's promise changes with a move on the request."""
        today = self._today(session, request.team_id, request.recipient_id)
        if move in (RequestMove.ACCEPT, RequestMove.ACCEPT_COUNTER):
            return {"promise_status": PromiseStatus.OPEN, "promised_on": today}
        if move is RequestMove.DONE:
            return {"promise_status": PromiseStatus.KEPT, "done_on": today}
        if move is RequestMove.NOT_YET:
            return {"promise_status": PromiseStatus.OPEN, "done_on": None}
        if move is RequestMove.REVOKE:
            return {"promise_status": revoked_or_broken(request.due_on, today)}
        return {}

    # Promises, breakdowns, breakthroughs -------------------------------------------------------------

    def make_promise(self, team_id: str, user_id: str, text: str, due_on: date | None) -> Promise:
        """A promise of the member's own, open until accounted for."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            promise = Promise(
                team_id=team_id, user_id=user_id, text=text, due_on=due_on, created_at=now, updated_at=now
            )
            session.add(promise)
            session.flush()
            return promise

    def promise(self, team_id: str, promise_id: int) -> Promise:
        """One promise of this workspace."""
        return self._one(Promise, promise_id, team_id, "promise")

    def account_promise(
        self, team_id: str, user_id: str, promise_id: int, outcome: PromiseStatus, *, new_date: date | None = None
    ) -> tuple[Promise, Promise | None]:
        """Account for an open promise: kept, revoked, or renegotiated to `new_date` (which opens its successor)."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            promise = queries.get_scoped(Promise, promise_id, team_id=team_id, session=session, for_update=True)
            if promise is None or promise.user_id != user_id:
                raise NotFound("I couldn't find that promise of yours in this workspace.")
            if promise.status != PromiseStatus.OPEN:
                raise CoachRefusal(f"That promise is already accounted for ({promise.status}) — nothing changed.")
            if outcome == PromiseStatus.REVOKED:
                outcome = revoked_or_broken(promise.due_on, self._today(session, team_id, user_id))
            if not queries.compare_and_set(
                Promise,
                promise_id,
                team_id=team_id,
                expected={"status": PromiseStatus.OPEN},
                values={"status": outcome, "updated_at": now},
                session=session,
            ):
                session.refresh(promise)
                raise CoachRefusal(f"That promise is already accounted for ({promise.status}) — nothing changed.")
            successor = None
            if outcome == PromiseStatus.RENEGOTIATED:
                if new_date is None:
                    raise CoachRefusal("A renegotiated promise needs its new date.")
                successor = Promise(
                    team_id=team_id, user_id=user_id, text=promise.text, due_on=new_date, created_at=now, updated_at=now
                )
                session.add(successor)
                session.flush()
            return promise, successor

    def propose_renegotiation(
        self, team_id: str, user_id: str, request_id: int, new_date: date
    ) -> tuple[Renegotiation, Request]:
        """The person who accepted a request asks its requester for a new date; until they agree, the old one holds."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
            if request is None or request.recipient_id != user_id:
                raise NotFound("I couldn't find that promise of yours in this workspace.")
            if request.status != RequestStatus.ACCEPTED:
                raise CoachRefusal("That request isn't an open promise any more — nothing changed.")
            today = self._today(session, team_id, user_id)
            if new_date < today:
                raise CoachRefusal("The new date has already gone by — pick today or a later day.")
            if new_date == request.due_on:
                raise CoachRefusal("That's the date it already has — pick a different one.")
            pending = queries.proposed_renegotiation(team_id=team_id, request_id=request_id, session=session)
            if pending is not None:
                raise CoachRefusal(
                    f"You've already asked to move it to {pending.new_due_on:%A %-d %B}; "
                    "I'll let you know as soon as they answer."
                )
            asked = Renegotiation(
                team_id=team_id,
                request_id=request_id,
                user_id=user_id,
                old_due_on=request.due_on,
                new_due_on=new_date,
                asked_on=today,
                created_at=now,
            )
            session.add(asked)
            try:
                session.flush()
            except IntegrityError:
                # A second submit raced this one past the check above; the database let only one through.
                raise CoachRefusal("You've already asked to move it; I'll let you know their answer.") from None
            return asked, request

    def withdraw_renegotiation(self, team_id: str, renegotiation_id: int) -> None:
        """Take back a date-change question that could not be delivered."""
        with unit_of_work(self.engine) as session:
            asked = queries.get_scoped(Renegotiation, renegotiation_id, team_id=team_id, session=session)
            if asked is not None and asked.status == RenegotiationStatus.PROPOSED:
                asked.status, asked.settled_at = RenegotiationStatus.WITHDRAWN, self.clock.now()
                session.add(asked)

    def answer_renegotiation(
        self, team_id: str, user_id: str, renegotiation_id: int, *, agree: bool
    ) -> tuple[Renegotiation, Request]:
        """The requester agrees to the new date (the promise is renegotiated) or keeps the old one."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            asked = queries.get_scoped(
                Renegotiation, renegotiation_id, team_id=team_id, session=session, for_update=True
            )
            request = (
                queries.get_scoped(Request, asked.request_id, team_id=team_id, session=session, for_update=True)
                if asked
                else None
            )
            if asked is None or request is None:
                raise NotFound("I couldn't find that question in this workspace.")
            if request.user_id != user_id:
                raise CoachRefusal("This question is for the person who made the request — nothing changed.")
            if asked.status != RenegotiationStatus.PROPOSED:
                raise CoachRefusal(f"That question is already settled ({asked.status}) — nothing changed.")
            if request.status != RequestStatus.ACCEPTED:
                asked.status, asked.settled_at = RenegotiationStatus.WITHDRAWN, now
                session.add(asked)
                raise CoachRefusal("That promise has moved on since they asked, so the date stays as it was.")
            if not queries.compare_and_set(
                Renegotiation,
                renegotiation_id,
                team_id=team_id,
                expected={"status": RenegotiationStatus.PROPOSED},
                values={
                    "status": RenegotiationStatus.ACCEPTED if agree else RenegotiationStatus.DECLINED,
                    "settled_at": now,
                },
                session=session,
            ):
                raise CoachRefusal("That question is already settled — nothing changed.")
            if agree:
                request.due_on, request.updated_at = asked.new_due_on, now
                session.add(request)
                # The new date gets its own follow-ups: on the day, a day late, and the account after.
                queries.forget_follow_ups(team_id=team_id, kind="request", item_id=request.id, session=session)
            return asked, request

    def break_if_unanswered(
        self, team_id: str, kind: str, item_id: int, *, today: date, now: datetime
    ) -> Promise | Request | None:
        """Record a promise still open well past its date (on the promiser's local `today`) as broken; None when
        it was settled meanwhile."""
        with unit_of_work(self.engine) as session:
            if kind == "promise":
                promise = queries.get_scoped(Promise, item_id, team_id=team_id, session=session, for_update=True)
                if promise is None or promise.status != PromiseStatus.OPEN:
                    return None
                if not breaks_today(promise.due_on, today):
                    return None
                promise.status, promise.updated_at = PromiseStatus.BROKEN, now
                session.add(promise)
                return promise
            request = queries.get_scoped(Request, item_id, team_id=team_id, session=session, for_update=True)
            if request is None or request.status != RequestStatus.ACCEPTED:
                return None
            if not breaks_today(request.due_on, today):
                return None
            if queries.proposed_renegotiation(team_id=team_id, request_id=item_id, session=session):
                return None  # they asked for a new date in time; the requester's answer decides
            request.status, request.promise_status, request.updated_at = (
                RequestStatus.CANCELLED,
                PromiseStatus.BROKEN,
                now,
            )
            session.add(request)
            return request

    def expire_if_unanswered(self, team_id: str, request_id: int, *, now: datetime) -> Request | None:
        """Close a request its recipient never answered as expired (stored as cancelled: the contract's statuses
        are fixed); None when it was answered or cancelled in the meantime. Nothing is owed: it was never a promise.
        """
        with unit_of_work(self.engine) as session:
            request = queries.get_scoped(Request, request_id, team_id=team_id, session=session, for_update=True)
            if request is None or request.status != RequestStatus.OPEN:
                return None
            request.status, request.updated_at = RequestStatus.CANCELLED, now
            session.add(request)
            return request

    def declare_breakdown(self, team_id: str, user_id: str, text: str) -> Breakdown:
        """A breakdown declared: a milestone to meet with questions, not a failure."""
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            breakdown = Breakdown(team_id=team_id, user_id=user_id, text=text, created_at=self.clock.now())
            session.add(breakdown)
            session.flush()
            return breakdown

    def own_breakdown(self, team_id: str, user_id: str, breakdown_id: int) -> Breakdown:
        """One of the member's own breakdowns."""
        with unit_of_work(self.engine) as session:
            breakdown = queries.get_scoped(Breakdown, breakdown_id, team_id=team_id, session=session)
            if breakdown is None or breakdown.user_id != user_id:
                raise NotFound("I couldn't find that breakdown of yours in this workspace.")
            return breakdown

    def declare_noticed_breakdown(self, team_id: str, user_id: str, breakdown_id: int, text: str) -> Breakdown:
        """The member declares the breakdown the coach noticed, in their own words (still one breakdown met)."""
        with unit_of_work(self.engine) as session:
            breakdown = queries.get_scoped(Breakdown, breakdown_id, team_id=team_id, session=session)
            if breakdown is None or breakdown.user_id != user_id:
                raise NotFound("I couldn't find that breakdown of yours in this workspace.")
            # Taken up in the member's words, the coach's check-in becomes their breakdown: met, and counted.
            breakdown.text, breakdown.noticed = text, False
            session.add(breakdown)
            return breakdown

    def on_it(self, team_id: str, user_id: str, check_in_id: int) -> bool:
        """The member answers a check-in "I'm on it": no breakdown declared, the question settled."""
        with unit_of_work(self.engine) as session:
            return claims.answer_check_in(
                team_id=team_id, user_id=user_id, check_in_id=check_in_id, answer="on_it", session=session
            )

    def resolve_breakdown(self, team_id: str, user_id: str, breakdown_id: int | None, resolution: str) -> Breakdown:
        """Log what shifted: resolves the given breakdown, or the member's latest unresolved one."""
        with unit_of_work(self.engine) as session:
            if breakdown_id is None:
                breakdown = queries.latest_unresolved_breakdown(team_id=team_id, user_id=user_id, session=session)
                if breakdown is None:
                    raise CoachRefusal("You have no open breakdown to resolve — declare one with `/breakdown`.")
            else:
                breakdown = queries.get_scoped(Breakdown, breakdown_id, team_id=team_id, session=session)
                if breakdown is None or breakdown.user_id != user_id:
                    raise NotFound("I couldn't find that breakdown of yours in this workspace.")
            if breakdown.resolved_at is not None:
                raise CoachRefusal("That breakdown is already resolved — nothing changed.")
            breakdown.resolution, breakdown.resolved_at = resolution, self.clock.now()
            session.add(breakdown)
            return breakdown

    def declare_breakthrough(self, team_id: str, user_id: str, text: str) -> tuple[Breakthrough, str | None]:
        """A breakthrough, and the recap channel where it should be celebrated (if one is set)."""
        with unit_of_work(self.engine) as session:
            self._member(session, team_id, user_id)
            stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
            breakthrough = Breakthrough(
                team_id=team_id,
                user_id=user_id,
                text=text,
                stand_id=stand.id if stand else None,
                created_at=self.clock.now(),
            )
            session.add(breakthrough)
            session.flush()
            return breakthrough, self._recap_channel(session, team_id)

    def has_breakthrough(self, team_id: str, stand_id: int) -> bool:
        """Whether the stand's breakthrough is already on record."""
        with unit_of_work(self.engine, read_only=True) as session:
            return queries.stand_has_breakthrough(team_id=team_id, stand_id=stand_id, session=session)

    # Settings ----------------------------------------------------------------------------------------

    def _workspace(self, session: Session, team_id: str) -> Workspace:
        workspace = queries.get_workspace(team_id=team_id, session=session)
        if workspace is None:
            workspace = Workspace(team_id=team_id, created_at=self.clock.now())
            session.add(workspace)
        return workspace

    def _recap_channel(self, session: Session, team_id: str) -> str | None:
        workspace = queries.get_workspace(team_id=team_id, session=session)
        return (workspace.recap_channel_id if workspace else None) or self.default_recap_channel

    def recap_channel(self, team_id: str) -> str | None:
        """Where recaps and celebrations go: the channel set with `/coach recap here`, else RECAP_CHANNEL."""
        with unit_of_work(self.engine) as session:
            return self._recap_channel(session, team_id)

    def set_recap_channel(self, team_id: str, user_id: str, channel_id: str) -> None:
        """Send recaps and celebrations to `channel_id` from now on, in the zone of the admin who chose it."""
        with unit_of_work(self.engine) as session:
            workspace = self._workspace(session, team_id)
            workspace.recap_channel_id, workspace.recap_set_by = channel_id, user_id
            admin = queries.get_member(team_id=team_id, user_id=user_id, session=session)
            if admin is not None and admin.tz:
                workspace.timezone = admin.tz
            session.add(workspace)
            # A recap that failed for want of a channel gets another chance now that there is one.
            claims.release_failed_recaps(team_id=team_id, session=session)

    def set_recap_schedule(self, team_id: str, weekday: int, at: str) -> None:
        """Post the weekly recap on `weekday` (Monday is 0) at `at` (HH:MM) in the workspace's zone."""
        with unit_of_work(self.engine) as session:
            workspace = self._workspace(session, team_id)
            workspace.recap_weekday, workspace.recap_time = weekday, at
            session.add(workspace)

    def set_recap_integrity(self, team_id: str, *, shown: bool) -> None:
        """Show the team's integrity in the weekly recap (from five promises ended in the week), or never."""
        with unit_of_work(self.engine) as session:
            workspace = self._workspace(session, team_id)
            workspace.recap_integrity = shown
            session.add(workspace)

    def set_member_option(self, team_id: str, user_id: str, **options: Any) -> Member:
        """Change the member's own coaching settings (nudge_time, weekends, paused)."""
        allowed = {"nudge_time", "weekends", "paused"}
        if not options.keys() <= allowed:
            raise ValueError(f"unknown member options: {sorted(options.keys() - allowed)}")
        with unit_of_work(self.engine) as session:
            member = self._member(session, team_id, user_id)
            for name, value in options.items():
                if name == "paused":
                    self.mark_paused(session, member, paused=value)
                else:
                    setattr(member, name, value)
            session.add(member)
            session.flush()
            self.reschedule_nudge(session, team_id, user_id)
            return member

    def mark_paused(self, session: Session, member: Member, *, paused: bool, reason: str | None = None) -> None:
        """Pause or resume the member, opening or closing their pause in the caller's unit of work."""
        if paused:
            pause = queries.open_pause(
                team_id=member.team_id, user_id=member.user_id, at=self.clock.now(), reason=reason, session=session
            )
            member.paused, member.paused_reason = True, pause.reason
        else:
            queries.close_pause(team_id=member.team_id, user_id=member.user_id, at=self.clock.now(), session=session)
            member.paused, member.paused_reason = False, None
        session.add(member)

    # Reading -----------------------------------------------------------------------------------------

    def status(self, team_id: str, user_id: str) -> Status:
        """The member's stand, program day, practice, requests both ways and promises due."""
        with unit_of_work(self.engine, read_only=True) as session:
            # Read only: a member the coach has not met yet reads as one with the default settings.
            member = queries.get_member(team_id=team_id, user_id=user_id, session=session) or Member(
                team_id=team_id, user_id=user_id, created_at=self.clock.now()
            )
            progress = self._progress(session, team_id, user_id)
            stand = progress.stand
            today = progress.today
            since = today - STREAK_LOOKBACK
            zone = member_zone(member.tz, self.default_timezone)
            counts = queries.practice_by_member_day(
                team_id=team_id, first=since, last=today, user_id=user_id, session=session
            )
            full_days = {day for (_, day), done in counts.items() if Practice(*done).met()}
            pauses = queries.pauses_between(
                team_id=team_id,
                start=datetime.combine(since, time(), tzinfo=zone),
                end=datetime.combine(today + timedelta(days=1), time(), tzinfo=zone),
                user_id=user_id,
                session=session,
            )
            paused = paused_days(pauses.get(user_id, []), zone, first=since, last=today)
            streak, best = streaks(full_days, today, weekends=member.weekends, since=since, paused=paused)
            account = account_entries(
                queries.member_promises(team_id=team_id, user_id=user_id, session=session),
                queries.promised_requests(team_id=team_id, user_id=user_id, session=session),
                queries.agreed_renegotiations(team_id=team_id, user_id=user_id, session=session),
                zone,
            )
            return Status(
                user_id=user_id,
                streak=streak,
                best_streak=best,
                ledger=ledger(account),
                progress=progress,
                followers=queries.follower_ids(team_id=team_id, stand_id=stand.id, session=session)
                if stand and stand.id
                else [],
                made=queries.requests_made(team_id=team_id, user_id=user_id, session=session),
                received=queries.requests_received(team_id=team_id, user_id=user_id, session=session),
                promises=queries.open_promises(team_id=team_id, user_id=user_id, session=session),
                nudge_time=member.nudge_time,
                weekends=member.weekends,
                paused=member.paused,
                following=self._following(session, team_id, user_id),
            )

    def _following(self, session: Session, team_id: str, user_id: str) -> list[FollowedStand]:
        now, found = self.clock.now(), []
        for stand, owner_tz in queries.stands_followed(team_id=team_id, user_id=user_id, session=session):
            assert stand.id is not None
            day = program_day(stand.program_started_on, local_today(now, member_zone(owner_tz, self.default_timezone)))
            found.append(FollowedStand(stand.id, stand.user_id, stand.text, day))
        return found

    def export(self, *, team_id: str | None = None, user_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Everything stored (all teams, one team) as the contract's export document; with `user_id`, everything
        about that member: what they made, what names them or they follow, and their settings."""
        with unit_of_work(self.engine) as session:
            rows = queries.export_rows(session=session, team_id=team_id, user_id=user_id)
            return {name: [exported(row) for row in items] for name, items in rows.items()}

    def forget(self, team_id: str, user_id: str) -> dict[str, int]:
        """Delete everything of the member's; anonymize them where a record is also someone else's, the channel
        and timestamp of their DM included."""
        with unit_of_work(self.engine) as session:
            return queries.forget_member(team_id=team_id, user_id=user_id, now=self.clock.now(), session=session)


T = TypeVar("T")


def _held(session: Session, row: T) -> T:
    """Keep `row` alive for the unit of work: the session holds what it loaded only weakly, so a use case that reads
    the member three times would otherwise ask the database three times."""
    if row is not None:
        session.info.setdefault("held", []).append(row)
    return row


def account_entries(
    promises: Sequence[Promise], requests: Sequence[Request], agreed: Sequence[Renegotiation], zone: ZoneInfo
) -> list[LedgerEntry]:
    """The integrity ledger's entries: own promises, accepted requests, and each new date agreed with a requester
    (which ends the promise as renegotiated — in time when asked for on or before the old date)."""
    entries: list[LedgerEntry] = []
    for promise in promises:
        settled = None if promise.status == PromiseStatus.OPEN else local_today(promise.updated_at, zone)
        entries.append((str(promise.status), promise.due_on, settled))
    for request in requests:
        status = str(request.promise_status)
        settled = request.done_on if status == PromiseStatus.KEPT else local_today(request.updated_at, zone)
        entries.append((status, request.due_on, None if status == PromiseStatus.OPEN else settled))
    entries += [(PromiseStatus.RENEGOTIATED, asked.old_due_on, asked.asked_on) for asked in agreed]
    return entries


_INTERNAL_FIELDS = {
    "requester_channel",
    "requester_ts",
    "recipient_channel",
    "recipient_ts",
    "claimed_at",
    "payload",  # an outbox message's body: what it says is in the rows it is about, and it may carry a response_url
}


def exported(row: SQLModel) -> dict[str, Any]:
    """One row as an export item: ISO 8601 dates and UTC times, internal bookkeeping left out. Every item carries
    `user_id`, the member it belongs to: none for a workspace's settings."""
    item: dict[str, Any] = {} if "user_id" in row.__table__.columns else {"user_id": None}  # type: ignore[attr-defined]
    for column in row.__table__.columns:  # type: ignore[attr-defined]
        name, value = column.name, getattr(row, column.name)
        if name in _INTERNAL_FIELDS:
            continue
        if isinstance(value, datetime):
            item[name] = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, date):
            item[name] = value.isoformat()
        else:
            item[name] = str(value) if isinstance(value, StrEnum) else value
    return item
