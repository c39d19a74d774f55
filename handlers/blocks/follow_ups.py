"""Follow-up DMs: a promise on its date (and once more a day late) or a week after it was made with no date; a
request still waiting for an answer, closed as expired after two weeks, or reported done and not yet completed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.coach.follow_ups import Asked, DueFollowUp
from bot.coach.rules import Role
from handlers.blocks.primitives import Blocks, buttons, clip, day, dump, esc, person, plural, quote, section, when
from handlers.blocks.promises import account_buttons
from handlers.blocks.requests import request_buttons
from handlers.blocks.stands import stand_question
from handlers.blocks.words import state_words
from storage.models import Promise, PromiseStatus, Request, RequestStatus, Stand


def build_follow_up(due: DueFollowUp, item: Promise | Request | Stand) -> tuple[str, Blocks]:
    """The follow-up DM for one stage of one promise, request or stand, as it is sent."""
    return build_follow_ups([Asked(due.kind, due.stage, due.local_date, item)])


def build_follow_ups(questions: Sequence[Asked], told: Sequence[Blocks] = ()) -> tuple[str, Blocks]:
    """The follow-ups due for a member in a pass when no nudge carries them: one message, a section each (and
    `told`, lines as first rendered, such as a weekly line)."""
    blocks = [block for asked in questions for block in question_blocks(asked)]
    blocks += [block for line in told for block in line]
    if len(questions) == 1:
        return question_text(questions[0]), blocks
    if not questions:
        return "The week of a stand you follow", blocks
    return f"{len(questions)} things to account for today", blocks


def question_text(asked: Asked) -> str:
    """The notification line of one question (the text beside its blocks)."""
    item = asked.item
    if isinstance(item, Stand):
        return f"Your stand's date is near: {quote(item.text, 150)}"
    if isinstance(item, Request) and asked.stage == "reminder":
        # "asked you: …" reads right whatever they typed ("a review of the deck", "to call Sam", "can you…").
        return f"A reminder: {person(item.user_id)} asked you: {quote(item.text, 150)}"
    if isinstance(item, Request) and asked.stage == "expired":
        return f"Closed as expired, nothing owed: {quote(item.text, 150)}"
    if isinstance(item, Request) and asked.stage == "unconfirmed":
        return f"{person(item.recipient_id)} reported your request done: {quote(item.text, 150)} — is it complete?"
    for_whom = f" for {person(item.user_id)}" if isinstance(item, Request) else ""
    if asked.stage == "undated":
        return f"You promised {_ago(asked)}{for_whom}: {quote(item.text, 150)} — how is it going?"
    if asked.stage == "broken":
        return f"Your promise{for_whom} is recorded as broken: {quote(item.text, 150)}"
    return f"Your promise{for_whom}: {quote(item.text, 150)} — how did it go?"


def question_blocks(asked: Asked) -> Blocks:
    """One question a message asks: its buttons while it is open, what was decided once it is not."""
    item = asked.item
    if isinstance(item, Stand):
        line = (
            f":dart: Your stand's own date is {when(item.due_on).removeprefix('by ')}:\n>{esc(clip(item.text, 1500))}\n"
            "Where is it? Whatever the answer, say it out loud — it's how the next breakthrough starts."
        )
        return stand_question(item, asked.answer, line, block_id=f"stand-eve-{item.id}")
    if isinstance(item, Request) and asked.stage == "reminder":
        return _reminder(item, expired=asked.answer == "expired")
    if isinstance(item, Request) and asked.stage == "expired":
        line = (
            f":broom: {person(item.user_id)}'s request to you waited two weeks without an answer, so I've closed it "
            f"as expired:\n>{esc(clip(item.text, 1500))}\nNothing is owed. If it still matters, they can ask again."
        )
        return dump([section(line, block_id=f"expired-{item.id}")])
    if isinstance(item, Request) and asked.stage == "unconfirmed":
        return _unconfirmed(item)
    return _account(asked, item)


def _days_later(asked: Asked, item: Promise | Request) -> str:
    late = (asked.local_date - item.due_on).days if item.due_on is not None else 0
    return f"{plural(late, 'day')} later" if late > 0 else "past it"


def _ago(asked: Asked) -> str:
    days = (asked.local_date - asked.made_on).days if asked.made_on is not None else 7
    return "a week ago" if days <= 7 else f"{days} days ago"


def _unconfirmed(request: Request) -> Blocks:
    """The requester asked, once, to declare complete a request reported done: Complete / Not yet while it waits."""
    line = (
        f":white_check_mark: {person(request.recipient_id)} reported your request done on {day(request.done_on)}, "
        f"and it's still waiting for you to declare it complete:\n>{esc(clip(request.text, 1500))}"
    )
    block_id = f"unconfirmed-text-{request.id}"
    if request.status != RequestStatus.DONE:
        return dump([section(f"{line}\nAnswered: {state_words(request, Role.REQUESTER)}.", block_id=block_id)])
    return dump(
        [
            section(f"{line}\nIs it complete? If not yet, say so and it goes back to them.", block_id=block_id),
            buttons(f"unconfirmed-{request.id}", request_buttons(request, Role.REQUESTER)),
        ]
    )


def _reminder(request: Request, *, expired: bool = False) -> Blocks:
    what = esc(clip(request.text, 1500))
    line = f":wave: A gentle reminder: {person(request.user_id)} asked you:\n>{what}\n({when(request.due_on)})."
    if request.status != RequestStatus.OPEN:
        answered = "Closed" if expired else "Answered"
        words = state_words(request, Role.RECIPIENT, expired=expired)
        return dump([section(f"{line}\n{answered}: {words}.", block_id=f"reminder-text-{request.id}")])
    line += " A clear yes, no or counter-offer helps them plan."
    return dump(
        [
            section(line, block_id=f"reminder-text-{request.id}"),
            buttons(f"reminder-{request.id}", request_buttons(request, Role.RECIPIENT)),
        ]
    )


_SETTLED: dict[str, str] = {
    PromiseStatus.KEPT: ":white_check_mark: Kept. A promise kept is a breakthrough in miniature.",
    PromiseStatus.RENEGOTIATED: ":calendar: Renegotiated: it carries on with its new date.",
    PromiseStatus.REVOKED: "Revoked. Saying so honestly keeps your word worth something.",
    PromiseStatus.BROKEN: (
        ":memo: Its date had passed, so I've recorded it as broken — an honest account, not a verdict."
    ),
}


def _account(asked: Asked, item: Promise | Request) -> Blocks:
    """A promise (or an accepted request) that came due: Kept / Renegotiate / Revoke while it is open."""
    what = esc(clip(item.text, 1500))
    for_whom = f" for {person(item.user_id)}" if isinstance(item, Request) else ""
    block_id = f"follow-up-{asked.kind}-{item.id}-{asked.stage}"
    due = when(item.due_on).removeprefix("by ")
    if isinstance(item, Request):
        status = item.promise_status if item.status == RequestStatus.CANCELLED else None
        open_ = item.status == RequestStatus.ACCEPTED
        if item.status == RequestStatus.DONE:
            settled = f":outbox_tray: Reported done — {person(item.user_id)} is asked to declare it complete."
        elif item.status == RequestStatus.COMPLETED:
            settled = f":white_check_mark: Completed: {person(item.user_id)} declared it done. A promise kept."
        else:
            settled = _SETTLED.get(status or "", f"This request is {state_words(item)}.")
    else:
        open_ = item.status == PromiseStatus.OPEN
        settled = _SETTLED.get(PromiseStatus(item.status), "")
    if asked.stage == "broken":
        line = (
            # Not "unanswered": the promiser may have reported it done and heard "not yet" since.
            f":memo: Your promise{for_whom} was due {due} and was still open {_days_later(asked, item)}, so I've "
            "recorded it as broken:\n"
            f">{what}\nThat's an honest account, not a verdict. If it still matters, make it again with a date "
            "you can keep."
        )
        return dump([section(line, block_id=block_id)])
    if asked.stage == "undated":
        line = f":seedling: You promised {_ago(asked)}{for_whom}, with no date set:\n>{what}"
        ask = (
            "How is it going? Kept, a date you can keep, or revoked — any honest answer keeps your word worth "
            "something."
        )
    elif asked.stage == "due" and item.due_on == asked.local_date:
        line = f":alarm_clock: Today's the day for your promise{for_whom}:\n>{what}"
        ask = "How did it go?"
    else:
        # A day late, or the first ask after a pause or downtime: the date is named, never "today".
        line = f":hourglass: Your promise{for_whom} was due {due} and is still open:\n>{what}"
        ask = "Kept, renegotiated or revoked — any honest answer keeps your word worth something."
    if not open_:
        return dump([section(f"{line}\n{settled}", block_id=block_id)])
    return dump([section(f"{line}\n{ask}", block_id=block_id), account_buttons(item)])


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
            f"{person(request.recipient_id)}'s promise on your request was still open days past its date, so "
            f"I've recorded it as broken: {quote(request.text, 500)}. If you still need it, ask again."
        )
    else:
        text = f"I reminded {person(request.recipient_id)} about your request: {quote(request.text, 500)}"
    return text, dump([section(text, block_id=f"requester-told-{request.id}")])
