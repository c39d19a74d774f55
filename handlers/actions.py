"""Buttons: on stand announcements, request cards, coaching replies, follow-ups and App Home.

Slack ignores the body of a button's ack, so a click stores its change and the answer to the presser (through
the response_url, or by DM and a fresh App Home when it came from Home) in one transaction, then acks: the
answer goes out from the outbox. Buttons that open a form open it first (a trigger_id lives three seconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, CoachRefusal, FollowedStand, MemberId
from bot.coach.rules import RequestMove, Role, moves_for
from handlers import breakdown_flows, flows
from handlers import outbox as ox
from handlers.blocks.ideas import build_idea_modal
from handlers.blocks.modals import (
    build_act_modal,
    build_breakdown_modal,
    build_breakthrough_modal,
    build_close_stand_modal,
    build_counter_modal,
    build_offer_modal,
    build_promise_modal,
    build_renegotiate_modal,
    build_request_modal,
    build_resolve_modal,
    build_share_modal,
    build_stand_modal,
)
from handlers.blocks.words import state_words
from handlers.commands import sender
from handlers.ids import Action
from storage.models import PromiseStatus


@dataclass(frozen=True, slots=True)
class Click:
    """One press of a button, as a listener reads it: who pressed what, on which message, and how to answer."""

    coach: Coach
    ack: Ack
    body: dict[str, Any]
    client: WebClient
    who: MemberId

    @property
    def action_id(self) -> str:
        return str((self.body.get("actions") or [{}])[0].get("action_id") or "")

    @property
    def value(self) -> str:
        return str((self.body.get("actions") or [{}])[0].get("value") or "")

    def item_id(self) -> int:
        """The ID the button carries in its value; anything else is a button the coach never made."""
        if not self.value.isdigit():
            raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
        return int(self.value)

    def account_item(self) -> tuple[str, int]:
        """The promise or request a follow-up button is about: ("promise" | "request", id)."""
        kind, _, item_id = self.value.partition(":")
        if kind not in ("promise", "request") or not item_id.isdigit():
            raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
        return kind, int(item_id)

    @property
    def clicked(self) -> flows.Where:
        """Where the pressed button's message is, when it is a message the app can rewrite."""
        container = self.body.get("container") or {}
        if container.get("type") != "message" or container.get("is_ephemeral"):
            return None, None
        return container.get("channel_id"), container.get("message_ts")

    @property
    def from_home(self) -> bool:
        return (self.body.get("view") or {}).get("type") == "home"

    @property
    def response_url(self) -> str | None:
        url = self.body.get("response_url")
        return str(url) if url else None

    def answered(self, run: Callable[[], flows.Reply | None]) -> None:
        """Run the click's flow, owe the presser its answer and ack, in one transaction.

        The answer goes through the response_url beside the message; a click in App Home has none, so it comes by
        DM and the Home view is published again to show the change. The ack records the delivery in the same
        transaction (handlers.deliveries).
        """
        coach, who = self.coach, self.who
        with coach.transaction():
            reply = run()
            if reply is not None:
                if self.response_url:
                    coach.tell(ox.respond(who, self.response_url, *reply))
                else:
                    coach.tell(ox.dm(who, *reply))
            if self.from_home:
                coach.tell(ox.home(who))
            self.ack()

    def open_form(self, view: dict[str, Any]) -> None:
        """Open a form, first thing: the trigger_id expires three seconds after the click."""
        if self.from_home:
            metadata = json.loads(view.get("private_metadata") or "{}")
            view["private_metadata"] = json.dumps({**metadata, "home": True}, separators=(",", ":"))
        self.client.views_open(trigger_id=self.body["trigger_id"], view=view)
        self.ack()


# Forms ----------------------------------------------------------------------------------------------------


def build_stand_form() -> dict[str, Any]:
    """The stand form, opened from a button (the announcement goes to the recap channel, if one is set)."""
    return build_stand_modal(channel_id=None)


def opener(build: Callable[[], dict[str, Any]]) -> Listener:
    """A button that opens a form and stores nothing."""

    def open_it(click: Click) -> None:
        click.open_form(build())

    open_it.__name__ = f"open_{build.__name__.removeprefix('build_')}"
    return open_it


