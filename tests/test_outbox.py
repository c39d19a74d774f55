"""The outbox: written with the change, sent once, in order within a lane, retried, given up kindly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.app import paced_poster
from bot.clock import FixedClock
from bot.coach import Coach, MemberId
from bot.coach.rules import RequestMove, Role
from bot.scheduler import housekeeping
from handlers import outbox as ox
from handlers.outbox import DrainReport, OutboxSender
from standin import SlackStandIn
from storage import outbox
from storage.db import unit_of_work
from storage.deliveries import record_delivery, seen_delivery
from storage.models import Outbox, OutboxStatus, Renegotiation, RenegotiationStatus, Request
from storage.outbox import Ref
from tests import support
from tests.e2e import seen

T = "T1"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def coach(engine: Engine, clock: FixedClock) -> Coach:
    return Coach(engine, clock)


@pytest.fixture
def sender(coach: Coach, slack: SlackStandIn) -> Iterator[OutboxSender]:
    """A sender on the test database, drained by hand, whose clock the test can move ahead of real time."""
    ahead = [timedelta()]
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://", SLACK_POSTS_PER_SECOND="50"))
    built = OutboxSender(coach, poster, clock=lambda: datetime.now(UTC) + ahead[0], lease=timedelta(seconds=60))
    built.ahead = ahead  # type: ignore[attr-defined]
    yield built
    built.stop()


def later(sender: OutboxSender, seconds: float) -> None:
    sender.ahead[0] += timedelta(seconds=seconds)  # type: ignore[attr-defined]


def owe(coach: Coach, *items: outbox.Outgoing) -> None:
    with coach.transaction():
        coach.tell(*items)


def rows(coach: Coach) -> list[Outbox]:
    with unit_of_work(coach.engine, read_only=True) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))))


def test_items_are_written_only_when_the_change_commits(coach: Coach) -> None:
    with pytest.raises(RuntimeError), coach.transaction():
        coach.tell(ox.dm(MemberId(T, "UBOB"), "never"))
        raise RuntimeError("the change failed")

    owe(coach, ox.dm(MemberId(T, "UBOB"), "hello"))

    assert [(r.kind, r.user_id, r.status) for r in rows(coach)] == [("post", "UBOB", OutboxStatus.PENDING)]


def test_a_committed_transaction_that_owes_slack_wakes_the_sender(coach: Coach) -> None:
    woken = threading.Event()
    coach.on_outbox = woken.set

    with coach.transaction():
        pass
    assert not woken.is_set()  # nothing owed, nothing to wake for

    owe(coach, ox.dm(MemberId(T, "UBOB"), "hello"))
    assert woken.is_set()


def test_only_the_first_item_of_a_lane_is_due_and_one_claim_wins(coach: Coach) -> None:
    owe(
        coach,
        ox.dm(MemberId(T, "UBOB"), "first"),
        ox.dm(MemberId(T, "UBOB"), "second"),
        ox.dm(MemberId(T, "UCY"), "other lane"),
    )
    with unit_of_work(coach.engine) as session:
        due = outbox.due(now=datetime.now(UTC), limit=10, session=session)
        first = outbox.claim(due[0], now=datetime.now(UTC), session=session)
        again = outbox.claim(due[0], now=datetime.now(UTC), session=session)

    assert len(due) == 2  # UBOB's first and UCY's: UBOB's second waits for its turn
    assert first is not None and first.payload["text"] == "first" and again is None


def test_a_refresh_coalesced_into_a_waiting_one_holds_it_until_the_change_commits(coach: Coach) -> None:
    card = ox.card(T, 7, Role.REQUESTER, "UADA", at=("DUADA", "1.0"))
    owe(coach, card)  # waiting, not yet taken
    [waiting] = rows(coach)
    assert waiting.id is not None
    waiting_id = waiting.id
    claimed: list[object] = []
    change_open, claim_tried = threading.Event(), threading.Event()

    def sender_claims() -> None:
        change_open.wait()
        claim_tried.set()
        with unit_of_work(coach.engine) as session:
            claimed.append(outbox.claim(waiting_id, now=datetime.now(UTC), session=session))

    sender = threading.Thread(target=sender_claims)
    sender.start()
    with coach.transaction():
        coach.tell(card)  # the same refresh: coalesced into the waiting one
        change_open.set()
        claim_tried.wait()
        sender.join(timeout=0.5)
        still_waiting = sender.is_alive()  # the claim waits for this change to commit
    sender.join()

    assert still_waiting
    assert len(rows(coach)) == 1 and claimed and claimed[0] is not None


def test_a_claim_whose_sender_died_is_handed_back_after_the_lease(coach: Coach) -> None:
    owe(coach, ox.dm(MemberId(T, "UBOB"), "hello"))
    start = datetime.now(UTC)
    with unit_of_work(coach.engine) as session:
        [item_id] = outbox.due(now=start, limit=10, session=session)
        assert outbox.claim(item_id, now=start, session=session) is not None

    with unit_of_work(coach.engine) as session:
        assert outbox.release_stale(stale_before=start - timedelta(seconds=1), session=session) == 0
        assert outbox.due(now=start, limit=10, session=session) == []
        assert outbox.release_stale(stale_before=start + timedelta(seconds=1), session=session) == 1
        assert outbox.due(now=start, limit=10, session=session) == [item_id]


def test_the_sender_posts_once_and_remembers_where_the_card_landed(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    with coach.transaction():
        request = coach.make_request(MemberId(T, "UADA"), "UBOB", "an intro", None)
        assert request.id is not None
        coach.tell(ox.dm(MemberId(T, "UBOB"), "a card", remember=(Ref.RECIPIENT_CARD, request.id)))

    report = sender.drain()

    assert (report.sent, report.failed) == (1, 0)
    assert [m.text for m in slack.messages("UBOB")] == ["a card"]
    assert sender.drain().sent == 0  # sent once: nothing left
    with unit_of_work(coach.engine, read_only=True) as session:
        stored = session.get(Request, request.id)
        assert stored is not None and (stored.recipient_channel, stored.recipient_ts) == (
            slack.messages("UBOB")[0].channel,
            slack.messages("UBOB")[0].ts,
        )
    assert rows(coach) == []


def test_an_update_waits_for_the_post_it_rewrites_and_then_finds_it(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    with coach.transaction():
        request = coach.make_request(MemberId(T, "UADA"), "UBOB", "an intro", None)
        assert request.id is not None
        ref = (Ref.RECIPIENT_CARD, request.id)
        coach.tell(
            ox.dm(MemberId(T, "UBOB"), "the card", remember=ref),
            ox.update(T, "UBOB", "the card, rewritten", [], ref=ref),
        )
    slack.fail("chat.postMessage", "internal_error", status=500, times=1)

    first = sender.drain()
    assert (first.sent, first.retried) == (0, 1)  # the post failed; its update must not overtake it
    assert slack.calls("chat.update") == []

    later(sender, 5)
    sender.drain()

    [card] = slack.messages("UBOB")
    assert card.text == "the card, rewritten" and card.updates == 1


def test_slack_asking_to_wait_is_honoured_before_the_next_attempt(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    owe(coach, ox.dm(MemberId(T, "UBOB"), "hello"))
    slack.fail("chat.postMessage", "ratelimited", retry_after=30)
    asked_at = datetime.now(UTC)

    assert sender.drain().retried == 1

    [row] = rows(coach)
    assert row.status == OutboxStatus.PENDING and row.next_attempt_at >= asked_at + timedelta(seconds=30)
    later(sender, 10)
    assert sender.drain() == DrainReport()  # still inside Retry-After: not even tried
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_refusal_for_good_is_given_up_and_the_member_is_told_kindly(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    slack.add_channel("GSECRET", name="secret", is_private=True, bot_is_member=False)
    owe(
        coach,
        ox.post(T, "GSECRET", "an announcement", on_failure=("UADA", "I couldn't announce it in <#GSECRET>.")),
        ox.post(T, "GSECRET", "the next one in that lane"),
    )

    report = sender.drain()

    assert report.failed == 2  # the first, given up, no longer holds up its lane
    assert "couldn't announce it" in seen(slack.last_message("UADA"))
    assert [r.status for r in rows(coach)] == [OutboxStatus.FAILED, OutboxStatus.FAILED]


def test_an_update_of_a_message_that_is_gone_is_dropped_not_retried(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    owe(coach, ox.update(T, "UBOB", "rewritten", [], at=("DUBOB", "1.000")))
    slack.fail("chat.update", "message_not_found")

    assert sender.drain().sent == 1  # nothing left to rewrite: done with it
    assert rows(coach) == []


def test_housekeeping_forgets_old_deliveries_and_long_failed_items(coach: Coach) -> None:
    with unit_of_work(coach.engine) as session:
        for key, at in (("old", NOW - timedelta(days=2)), ("new", NOW)):
            record_delivery(key=key, team_id=T, user_id="UADA", response="{}", now=at, session=session)
        session.add(
            Outbox(
                team_id=T,
                lane="T1:UBOB",
                kind="post",
                payload="{}",
                status=OutboxStatus.FAILED,
                next_attempt_at=datetime.now(UTC),
                created_at=datetime.now(UTC) - timedelta(days=8),
            )
        )
    owe(coach, ox.dm(MemberId(T, "UBOB"), "still owed"))

    housekeeping(coach, NOW)

    assert [r.status for r in rows(coach)] == [OutboxStatus.PENDING]
    with unit_of_work(coach.engine) as session:
        assert seen_delivery(key="old", session=session) is None
        assert seen_delivery(key="new", session=session) is not None


def test_an_item_the_sender_cannot_handle_is_set_aside_and_the_lane_goes_on(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn
) -> None:
    owe(
        coach,
        outbox.Outgoing(
            team_id=T,
            kind="card",
            lane="T1:UBOB",
            payload={"role": "requester", "channel": "DUBOB", "ts": "1.000"},
            user_id="UBOB",
        ),
        ox.dm(MemberId(T, "UBOB"), "after it"),
    )

    first = sender.drain()  # the card names no request: a bug's shape, not Slack's

    assert first.failed == 1 and first.sent == 1
    assert [m.text for m in slack.messages("UBOB")] == ["after it"]
    assert [(r.kind, r.status) for r in rows(coach)] == [("card", OutboxStatus.FAILED)]


def test_a_new_date_question_that_cannot_reach_the_requester_is_taken_back(
    coach: Coach, sender: OutboxSender, slack: SlackStandIn, clock: FixedClock
) -> None:
    with coach.transaction():
        request = coach.make_request(MemberId(T, "UADA"), "UBOB", "an intro", clock.now().date() + timedelta(days=1))
        assert request.id is not None
    coach.move_request(T, request.id, "UBOB", RequestMove.ACCEPT)
    with coach.transaction():
        asked, _ = coach.propose_renegotiation(MemberId(T, "UBOB"), request.id, clock.now().date() + timedelta(days=3))
        assert asked.id is not None
        coach.tell(
            ox.dm(
                MemberId(T, "UADA"),
                "may it move?",
                remember=(Ref.RENEGOTIATION_QUESTION, asked.id),
                on_failure=("UBOB", "no"),
            )
        )
    slack.fail("chat.postMessage", "user_not_found", times=1)

    assert sender.drain().failed == 1

    with unit_of_work(coach.engine, read_only=True) as session:
        stored = session.get(Renegotiation, asked.id)
        assert stored is not None and stored.status == RenegotiationStatus.WITHDRAWN
