"""Pure Block Kit builders: data in, blocks out. Every word here is the coach's own."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.coach import FollowedStand, Progress, RequestMoved, Status
from bot.coach.rules import (
    DAILY_TARGET,
    PROGRAM_DAYS,
    WEEKLY_REQUEST_TARGET,
    Ledger,
    Practice,
    RequestMove,
    Role,
    moves_for,
)
from handlers.ids import Action, Field, Modal
from storage.models import (
    FORGOTTEN_USER,
    Breakdown,
    Breakthrough,
    Promise,
    PromiseStatus,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Stand,
    StandStatus,
)

Blocks = list[dict[str, Any]]

SECTION_LIMIT = 3000
QUOTE_LIMIT = 2500  # room for the words around a member's text inside one 3,000-character section

# A person or a channel as Slack wrote it into what a member typed (`<@U1|ana>`, `<#C1|general>`): kept live.
_KEEP = re.compile(r"<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+)(?:\|([^<>]*))?>")
# The end of a cut that would leave half an entity or an unclosed <…> behind.
_TORN_MARKUP = re.compile(r"&[a-z]{0,3}$|<[^<>]*$")


def esc(text: str) -> str:
    """A member's words as mrkdwn that shows them as typed: the one place they are escaped for Slack.

    `&`, `<` and `>` are escaped, so no @channel, @here, @everyone, user group, date or link is ever made of
    them; a typed `&lt;!channel&gt;` shows as those very characters. A person or a channel Slack itself
    linked stays a live mention. Clip before escaping, never after, so an entity is not cut in half.
    """
    out, last = [], 0
    for match in _KEEP.finditer(text):
        target, label = match.group(1), match.group(2)
        out.append(_escape(text[last : match.start()]))
        out.append(f"<{target}>" if label is None else f"<{target}|{_escape(label)}>")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A member's words clipped to `limit` characters, then escaped for Slack."""
    return esc(clip(text, limit))


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_markup(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` characters without leaving half an entity or mention at the cut."""
    if len(text) <= limit:
        return text
    return _TORN_MARKUP.sub("", text[: limit - 1]).rstrip() + "…"


def person(user_id: str | None) -> str:
    """A mention of someone, or a kind placeholder for someone who asked to be forgotten."""
    if not user_id or user_id == FORGOTTEN_USER:
        return "a former member"
    return f"<@{user_id}>"


def when(due_on: date | None) -> str:
    """A due date as members read it."""
    return f"by {due_on:%a %-d %b %Y}" if due_on else "no date set"


def day(on: date | None) -> str:
    """A date as members read it, without the "by"."""
    return f"{on:%a %-d %b %Y}" if on else "no date"


def dump(blocks: Sequence[Block]) -> Blocks:
    """Blocks as the dicts a message or view carries."""
    return [b.to_dict() for b in blocks]


def section(text: str, *, block_id: str | None = None, accessory: Any = None) -> SectionBlock:
    """A mrkdwn section, clipped to Slack's 3,000-character limit."""
    return SectionBlock(
        text=MarkdownTextObject(text=clip_markup(text, SECTION_LIMIT)), block_id=block_id, accessory=accessory
    )


def context(text: str) -> ContextBlock:
    """A small mrkdwn context line, clipped to 2,000 characters."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip_markup(text, 2000))])


def _button(text: str, action_id: str, value: str = "", style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value or None, style=style)


def leave_stand_button(stand_id: int | None, text: str = "Leave the stand") -> ButtonElement:
    """The button that stops a follower following a stand."""
    return _button(text, Action.LEAVE_STAND, str(stand_id))


# Practice ------------------------------------------------------------------------------------------------


def tally(practice: Practice) -> str:
    """Today's practice against share 2, act 2, request 2."""

    def one(label: str, count: int) -> str:
        mark = " ✓" if count >= DAILY_TARGET else ""
        return f"{label} {min(count, 99)}/{DAILY_TARGET}{mark}"

    return " · ".join((one("Share", practice.shares), one("Act", practice.actions), one("Request", practice.requests)))


def plural(count: int, one: str, many: str | None = None) -> str:
    """A count in words: "1 action", "2 actions", "1,200 shares"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def next_nudge_words(at: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """When the member's next nudge comes, in their own time: today, tomorrow or a weekday, at HH:MM."""
    if at is None or at.year >= 9999:
        return "No nudges are due: declare a stand with `/stand` to start a program."
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    if at <= now:
        return "Today's nudge comes within the minute."
    if local.date() == today:
        when = "today"
    elif local.date() == today + timedelta(days=1):
        when = "tomorrow"
    else:
        when = f"on {local:%A}"
    return f"Your next nudge comes {when} at {local:%H:%M}."


def week_tally(practice: Practice) -> str:
    """This week's counts, with the weekly request target."""
    if practice.requests >= WEEKLY_REQUEST_TARGET:
        requests = f"{plural(practice.requests, 'request')} (the week's {WEEKLY_REQUEST_TARGET} ✓)"
    else:
        requests = f"{practice.requests} of {WEEKLY_REQUEST_TARGET} requests"
    return f"This week: {plural(practice.shares, 'share')}, {plural(practice.actions, 'action')}, {requests}"


def program_line(progress: Progress) -> str:
    """Day N of 14 and the stand, or an invitation to declare one."""
    if progress.stand is None:
        return "No active stand yet — declare one with `/stand &lt;the outcome you commit to&gt; by &lt;date&gt;`."
    if progress.day is None:
        day = "Your 14 days are complete"
    elif progress.day < 1:  # another 14 days chosen: they start on the next working day
        day = f"Your next {PROGRAM_DAYS} days start {progress.stand.program_started_on:%A %-d %B}"
    else:
        day = f"Day {progress.day} of {PROGRAM_DAYS}"
    return f"*{day}* · your stand: _{esc(clip(progress.stand.text, 500))}_"


def build_practice_logged(headline: str, progress: Progress) -> tuple[str, Blocks]:
    """The answer to a logged share or action: what was logged and today's progress."""
    cheer = " Full practice today — beautiful." if progress.today_practice.met() else ""
    text = f"{headline} {tally(progress.today_practice)}.{cheer}"
    return text, dump(
        [
            section(f"{headline}\n*Today:* {tally(progress.today_practice)}{cheer}"),
            context(f"{program_line(progress)}\n{week_tally(progress.week_practice)}"),
        ]
    )


def build_promise_made(promise: Promise) -> tuple[str, Blocks]:
    """The answer to `/promise`: what was promised and by when."""
    text = f":handshake: Promise made ({when(promise.due_on)}): _{quote(promise.text)}_"
    return text, dump([section(text)])


# Stands --------------------------------------------------------------------------------------------------


def build_stand_declared(
    stand: Stand, *, announced_in: str | None, replaced: Stand | None = None
) -> tuple[str, Blocks]:
    """The ephemeral confirmation to the member who took a stand."""
    where = (
        f"I announced it in <#{announced_in}>."
        if announced_in
        else "Share it with two people today — that's the first practice."
    )
    was = f"\nYour earlier stand (_{esc(clip(replaced.text, 300))}_) is withdrawn." if replaced else ""
    text = f"Your stand is declared: {quote(stand.text, 200)}"
    return text, dump(
        [
            section(f":dart: *Your stand is declared* ({when(stand.due_on)})\n>{esc(clip(stand.text))}{was}"),
            context(
                f"Day 1 of {PROGRAM_DAYS} starts today: share 2, act 2, request 2. {where}\n"
                "Log as you go with `/share`, `/act` and `/request`."
            ),
        ]
    )


def build_stand_announcement(stand: Stand, followers: Sequence[str]) -> tuple[str, Blocks]:
    """The public announcement of a stand, with buttons to join it or offer help."""
    sid = str(stand.id)
    lines = [f":dart: {person(stand.user_id)} takes a stand ({when(stand.due_on)}):\n>{esc(clip(stand.text))}"]
    if followers:
        first, rest = followers[0], followers[1:]
        joined = f"First follower: {person(first)}"
        if rest:
            joined += f" · also joined: {', '.join(person(u) for u in rest[:20])}"
            if len(rest) > 20:
                joined += f" and {len(rest) - 20} more"
        footer = joined
    else:
        footer = "Be the first to join — the first follower is what turns one person's stand into a movement."
    text = f"{person(stand.user_id)} takes a stand: {quote(stand.text, 200)}"
    if stand.status != StandStatus.ACTIVE:
        # Closed: nothing left to join or help with; who stood with it stays.
        ending = {
            StandStatus.ACHIEVED: ":trophy: This stand was achieved.",
            StandStatus.WITHDRAWN: "This stand was withdrawn for a new one.",
        }.get(StandStatus(stand.status), "This stand has closed.")
        footer = ending + (f" · {joined}" if followers else "")
        return text, dump([section(lines[0], block_id=f"stand-{sid}"), context(footer)])
    return text, dump(
        [
            section(lines[0], block_id=f"stand-{sid}"),
            ActionsBlock(
                block_id=f"stand-actions-{sid}",
                elements=[
                    _button("Join the stand", Action.JOIN_STAND, sid, style="primary"),
                    _button("Offer help", Action.OFFER_HELP, sid),
                ],
            ),
            context(footer),
        ]
    )


def build_joined_dm(joiner_id: str, *, is_first: bool) -> tuple[str, Blocks]:
    """The DM telling a stand's owner who joined it (replaces the line `join_stand` composed in flows)."""
    first = " — your *first follower*" if is_first else ""
    text = f":raised_hands: {person(joiner_id)} joined your stand{first}."
    return text, dump([section(text, block_id="stand-joined")])


def build_stand_conflict(current: Stand, draft_id: int, new_text: str) -> tuple[str, Blocks]:
    """Asks whether a second stand replaces the active one."""
    value = str(draft_id)
    text = "You already have an active stand. Replace it with the new one, or keep it?"
    return text, dump(
        [
            section(
                f"You already have an active stand:\n>{esc(clip(current.text, 1200))}\n"
                f"Replace it with this one?\n>{esc(clip(new_text, 1200))}"
            ),
            ActionsBlock(
                block_id="stand-choice",
                elements=[
                    _button("Replace it", Action.REPLACE_STAND, value, style="danger"),
                    _button("Keep my current stand", Action.KEEP_STAND, value),
                ],
            ),
            context("Replacing withdraws the current stand and starts a fresh 14-day program."),
        ]
    )


# Requests ------------------------------------------------------------------------------------------------

_STATE_WORDS = {
    RequestStatus.OPEN: "waiting for an answer",
    RequestStatus.ACCEPTED: "accepted — a promise",
    RequestStatus.DECLINED: "declined",
    RequestStatus.COUNTERED: "counter-offered",
    RequestStatus.DONE: "reported done — waiting to be completed",
    RequestStatus.COMPLETED: "completed :white_check_mark:",
    RequestStatus.CANCELLED: "cancelled",
}

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


_OFFER_WAITING = {
    Role.REQUESTER: "waiting for your answer",  # the stand's owner, offered help
    Role.RECIPIENT: "waiting for their answer",  # the helper who offered it
}


def state_words(request: Request, viewer: Role | None = None, *, expired: bool = False) -> str:
    """How a request's state reads to people (to `viewer`, when it is one side's); `expired`: closed by the coach
    after two weeks unanswered."""
    if expired and request.status == RequestStatus.CANCELLED:
        return "expired — two weeks without an answer, so it's closed"
    if request.status == RequestStatus.CANCELLED and request.promise_status == PromiseStatus.BROKEN:
        return "not kept by its date — recorded as a broken promise"
    if request.status == RequestStatus.CANCELLED and request.promise_status == PromiseStatus.REVOKED:
        return "promise revoked"
    # An offer of help is stored as a counter-offer waiting for the stand's owner; to people it is an offer.
    if request.offered and request.status == RequestStatus.COUNTERED:
        return _OFFER_WAITING[viewer] if viewer is not None else "an offer of help waiting for an answer"
    if request.offered and request.status == RequestStatus.CANCELLED:
        return "not taken up this time"
    return _STATE_WORDS[RequestStatus(request.status)]


def request_buttons(request: Request, viewer: Role) -> list[ButtonElement]:
    """The buttons `viewer` can press on the request now; spent ones are simply absent."""
    rid = str(request.id)
    buttons: list[ButtonElement] = []
    for move in moves_for(RequestStatus(request.status), viewer):
        if move is RequestMove.COUNTER:
            buttons.append(_button("Counter-offer", Action.COUNTER_OFFER, rid))
            continue
        if move is RequestMove.CANCEL and request.status == RequestStatus.COUNTERED:
            continue  # declining the counter-offer already ends it; one button is enough
        if move is RequestMove.REVOKE:
            continue  # offered on the due date's follow-up, where the promise is accounted for
        label, style = _BUTTONS[move]
        buttons.append(_button(label, f"{Action.REQUEST_MOVE}{move}", rid, style=style))
    if request.status == RequestStatus.ACCEPTED and viewer is Role.RECIPIENT:
        # Renegotiating before the date passes keeps one's word; the requester is asked to agree.
        buttons.append(_button("Renegotiate", Action.FOLLOW_RENEGOTIATE, f"request:{rid}"))
    return buttons


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
            ActionsBlock(
                block_id=f"renegotiation-actions-{rid}",
                elements=[
                    _button("Agree to the new date", Action.RENEGOTIATION_AGREE, rid, style="primary"),
                    _button("Keep the original date", Action.RENEGOTIATION_KEEP, rid),
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
    words = state_words(request, viewer)
    return f"{head}: _{esc(clip(request.text, 600))}_ ({when(request.due_on)}) — *{words}*"


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
    if request.status == RequestStatus.COUNTERED and not request.offered:
        terms = request.counter_text or request.text
        body += f"\n*Counter-offer:* _{esc(clip(terms, 300))}_ ({when(request.counter_due_on)})"
    if reminded_on is not None and viewer is Role.REQUESTER and request.status == RequestStatus.OPEN:
        body += f"\n:wave: I reminded {person(request.recipient_id)} on {reminded_on:%a %-d %b}."
    blocks: list[Block] = [section(body, block_id=f"request-{rid}")]
    buttons = request_buttons(request, viewer)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"request-actions-{rid}", elements=buttons))
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


# Breakdowns and breakthroughs ----------------------------------------------------------------------------


def build_breakdown_coaching(breakdown: Breakdown) -> tuple[str, Blocks]:
    """Coaching questions for a declared breakdown, with one-click ways into action."""
    text = "Breakdown declared — that's a milestone, not a failure. What's missing? Who could help?"
    next_steps: Block = ActionsBlock(
        block_id="breakdown-next",
        elements=[
            _button("Make a request", Action.OPEN_REQUEST, style="primary"),
            _button("Log an action", Action.OPEN_ACT),
            _button("It shifted", Action.RESOLVE_BREAKDOWN, str(breakdown.id)),
        ],
    )
    if breakdown.resolved_at is not None:
        # Resolved: what shifted takes the place of the buttons that asked for it.
        next_steps = section(f":seedling: *It shifted:* {esc(clip(breakdown.resolution or '', 1500))}")
    return text, dump(
        [
            section(
                f":construction: *Breakdown declared — a milestone, not a failure.*\n>{esc(clip(breakdown.text, 1500))}"
            ),
            section(
                "Breakdowns are where breakthroughs come from. Take a minute with these:\n"
                "• *What's missing* that, if it were present, would put you back on track?\n"
                "• *Who could help* — who knows what you don't, or has done this before?\n"
                "• *What request could you make today*, and of whom?"
            ),
            next_steps,
        ]
    )


def build_breakthrough_celebration(breakthrough: Breakthrough) -> tuple[str, Blocks]:
    """The channel post that celebrates a breakthrough."""
    text = f"Breakthrough! {person(breakthrough.user_id)}: {quote(breakthrough.text, 200)}"
    return text, dump(
        [
            section(
                f":rocket: *Breakthrough!* {person(breakthrough.user_id)} declares:\n>{esc(clip(breakthrough.text))}"
            ),
            context("Remember this one. Reply in the thread to celebrate."),
        ]
    )


def build_breakthrough_for_follower(breakthrough: Breakthrough) -> tuple[str, Blocks]:
    """The DM to a follower of the stand a breakthrough belongs to, with a way to leave it."""
    text = f"{person(breakthrough.user_id)}, whose stand you joined, declares a breakthrough"
    return text, dump(
        [
            section(
                f":rocket: {person(breakthrough.user_id)}, whose stand you joined, declares a breakthrough:\n"
                f">{esc(clip(breakthrough.text))}",
                block_id="follower-breakthrough",
            ),
            ActionsBlock(block_id="follower-actions", elements=[leave_stand_button(breakthrough.stand_id)]),
        ]
    )


def build_breakthrough_declared(channel_id: str | None) -> str:
    """The member's confirmation, saying where it was celebrated."""
    if channel_id:
        return f":rocket: Breakthrough recorded and celebrated in <#{channel_id}>. Well done."
    return (
        ":rocket: Breakthrough recorded. No recap channel is set yet, so I couldn't celebrate it with the team — "
        "an admin can pick one with `/coach recap here`."
    )


# Status, App Home, help ----------------------------------------------------------------------------------


def _status_blocks(status: Status, *, with_buttons: bool) -> list[Block]:
    progress = status.progress
    blocks: list[Block] = [section(program_line(progress), block_id="status-stand")]
    if progress.stand is not None:
        blocks.append(context(followers_line(status.followers)))
    today = f"*Today:* {tally(progress.today_practice)}\n{week_tally(progress.week_practice)}"
    if status.ledger.made:
        today += f"\n{ledger_line(status.ledger)}"
    if status.streak or status.best_streak:
        today += f"\n:fire: Streak: {plural(status.streak, 'working day')} of full practice (best {status.best_streak})"
    if with_buttons:
        blocks.append(section(today, block_id="status-today"))
        blocks.append(
            ActionsBlock(
                block_id="status-log",
                elements=[
                    _button("Log a share", Action.OPEN_SHARE),
                    _button("Log an action", Action.OPEN_ACT),
                    _button("Make a request", Action.OPEN_REQUEST),
                    _button("Make a promise", Action.OPEN_PROMISE),
                ],
            )
        )
    else:
        blocks.append(section(today, block_id="status-today"))
    return blocks


FOLLOWERS_NAMED = 10  # a stand can have hundreds of followers; a context line names the first few
FOLLOWED_SHOWN = 10  # stands a member follows, each a section with its Leave button, within Home's 100 blocks


def followers_line(followers: Sequence[str]) -> str:
    """Who follows the member's stand: the first follower first and marked, the next few named, then a count."""
    if not followers:
        return "No followers yet — share your stand: the first to join is your first follower."
    line = f":busts_in_silhouette: First follower: {person(followers[0])}"
    named = followers[1:FOLLOWERS_NAMED]
    if named:
        line += f" · also {', '.join(person(u) for u in named)}"
    if len(followers) > FOLLOWERS_NAMED:
        line += f" and {len(followers) - FOLLOWERS_NAMED:,} more"
    return f"{line} · {plural(len(followers), 'follower')}"


def followed_stand_line(stand: FollowedStand) -> str:
    """A stand the member follows: whose it is, what it is, and where its program is."""
    if stand.day < 1:
        day = f"another {PROGRAM_DAYS} days start soon"
    elif stand.day > PROGRAM_DAYS:
        day = f"its {PROGRAM_DAYS} days are complete"
    else:
        day = f"day {stand.day} of {PROGRAM_DAYS}"
    return f"{person(stand.owner_id)} — _{esc(clip(' '.join(stand.text.split()), 500))}_ · {day}"


def _following(status: Status) -> list[Block]:
    title = "*Stands you follow*"
    if not status.following:
        return [section(f"{title}\n_None yet — join a teammate's stand from its announcement._", block_id="following")]
    blocks: list[Block] = [section(title, block_id="following")]
    for stand in status.following[:FOLLOWED_SHOWN]:
        blocks.append(
            section(
                followed_stand_line(stand),
                block_id=f"following-{stand.stand_id}",
                accessory=leave_stand_button(stand.stand_id, "Leave"),
            )
        )
    if len(status.following) > FOLLOWED_SHOWN:
        more = plural(len(status.following) - FOLLOWED_SHOWN, "more stand", "more stands")
        blocks.append(context(f"…and {more} you follow."))
    return blocks


def listing(title: str, lines: Sequence[str], empty: str, limit: int = 15) -> str:
    """A titled bullet list that fits one section: as many lines as fit, then how many more there are."""
    if not lines:
        return f"*{title}*\n_{empty}_"
    out = f"*{title}*"
    for shown, line in enumerate(lines):
        more = f"\n…and {len(lines) - shown} more"
        bullet = f"\n• {line}"
        if shown == limit or len(out) + len(bullet) + len(more) > SECTION_LIMIT:
            return out + more
        out += bullet
    return out


def promise_line(text: str, due_on: date | None, today: date, *, for_whom: str | None = None) -> str:
    """One open promise, marked overdue once its date has passed."""
    late = " — *overdue*" if due_on is not None and due_on < today else ""
    whom = f"for {person(for_whom)}: " if for_whom else ""
    return f"{whom}_{esc(clip(text, 400))}_ ({when(due_on)}){late}"


def _accounts(status: Status) -> list[Block]:
    today = status.progress.today
    due = [promise_line(p.text, p.due_on, today) for p in status.promises] + [
        promise_line(r.text, r.due_on, today, for_whom=r.user_id)
        for r in status.received
        if r.status == RequestStatus.ACCEPTED
    ]
    # Offers of help ride with requests (an offer is stored as one): the titles say so when there are any.
    made_title = "Requests you made" + (" and help offered to you" if any(r.offered for r in status.made) else "")
    received_title = "Requests made of you" + (
        " and help you offered" if any(r.offered for r in status.received) else ""
    )
    return [
        section(
            listing(
                made_title,
                [request_summary(r, Role.REQUESTER) for r in status.made],
                "None open. Who could you ask today?",
            ),
            block_id="status-made",
        ),
        section(
            listing(
                received_title,
                [request_summary(r, Role.RECIPIENT) for r in status.received],
                "Nothing waiting on you.",
            ),
            block_id="status-received",
        ),
        section(listing("Promises due", due, "No open promises."), block_id="status-promises"),
    ]


def _settings_line(status: Status) -> str:
    paused = "paused — `/coach resume` to pick up again" if status.paused else "on"
    weekends = "on" if status.weekends else "off"
    return f"Nudges {paused} at {status.nudge_time} your time · weekends {weekends}"


def build_status(status: Status) -> tuple[str, Blocks]:
    """`/coach status`: the stand, day N of 14, counts, requests both ways and promises due."""
    blocks = _status_blocks(status, with_buttons=False) + [DividerBlock()] + _accounts(status)
    blocks.append(context(_settings_line(status)))
    return f"{program_line(status.progress)} — today {tally(status.progress.today_practice)}", dump(blocks)


def build_home(status: Status) -> dict[str, Any]:
    """App Home: the member's dashboard."""
    blocks: list[Block] = [HeaderBlock(text="Your breakthrough practice")]
    blocks += _status_blocks(status, with_buttons=True)
    blocks.append(DividerBlock())
    blocks += _following(status)
    blocks.append(DividerBlock())
    blocks += _accounts(status)
    # Buttons for requests waiting on this member, so they can answer from Home.
    for request in [r for r in status.received if request_buttons(r, Role.RECIPIENT)][:10]:
        blocks.append(section(request_summary(request, Role.RECIPIENT), block_id=f"home-received-{request.id}"))
        blocks.append(
            ActionsBlock(
                block_id=f"home-received-actions-{request.id}", elements=request_buttons(request, Role.RECIPIENT)
            )
        )
    for request in [r for r in status.made if request_buttons(r, Role.REQUESTER)][:10]:
        blocks.append(section(request_summary(request, Role.REQUESTER), block_id=f"home-made-{request.id}"))
        blocks.append(
            ActionsBlock(block_id=f"home-made-actions-{request.id}", elements=request_buttons(request, Role.REQUESTER))
        )
    blocks.append(context(_settings_line(status) + " · `/coach help` for everything I do"))
    return View(type="home", blocks=blocks).to_dict()


HELP = """*Breakthrough Coach* — a stand, and a daily practice toward it.
• `/stand &lt;outcome&gt; by &lt;date&gt;` — declare a stand and start 14 days of practice
• `/share @person [@person…] [what you told them]` — each person told counts as one share
• `/act &lt;what you did&gt;` — log an action
• `/request @person &lt;what&gt; by &lt;date&gt;` — ask someone; they accept, decline or counter-offer
• `/promise &lt;what&gt; by &lt;date&gt;` — a promise of your own
• `/breakdown &lt;what's off track&gt;` — meet it with coaching questions
• `/breakthrough &lt;what happened&gt;` — celebrate it with the team
• `/coach status` · `nudge HH:MM` · `weekends on|off` · `pause` · `resume` · `export` · `forget me`
• `/coach recap here` — (admins) send the weekly recap to this channel
• `/coach recap &lt;weekday&gt; HH:MM` — (admins) when the weekly recap is posted
• `/coach recap integrity on|off` — (admins) whether the recap shows the team's integrity (from five promises ended)
Each day: *share 2, act 2, request 2*. Type any command bare to fill in a form instead.
Dates: 2026-12-01, today, tomorrow, friday, in 3 days, in 2 weeks."""


def build_help() -> tuple[str, Blocks]:
    """`/coach help`."""
    return "Breakthrough Coach: share 2, act 2, request 2 each day.", dump([section(HELP)])


def build_forget_confirmation() -> tuple[str, Blocks]:
    """Asks before deleting everything of a member's."""
    text = "Forget everything about you? This can't be undone."
    return text, dump(
        [
            section(
                "*Forget everything about you?*\nI'll delete your stands, practice, promises, breakdowns and "
                "breakthroughs. Requests between you and others stay for the other person, with your name "
                "removed. This can't be undone — `/coach export` first if you'd like a copy."
            ),
            ActionsBlock(
                block_id="forget-choice",
                elements=[
                    _button("Yes, forget me", Action.FORGET_CONFIRM, style="danger"),
                    _button("Keep my data", Action.FORGET_CANCEL),
                ],
            ),
        ]
    )


# Modals --------------------------------------------------------------------------------------------------


def _text_input(
    label: str,
    field: Field,
    *,
    multiline: bool = False,
    optional: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=field, multiline=multiline, max_length=3000, initial_value=initial, placeholder=placeholder
        ),
    )


