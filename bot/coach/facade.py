"""The coach: one thin facade over the use cases, each run in exactly one unit of work at one instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.coach import (
    breakdowns,
    deliveries,
    departures,
    ideas,
    measures,
    members,
    pictures,
    practice,
    promises,
    records,
    requests,
    stands,
    status,
    team,
    workspaces,
)
from bot.coach.pictures import WeekPicture
from bot.coach.rules import RequestMove, local_today, member_zone
from bot.coach.trajectory import Measure, Trajectory
from bot.coach.values import (
    Context,
    FollowedStand,
    Joined,
    MemberId,
    Profile,
    Progress,
    RequestMoved,
    StandConflict,
    StandDeclared,
    Status,
    TeamStand,
)
from storage import asking, outbox, queries
from storage.db import current_session, open_unit, unit_of_work
from storage.models import (
    Breakdown,
    Breakthrough,
    Idea,
    Member,
    Promise,
    PromiseStatus,
    Renegotiation,
    Request,
    Stand,
    StandStatus,
)
from storage.queries import MemberFacts


class Coach:
    """The domain: decides and records; knows nothing of Slack. Each method is one use case: it opens one unit of
    work (or joins the caller's `transaction()`) and hands it, with the instant it runs at, to a feature module."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        recap_channel: str | None = None,
        admins: frozenset[str] = frozenset(),
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self.engine = engine
        self.retention = retention
        """How long a workspace's data is kept after it uninstalls the app (UNINSTALL_RETENTION_DAYS)."""
        self.clock = clock
        self.default_timezone = default_timezone
        self.default_recap_channel = recap_channel
        self.admins = admins
        self.on_outbox: Callable[[], None] | None = None
        """Called after a transaction that owes Slack messages commits (the outbox's sender wakes up)."""

    def context(self, now: datetime | None = None) -> Context:
        """What a use case runs with: the clock's instant (or `now`) and the deployment's defaults."""
        return Context(now or self.clock.now(), self.default_timezone, self.default_recap_channel)

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

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with unit_of_work(self.engine, read_only=True) as session:
            yield session

    def tell(self, *items: outbox.Outgoing) -> None:
        """Owe Slack these messages, written in the open transaction and sent once it has committed."""
        session = current_session(self.engine)
        # Wall-clock, not the coach's clock: the sender's retry delays and leases are real seconds.
        written = outbox.enqueue(items, now=datetime.now(UTC), session=session)
        session.info["owed"] = session.info.get("owed", 0) + written

    # Deliveries from Slack -----------------------------------------------------------------------------

    def remember_event(self, key: str, *, team_id: str | None, user_id: str | None) -> bool:
        """Remember an event as it arrives; False when a copy of it already came (it is not handled again)."""
        with self.transaction() as session:
            return deliveries.remember_event(key, team_id=team_id, user_id=user_id, session=session)

    def record_answer(self, key: str, *, team_id: str | None, user_id: str | None, answer: str) -> None:
        """Record a delivery's answer in the transaction open in this thread, which stored what it meant; outside
        one (a listener that stored nothing) there is nothing to remember. Raises `Replayed` for a copy that lost."""
        session = open_unit(self.engine)
        if session is not None:
            deliveries.record_answer(key, team_id=team_id, user_id=user_id, answer=answer, session=session)

    # Members -----------------------------------------------------------------------------------------

    def member(self, who: MemberId) -> Member | None:
        """The member as last stored, if the coach has met them."""
        with self._reading() as session:
            return queries.get_member(team_id=who.team_id, user_id=who.user_id, session=session)

    def met(self, who: MemberId) -> MemberFacts | None:
        """What a command needs to know of the member (zone, profile age, welcome), if the coach has met them: read
        as a plain row and kept for the unit of work, where `member` loads the whole member."""
        with self._reading() as session:
            return members.facts(who, session=session)

    def needs_profile(self, member: Member | MemberFacts | None) -> bool:
        """Whether Slack should be asked again about this member (never asked, or asked over a day ago)."""
        return members.needs_profile(member, ctx=self.context())

    def remember_profile(self, who: MemberId, profile: Profile) -> Member:
        """Store what Slack said about a person, creating them if new."""
        with self.transaction() as session:
            return members.remember_profile(who, profile, ctx=self.context(), session=session)

    def today(self, who: MemberId) -> date:
        """The member's local date now, by their stored zone (or the default zone)."""
        with self._reading() as session:
            return members.today(who, ctx=self.context(), session=session)

    def nudged_today(self, who: MemberId) -> bool:
        """Whether the member has a nudge of today to keep up to date (sent, or on its way)."""
        with self._reading() as session:
            today = members.today(who, ctx=self.context(), session=session)
            return asking.nudge_out(team_id=who.team_id, user_id=who.user_id, local_date=today, session=session)

    def welcome(self, who: MemberId) -> bool:
        """Whether the member is met for the first time now: true exactly once, then never again."""
        with self.transaction() as session:
            return members.welcome(who, ctx=self.context(), session=session)

    def set_member_option(self, who: MemberId, **options: Any) -> Member:
        """Change the member's own coaching settings (nudge_time, weekends, paused)."""
        with self.transaction() as session:
            return members.set_option(who, ctx=self.context(), session=session, **options)

    # Stands ------------------------------------------------------------------------------------------

    def declare_stand(
        self,
        who: MemberId,
        outcome: str,
        due_on: date | None,
        *,
        measure: Measure | None = None,
        origin: str | None = None,
        milestones: Sequence[tuple[str, date]] = (),
        channel_id: str | None = None,
    ) -> StandDeclared | StandConflict:
        """Declare a stand and start its 14-day program, unless one is active (then keep the new one as a draft)."""
        with self.transaction() as session:
            return stands.declare(
                who,
                outcome,
                due_on,
                measure=measure,
                origin=origin,
                milestones=milestones,
                channel_id=channel_id,
                ctx=self.context(),
                session=session,
            )

    def settle_draft(self, who: MemberId, draft_id: int, *, replace: bool) -> StandDeclared | None:
        """Replace the active stand with the draft (withdrawing it), or drop the draft and keep the stand."""
        with self.transaction() as session:
            return stands.settle_draft(who, draft_id, replace=replace, ctx=self.context(), session=session)

    def restart_program(self, who: MemberId) -> Stand:
        """Another 14 days on the same stand, from the member's next working day."""
        with self.transaction() as session:
            return stands.restart_program(who, ctx=self.context(), session=session)

    def close_stand(self, who: MemberId, status: StandStatus, words: str) -> Stand:
        """Close the member's active stand as achieved or ended, in their words; their history stays."""
        with self.transaction() as session:
            return stands.close(who, status, words, ctx=self.context(), session=session)

    def join_stand(self, team_id: str, stand_id: int, user_id: str) -> Joined:
        """Join a stand; the first to join is its first follower."""
        with self.transaction() as session:
            return stands.join(team_id, stand_id, user_id, ctx=self.context(), session=session)

    def leave_stand(self, team_id: str, stand_id: int, user_id: str) -> Stand:
        """Stop following a stand."""
        with self.transaction() as session:
            return stands.leave(team_id, stand_id, user_id, session=session)

    def stand(self, team_id: str, stand_id: int) -> Stand:
        """One stand of this workspace."""
        with self._reading() as session:
            return members.one(Stand, stand_id, team_id=team_id, what="stand", session=session)

    def followers(self, team_id: str, stand_id: int) -> list[str]:
        """Who joined the stand, first follower first."""
        with self._reading() as session:
            return queries.follower_ids(team_id=team_id, stand_id=stand_id, session=session)

    # Practice ----------------------------------------------------------------------------------------

    def log_shares(self, who: MemberId, told: Sequence[str], note: str, *, toward: str | None = None) -> Progress:
        """Each person told about the stand counts as one share; `toward` names the owner of a stand the member
        follows that it counts for too."""
        with self.transaction() as session:
            stand = stands.followed(who, toward, session=session).id if toward else None
            return practice.log_shares(who, told, note, toward=stand, ctx=self.context(), session=session)

    def log_action(self, who: MemberId, text: str, *, toward: str | None = None) -> Progress:
        """One action toward the stand (and toward a followed stand, `toward` naming its owner)."""
        with self.transaction() as session:
            stand = stands.followed(who, toward, session=session).id if toward else None
            return practice.log_action(who, text, toward=stand, ctx=self.context(), session=session)

    def progress(self, who: MemberId, *, on: date | None = None) -> Progress:
        """The day's (today's, unless `on` names another local date) and its week's practice, and the program day."""
        with self._reading() as session:
            return practice.progress(who, on=on, ctx=self.context(), session=session)

    def add_milestone(self, who: MemberId, text: str, due_on: date) -> Promise:
        """A milestone on the way to the member's active stand, followed up like a promise of theirs."""
        with self.transaction() as session:
            return stands.add_milestone(who, text, due_on, ctx=self.context(), session=session)

    def offer_idea(self, who: MemberId, breakdown_id: int, text: str) -> tuple[Idea, Stand]:
        """A follower's idea for the stand whose breakdown they were told of."""
        with self.transaction() as session:
            return ideas.offer(who, breakdown_id, text, ctx=self.context(), session=session)

    def request_from_idea(self, who: MemberId, idea_id: int) -> tuple[Idea, Request]:
        """The stand's owner turns a follower's idea into a request of that follower, once."""
        with self.transaction() as session:
            return ideas.to_request(who, idea_id, ctx=self.context(), session=session)

    def record_progress(self, who: MemberId, value: float, note: str) -> Trajectory:
        """Where the member's measured stand stands today (`/progress`), and its trajectory now."""
        with self.transaction() as session:
            return measures.record(who, value, note, ctx=self.context(), session=session)

    # Requests ----------------------------------------------------------------------------------------

    def make_request(
        self, who: MemberId, recipient_id: str, text: str, due_on: date | None, *, toward: str | None = None
    ) -> Request:
        """A request of someone else; it counts toward the requester's practice (and a followed stand's, `toward`)."""
        with self.transaction() as session:
            stand = stands.followed(who, toward, session=session).id if toward else None
            return requests.make(who, recipient_id, text, due_on, toward=stand, ctx=self.context(), session=session)

    def offer_help(self, team_id: str, stand_id: int, helper_id: str, text: str, due_on: date | None) -> Request:
        """An offer of help with a stand, waiting for its owner to accept it as the helper's promise."""
        with self.transaction() as session:
            return requests.offer_help(team_id, stand_id, helper_id, text, due_on, ctx=self.context(), session=session)

    def request(self, team_id: str, request_id: int) -> Request:
        """One request of this workspace."""
        with self._reading() as session:
            return members.one(Request, request_id, team_id=team_id, what="request", session=session)

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
        with self.transaction() as session:
            return requests.move(
                team_id, request_id, actor_id, move, terms=terms, due_on=due_on, ctx=self.context(), session=session
            )

    def expire_if_unanswered(self, team_id: str, request_id: int, *, now: datetime) -> Request | None:
        """Close a request never answered as expired; None when it was answered in the meantime."""
        with self.transaction() as session:
            return requests.expire_if_unanswered(team_id, request_id, ctx=self.context(now), session=session)

    # Promises ----------------------------------------------------------------------------------------

    def make_promise(self, who: MemberId, text: str, due_on: date | None) -> Promise:
        """A promise of the member's own, open until accounted for."""
        with self.transaction() as session:
            return promises.make(who, text, due_on, ctx=self.context(), session=session)

    def promise(self, team_id: str, promise_id: int) -> Promise:
        """One promise of this workspace."""
        with self._reading() as session:
            return members.one(Promise, promise_id, team_id=team_id, what="promise", session=session)

    def account_promise(
        self, who: MemberId, promise_id: int, outcome: PromiseStatus, *, new_date: date | None = None
    ) -> tuple[Promise, Promise | None]:
        """Account for an open promise: kept, revoked, or renegotiated to `new_date` (which opens its successor)."""
        with self.transaction() as session:
            return promises.account(who, promise_id, outcome, new_date=new_date, ctx=self.context(), session=session)

    def propose_renegotiation(self, who: MemberId, request_id: int, new_date: date) -> tuple[Renegotiation, Request]:
        """The person who accepted a request asks its requester for a new date; until they agree, the old one holds."""
        with self.transaction() as session:
            return promises.propose_renegotiation(who, request_id, new_date, ctx=self.context(), session=session)

    def withdraw_renegotiation(self, team_id: str, renegotiation_id: int) -> None:
        """Take back a date-change question that could not be delivered."""
        with self.transaction() as session:
            promises.withdraw_renegotiation(team_id, renegotiation_id, ctx=self.context(), session=session)

    def answer_renegotiation(
        self, who: MemberId, renegotiation_id: int, *, agree: bool
    ) -> tuple[Renegotiation, Request]:
        """The requester agrees to the new date (the promise is renegotiated) or keeps the old one."""
        with self.transaction() as session:
            return promises.answer_renegotiation(
                who, renegotiation_id, agree=agree, ctx=self.context(), session=session
            )

    def break_if_unanswered(
        self, team_id: str, kind: str, item_id: int, *, today: date, now: datetime
    ) -> Promise | Request | None:
        """Record a promise still open well past its date as broken; None when it was settled meanwhile."""
        with self.transaction() as session:
            return promises.break_if_unanswered(
                team_id, kind, item_id, today=today, ctx=self.context(now), session=session
            )

    # Breakdowns and breakthroughs --------------------------------------------------------------------

    def declare_breakdown(self, who: MemberId, text: str) -> Breakdown:
        """A breakdown declared: a milestone to meet with questions, not a failure."""
        with self.transaction() as session:
            return breakdowns.declare(who, text, ctx=self.context(), session=session)

    def breakdown(self, team_id: str, breakdown_id: int) -> Breakdown:
        """One breakdown of this workspace."""
        with self._reading() as session:
            return members.one(Breakdown, breakdown_id, team_id=team_id, what="breakdown", session=session)

    def own_breakdown(self, who: MemberId, breakdown_id: int) -> Breakdown:
        """One of the member's own breakdowns."""
        with self._reading() as session:
            return breakdowns.own(who, breakdown_id, session=session)

    def declare_noticed_breakdown(self, who: MemberId, breakdown_id: int, text: str) -> Breakdown:
        """The member declares the breakdown the coach noticed, in their own words (still one breakdown met)."""
        with self.transaction() as session:
            return breakdowns.declare_noticed(who, breakdown_id, text, session=session)

    def on_it(self, who: MemberId, check_in_id: int) -> bool:
        """The member answers a check-in "I'm on it": no breakdown declared, the question settled."""
        with self.transaction() as session:
            return breakdowns.on_it(who, check_in_id, session=session)

    def resolve_breakdown(self, who: MemberId, breakdown_id: int | None, resolution: str) -> Breakdown:
        """Log what shifted: resolves the given breakdown, or the member's latest unresolved one."""
        with self.transaction() as session:
            return breakdowns.resolve(who, breakdown_id, resolution, ctx=self.context(), session=session)

    def declare_breakthrough(self, who: MemberId, text: str) -> tuple[Breakthrough, str | None]:
        """A breakthrough, and the recap channel where it should be celebrated (if one is set)."""
        with self.transaction() as session:
            return breakdowns.declare_breakthrough(who, text, ctx=self.context(), session=session)

    def has_breakthrough(self, team_id: str, stand_id: int) -> bool:
        """Whether the stand's breakthrough is already on record."""
        with self._reading() as session:
            return queries.stand_has_breakthrough(team_id=team_id, stand_id=stand_id, session=session)

    # Workspace settings ------------------------------------------------------------------------------

    def recap_channel(self, team_id: str) -> str | None:
        """Where recaps and celebrations go: the channel set with `/coach recap here`, else RECAP_CHANNEL."""
        with self._reading() as session:
            return workspaces.recap_channel(team_id, ctx=self.context(), session=session)

    def set_recap_channel(self, who: MemberId, channel_id: str) -> None:
        """Send recaps and celebrations to `channel_id` from now on, in the zone of the admin who chose it."""
        with self.transaction() as session:
            workspaces.set_recap_channel(who, channel_id, ctx=self.context(), session=session)

    def set_recap_schedule(self, team_id: str, weekday: int, at: str) -> None:
        """Post the weekly recap on `weekday` (Monday is 0) at `at` (HH:MM) in the workspace's zone."""
        with self.transaction() as session:
            workspaces.set_recap_schedule(team_id, weekday, at, ctx=self.context(), session=session)

    def set_recap_integrity(self, team_id: str, *, shown: bool) -> None:
        """Show the team's integrity in the weekly recap (from five promises ended in the week), or never."""
        with self.transaction() as session:
            workspaces.set_recap_integrity(team_id, shown=shown, ctx=self.context(), session=session)

    # Workspaces arriving and leaving ----------------------------------------------------------------

    def workspace_left(self, team_id: str) -> None:
        """The app was uninstalled from the workspace: its data waits out the retention window (0: goes now)."""
        with self.transaction() as session:
            departures.left(team_id, retention=self.retention, ctx=self.context(), session=session)

    def workspace_returned(self, team_id: str) -> bool:
        """The workspace installed the app (again): everything kept is its own again. Whether it had left."""
        with self.transaction() as session:
            return departures.returned(team_id, session=session)

    def has_left(self, team_id: str) -> bool:
        """Whether the workspace uninstalled the app and has not come back."""
        with self._reading() as session:
            return departures.has_left(team_id, session=session)

    def purge_departed(self, now: datetime | None = None) -> dict[str, dict[str, int]]:
        """Delete the data of the workspaces whose window after uninstalling has passed (by `now`)."""
        with self.transaction() as session:
            return departures.purge_due(ctx=self.context(now), session=session)

    # Reading -----------------------------------------------------------------------------------------

    def team(self, who: MemberId) -> list[TeamStand]:
        """Every active stand of the workspace side by side, for a member who leads it (else a refusal)."""
        with self._reading() as session:
            return team.team(who, admins=self.admins, ctx=self.context(), session=session)

    def status(self, who: MemberId) -> Status:
        """The member's stand, program day, practice, requests both ways and promises due."""
        with self._reading() as session:
            return status.status(who, ctx=self.context(), session=session, admins=self.admins)

    def following(self, who: MemberId) -> list[FollowedStand]:
        """The active stands the member joined, each with its program day."""
        with self._reading() as session:
            return status.following(who, ctx=self.context(), session=session)

    def week_picture(self, who: MemberId) -> WeekPicture:
        """The figures of the member's own week so far, for a chart: their practice day by day, their stand's line."""
        with self._reading() as session:
            member = queries.get_member(team_id=who.team_id, user_id=who.user_id, session=session)
            ctx = self.context()
            today = local_today(ctx.now, member_zone(member.tz if member else None, ctx.default_timezone))
            weekends = member.weekends if member is not None else False
            return pictures.member_week(session, who=who, today=today, weekends=weekends)

    def export(self, *, team_id: str | None = None, user_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Everything stored (all teams, one team) as the contract's export document; with `user_id`, everything
        about that member: what they made, what names them or they follow, and their settings."""
        with self._reading() as session:
            return records.export(session=session, team_id=team_id, user_id=user_id)

    def forget(self, who: MemberId) -> dict[str, int]:
        """Delete everything of the member's; anonymize them where a record is also someone else's."""
        with self.transaction() as session:
            return records.forget(who, ctx=self.context(), session=session)
