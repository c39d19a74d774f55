"""Buttons: on stand announcements, request cards, coaching replies, follow-ups and App Home.

Slack ignores the body of a button's ack, so a click stores its change and the answer to the presser (through
the response_url, or by DM and a fresh App Home when it came from Home) in one transaction, then acks: the
answer goes out from the outbox. Buttons that open a form open it first (a trigger_id lives three seconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.coach import Coach, CoachRefusal
from bot.coach.rules import RequestMove, Role, moves_for
from handlers import flows
from handlers import outbox as ox
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
)
from handlers.blocks.words import state_words
from handlers.commands import who
from handlers.ids import Action
from storage.models import PromiseStatus


def _item_id(body: dict[str, Any]) -> int:
    """The ID a button carries in its value; anything else is a button the coach never made."""
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    if not value.isdigit():
        raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
    return int(value)


def _action_id(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("action_id") or "")


def _clicked_message(body: dict[str, Any]) -> flows.Where:
    """Where the pressed button's message is, when it is a message the app can rewrite."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None, None
    return container.get("channel_id"), container.get("message_ts")


def _account_item(body: dict[str, Any]) -> tuple[str, int]:
    """The promise or request a follow-up button is about: ("promise" | "request", id)."""
    actions = body.get("actions") or [{}]
    kind, _, item_id = str(actions[0].get("value") or "").partition(":")
    if kind not in ("promise", "request") or not item_id.isdigit():
        raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
    return kind, int(item_id)