def _date_input(label: str, *, initial: date | None = None) -> InputBlock:
    return InputBlock(
        block_id=Field.DUE_ON,
        label=label,
        optional=True,
        element=DatePickerElement(action_id=Field.DUE_ON, initial_date=initial.isoformat() if initial else None),
    )


def _modal(
    callback: Modal, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=callback,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(metadata or {}, separators=(",", ":")),
    ).to_dict()


def build_stand_modal(*, channel_id: str | None) -> dict[str, Any]:
    """The form behind a bare `/stand`."""
    return _modal(
        Modal.STAND,
        "Take a stand",
        "Declare",
        [
            _text_input(
                "The outcome you commit to", Field.OUTCOME, multiline=True, placeholder="Well beyond the predictable"
            ),
            _date_input("By when?"),
        ],
        {"channel": channel_id},
    )


def build_share_modal() -> dict[str, Any]:
    """The form behind a bare `/share`."""
    return _modal(
        Modal.SHARE,
        "Log shares",
        "Log",
        [
            InputBlock(
                block_id=Field.PEOPLE, label="Who did you tell?", element=UserMultiSelectElement(action_id=Field.PEOPLE)
            ),
            _text_input("What did you tell them?", Field.NOTE, multiline=True, optional=True),
        ],
    )


def build_act_modal() -> dict[str, Any]:
    """The form behind a bare `/act`."""
    return _modal(Modal.ACT, "Log an action", "Log", [_text_input("What did you do?", Field.TEXT, multiline=True)])