def practice_opener(build: Callable[[Sequence[FollowedStand]], dict[str, Any]]) -> Listener:
    """A button that opens a practice form, offering the stands the member joined; it stores nothing."""

    def open_it(click: Click) -> None:
        click.open_form(build(click.coach.following(click.who)))

    open_it.__name__ = f"open_{build.__name__.removeprefix('build_')}"
    return open_it


def check_in_declare(click: Click) -> None:
    noticed = click.coach.own_breakdown(click.who, click.item_id())
    click.open_form(build_breakdown_modal(noticed=noticed))


def resolve(click: Click) -> None:
    breakdown = click.coach.own_breakdown(click.who, click.item_id())
    if breakdown.resolved_at is not None:
        raise CoachRefusal("That breakdown is already resolved — nothing changed.")
    # The coaching it was pressed on is rewritten once resolved, through its response_url.
    url = click.response_url if (click.body.get("container") or {}).get("type") == "message" else None
    click.open_form(build_resolve_modal(breakdown, coaching_url=url))


def offer(click: Click) -> None:
    stand = click.coach.stand(click.who.team_id, click.item_id())
    if stand.user_id == click.who.user_id:
        raise CoachRefusal("This is your own stand — make a request of someone instead.")
    click.open_form(build_offer_modal(stand))


def offer_idea(click: Click) -> None:
    breakdown = click.coach.breakdown(click.who.team_id, click.item_id())
    click.open_form(build_idea_modal(breakdown))


def idea_to_request(click: Click) -> None:
    idea_id = click.item_id()
    click.answered(
        lambda: breakdown_flows.request_from_idea(click.coach, click.who, idea_id, told_at=click.response_url)
    )


def counter(click: Click) -> None:
    request = click.coach.request(click.who.team_id, click.item_id())
    if click.who.user_id != request.recipient_id:
        raise CoachRefusal("Only the person asked can make a counter-offer.")
    if RequestMove.COUNTER not in moves_for(request.status, Role.RECIPIENT):
        raise CoachRefusal(f"This request is {state_words(request)} — nothing changed.")
    click.open_form(build_counter_modal(request))


def renegotiate(click: Click) -> None:
    kind, item_id = click.account_item()
    coach = click.coach
    item = coach.promise(click.who.team_id, item_id) if kind == "promise" else coach.request(click.who.team_id, item_id)
    if click.who.user_id != (item.user_id if kind == "promise" else getattr(item, "recipient_id", None)):
        raise CoachRefusal("Only the person who made this promise can renegotiate it.")
    view = build_renegotiate_modal(item)
    channel, ts = click.clicked
    metadata = {**json.loads(view["private_metadata"]), "channel": channel, "ts": ts}
    view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
    click.open_form(view)


def close(click: Click) -> None:
    stand = click.coach.progress(click.who).stand
    if stand is None:
        raise CoachRefusal("That stand is already closed — nothing changed.")
    click.open_form(build_close_stand_modal(stand))


# Stored, then acked -----------------------------------------------------------------------------------------


def join(click: Click) -> None:
    stand_id, clicked = click.item_id(), click.clicked
    click.answered(lambda: flows.join_stand(click.coach, click.who.team_id, stand_id, click.who.user_id, clicked))


def leave(click: Click) -> None:
    stand_id = click.item_id()
    click.answered(lambda: flows.leave_stand(click.coach, click.who.team_id, stand_id, click.who.user_id))


def on_it(click: Click) -> None:
    check_in = int(click.value) if click.value.isdigit() else None  # nudges sent before it carried one have none
    click.answered(lambda: breakdown_flows.on_it(click.coach, click.who, check_in))


def settle(click: Click) -> None:
    draft_id, replace = click.item_id(), click.action_id == Action.REPLACE_STAND
    coach = click.coach
    with coach.transaction():
        text, blocks = flows.settle_stand(coach, click.who, draft_id, replace=replace)
        if click.response_url:  # asked in the command's ephemeral answer: replace it with the outcome
            coach.tell(ox.respond(click.who, click.response_url, text, blocks, replace_original=True))
        click.ack()


def move(click: Click) -> None:
    name = click.action_id.removeprefix(Action.REQUEST_MOVE)
    if name not in RequestMove.__members__.values():
        raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
    request_id, clicked = click.item_id(), click.clicked
    click.answered(
        lambda: flows.move_request(
            click.coach, click.who.team_id, request_id, click.who.user_id, RequestMove(name), clicked=clicked
        )
    )


