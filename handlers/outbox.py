"""What Slack is told after a change: the outbox's messages, and the sender that drains it.

A listener stores its change and what Slack must hear of it (`Coach.tell`) in one transaction, then acks. This
sender delivers those messages afterwards, from the database, so a crash after the ack loses none of them: it
wakes when a transaction commits, polls for items written by other instances or due for another attempt, claims
each item once (a compare-and-set), honours Retry-After, backs off on Slack's faults and gives up on a refusal.

Outbox timestamps are wall-clock, not the coach's clock: retry delays and leases are about real seconds, and
tests move the coach's clock across days without wanting to wait for them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import Coach, MemberId, NotFound
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import DueNudge, Nudges
from bot.coach.owed import MAX_ATTEMPTS, Claimed, Outgoing, Owed, backoff
from bot.coach.rules import Role
from handlers.blocks.follow_ups import build_follow_ups
from handlers.blocks.home import build_home
from handlers.blocks.nudges import build_nudge
from handlers.blocks.requests import build_request_card
from handlers.blocks.stands import build_stand_announcement
from handlers.posting import PacedPoster, Posters, PostFailed, Stopping
from handlers.uploads import send_chart, send_export
from storage.models import Ref

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]

# The kinds of item, each a Slack call (or a view rendered when it is sent, so it shows the latest state).
POST, UPDATE, RESPOND, HOME, NUDGE, EXPORT, CHART = "post", "update", "respond", "home", "nudge", "export", "chart"
QUESTIONS = "questions"
FILE_LINES = {EXPORT: "Here is everything I keep about you, as JSON.", CHART: "Your week so far, in a picture:"}
"""The line before each kind of file a member is sent in their DM."""
CARD, ANNOUNCEMENT = "card", "announcement"


def wall_clock() -> datetime:
    """Real time, for retry delays and leases."""
    return datetime.now(UTC)


# Building items ----------------------------------------------------------------------------------------


def dm(
    who: MemberId,
    text: str,
    blocks: Blocks | None = None,
    *,
    remember: tuple[Ref, int] | None = None,
    on_failure: tuple[str, str] | None = None,
) -> Outgoing:
    """A DM to a member (their user ID is the channel); `remember` keeps where it lands, to update it later."""
    team_id, user_id = who
    return post(team_id, user_id, text, blocks, remember=remember, on_failure=on_failure, about=user_id)


def post(
    team_id: str,
    channel: str,
    text: str,
    blocks: Blocks | None = None,
    *,
    remember: tuple[Ref, int] | None = None,
    on_failure: tuple[str, str] | None = None,
    about: str | None = None,
) -> Outgoing:
    """A message in a channel (or a DM); `on_failure` is (member, words) to tell them if Slack refuses it."""
    payload: dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    if on_failure is not None:
        payload["on_failure"] = {"user": on_failure[0], "text": on_failure[1]}
    return Outgoing(
        team_id=team_id, kind=POST, lane=f"{team_id}:{channel}", payload=payload, user_id=about, ref=remember
    )


def update(
    team_id: str,
    lane: str,
    text: str,
    blocks: Blocks,
    *,
    at: tuple[str | None, str | None] = (None, None),
    ref: tuple[Ref, int] | None = None,
    about: str | None = None,
) -> Outgoing:
    """Rewrite a message the app posted: where it is (`at`), or the ref that will know once it is posted.

    `lane` is the member or channel the message was posted to, so the rewrite waits for the post.
    """
    payload: dict[str, Any] = {"text": text, "blocks": blocks}
    if all(at):
        payload["channel"], payload["ts"] = at
    return Outgoing(team_id=team_id, kind=UPDATE, lane=f"{team_id}:{lane}", payload=payload, user_id=about, ref=ref)


def card(team_id: str, request_id: int, role: Role, user_id: str, *, at: tuple[str | None, str | None]) -> Outgoing:
    """Rewrite one side's card of a request to the request's state when it is sent.

    In the lane of that side's DM, after the card's own post; `at` is where it is when a click told us.
    """
    payload: dict[str, Any] = {"request_id": request_id, "role": role.value}
    if all(at):
        payload["channel"], payload["ts"] = at
    ref = (Ref.REQUESTER_CARD if role is Role.REQUESTER else Ref.RECIPIENT_CARD, request_id)
    return Outgoing(
        team_id=team_id,
        kind=CARD,
        lane=f"{team_id}:{user_id}",
        payload=payload,
        user_id=user_id,
        ref=ref,
        coalesce=True,
    )


def announcement(team_id: str, stand_id: int, channel: str, *, at: tuple[str | None, str | None]) -> Outgoing:
    """Rewrite a stand's announcement to show its followers as they are when it is sent."""
    payload: dict[str, Any] = {"stand_id": stand_id}
    if all(at):
        payload["channel"], payload["ts"] = at
    return Outgoing(
        team_id=team_id,
        kind=ANNOUNCEMENT,
        lane=f"{team_id}:{channel}",
        payload=payload,
        ref=(Ref.ANNOUNCEMENT, stand_id),
        coalesce=True,
    )


