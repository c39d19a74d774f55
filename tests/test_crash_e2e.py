"""kill -9 after the ack (issue 8): `breakthrough run` as a process of its own, killed with SIGKILL while Slack
refuses or holds every post, loses no acknowledged command, and a new process on the same database tells Slack
each message the dead one owed exactly once.

What a crash leaves behind is read from the database directly (this process's own engine), never through the
app. Every wait is on a condition with a deadline: a line in the app's log, a state of the database, a call at
the stand-in.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import col

from bot.app import paced_poster
from bot.clock import FixedClock
from bot.coach import Coach
from handlers import outbox as ox
from handlers.outbox import OutboxSender
from standin import AppReply, Call, SlackStandIn
from standin.process import AppProcess
from storage import outbox
from storage.db import unit_of_work
from storage.models import Outbox, OutboxStatus, Request, Stand
from tests import support
from tests.e2e import body, eventually

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"listening for Slack on (http://\S+)")
CHANNEL = "CCRASH"
POSTS = ("chat.postMessage", "chat.update")
LEASE: timedelta = inspect.signature(OutboxSender).parameters["lease"].default
"""How long a claim is honoured after its sender went silent: what `breakthrough run` uses (the default)."""
# Room between the check and the kill: on two loaded cores (the suite's four workers and PostgreSQL) the check's own
# queries and the kill took over half a second, and the sender claimed a retry that fell due in between. Backoffs
# double (1, 2, 4, 8 s), so a quiet window this long comes a few attempts in.
QUIET_MARGIN = timedelta(seconds=3)
"""How far ahead nothing may be due when the process is killed, so that it dies holding no claim."""


@pytest.fixture
def run_app(slack: SlackStandIn, database_url: str, tmp_path: Path) -> Iterator[Callable[[], AppProcess]]:
    """Start `breakthrough run` on the test database and point the stand-in at it; killed at the end if alive."""
    started: list[AppProcess] = []

    def start() -> AppProcess:
        app = AppProcess(
            {
                "SLACK_BOT_TOKEN": support.BOT_TOKEN,
                "SLACK_SIGNING_SECRET": support.SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": database_url,
                # The restarted process also sends the day's nudges: a pace that keeps them from queueing the outbox.
                "SLACK_POSTS_PER_SECOND": "50",
            },
            tmp_path,
        )
        started.append(app)
        slack.request_url = app.url()
        return app

    yield start
    for app in started:
        app.kill()


# Arrange and read ------------------------------------------------------------------------------------


def team(slack: SlackStandIn, size: int) -> list[str]:
    """`size` members, and the channel where they take their stands."""
    slack.add_channel(CHANNEL, name="crash")
    users = [f"UCRASH{i:03d}" for i in range(size)]
    for user in users:
        slack.add_user(user, name=user.lower(), tz="UTC")
    return users


def outcome(user: str) -> str:
    """The stand `user` takes: unique, so each announcement names whose it is."""
    return f"Ship the crash-proof release for {user}"


def slack_refuses_posts(slack: SlackStandIn) -> None:
    """Slack answers every post and update with a 500, so the outbox holds everything it owes."""
    for method in POSTS:
        slack.fail(method, "internal_error", status=500, times=10_000)


def slack_recovers(slack: SlackStandIn) -> None:
    """Slack takes posts and updates again."""
    for method in POSTS:
        slack.fail(method, times=0)


def ack_text(reply: AppReply) -> str:
    """The answer the member read in the ack."""
    assert reply.status == 200, reply
    return str(body(reply).get("text") or "")


def declared(reply: AppReply, user: str) -> bool:
    """Whether the ack told `user` their stand is declared."""
    text = ack_text(reply)
    return text.startswith("Your stand is declared") and outcome(user) in text


def stored_stands(engine: Engine) -> dict[str, Stand]:
    """The stands the database holds, by their words."""
    with unit_of_work(engine, read_only=True) as session:
        return {stand.text: stand for stand in session.scalars(select(Stand))}


def owed(engine: Engine) -> list[Outbox]:
    """Every outbox item, in the order written."""
    with unit_of_work(engine, read_only=True) as session:
        return list(session.scalars(select(Outbox).order_by(col(Outbox.id))))


def outbox_empty(engine: Engine) -> bool:
    """Whether everything owed was sent (a sent item is deleted; a failed one would stay)."""
    with unit_of_work(engine, read_only=True) as session:
        return not outbox.counts(session=session)


def nothing_in_flight(engine: Engine) -> bool:
    """No item is claimed, and none can be claimed within QUIET_MARGIN: every lane's next attempt is later.

    All commands are acked (committed) by then, so nothing new is written: a kill within the margin finds the
    sender holding nothing.
    """
    with unit_of_work(engine, read_only=True) as session:
        found = outbox.counts(session=session)
        soon = outbox.due(now=datetime.now(UTC) + QUIET_MARGIN, limit=1, session=session)
    return not found.get(OutboxStatus.CLAIMED) and not soon


def let_the_lease_pass(engine: Engine, ids: Collection[int] | None = None) -> int:
    """Age the claims on `ids` (every claim when None) by the lease, as if their sender had been dead that long;
    how many there were.

    Only for claims a dead process held on posts Slack refused or never answered, so that none reached a channel:
    the same database state a minute of waiting would give, without the minute. (A live sender's claim may be on a
    post Slack has already taken, with its deletion not yet committed.)
    """
    claimed = col(Outbox.status) == OutboxStatus.CLAIMED
    which = claimed if ids is None else claimed & col(Outbox.id).in_(ids)
    with unit_of_work(engine) as session:
        result = session.execute(
            update(Outbox)
            .where(which)
            .values(claimed_at=datetime.now(UTC) - LEASE - timedelta(seconds=1))
            .returning(col(Outbox.id))
        )
        return len(result.all())


def posted(slack: SlackStandIn, channel: str) -> list[Call]:
    """The posts Slack took in `channel` (a user ID for a DM)."""
    return [call for call in slack.calls("chat.postMessage") if call.ok and call.args.get("channel") == channel]


def announced(slack: SlackStandIn) -> Counter[str]:
    """How many times each stand was announced in the channel, by its words."""
    found: Counter[str] = Counter()
    for call in posted(slack, CHANNEL):
        text = str(call.args.get("text"))
        found.update(s for s in [text.partition(" takes a stand: ")[2].strip('“”"')] if s)
    return found


def stand_all(slack: SlackStandIn, users: list[str], *, workers: int = 5) -> dict[str, AppReply]:
    """Each member takes their stand in the channel, `workers` at a time as Slack would deliver them."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        replies = pool.map(lambda user: slack.command(user, "/stand", outcome(user), channel=CHANNEL), users)
        return dict(zip(users, replies, strict=True))


