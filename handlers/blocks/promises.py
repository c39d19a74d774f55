"""Promises and their accounts: a promise made, Kept / Renegotiate / Revoke when one comes due, a new date asked
of the requester and their answer, and the member's integrity ledger."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.coach.rules import Ledger
from handlers.blocks.primitives import (
    Blocks,
    button,
    buttons,
    clip,
    context,
    day,
    dump,
    esc,
    person,
    plural,
    quote,
    section,
    when,
)
from handlers.ids import Action
from storage.models import Promise, Renegotiation, RenegotiationStatus, Request


def build_promise_made(promise: Promise) -> tuple[str, Blocks]:
    """The answer to `/promise`: what was promised and by when."""
    text = f":handshake: Promise made ({when(promise.due_on)}): _{quote(promise.text)}_"
    return text, dump([section(text)])


def item_value(item: Promise | Request) -> str:
    """What a button or form carries to name a promise or a request: `promise:7`, `request:12`."""
    return f"{'promise' if isinstance(item, Promise) else 'request'}:{item.id}"


def account_buttons(item: Promise | Request) -> ActionsBlock:
    """Kept / Renegotiate / Revoke for a promise (or an accepted request) that has come due."""
    value = item_value(item)
    return buttons(
        f"account-{value.replace(':', '-')}",
        [
            button("Kept", Action.FOLLOW_KEPT, value, style="primary"),
            button("Renegotiate", Action.FOLLOW_RENEGOTIATE, value),
            button("Revoke", Action.FOLLOW_REVOKE, value, style="danger"),
        ],
    )


def build_renegotiation_question(asked: Renegotiation, request: Request) -> tuple[str, Blocks]:
    """The requester's DM asking to agree to a new date for a promise made to them; settled, it says how."""
    what = esc(clip(request.text, 1500))
    head = (
        f":calendar: {person(asked.user_id)} asks to move their promise to you from *{day(asked.old_due_on)}* "
        f"to *{day(asked.new_due_on)}*:\n>{what}"
    )
    settled = {
        RenegotiationStatus.ACCEPTED: f"You agreed: it's now due {day(asked.new_due_on)}.",
        RenegotiationStatus.DECLINED: f"You kept the original date, {day(asked.old_due_on)}.",
        RenegotiationStatus.WITHDRAWN: "This no longer applies: the promise moved on.",
    }
    blocks: list[Block] = [section(head, block_id=f"renegotiation-{asked.id}")]
    if asked.status == RenegotiationStatus.PROPOSED:
        rid = str(asked.id)
        blocks.append(
            buttons(
                f"renegotiation-actions-{rid}",
                [
                    button("Agree to the new date", Action.RENEGOTIATION_AGREE, rid, style="primary"),
                    button("Keep the original date", Action.RENEGOTIATION_KEEP, rid),
                ],
            )
        )
        text = f"{person(asked.user_id)} asks to move a promise to {day(asked.new_due_on)}: {quote(request.text, 150)}"
    else:
        blocks.append(context(settled[RenegotiationStatus(asked.status)]))
        text = f"{settled[RenegotiationStatus(asked.status)]} {quote(request.text, 150)}"
    return text, dump(blocks)


def build_renegotiation_answered(asked: Renegotiation, request: Request, *, agree: bool) -> tuple[str, Blocks]:
    """The DM telling the one who asked for a new date how the requester answered."""
    what = f"_{quote(request.text, 1500)}_"
    if agree:
        text = (
            f":handshake: {person(request.user_id)} agreed to the new date — your promise is now due "
            f"{day(asked.new_due_on)}: {what}"
        )
    else:
        text = (
            f"{person(request.user_id)} would like to keep the original date ({day(asked.old_due_on)}) for {what}. "
            "Keep it if you can — or say honestly that you can't."
        )
    return text, dump([section(text, block_id=f"renegotiation-answer-{asked.id}")])


def ledger_line(account: Ledger) -> str:
    """The member's integrity ledger in one line: their own, shown only to them."""
    if account.integrity is None:  # nothing has ended yet: no figure to give, and nothing wrong with that
        return (
            f":handshake: Your word: {plural(account.made, 'promise')} made, none ended yet — your integrity shows "
            "once the first one ends."
        )
    return (
        f":handshake: Your word: integrity {account.integrity:.0%} · {account.kept_on_time} kept on time, "
        f"{account.renegotiated_in_time} renegotiated in time, {account.broken} broken, {account.revoked} revoked "
        f"of {account.ended} ended · {account.made} made"
    )