def _from_home(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def answered(
    coach: Coach, ack: Ack, body: dict[str, Any], team_id: str, user_id: str, run: Callable[[], flows.Reply | None]
) -> None:
    """Run a click's flow, owe the presser its answer and ack, in one transaction.

    The answer goes through the response_url beside the message; a click in App Home has none, so it comes by
    DM and the Home view is published again to show the change. The ack records the delivery in the same
    transaction (handlers.deliveries).
    """
    with coach.transaction():
        reply = run()
        if reply is not None:
            url = body.get("response_url")
            if url:
                coach.tell(ox.respond(team_id, user_id, url, *reply))
            else:
                coach.tell(ox.dm(team_id, user_id, *reply))
        if _from_home(body):
            coach.tell(ox.home(team_id, user_id))
        ack()


def register(app: App, coach: Coach) -> None:
    """Listen to every button the coach's messages and views carry."""

    def open_form(view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if _from_home(body):
            metadata = json.loads(view.get("private_metadata") or "{}")
            view["private_metadata"] = json.dumps({**metadata, "home": True}, separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    forms = {
        Action.OPEN_SHARE: build_share_modal,
        Action.OPEN_ACT: build_act_modal,
        Action.OPEN_REQUEST: build_request_modal,
        Action.OPEN_PROMISE: build_promise_modal,
        Action.OPEN_BREAKTHROUGH: build_breakthrough_modal,
    }

    def opener_for(build: Callable[[], dict[str, Any]]) -> Callable[..., None]:
        def opener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            open_form(build(), body, client)  # first: the trigger_id expires three seconds after the click
            ack()

        return opener

    for action_id, build in forms.items():
        app.action(action_id)(opener_for(build))

    @app.action(Action.JOIN_STAND)
    def join(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        stand_id, clicked = _item_id(body), _clicked_message(body)
        answered(
            coach, ack, body, team_id, user_id, lambda: flows.join_stand(coach, team_id, stand_id, user_id, clicked)
        )

    @app.action(Action.LEAVE_STAND)
    def leave(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        stand_id = _item_id(body)
        answered(coach, ack, body, team_id, user_id, lambda: flows.leave_stand(coach, team_id, stand_id, user_id))

    @app.action(Action.CHECK_IN_DECLARE)
    def check_in_declare(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        noticed = coach.own_breakdown(team_id, user_id, _item_id(body))
        open_form(build_breakdown_modal(noticed=noticed), body, client)
        ack()

    @app.action(Action.CHECK_IN_ON_IT)
    def on_it(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        check_in = int(value) if value.isdigit() else None  # nudges sent before the button carried it have none
        answered(coach, ack, body, team_id, user_id, lambda: flows.on_it(coach, team_id, user_id, check_in))

    @app.action(Action.RESOLVE_BREAKDOWN)
    def resolve(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        breakdown = coach.own_breakdown(team_id, user_id, _item_id(body))
        if breakdown.resolved_at is not None:
            raise CoachRefusal("That breakdown is already resolved — nothing changed.")
        # The coaching it was pressed on is rewritten once resolved, through its response_url.
        url = body.get("response_url") if (body.get("container") or {}).get("type") == "message" else None
        open_form(build_resolve_modal(breakdown, coaching_url=url), body, client)
        ack()

    @app.action(Action.OFFER_HELP)
    def offer(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        stand = coach.stand(team_id, _item_id(body))
        if stand.user_id == user_id:
            raise CoachRefusal("This is your own stand — make a request of someone instead.")
        open_form(build_offer_modal(stand), body, client)
        ack()

    @app.action(Action.REPLACE_STAND)
    @app.action(Action.KEEP_STAND)
    def settle(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        draft_id, replace = _item_id(body), _action_id(body) == Action.REPLACE_STAND
        with coach.transaction():
            text, blocks = flows.settle_stand(coach, team_id, user_id, draft_id, replace=replace)
            url = body.get("response_url")
            if url:  # the choice was asked in the command's ephemeral answer: replace it with the outcome
                coach.tell(ox.respond(team_id, user_id, url, text, blocks, replace_original=True))
            ack()

    @app.action(re.compile("^" + re.escape(Action.REQUEST_MOVE)))
    def move(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        name = _action_id(body).removeprefix(Action.REQUEST_MOVE)
        if name not in RequestMove.__members__.values():
            raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
        request_id, clicked = _item_id(body), _clicked_message(body)
        answered(
            coach,
            ack,
            body,
            team_id,
            user_id,
            lambda: flows.move_request(coach, team_id, request_id, user_id, RequestMove(name), clicked=clicked),
        )

    @app.action(Action.COUNTER_OFFER)
    def counter(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        request = coach.request(team_id, _item_id(body))
        if user_id != request.recipient_id:
            raise CoachRefusal("Only the person asked can make a counter-offer.")
        if RequestMove.COUNTER not in moves_for(request.status, Role.RECIPIENT):
            raise CoachRefusal(f"This request is {state_words(request)} — nothing changed.")
        open_form(build_counter_modal(request), body, client)
        ack()

    @app.action(Action.FOLLOW_KEPT)
    @app.action(Action.FOLLOW_REVOKE)
    def account(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        outcome = PromiseStatus.KEPT if _action_id(body) == Action.FOLLOW_KEPT else PromiseStatus.REVOKED
        item = _account_item(body)
        # The question is rewritten to show the outcome (its buttons gone); the presser also reads why.
        answered(coach, ack, body, team_id, user_id, lambda: flows.account(coach, team_id, user_id, item, outcome))

    @app.action(Action.RENEGOTIATION_AGREE)
    @app.action(Action.RENEGOTIATION_KEEP)
    def answer_renegotiation(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        agree = _action_id(body) == Action.RENEGOTIATION_AGREE
        renegotiation_id, clicked = _item_id(body), _clicked_message(body)
        with coach.transaction():
            # The question is rewritten with the answer in place: that is the presser's answer.
            flows.answer_renegotiation(coach, team_id, user_id, renegotiation_id, agree=agree, clicked=clicked)
            ack()

    @app.action(Action.FOLLOW_RENEGOTIATE)
    def renegotiate(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        kind, item_id = _account_item(body)
        item = coach.promise(team_id, item_id) if kind == "promise" else coach.request(team_id, item_id)
        if user_id != (item.user_id if kind == "promise" else getattr(item, "recipient_id", None)):
            raise CoachRefusal("Only the person who made this promise can renegotiate it.")
        view = build_renegotiate_modal(item)
        channel, ts = _clicked_message(body)
        metadata = {**json.loads(view["private_metadata"]), "channel": channel, "ts": ts}
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"], view=view)
        ack()

    @app.action(Action.ANOTHER_PROGRAM)
    def another(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        answered(coach, ack, body, team_id, user_id, lambda: flows.restart_program(coach, team_id, user_id))

    @app.action(Action.CLOSE_STAND)
    def close(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id, user_id = who(context)
        stand = coach.progress(team_id, user_id).stand
        if stand is None:
            raise CoachRefusal("That stand is already closed — nothing changed.")
        open_form(build_close_stand_modal(stand), body, client)
        ack()

    @app.action(Action.FORGET_CONFIRM)
    def forget(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        words = "Done: I've forgotten you. Requests you shared with others stay with them, without your name."
        with coach.transaction():
            coach.forget(team_id, user_id)
            if body.get("response_url"):
                coach.tell(ox.respond(team_id, user_id, body["response_url"], words, replace_original=True))
        # Acked outside the transaction, so no record of this delivery names the member just forgotten (a replay
        # forgets again, which changes nothing).
        ack()

    @app.action(Action.FORGET_CANCEL)
    def keep(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        team_id, user_id = who(context)
        with coach.transaction():
            if body.get("response_url"):
                words = "Kept. Nothing was deleted."
                coach.tell(ox.respond(team_id, user_id, body["response_url"], words, replace_original=True))
            ack()