def build_request_modal() -> dict[str, Any]:
    """The form behind a bare `/request`."""
    return _modal(
        Modal.REQUEST,
        "Make a request",
        "Send",
        [
            InputBlock(
                block_id=Field.PERSON, label="Who are you asking?", element=UserSelectElement(action_id=Field.PERSON)
            ),
            _text_input("What are you asking for?", Field.TEXT, multiline=True),
            _date_input("By when?"),
        ],
    )


def build_promise_modal() -> dict[str, Any]:
    """The form behind a bare `/promise`."""
    return _modal(
        Modal.PROMISE,
        "Make a promise",
        "Promise",
        [_text_input("What will you do?", Field.TEXT, multiline=True), _date_input("By when?")],
    )


def build_breakdown_modal(*, noticed: Breakdown | None = None) -> dict[str, Any]:
    """The form behind a bare `/breakdown`; prefilled with what the coach noticed, when it comes from a check-in."""
    return _modal(
        Modal.BREAKDOWN,
        "Declare a breakdown",
        "Declare",
        [
            _text_input(
                "What is off track?", Field.TEXT, multiline=True, initial=noticed.text if noticed is not None else None
            )
        ],
        {"noticed": noticed.id} if noticed is not None else None,
    )


def build_breakthrough_modal() -> dict[str, Any]:
    """The form behind a bare `/breakthrough`."""
    return _modal(
        Modal.BREAKTHROUGH,
        "Declare a breakthrough",
        "Declare",
        [_text_input("What happened?", Field.TEXT, multiline=True)],
    )