def respond(
    who: MemberId, url: str, text: str, blocks: Blocks | None = None, *, replace_original: bool = False
) -> Outgoing:
    """An ephemeral answer through a response_url (a button's answer: Slack ignores the body of its ack)."""
    team_id, user_id = who
    payload: dict[str, Any] = {
        "url": url,
        "text": text,
        "response_type": "ephemeral",
        "replace_original": replace_original,
    }
    if blocks is not None:
        payload["blocks"] = blocks
    return Outgoing(
        team_id=team_id, kind=RESPOND, lane=f"{team_id}:respond:{user_id}", payload=payload, user_id=user_id
    )


def home(who: MemberId) -> Outgoing:
    """Publish the member's App Home as it stands when it is sent."""
    team_id, user_id = who
    return Outgoing(
        team_id=team_id, kind=HOME, lane=f"{team_id}:home:{user_id}", payload={}, user_id=user_id, coalesce=True
    )


def nudge(who: MemberId) -> Outgoing:
    """Rewrite the member's nudge of today (if they had one) to show their practice when it is sent."""
    team_id, user_id = who
    return Outgoing(
        team_id=team_id, kind=NUDGE, lane=f"{team_id}:{user_id}", payload={}, user_id=user_id, coalesce=True
    )


def questions(who: MemberId, kind: str, item_id: int) -> Outgoing:
    """Rewrite every message that asked `user_id` about a promise, request, stand or noticed breakdown, to show
    how it was answered (its buttons gone) when it is sent."""
    team_id, user_id = who
    return Outgoing(
        team_id=team_id,
        kind=QUESTIONS,
        lane=f"{team_id}:{user_id}",
        payload={"kind": kind, "id": item_id},
        user_id=user_id,
        coalesce=True,
    )


def export(who: MemberId, *, channel: str | None = None) -> Outgoing:
    """The member's data as a JSON file in their DM, read when it is sent (`channel`: the DM, once the line that
    comes before the file is there)."""
    return _to_member(who, EXPORT, channel)


def recap_chart(team_id: str, week_start: date, zone: str, *, channel: str, thread_ts: str) -> Outgoing:
    """The week's chart, drawn when it is sent, into the thread of the recap posted at `channel`, `thread_ts`."""
    where = {"channel": channel, "thread_ts": thread_ts}
    return Outgoing(
        team_id=team_id,
        kind=CHART,
        lane=f"{team_id}:recap",
        payload={"week": week_start.isoformat(), "zone": zone} | where,
    )


def week_chart(who: MemberId, *, channel: str | None = None) -> Outgoing:
    """The member's own week so far as a picture in their DM, drawn when it is sent (`channel`: the DM, once the
    line that comes before the picture is there)."""
    return _to_member(who, CHART, channel)


def _to_member(who: MemberId, kind: str, channel: str | None) -> Outgoing:
    team_id, user_id = who
    payload = {} if channel is None else {"channel": channel}
    return Outgoing(team_id=team_id, kind=kind, lane=f"{team_id}:{user_id}", payload=payload, user_id=user_id)


# Sending -----------------------------------------------------------------------------------------------

# Slack's answers that no retry will change.
_MOOT = {"message_not_found", "cant_update_message", "edit_window_closed"}


@dataclass(frozen=True)
class Delivered:
    """What sending an item did: where its message landed (a post the app may keep the place of), and what it
    leaves owed, sent after it in its lane."""

    channel: str | None = None
    ts: str | None = None
    then: Outgoing | None = None


