"""`/coach status` and App Home: the stand and day N of 14, today's practice, followers and followed stands,
requests both ways, promises due, and the member's settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import Block, ButtonElement, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.coach import FollowedStand, Status
from bot.coach.rules import PROGRAM_DAYS, Practice, Role
from handlers.blocks.measures import trajectory_line
from handlers.blocks.practice import given_words, program_line, tally, week_tally
from handlers.blocks.primitives import (
    Blocks,
    button,
    buttons,
    clip,
    context,
    dump,
    esc,
    listing,
    person,
    plural,
    section,
    when,
)
from handlers.blocks.promises import ledger_line
from handlers.blocks.requests import request_buttons, request_summary
from handlers.blocks.stands import leave_stand_button, milestones_line
from handlers.blocks.team import STANDS_AT_HOME, team_blocks
from handlers.ids import Action
from storage.models import RequestStatus


def _status_blocks(status: Status, *, with_buttons: bool) -> list[Block]:
    progress = status.progress
    blocks: list[Block] = [section(program_line(progress), block_id="status-stand")]
    if status.trajectory is not None:
        blocks.append(section(trajectory_line(status.trajectory), block_id="status-measure"))
    if status.milestones:
        blocks.append(section(milestones_line(status.milestones), block_id="status-milestones"))
    if progress.stand is not None:
        followed = followers_line(status.followers)
        if status.from_followers != Practice():
            followed += f" · for your stand this week they logged {given_words(status.from_followers)}"
        blocks.append(context(followed))
    today = f"*Today:* {tally(progress.today_practice)}\n{week_tally(progress.week_practice)}"
    if status.ledger.made:
        today += f"\n{ledger_line(status.ledger)}"
    if status.streak or status.best_streak:
        today += f"\n:fire: Streak: {plural(status.streak, 'working day')} of full practice (best {status.best_streak})"
    if with_buttons:
        blocks.append(section(today, block_id="status-today"))
        blocks.append(
            buttons(
                "status-log",
                [
                    button("Log a share", Action.OPEN_SHARE),
                    button("Log an action", Action.OPEN_ACT),
                    button("Make a request", Action.OPEN_REQUEST),
                    button("Make a promise", Action.OPEN_PROMISE),
                    *_picture_button(status),
                ],
            )
        )
    else:
        blocks.append(section(today, block_id="status-today"))
        if _picture_button(status):
            blocks.append(buttons("status-picture", _picture_button(status)))
    return blocks


def _picture_button(status: Status) -> list[ButtonElement]:
    """The week as a picture, offered to a member with a stand (a week of practice and, maybe, a measure to draw)."""
    return [button("My week in a picture", Action.WEEK_PICTURE)] if status.progress.stand is not None else []


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
    if status.team is not None:
        blocks.append(section(":busts_in_silhouette: *The team's stands*", block_id="home-team"))
        blocks += team_blocks(status.team, limit=STANDS_AT_HOME)
        blocks.append(DividerBlock())
    blocks += _accounts(status)
    # Buttons for requests waiting on this member, so they can answer from Home.
    for request in [r for r in status.received if request_buttons(r, Role.RECIPIENT)][:10]:
        blocks.append(section(request_summary(request, Role.RECIPIENT), block_id=f"home-received-{request.id}"))
        blocks.append(buttons(f"home-received-actions-{request.id}", request_buttons(request, Role.RECIPIENT)))
    for request in [r for r in status.made if request_buttons(r, Role.REQUESTER)][:10]:
        blocks.append(section(request_summary(request, Role.REQUESTER), block_id=f"home-made-{request.id}"))
        blocks.append(buttons(f"home-made-actions-{request.id}", request_buttons(request, Role.REQUESTER)))
    blocks.append(context(_settings_line(status) + " · `/coach help` for everything I do"))
    return View(type="home", blocks=blocks).to_dict()