def account(click: Click) -> None:
    outcome = PromiseStatus.KEPT if click.action_id == Action.FOLLOW_KEPT else PromiseStatus.REVOKED
    item = click.account_item()
    # The question is rewritten to show the outcome (its buttons gone); the presser also reads why.
    click.answered(lambda: flows.account(click.coach, click.who, item, outcome))


def answer_renegotiation(click: Click) -> None:
    agree = click.action_id == Action.RENEGOTIATION_AGREE
    renegotiation_id, clicked = click.item_id(), click.clicked
    with click.coach.transaction():
        # The question is rewritten with the answer in place: that is the presser's answer.
        flows.answer_renegotiation(click.coach, click.who, renegotiation_id, agree=agree, clicked=clicked)
        click.ack()


def another(click: Click) -> None:
    click.answered(lambda: flows.restart_program(click.coach, click.who))


def week_picture(click: Click) -> None:
    def send() -> flows.Reply:
        click.coach.tell(ox.week_chart(click.who))
        return flows.line("Your week so far is on its way to your DMs with me, as a picture.")

    click.answered(send)


def forget(click: Click) -> None:
    words = "Done: I've forgotten you. Requests you shared with others stay with them, without your name."
    coach = click.coach
    with coach.transaction():
        coach.forget(click.who)
        if click.response_url:
            coach.tell(ox.respond(click.who, click.response_url, words, replace_original=True))
    # Acked outside the transaction, so no record of this delivery names the member just forgotten (a replay
    # forgets again, which changes nothing).
    click.ack()


def keep(click: Click) -> None:
    with click.coach.transaction():
        if click.response_url:
            words = "Kept. Nothing was deleted."
            click.coach.tell(ox.respond(click.who, click.response_url, words, replace_original=True))
        click.ack()


Listener = Callable[[Click], None]

# Every button the coach's messages and views carry, and its listener. Buttons that open a form ack after opening
# it; every other listener acks inside the transaction that stores what the press means.
LISTENERS: tuple[tuple[str | re.Pattern[str], Listener], ...] = (
    (Action.OPEN_STAND, opener(build_stand_form)),
    (Action.OPEN_SHARE, practice_opener(build_share_modal)),
    (Action.OPEN_ACT, practice_opener(build_act_modal)),
    (Action.OPEN_REQUEST, practice_opener(build_request_modal)),
    (Action.OPEN_PROMISE, opener(build_promise_modal)),
    (Action.OPEN_BREAKTHROUGH, opener(build_breakthrough_modal)),
    (Action.CHECK_IN_DECLARE, check_in_declare),
    (Action.RESOLVE_BREAKDOWN, resolve),
    (Action.OFFER_HELP, offer),
    (Action.OFFER_IDEA, offer_idea),
    (Action.IDEA_TO_REQUEST, idea_to_request),
    (Action.COUNTER_OFFER, counter),
    (Action.FOLLOW_RENEGOTIATE, renegotiate),
    (Action.CLOSE_STAND, close),
    (Action.JOIN_STAND, join),
    (Action.LEAVE_STAND, leave),
    (Action.CHECK_IN_ON_IT, on_it),
    (Action.REPLACE_STAND, settle),
    (Action.KEEP_STAND, settle),
    (re.compile("^" + re.escape(Action.REQUEST_MOVE)), move),
    (Action.FOLLOW_KEPT, account),
    (Action.FOLLOW_REVOKE, account),
    (Action.RENEGOTIATION_AGREE, answer_renegotiation),
    (Action.RENEGOTIATION_KEEP, answer_renegotiation),
    (Action.ANOTHER_PROGRAM, another),
    (Action.WEEK_PICTURE, week_picture),
    (Action.FORGET_CONFIRM, forget),
    (Action.FORGET_CANCEL, keep),
)


def register(app: App, coach: Coach) -> None:
    """Listen to every button in `LISTENERS`."""

    def bound(listener: Listener) -> Callable[..., None]:
        def press(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
            who = sender(context)
            listener(Click(coach, ack, body, client, who))

        press.__name__ = listener.__name__
        return press

    for matcher, listener in LISTENERS:
        app.action(matcher)(bound(listener))