# The tests -------------------------------------------------------------------------------------------


def test_every_acknowledged_stand_survives_kill_9_and_is_announced_exactly_once_by_the_next_process(
    slack: SlackStandIn, engine: Engine, run_app: Callable[[], AppProcess]
) -> None:
    users = team(slack, 20)
    slack_refuses_posts(slack)
    first = run_app()

    replies = stand_all(slack, users)
    eventually(lambda: nothing_in_flight(engine), timeout=40)
    first.kill()

    assert [user for user, reply in replies.items() if not declared(reply, user)] == []
    stands = stored_stands(engine)
    assert sorted(stands) == sorted(outcome(user) for user in users)
    items = owed(engine)
    announcements = [item for item in items if item.ref_kind == "announcement"]
    welcomes = [item for item in items if item.ref_kind is None]  # each member's first command brings one
    # Waiting for a quiet moment makes a claim at the kill rare, not impossible (a retry can fall due between the
    # check and the kill): an item the dead sender held is owed all the same, since Slack took no post.
    owing = {OutboxStatus.PENDING, OutboxStatus.CLAIMED}
    assert [item.kind for item in announcements if item.status in owing] == ["post"] * 20
    assert sorted(item.ref_id or 0 for item in announcements) == sorted(stand.id or 0 for stand in stands.values())
    assert sorted(item.user_id or "" for item in welcomes if item.status in owing) == sorted(users)
    assert posted(slack, CHANNEL) == []

    let_the_lease_pass(engine)  # Slack refused every post: a claim the dead process held reached no channel
    slack_recovers(slack)
    second = run_app()
    eventually(lambda: outbox_empty(engine), timeout=40)  # the next attempts may be backed off ~16 s by now

    assert announced(slack) == {outcome(user): 1 for user in users}
    for user in users:
        assert len([m for m in slack.messages(user) if "Welcome to Breakthrough Coach" in m.text]) == 1
    messages = {message.ts: message for message in slack.messages(CHANNEL)}
    assert len(messages) == 20
    for stand in stored_stands(engine).values():  # where each announcement landed is remembered, to update it
        assert stand.channel_id == CHANNEL and stand.message_ts in messages
        assert stand.text in messages[stand.message_ts].text
    assert second.stop() == 0


