"""Stands: the declaration, the channel's announcement (Join while it is active), joins, a second stand, and the
"What now?" question at the end of a program."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ButtonElement

from bot.coach.measures import measure_of
from bot.coach.rules import PROGRAM_DAYS
from handlers.blocks.measures import measure_line
from handlers.blocks.primitives import (
    Blocks,
    button,
    buttons,
    clip,
    context,
    dump,
    esc,
    person,
    plural,
    quote,
    section,
    when,
)
from handlers.ids import Action
from storage.models import Promise, PromiseStatus, Stand, StandStatus


def leave_stand_button(stand_id: int | None, text: str = "Leave the stand") -> ButtonElement:
    """The button that stops a follower following a stand."""
    return button(text, Action.LEAVE_STAND, str(stand_id))


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
    measure = measure_of(stand)
    if measure is not None:
        was += (
            f"\n:chart_with_upwards_trend: Measured: {measure_line(measure)}. Record where it stands with `/progress`."
        )
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
            buttons(
                f"stand-actions-{sid}",
                [
                    button("Join the stand", Action.JOIN_STAND, sid, style="primary"),
                    button("Offer help", Action.OFFER_HELP, sid),
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


def build_stand_conflict(
    current: Stand, draft_id: int, new_text: str, *, milestones_waiting: int = 0
) -> tuple[str, Blocks]:
    """Asks whether a second stand replaces the active one; milestones typed with it wait for the choice."""
    value = str(draft_id)
    text = "You already have an active stand. Replace it with the new one, or keep it?"
    return text, dump(
        [
            section(
                f"You already have an active stand:\n>{esc(clip(current.text, 1200))}\n"
                f"Replace it with this one?\n>{esc(clip(new_text, 1200))}"
            ),
            buttons(
                "stand-choice",
                [
                    button("Replace it", Action.REPLACE_STAND, value, style="danger"),
                    button("Keep my current stand", Action.KEEP_STAND, value),
                ],
            ),
            context(
                "Replacing withdraws the current stand and starts a fresh 14-day program."
                + (
                    f" Not added yet: the {plural(milestones_waiting, 'milestone')} you typed. Once you've chosen, "
                    "add them with `/stand milestone <what> by <date>`."
                    if milestones_waiting
                    else ""
                )
            ),
        ]
    )


def build_stand_closed_for_follower(stand: Stand) -> tuple[str, Blocks]:
    """The DM to a follower when the stand they joined closes, in its owner's closing words."""
    how = "as achieved :trophy:" if stand.status == StandStatus.ACHIEVED else "— not achieved this time"
    text = f"{person(stand.user_id)} closed the stand you joined {how}"
    lines = [f"{person(stand.user_id)} closed the stand you joined {how}:\n>{esc(clip(stand.text, 1500))}"]
    if stand.closing_words:
        lines.append(f"In their words:\n>{esc(clip(stand.closing_words, 1500))}")
    return text, dump(
        [
            section("\n".join(lines), block_id="follower-closed"),
            context("Thank you for standing with it. Your own stand starts with `/stand`."),
        ]
    )


def milestone_mark(milestone: Promise) -> str:
    """How a milestone stands, as a mark: kept, open, broken or revoked."""
    return {
        PromiseStatus.KEPT: ":white_check_mark:",
        PromiseStatus.BROKEN: ":x:",
        PromiseStatus.REVOKED: ":heavy_minus_sign:",
    }.get(milestone.status, ":hourglass_flowing_sand:")


def milestones_line(milestones: Sequence[Promise]) -> str:
    """The stand's milestones in one line, by date, each with its mark."""
    return "*Milestones:* " + " · ".join(
        f"{milestone_mark(m)} {esc(clip(m.text, 150))} ({when(m.due_on)})" for m in milestones
    )


def build_milestone_set(milestone: Promise) -> tuple[str, Blocks]:
    """The ephemeral answer to `/stand milestone`."""
    text = f"Milestone set: {quote(milestone.text, 200)}"
    return text, dump(
        [
            section(f":round_pushpin: *Milestone set* ({when(milestone.due_on)})\n>{esc(clip(milestone.text))}"),
            context("I'll ask on the day, like any promise of yours: kept, renegotiated or revoked."),
        ]
    )


def stand_question(stand: Stand, answer: str | None, question: str, *, block_id: str) -> Blocks:
    """ "What now?" about a stand: declare a breakthrough, another 14 days or close it; answered, what was chosen."""
    if answer in ("achieved", "ended", "withdrawn"):
        closed = {"achieved": ":trophy: You closed this stand as achieved."}.get(answer, "You closed this stand.")
        return dump([section(f"{question}\n\n{closed}", block_id=block_id)])
    if answer == "restarted":
        chosen = f":repeat: You chose another 14 days: day 1 is {stand.program_started_on:%A %-d %B}."
        return dump([section(f"{question}\n\n{chosen}", block_id=block_id)])
    choices = [button("Another 14 days", Action.ANOTHER_PROGRAM), button("Close the stand", Action.CLOSE_STAND)]
    if answer == "breakthrough":
        question += "\n\n:tada: You declared its breakthrough. Another 14 days, or close the stand?"
    else:
        choices.insert(0, button("Declare a breakthrough", Action.OPEN_BREAKTHROUGH))
    return dump([section(question, block_id=block_id), buttons(f"{block_id}-actions", choices)])
