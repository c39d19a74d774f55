"""Clicks that race, end to end on both databases: of two presses at the same moment, one moves the request and
its side hears it once; the other is told what the request already is, and nothing is said twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from bot.app import Runtime
from bot.clock import FixedClock
from standin import AppReply, Message, SlackStandIn
from tests import support
from tests.e2e import buttons, dm, drained, export, last_ephemeral, seen

ROUNDS = 10  # fresh requests raced one after another, so a lost race has a real chance to show
PROMISED = ["Done", "Renegotiate"]  # the recipient's card once the request is their promise


@pytest.fixture
def app(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """The real app, posting at a pace that keeps ten rounds quick: the clicks race, not the outbox."""
    settings = support.settings_for(slack.api_url, database_url, SLACK_POSTS_PER_SECOND="200")
    with support.serve_http(settings, clock) as (runtime, url):
        slack.request_url = url
        yield runtime


def together(*presses: Callable[[], AppReply]) -> list[AppReply]:
    """Send the presses at the same moment from threads of their own, as a double click or two devices would."""
    start = threading.Barrier(len(presses), timeout=5)

    def press(send: Callable[[], AppReply]) -> AppReply:
        start.wait()  # every thread is ready: the requests leave together and are in flight together
        return send()

    with ThreadPoolExecutor(max_workers=len(presses)) as pool:
        return list(pool.map(press, presses))


def ask(slack: SlackStandIn, what: str) -> Message:
    """Ada asks Bob for `what`; returns Bob's card."""
    assert slack.command("UADA", "/request", f"<@UBOB|bob> {what}").status == 200
    return dm(slack, "UBOB", what)


def count(messages: list[Message], *words: str) -> int:
    """How many of `messages` show all of `words`."""
    return sum(all(w in seen(m) for w in words) for m in messages)


def request_row(app: Runtime, what: str) -> dict[str, Any]:
    return next(r for r in export(app)["requests"] if r["text"] == what)


def card_now(slack: SlackStandIn, card: Message) -> Message:
    """The card as Bob sees it now (rewritten in place)."""
    return next(m for m in slack.messages("UBOB") if m.ts == card.ts)


def test_a_double_click_on_accept_makes_one_promise_and_says_so_once_to_each_side(
    slack: SlackStandIn, app: Runtime
) -> None:
    outcomes = []
    for n in range(ROUNDS):
        what = f"favour #{n:02d} for the council"
        card = ask(slack, what)
        answers_before = list(slack.ephemerals("UBOB"))

        replies = together(partial(slack.click, "UBOB", card, "Accept"), partial(slack.click, "UBOB", card, "Accept"))

        drained(slack, app)
        answers = slack.ephemerals("UBOB")[len(answers_before) :]
        row = request_row(app, what)
        outcomes.append(
            (
                [r.status for r in replies],
                row["status"],
                row["promise_status"],
                count(slack.messages("UADA"), "accepted your request", what),  # the requester, told once
                count(answers, "Accepted — it's your promise now"),  # the press that applied
                count(answers, "already accepted — nothing changed"),  # the press that came second
                buttons(card_now(slack, card)),
            )
        )

    one_move = ([200, 200], "accepted", "open", 1, 1, 1, PROMISED)
    assert outcomes == [one_move] * ROUNDS


def test_accept_and_decline_pressed_together_apply_one_and_tell_the_other_what_it_already_is(
    slack: SlackStandIn, app: Runtime
) -> None:
    outcomes = []
    for n in range(ROUNDS):
        what = f"favour #{n:02d} for the mayor"
        card = ask(slack, what)
        answers_before = list(slack.ephemerals("UBOB"))

        replies = together(partial(slack.click, "UBOB", card, "Accept"), partial(slack.click, "UBOB", card, "Decline"))

        drained(slack, app)
        answers = slack.ephemerals("UBOB")[len(answers_before) :]
        row = request_row(app, what)
        outcomes.append(
            {
                "acks": [r.status for r in replies],
                "status": row["status"],
                "promise_status": row["promise_status"],
                "accepted notices": count(slack.messages("UADA"), "accepted your request", what),
                "declined notices": count(slack.messages("UADA"), "declined your request", what),
                "accepted answers": count(answers, "Accepted — it's your promise now"),
                "declined answers": count(answers, "Declined. Thank you for a clear no"),
                "refusals": count(answers, f"already {row['status']} — nothing changed"),
                "card": buttons(card_now(slack, card)),
            }
        )

    accepted = {
        "acks": [200, 200],
        "status": "accepted",
        "promise_status": "open",
        "accepted notices": 1,
        "declined notices": 0,
        "accepted answers": 1,
        "declined answers": 0,
        "refusals": 1,
        "card": PROMISED,
    }
    declined = {
        **accepted,
        "status": "declined",
        "promise_status": None,
        "accepted notices": 0,
        "declined notices": 1,
        "accepted answers": 0,
        "declined answers": 1,
        "card": [],
    }
    assert [o for o in outcomes if o not in (accepted, declined)] == []


def race_to_join(slack: SlackStandIn, app: Runtime, joiners: list[str]) -> list[tuple[list[int], int, int, int]]:
    """Each joiner presses Join twice at once on Ada's stand; what each press brought, joiner by joiner."""
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    outcomes = []
    for joiner in joiners:
        announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
        join = partial(slack.click, joiner, announcement, "Join the stand")

        replies = together(join, join)

        drained(slack, app)
        answers = slack.ephemerals(joiner)
        outcomes.append(
            (
                [r.status for r in replies],
                count(slack.messages("UADA"), f"<@{joiner}> joined your stand"),  # the owner, told once
                count(answers, "You joined"),
                count(answers, "already joined this stand — nothing changed"),
            )
        )
    return outcomes


def test_joining_a_stand_twice_at_once_makes_one_follower_and_tells_the_owner_once(
    slack: SlackStandIn, app: Runtime
) -> None:
    joiners = [f"UJOIN{n}" for n in range(ROUNDS)]
    for joiner in joiners:  # members the coach has met already
        slack.add_user(joiner, name=joiner.lower(), tz="Europe/Berlin")
        slack.command(joiner, "/coach", "status")
        last_ephemeral(slack, joiner)

    outcomes = race_to_join(slack, app, joiners)

    assert outcomes == [([200, 200], 1, 1, 1)] * ROUNDS
    assert app.coach.followers("T1", export(app)["stands"][0]["id"]) == joiners
    assert f"<@{joiners[-1]}>" in seen(slack.messages("CGENERAL")[-1])


def test_a_newcomers_double_click_on_join_is_told_it_is_already_joined(slack: SlackStandIn, app: Runtime) -> None:
    joiners = [f"UNEW{n}" for n in range(ROUNDS)]
    for joiner in joiners:  # never seen by the coach: their first press makes them a member
        slack.add_user(joiner, name=joiner.lower(), tz="Europe/Berlin")

    outcomes = race_to_join(slack, app, joiners)

    assert outcomes == [([200, 200], 1, 1, 1)] * ROUNDS
    assert app.coach.followers("T1", export(app)["stands"][0]["id"]) == joiners