def test_a_kill_in_the_middle_of_a_burst_keeps_every_acked_stand_and_each_stored_one_owes_one_announcement(
    slack: SlackStandIn, engine: Engine, run_app: Callable[[], AppProcess]
) -> None:
    users = team(slack, 30)
    slack_refuses_posts(slack)
    first = run_app()
    acked: list[str] = []
    progress = threading.Condition()

    def take_stand(user: str) -> None:
        try:
            reply = slack.command(user, "/stand", outcome(user), channel=CHANNEL)
        except AssertionError:
            return  # the app died before answering: Slack tells the member it failed
        with progress:
            if declared(reply, user):
                acked.append(user)
            progress.notify_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        for user in users:
            pool.submit(take_stand, user)
        with progress:
            assert progress.wait_for(lambda: len(acked) >= 10, timeout=20)
        first.kill()  # with commands in flight and the sender at work

    stands = stored_stands(engine)
    assert set(map(outcome, acked)) <= set(stands)
    # A stand and its announcement are stored together or not at all.
    by_stand = Counter(item.ref_id for item in owed(engine) if item.ref_kind == "announcement")
    assert by_stand == {stand.id: 1 for stand in stands.values()}

    let_the_lease_pass(engine)  # Slack refused every post: a claim the dead process held reached no channel
    slack_recovers(slack)
    second = run_app()
    eventually(lambda: outbox_empty(engine), timeout=20)

    assert announced(slack) == {text: 1 for text in stands}
    assert second.stop() == 0


def test_a_post_in_flight_at_the_kill_is_held_for_the_lease_then_sent_exactly_once(
    slack: SlackStandIn, engine: Engine, run_app: Callable[[], AppProcess]
) -> None:
    slack.add_channel(CHANNEL, name="crash")
    slack.stall("chat.postMessage", 600)  # Slack holds the cards: the sender dies waiting, its claims unanswered
    first = run_app()

    reply = slack.command("UADA", "/request", "<@UBOB|bob> a crash-proof review by friday")
    assert ack_text(reply).startswith("Request sent to <@UBOB>")

    def cards(status: OutboxStatus) -> list[int]:
        """The IDs of both sides' cards when both are in `status` (the outbox holds one of each); else none."""
        found = [item for item in owed(engine) if str(item.ref_kind).endswith("_card")]
        expected = [(status, "recipient_card"), (status, "requester_card")]
        both = [(item.status, item.ref_kind) for item in found] == expected
        return [item.id or 0 for item in found] if both else []

    held = eventually(lambda: cards(OutboxStatus.CLAIMED), timeout=10)
    first.kill()
    assert cards(OutboxStatus.CLAIMED) == held

    slack.stall("chat.postMessage", 0)
    second = run_app()
    slack.command("UCY", "/stand", "Prove the new sender is draining", channel=CHANNEL)
    slack.wait_for(lambda: posted(slack, CHANNEL), timeout=10)

    # That post came from a drain that first handed back every claim older than the lease: these are younger.
    assert cards(OutboxStatus.CLAIMED) == held, owed(engine)
    assert posted(slack, "UADA") == posted(slack, "UBOB") == []

    assert let_the_lease_pass(engine, held) == 2  # the held posts never reached Slack: no channel has them
    eventually(lambda: outbox_empty(engine), timeout=10)

    for user in ("UADA", "UBOB"):
        [card] = [c for c in posted(slack, user) if "a crash-proof review" in str(c.args.get("text"))]
        assert ":envelope_with_arrow:" in str(card.args.get("text"))
    with unit_of_work(engine, read_only=True) as session:
        [request] = session.scalars(select(Request))
    # Where each card landed is remembered, so that a click can rewrite it in place.
    assert request.requester_ts in {message.ts for message in slack.messages("UADA")}
    assert request.recipient_ts in {message.ts for message in slack.messages("UBOB")}
    assert second.stop() == 0


# Found while testing the crash: lost without a crash -------------------------------------------------


def test_an_owed_post_is_not_given_up_while_slack_only_asks_to_wait(
    slack: SlackStandIn, engine: Engine, clock: FixedClock
) -> None:
    coach = Coach(engine, clock)
    settings = support.settings_for(slack.api_url, "sqlite://", SLACK_POSTS_PER_SECOND="50")
    sender = OutboxSender(coach, paced_poster(settings))
    announcement = ox.post(slack.team_id, "CGENERAL", "Ada takes a stand", on_failure=("UADA", "I couldn't post it."))
    with coach.transaction():
        coach.tell(announcement)
    # Retry-After: 0 only keeps the test short: each 429 costs an attempt whatever it asks for.
    slack.fail("chat.postMessage", "ratelimited", times=outbox.MAX_ATTEMPTS, retry_after=0)

    try:
        for _ in range(outbox.MAX_ATTEMPTS + 1):
            sender.drain()
    finally:
        sender.stop()

    assert [message.text for message in slack.messages("CGENERAL")] == ["Ada takes a stand"]
    assert slack.messages("UADA") == []
