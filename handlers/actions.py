"""Buttons: on stand announcements, request cards, coaching replies and App Home."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.coach import Coach, CoachRefusal
from bot.rules import RequestMove, Role, moves_for
from handlers import blocks as ui
from handlers import flows
from handlers.errors import Guard, tell
from handlers.follow_up_blocks import build_renegotiate_modal
from handlers.ids import Action
from storage.models import PromiseStatus


def _who(context: BoltContext) -> tuple[str, str]:
    team_id, user_id = context.team_id, context.user_id
    if not team_id or not user_id:
        raise CoachRefusal("I couldn't tell who pressed that button, so I did nothing.")
    return team_id, user_id


def _item_id(body: dict[str, Any]) -> int:
    """The ID a button carries in its value; anything else is a button the coach never made."""
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    if not value.isdigit():
        raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
    return int(value)


def _clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
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


def _reply(client: WebClient, body: dict[str, Any], respond: Respond, text: str, blocks: list[dict[str, Any]]) -> None:
    """Answer the presser: an ephemeral reply beside the message, or a DM when the button was in App Home."""
    if body.get("response_url"):
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    else:
        tell(client, body, (body.get("user") or {}).get("id"), text)


def register(app: App, coach: Coach, guard: Guard) -> None:
    """Listen to every button the coach's messages and views carry."""

    def open_form(view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if _from_home(body):
            metadata = json.loads(view.get("private_metadata") or "{}")
            view["private_metadata"] = json.dumps({**metadata, "home": True}, separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    forms = {
        Action.OPEN_SHARE: ui.build_share_modal,
        Action.OPEN_ACT: ui.build_act_modal,
        Action.OPEN_REQUEST: ui.build_request_modal,
        Action.OPEN_PROMISE: ui.build_promise_modal,
        Action.OPEN_BREAKTHROUGH: ui.build_breakthrough_modal,
    }

    def opener_for(build: Callable[[], dict[str, Any]]) -> Callable[..., None]:
        def opener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            # Modals first: the trigger_id expires three seconds after the click.
            ack()
            open_form(build(), body, client)

        return opener

    for action_id, build in forms.items():
        app.action(action_id)(guard(opener_for(build)))

    @app.action(Action.JOIN_STAND)
    @guard
    def join(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        text, blocks = flows.join_stand(client, coach, team_id, _item_id(body), user_id, _clicked_message(body))
        _reply(client, body, respond, text, blocks)

    @app.action(Action.LEAVE_STAND)
    @guard
    def leave(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        try:
            text, blocks = flows.leave_stand(client, coach, team_id, _item_id(body), user_id)
        finally:
            if _from_home(body):
                flows.show_home(client, coach, team_id, user_id)
        _reply(client, body, respond, text, blocks)

    @app.action(Action.CHECK_IN_DECLARE)
    @guard
    def check_in_declare(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        noticed = coach.own_breakdown(team_id, user_id, _item_id(body))
        open_form(ui.build_breakdown_modal(noticed=noticed), body, client)

    @app.action(Action.CHECK_IN_ON_IT)
    @guard
    def on_it(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        text, blocks = flows.line("Good. Pick the one request you could make today — and make it.")
        _reply(client, body, respond, text, blocks)

    @app.action(Action.RESOLVE_BREAKDOWN)
    @guard
    def resolve(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        breakdown = coach.own_breakdown(team_id, user_id, _item_id(body))
        open_form(ui.build_resolve_modal(breakdown), body, client)

    @app.action(Action.OFFER_HELP)
    @guard
    def offer(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        stand = coach.stand(team_id, _item_id(body))
        if stand.user_id == user_id:
            raise CoachRefusal("This is your own stand — make a request of someone instead.")
        open_form(ui.build_offer_modal(stand), body, client)

    @app.action(Action.REPLACE_STAND)
    @app.action(Action.KEEP_STAND)
    @guard
    def settle(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        replace = body["actions"][0]["action_id"] == Action.REPLACE_STAND
        text, blocks = flows.settle_stand(client, coach, team_id, user_id, _item_id(body), replace=replace)
        respond(text=text, blocks=blocks, replace_original=True)

    @app.action(re.compile("^" + re.escape(Action.REQUEST_MOVE)))
    @guard
    def move(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        name = str(body["actions"][0]["action_id"]).removeprefix(Action.REQUEST_MOVE)
        if name not in RequestMove.__members__.values():
            raise CoachRefusal("That button doesn't carry anything I recognise, so nothing changed.")
        try:
            text, blocks = flows.move_request(
                client, coach, team_id, _item_id(body), user_id, RequestMove(name), clicked=_clicked_message(body)
            )
        finally:
            if _from_home(body):
                flows.show_home(client, coach, team_id, user_id)
        _reply(client, body, respond, text, blocks)

    @app.action(Action.COUNTER_OFFER)
    @guard
    def counter(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        request = coach.request(team_id, _item_id(body))
        if user_id != request.recipient_id:
            raise CoachRefusal("Only the person asked can make a counter-offer.")
        if RequestMove.COUNTER not in moves_for(request.status, Role.RECIPIENT):
            raise CoachRefusal(f"This request is {ui.state_words(request)} — nothing changed.")
        open_form(ui.build_counter_modal(request), body, client)

    @app.action(Action.FOLLOW_KEPT)
    @app.action(Action.FOLLOW_REVOKE)
    @guard
    def account(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        kept = body["actions"][0]["action_id"] == Action.FOLLOW_KEPT
        outcome = PromiseStatus.KEPT if kept else PromiseStatus.REVOKED
        flows.account(client, coach, team_id, user_id, _account_item(body), outcome, clicked=_clicked_message(body))

    @app.action(Action.RENEGOTIATION_AGREE)
    @app.action(Action.RENEGOTIATION_KEEP)
    @guard
    def answer_renegotiation(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        agree = body["actions"][0]["action_id"] == Action.RENEGOTIATION_AGREE
        flows.answer_renegotiation(
            client, coach, team_id, user_id, _item_id(body), agree=agree, clicked=_clicked_message(body)
        )

    @app.action(Action.FOLLOW_RENEGOTIATE)
    @guard
    def renegotiate(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        kind, item_id = _account_item(body)
        item = coach.promise(team_id, item_id) if kind == "promise" else coach.request(team_id, item_id)
        if user_id != (item.user_id if kind == "promise" else getattr(item, "recipient_id", None)):
            raise CoachRefusal("Only the person who made this promise can renegotiate it.")
        view = build_renegotiate_modal(item)
        channel, ts = _clicked_message(body)
        metadata = {**json.loads(view["private_metadata"]), "channel": channel, "ts": ts}
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(Action.ANOTHER_PROGRAM)
    @guard
    def another(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        stand = coach.restart_program(team_id, user_id)
        text, blocks = flows.line(
            f":repeat: Another 14 days on your stand: day 1 is {stand.program_started_on:%A %-d %B}."
        )
        _reply(client, body, respond, text, blocks)

    @app.action(Action.CLOSE_STAND)
    @guard
    def close(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id = _who(context)
        stand = coach.progress(team_id, user_id).stand
        if stand is None:
            raise CoachRefusal("That stand is already closed — nothing changed.")
        open_form(ui.build_close_stand_modal(stand), body, client)

    @app.action(Action.FORGET_CONFIRM)
    @guard
    def forget(ack: Ack, respond: Respond, context: BoltContext) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        team_id, user_id = _who(context)
        coach.forget(team_id, user_id)
        respond(
            text="Done: I've forgotten you. Requests you shared with others stay with them, without your name.",
            replace_original=True,
        )

    @app.action(Action.FORGET_CANCEL)
    @guard
    def keep(ack: Ack, respond: Respond) -> Iterator[None]:
        ack()
        yield  # acked: the rest runs on the work pool (see Guard)
        respond(text="Kept. Nothing was deleted.", replace_original=True)
