"""Requests: the card each side sees with the buttons that side can press now, its one-line summary, and the
notice telling the other side what just happened."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import Block, ButtonElement

from bot.coach import RequestMoved
from bot.coach.rules import RequestMove, Role, moves_for
from handlers.blocks.primitives import Blocks, button, buttons, clip, context, dump, esc, person, quote, section, when
from handlers.blocks.words import state_words
from handlers.ids import Action
from storage.models import Request, RequestStatus

_BUTTONS = {
    RequestMove.ACCEPT: ("Accept", "primary"),
    RequestMove.DECLINE: ("Decline", None),
    RequestMove.CANCEL: ("Cancel", "danger"),
    RequestMove.DONE: ("Done", "primary"),
    RequestMove.COMPLETE: ("Complete", "primary"),
    RequestMove.NOT_YET: ("Not yet", None),
    RequestMove.ACCEPT_COUNTER: ("Accept", "primary"),
    RequestMove.DECLINE_COUNTER: ("Decline", None),
}


def request_buttons(request: Request, viewer: Role) -> list[ButtonElement]:
    """The buttons `viewer` can press on the request now; spent ones are simply absent."""
    rid = str(request.id)
    pressable: list[ButtonElement] = []
    for move in moves_for(RequestStatus(request.status), viewer):
        if move is RequestMove.COUNTER:
            pressable.append(button("Counter-offer", Action.COUNTER_OFFER, rid))
            continue
        if move is RequestMove.CANCEL and request.status == RequestStatus.COUNTERED:
            continue  # declining the counter-offer already ends it; one button is enough
        if move is RequestMove.REVOKE:
            continue  # offered on the due date's follow-up, where the promise is accounted for
        label, style = _BUTTONS[move]
        pressable.append(button(label, f"{Action.REQUEST_MOVE}{move}", rid, style=style))
    if request.status == RequestStatus.ACCEPTED and viewer is Role.RECIPIENT:
        # Renegotiating before the date passes keeps one's word; the requester is asked to agree.
        pressable.append(button("Renegotiate", Action.FOLLOW_RENEGOTIATE, f"request:{rid}"))
    return pressable


def request_summary(request: Request, viewer: Role) -> str:
    """One line per request, from the viewer's side."""
    if request.offered:  # the stand's owner is the "requester" of an offer made to them
        head = (
            f"{person(request.recipient_id)} offered"
            if viewer is Role.REQUESTER
            else f"You offered {person(request.user_id)} help"
        )
    elif viewer is Role.REQUESTER:
        head = f"You asked {person(request.recipient_id)}"
    else:
        head = f"{person(request.user_id)} asked you"
    line = f"{head}: _{esc(clip(request.text, 600))}_ ({when(request.due_on)}) — *{state_words(request, viewer)}*"
    # Home puts Accept and Decline under this line: the requester must see what they would accept.
    terms = counter_terms(request)
    return f"{line}: {terms}" if terms else line


def counter_terms(request: Request) -> str | None:
    """A counter-offer's new terms and date (the request's own words when only the date changed); None unless the
    request is counter-offered by the person asked."""
    if request.status != RequestStatus.COUNTERED or request.offered:
        return None
    return f"_{esc(clip(request.counter_text or request.text, 300))}_ ({when(request.counter_due_on)})"


def build_request_card(
    request: Request, viewer: Role, *, expired: bool = False, reminded_on: date | None = None
) -> tuple[str, Blocks]:
    """The DM that shows a request to one side, with the buttons that side can press now (`expired`: see
    `state_words`; `reminded_on`: the day the coach reminded the person asked, told on the requester's card rather
    than in a DM of its own)."""
    rid = str(request.id)
    if request.offered:
        if viewer is Role.REQUESTER:
            head = f":raised_hands: {person(request.recipient_id)} offers help with your stand:"
        else:
            head = f":raised_hands: You offered {person(request.user_id)} help with their stand:"
    elif viewer is Role.REQUESTER:
        head = f":envelope_with_arrow: You asked {person(request.recipient_id)}:"
    else:
        head = f":envelope_with_arrow: {person(request.user_id)} asks you:"
    by = when(request.due_on).replace("by", "By", 1)
    body = f"{head}\n>{esc(clip(request.text))}\n*{by}* · {state_words(request, viewer, expired=expired)}"
    if (terms := counter_terms(request)) is not None:
        body += f"\n*Counter-offer:* {terms}"
    if reminded_on is not None and viewer is Role.REQUESTER and request.status == RequestStatus.OPEN:
        body += f"\n:wave: I reminded {person(request.recipient_id)} on {reminded_on:%a %-d %b}."
    blocks: list[Block] = [section(body, block_id=f"request-{rid}")]
    pressable = request_buttons(request, viewer)
    if pressable:
        blocks.append(buttons(f"request-actions-{rid}", pressable))
    else:
        blocks.append(context("Nothing left to do here."))
    return f"{head} {quote(request.text, 200)} — {state_words(request, viewer, expired=expired)}", dump(blocks)


_NOTICES = {
    RequestMove.ACCEPT: ":handshake: {actor} accepted your request — it's their promise now",
    RequestMove.DECLINE: "{actor} declined your request",
    RequestMove.COUNTER: ":left_right_arrow: {actor} made a counter-offer on your request",
    RequestMove.CANCEL: "{actor} cancelled their request",
    RequestMove.DONE: ":white_check_mark: {actor} reports your request done — is it complete?",
    RequestMove.COMPLETE: ":tada: {actor} declared your promise complete — thank you for keeping your word",
    RequestMove.NOT_YET: "{actor} says it isn't complete yet — it's back in your hands",
    RequestMove.REVOKE: "{actor} revoked their promise on your request",
    RequestMove.ACCEPT_COUNTER: ":handshake: {actor} accepted your counter-offer — it's your promise now",
    RequestMove.DECLINE_COUNTER: "{actor} declined your counter-offer, so the request is closed",
}


def build_request_notice(moved: RequestMoved, actor_id: str) -> str:
    """The line telling the other side what just happened."""
    request = moved.request
    line = _NOTICES[moved.move].format(actor=person(actor_id))
    if request.offered and moved.move is RequestMove.ACCEPT_COUNTER:
        line = f":handshake: {person(actor_id)} accepted your offer of help — it's your promise now"
    elif request.offered and moved.move is RequestMove.DECLINE_COUNTER:
        line = f"{person(actor_id)} thanked you for your offer but won't take it up this time"
    return f"{line}: _{esc(clip(request.text, 1500))}_"