class _Moot(Exception):
    """Nothing left to do: the message to update is gone, or was never posted."""


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class OutboxSender:
    """Drains the outbox: a thread that wakes on commits and polls for the rest."""

    def __init__(
        self,
        coach: Coach,
        poster: Posters,
        *,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 1.0,
        workers: int = 4,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.coach = coach
        self.owed = Owed(coach.engine)
        self.poster = poster
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.workers = workers
        self.now = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._released_at = datetime.min.replace(tzinfo=UTC)
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox")

    def wake(self) -> None:
        """Something was written: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Drain in the background until `stop`."""
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the batch in hand and stop; what is left waits in the database for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            try:
                self.drain()
            except SQLAlchemyError:
                log.warning("outbox: the database failed; trying again shortly", exc_info=True)

    def drain(self) -> DrainReport:
        """Send everything that is due now, lane by lane in order; returns what happened."""
        sent = retried = failed = 0
        if self.now() - self._released_at >= timedelta(seconds=self.poll_seconds):
            # Claims of dead senders, looked for once a poll rather than on every wake: a write on its own.
            self.owed.release_stale(stale_before=self.now() - self.lease)
            self._released_at = self.now()
        while not self._stop.is_set():
            ids = self.owed.due(now=self.now(), limit=self.workers * 8)
            if not ids:
                break
            outcomes = list(self._pool.map(self._claim_and_send, ids))
            sent += outcomes.count("sent")
            retried += outcomes.count("retried")
            failed += outcomes.count("failed")
            if not any(outcome in ("sent", "failed") for outcome in outcomes):
                break  # everything due was taken by another sender or put off: wait for the next wake
        return DrainReport(sent=sent, retried=retried, failed=failed)

    def _claim_and_send(self, item_id: int) -> str:
        try:
            item = self.owed.claim(item_id, now=self.now())
            if item is None:
                return "taken"
            return self._send(item)
        except SQLAlchemyError:
            # The claim stays and is handed back after the lease; nothing is lost.
            log.warning("outbox item %s: the database failed", item_id, exc_info=True)
            return "error"
        except Exception:
            # A bug in rendering or sending this one item: set it aside as failed rather than let it stop the
            # sender, or hold up its lane for ever.
            log.exception("outbox item %s could not be sent", item_id)
            self.owed.set_aside(item_id, error="internal error")
            return "failed"

    def _send(self, item: Claimed) -> str:
        poster = self.poster.for_team(item.team_id)
        if poster is None:
            # The app is not installed there (any more): nothing more goes to that workspace, and nothing is retried.
            log.info("outbox item %s (%s) dropped: the app is not installed in %s", item.id, item.kind, item.team_id)
            self.owed.failed(item, error="not_installed")
            return "failed"
        try:
            delivered = self._deliver(item, poster)
        except (_Moot, NotFound):
            self.owed.sent(item)
            return "sent"
        except SlackApiError as error:
            # The poster has already told a refusal from a 429 or a fault (those come as PostFailed below).
            code = str(error.response.get("error"))
            if self.poster.refused(item.team_id, code):
                self.owed.failed(item, error=code)  # no token there: no one to tell, nothing to retry
                return "failed"
            return self._fail(item, code)
        except Stopping:
            # Shutting down: hand the item back untouched; the next start (or another instance) sends it.
            self.owed.release(item)
            return "stopped"
        except PostFailed as error:
            return self._later(item, str(error), error.retry_after)
        except OSError as error:  # a response_url call, which does not go through the poster
            return self._later(item, type(error).__name__, None)
        self.owed.sent(item, channel=delivered.channel, ts=delivered.ts, then=delivered.then, now=self.now())
        return "sent"

    def _later(self, item: Claimed, error: str, retry_after: float | None) -> str:
        # Slack asking us to wait (429, Retry-After) is no failure: it costs no attempt, so a busy workspace never
        # makes the outbox give up a message. Only faults count toward giving up.
        waited = retry_after is not None
        if not waited and item.attempts >= MAX_ATTEMPTS:
            return self._fail(item, error)
        delay = timedelta(seconds=retry_after) if retry_after is not None else backoff(item.attempts)
        log.info("outbox item %s (%s) not sent (%s); next attempt in %s", item.id, item.kind, error, delay)
        self.owed.retry_later(item, at=self.now() + delay, error=error, counted=not waited)
        return "retried"

    def _fail(self, item: Claimed, error: str) -> str:
        log.warning("outbox item %s (%s) refused by Slack: %s", item.id, item.kind, error)
        notice = item.payload.get("on_failure")
        with self.coach.transaction():
            self.owed.failed(item, error=error)
            if item.ref is not None and item.ref[0] is Ref.RENEGOTIATION_QUESTION:
                # A question that never reached the requester can't be answered: take it back, so the old date
                # stands plainly and the promiser may ask again.
                self.coach.withdraw_renegotiation(item.team_id, item.ref[1])
            if notice:
                self.coach.tell(dm(MemberId(item.team_id, notice["user"]), notice["text"]))
        return "failed"

    def _deliver(self, item: Claimed, poster: PacedPoster) -> Delivered:
        """Make the item's Slack call: where the message is, for a post; what is owed after it, if anything."""
        payload = item.payload
        if item.kind == POST:
            arguments = {k: v for k, v in payload.items() if k in ("channel", "text", "blocks", "thread_ts")}
            response = poster.call("chat.postMessage", attempts=1, **arguments)
            return Delivered(str(response["channel"]), str(response["ts"]))
        if item.kind in (EXPORT, CHART) and item.user_id is not None and "channel" not in payload:
            # A file for a member's DM comes after a line that says what it is. The line goes first and the file is
            # owed after it, an item of its own: a file Slack refuses for a while is sent again without the line.
            who = MemberId(item.team_id, item.user_id)
            if item.kind == CHART and self.coach.week_picture(who).empty:
                raise _Moot()  # nothing to draw yet: no picture, and no line either
            response = poster.call("chat.postMessage", attempts=1, channel=item.user_id, text=FILE_LINES[item.kind])
            channel = str(response["channel"])
            return Delivered(then=_to_member(who, item.kind, channel))
        if item.kind in (UPDATE, CARD, ANNOUNCEMENT):
            self._rewrite(item, poster)
        elif item.kind == RESPOND:
            body = {k: v for k, v in payload.items() if k != "url"}
            answer = WebhookClient(payload["url"], timeout=10).send_dict(body)
            if answer.status_code in (404, 410):
                raise _Moot()  # the response_url expired (30 minutes) or was used up
            if answer.status_code >= 500 or answer.status_code == 429:
                raise PostFailed(f"response_url answered {answer.status_code}")
        elif item.kind == CHART:
            if not send_chart(self.coach, poster, item):
                raise _Moot()  # nothing to draw
        else:
            self._refresh(item, poster)
        return Delivered()

    def _rewrite(self, item: Claimed, poster: PacedPoster) -> None:
        """Update a message the app posted: to the text the item carries, or a card or announcement as it reads."""
        payload = item.payload
        channel, ts = payload.get("channel"), payload.get("ts")
        if not (channel and ts) and item.ref is not None:
            channel, ts = self.owed.locate(item.ref, team_id=item.team_id)
        if not (channel and ts):
            raise _Moot()  # its post never landed: there is nothing to rewrite
        if item.kind == CARD:
            request = self.coach.request(item.team_id, int(payload["request_id"]))
            reminded = FollowUps(self.coach).reminded_on(item.team_id, int(payload["request_id"]))
            text, blocks = build_request_card(request, Role(payload["role"]), reminded_on=reminded)
        elif item.kind == ANNOUNCEMENT:
            stand_id = int(payload["stand_id"])
            stand = self.coach.stand(item.team_id, stand_id)
            text, blocks = build_stand_announcement(stand, self.coach.followers(item.team_id, stand_id))
        else:
            text, blocks = payload["text"], payload["blocks"]
        self._update(poster, channel, ts, text, blocks)

    def _refresh(self, item: Claimed, poster: PacedPoster) -> None:
        """What a member is shown, as it reads when it is sent: their Home, today's nudge, answered questions, or
        their exported data."""
        assert item.user_id is not None
        who = MemberId(item.team_id, item.user_id)
        if item.kind == HOME:
            poster.call("views.publish", attempts=1, user_id=item.user_id, view=build_home(self.coach.status(who)))
        elif item.kind == NUDGE:
            where = Nudges(self.coach).todays(who)
            if where is None and self.coach.nudged_today(who):
                # Posted, or about to be, by a morning pass that records its chunk once the chunk is through.
                raise PostFailed("today's nudge is still on its way")
            if where is None:
                raise _Moot()  # no nudge today: nothing to refresh
            today = DueNudge(item.team_id, item.user_id, self.coach.today(who))
            self._update(poster, where[0], where[1], *self._morning(item.team_id, *where, nudge=today))
        elif item.kind == QUESTIONS:
            kind, about_id = str(item.payload["kind"]), int(item.payload["id"])
            for _, channel, ts in FollowUps(self.coach).messages_about(item.team_id, kind, about_id):
                try:
                    self._update(poster, channel, ts, *self._morning(item.team_id, channel, ts))
                except _Moot:
                    continue  # that one is gone; the others still show the answer
        elif item.kind == EXPORT:
            send_export(self.coach, poster, who, channel=str(item.payload["channel"]))
        else:
            log.error("outbox item %s has a kind this version does not know: %s", item.id, item.kind)
            raise _Moot()

    def _morning(self, team_id: str, channel: str, ts: str, *, nudge: DueNudge | None = None) -> tuple[str, Blocks]:
        """A morning message as it reads now: the nudge posted there (if it is one) and the questions it asked."""
        questions, stored = FollowUps(self.coach).at_message(team_id, channel, ts)
        told = [json.loads(line) for line in stored]  # as handlers.jobs rendered them when the message went out
        nudges = Nudges(self.coach)
        due = nudge or nudges.posted_at(team_id, channel, ts)
        if due is not None:
            return build_nudge(nudges.content(due), questions, told)
        if not questions:
            raise _Moot()  # not a message of ours that asks anything
        return build_follow_ups(questions, told)

    def _update(self, poster: PacedPoster, channel: str | None, ts: str | None, text: str, blocks: Blocks) -> None:
        try:
            poster.call("chat.update", attempts=1, channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            if error.response.get("error") in _MOOT:
                raise _Moot() from None
            raise
