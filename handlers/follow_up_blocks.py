"""Follow-up DMs: a promise on its date (and once more a day late) or a week after it was made with no date; a
request still waiting for an answer, closed as expired after two weeks, or reported done and not yet completed."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.follow_ups import DueFollowUp
from bot.rules import Role
from handlers.blocks import Blocks, clip, day, dump, esc, person, quote, request_buttons, section, when
from handlers.ids import Action, Field, Modal
from storage.models import Promise, Request, Stand


def _item_value(item: Promise | Request) -> str:
    return f"{'promise' if isinstance(item, Promise) else 'request'}:{item.id}"


def account_buttons(item: Promise | Request) -> ActionsBlock:
    """Kept / Renegotiate / Revoke for a promise (or an accepted request) that has come due."""
    value = _item_value(item)
    return ActionsBlock(
        block_id=f"account-{value.replace(':', '-')}",
        elements=[
            ButtonElement(text="Kept", action_id=Action.FOLLOW_KEPT, value=value, style="primary"),
            ButtonElement(text="Renegotiate", action_id=Action.FOLLOW_RENEGOTIATE, value=value),
            ButtonElement(text="Revoke", action_id=Action.FOLLOW_REVOKE, value=value, style="danger"),
        ],
    )


def build_follow_up(due: DueFollowUp, item: Promise | Request | Stand) -> tuple[str, list[dict[str, Any]]]:
    """The follow-up DM for one stage of one promise, request or stand."""
    what = esc(clip(item.text, 1500))
    if isinstance(item, Stand):
        line = (
            f":dart: Your stand's own date is {when(item.due_on).removeprefix('by ')}:\n>{what}\n"
            "Where is it? Whatever the answer, say it out loud — it's how the next breakthrough starts."
        )
        stand_blocks = [
            SectionBlock(block_id="stand-eve", text=MarkdownTextObject(text=line)),
            ActionsBlock(
                block_id="stand-eve-actions",
                elements=[
                    ButtonElement(text="Declare a breakthrough", action_id=Action.OPEN_BREAKTHROUGH),
                    ButtonElement(text="Another 14 days", action_id=Action.ANOTHER_PROGRAM),
                    ButtonElement(text="Close the stand", action_id=Action.CLOSE_STAND),
                ],
            ),
        ]
        return f"Your stand's date is near: {quote(item.text, 150)}", [b.to_dict() for b in stand_blocks]
    if isinstance(item, Request) and due.stage == "reminder":
        line = (
            f":wave: A gentle reminder: {person(item.user_id)} asked you\n>{what}\n"
            f"({when(item.due_on)}). A clear yes, no or counter-offer helps them plan."
        )
        buttons = request_buttons(item, Role.RECIPIENT)
        actions = ActionsBlock(block_id=f"reminder-{item.id}", elements=buttons)
        blocks = [SectionBlock(block_id=f"reminder-text-{item.id}", text=MarkdownTextObject(text=line)), actions]
        return f"A reminder: {person(item.user_id)} asked you {quote(item.text, 150)}", [b.to_dict() for b in blocks]
    if isinstance(item, Request) and due.stage == "expired":
        line = (
            f":broom: {person(item.user_id)}'s request to you waited two weeks without an answer, so I've closed it "
            f"as expired:\n>{what}\nNothing is owed. If it still matters, they can ask again."
        )
        blocks = [SectionBlock(block_id=f"expired-{item.id}", text=MarkdownTextObject(text=line))]
        return f"Closed as expired, nothing owed: {quote(item.text, 150)}", [b.to_dict() for b in blocks]
    if isinstance(item, Request) and due.stage == "unconfirmed":
        line = (
            f":white_check_mark: {person(item.recipient_id)} reported your request done on "
            f"{day(item.done_on)}, and it's still waiting for you to declare it complete:\n>{what}\n"
            "Is it complete? If not yet, say so and it goes back to them."
        )
        actions = ActionsBlock(block_id=f"unconfirmed-{item.id}", elements=request_buttons(item, Role.REQUESTER))
        blocks = [SectionBlock(block_id=f"unconfirmed-text-{item.id}", text=MarkdownTextObject(text=line)), actions]
        return (
            f"{person(item.recipient_id)} reported your request done: {quote(item.text, 150)} — is it complete?",
            [b.to_dict() for b in blocks],
        )
    for_whom = f" for {person(item.user_id)}" if isinstance(item, Request) else ""
    if due.stage == "undated":
        days = (due.local_date - due.made_on).days if due.made_on is not None else 7
        ago = "a week ago" if days <= 7 else f"{days} days ago"
        line = (
            f":seedling: You promised {ago}{for_whom}, with no date set:\n>{what}\nHow is it going? Kept, a date "
            "you can keep, or revoked — any honest answer keeps your word worth something."
        )
        blocks = [
            SectionBlock(block_id="follow-up-text", text=MarkdownTextObject(text=line)),
            account_buttons(item),
        ]
        return f"You promised {ago}{for_whom}: {quote(item.text, 150)} — how is it going?", [
            b.to_dict() for b in blocks
        ]
    if due.stage == "broken":
        line = (
            f":memo: Your promise{for_whom} was due {when(item.due_on).removeprefix('by ')} and went unanswered, "
            f"so I've recorded it as broken:\n>{what}\nThat's an honest account, not a verdict. If it still "
            "matters, make it again with a date you can keep."
        )
        blocks = [SectionBlock(block_id="follow-up-text", text=MarkdownTextObject(text=line))]
        return f"Your promise{for_whom} is recorded as broken: {quote(item.text, 150)}", [b.to_dict() for b in blocks]
    if due.stage == "due":
        line = f":alarm_clock: Today's the day for your promise{for_whom}:\n>{what}\nHow did it go?"
    else:
        line = (
            f":hourglass: Your promise{for_whom} was due {when(item.due_on).removeprefix('by ')} and is still open:\n"
            f">{what}\nKept, renegotiated or revoked — any honest answer keeps your word worth something."
        )
    blocks = [
        SectionBlock(block_id="follow-up-text", text=MarkdownTextObject(text=line)),
        account_buttons(item),
    ]
    return f"Your promise{for_whom}: {quote(item.text, 150)} — how did it go?", [b.to_dict() for b in blocks]


def build_requester_told(request: Request, stage: str) -> tuple[str, Blocks]:
    """The requester's DM when their request is followed up: reminded (`reminder`), closed unanswered (`expired`),
    or the promise made to them recorded `broken`."""
    if stage == "expired":
        text = (
            f":hourglass: Your request to {person(request.recipient_id)} waited two weeks without an answer, so it "
            f"has expired and I've closed it: {quote(request.text, 500)}. If you still need it, ask again — or ask "
            "someone else."
        )
    elif stage == "broken":
        text = (
            f"{person(request.recipient_id)}'s promise on your request went unanswered past its date, so I've "
            f"recorded it as broken: {quote(request.text, 500)}. If you still need it, ask again."
        )
    else:
        text = f"I reminded {person(request.recipient_id)} about your request: {quote(request.text, 500)}"
    return text, dump([section(text, block_id=f"requester-told-{request.id}")])


def build_renegotiate_modal(item: Promise | Request) -> dict[str, Any]:
    """Asks for the promise's new date."""
    kind, item_id = _item_value(item).split(":")
    return View(
        type="modal",
        callback_id=Modal.RENEGOTIATE,
        title="Renegotiate",
        submit="Set new date",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=f"Your promise:\n>{esc(clip(item.text, 2000))}\n({when(item.due_on)})")
            ),
            InputBlock(block_id=Field.DUE_ON, label="New date", element=DatePickerElement(action_id=Field.DUE_ON)),
        ],
        private_metadata=json.dumps({"kind": kind, "id": int(item_id)}, separators=(",", ":")),
    ).to_dict()