def build_counter_modal(request: Request) -> dict[str, Any]:
    """New terms or a new date for a request."""
    return _modal(
        Modal.COUNTER,
        "Counter-offer",
        "Send",
        [
            section(f"{person(request.user_id)} asked:\n>{esc(clip(request.text, 2000))}\n({when(request.due_on)})"),
            _text_input("What you can promise instead", Field.TEXT, multiline=True, initial=clip(request.text, 3000)),
            _date_input("By when?", initial=request.due_on),
        ],
        {"request": request.id},
    )


def build_offer_modal(stand: Stand) -> dict[str, Any]:
    """What a helper offers toward someone's stand."""
    return _modal(
        Modal.OFFER,
        "Offer help",
        "Offer",
        [
            section(f"{person(stand.user_id)}'s stand:\n>{esc(clip(stand.text, 2000))}"),
            _text_input("How can you help?", Field.TEXT, multiline=True),
            _date_input("By when?"),
        ],
        {"stand": stand.id},
    )


def build_close_stand_modal(stand: Stand) -> dict[str, Any]:
    """How a stand ended, in the member's words."""
    return _modal(
        Modal.CLOSE_STAND,
        "Close the stand",
        "Close it",
        [
            section(f"Your stand:\n>{esc(clip(stand.text, 2000))}"),
            InputBlock(
                block_id=Field.ENDING,
                label="How did it end?",
                element=StaticSelectElement(
                    action_id=Field.ENDING,
                    options=[
                        Option(value="achieved", label="Achieved"),
                        Option(value="ended", label="Ended — not achieved this time"),
                    ],
                ),
            ),
            _text_input("In your words", Field.TEXT, multiline=True, optional=True),
        ],
        {"stand": stand.id},
    )


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


def build_resolve_modal(breakdown: Breakdown, *, coaching_url: str | None = None) -> dict[str, Any]:
    """What shifted, to resolve a breakdown; `coaching_url` answers the coaching message it was opened from."""
    return _modal(
        Modal.RESOLVE_BREAKDOWN,
        "It shifted",
        "Resolve",
        [
            section(f"Your breakdown:\n>{esc(clip(breakdown.text, 2000))}"),
            _text_input("What shifted?", Field.TEXT, multiline=True),
        ],
        {"breakdown": breakdown.id, **({"url": coaching_url} if coaching_url else {})},
    )
