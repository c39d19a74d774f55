"""The morning nudge, as Block Kit: day N of 14, the stand, today's practice, one-click logging, the theme.

The one builder that writes plain dicts rather than slack_sdk's models through `primitives`: it runs once per
participant in a fan-out of thousands each morning (benchmarks/nudge_fanout.py), where building and dumping the
models costs about fifty times as much as writing the dicts (measured on the nudge's first four blocks: ~0.5 ms
against ~0.01 ms), and its shapes are fixed. It still takes its words from the primitives (`esc`, `quote`,
`clip_markup`, `SECTION_LIMIT`), and the stand-in checks its blocks against Slack's limits in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.coach.follow_ups import Asked
from bot.coach.nudges import NudgeContent
from bot.coach.rules import PROGRAM_DAYS
from handlers.blocks.follow_ups import question_blocks
from handlers.blocks.measures import trajectory_line
from handlers.blocks.practice import tally, week_tally
from handlers.blocks.primitives import SECTION_LIMIT, clip, clip_markup, esc, person, plural, quote
from handlers.blocks.stands import stand_question
from handlers.ids import Action


def greeting(hour: int) -> str:
    """A greeting for the member's local hour when their nudge first went out (a late one comes in the evening)."""
    if hour < 12:
        return "Good morning"
    if hour < 18:
        return "Good afternoon"
    return "Good evening"


def build_nudge(
    content: NudgeContent, questions: Sequence[Asked] = (), told: Sequence[list[dict[str, Any]]] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """The DM a participant gets at their nudge time; rebuilt as they log practice that day.

    The follow-ups due for them in the same pass come inside it as `questions`, a section each with its buttons:
    one morning message, not five. `told` are lines it carries as they were first rendered (weekly lines).
    """
    progress = content.progress
    stand = progress.stand
    day = progress.day or PROGRAM_DAYS
    headline = f"{greeting(content.sent_hour)} — *day {day} of {PROGRAM_DAYS}*."
    stand_line = f"Your stand: _{esc(clip(stand.text, 1500))}_" if stand else ""
    if stand and content.trajectory is not None:
        stand_line += f"\n{trajectory_line(content.trajectory)}"
    today = f"*Today:* {tally(progress.today_practice)}"
    if progress.today_practice.met():
        today += " — full practice. Beautiful."
    # Plain dicts rather than slack_sdk's models: this runs once per participant in a fan-out of thousands,
    # and the shapes are fixed (the stand-in checks them against Slack's limits in the tests).
    blocks: list[dict[str, Any]] = [
        _section("nudge-head", clip_markup(f"{headline}\n{stand_line}", SECTION_LIMIT)),
        _section("nudge-today", f"{today}\n{week_tally(progress.week_practice)}"),
        {
            "type": "actions",
            "block_id": "nudge-log",
            "elements": [
                _button("Log a share", Action.OPEN_SHARE),
                _button("Log an action", Action.OPEN_ACT),
                _button("Make a request", Action.OPEN_REQUEST),
            ],
        },
        _section("nudge-theme", f":compass: *{content.theme.title}.* {content.theme.prompt}"),
    ]
    blocks.extend(_arc(content))
    blocks.extend(_check_in(content))
    for question in questions:
        blocks.extend(question_blocks(question))
    blocks.extend(_due(content, questions))
    for line in told:
        blocks.extend(line)
    blocks.append(
        {
            "type": "context",
            "block_id": "nudge-foot",
            "elements": [
                {"type": "mrkdwn", "text": "`/coach pause` any time · `/coach nudge HH:MM` to move this nudge"}
            ],
        }
    )
    text = f"Day {day} of {PROGRAM_DAYS}: {tally(progress.today_practice)}"
    return text, blocks


def _section(block_id: str, text: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _button(text: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text, "emoji": True}}


def _arc(content: NudgeContent) -> list[dict[str, Any]]:
    """What the program's first, middle and last days add to the nudge."""
    if content.moment == "opening":
        return [
            _section(
                "nudge-arc",
                ":seedling: *Your program begins.* For fourteen days, each working day asks three things: tell "
                "two people about your stand, take two actions toward it, and make two requests of others. Begin "
                "today by sharing "
                "your stand with two people — out loud, in your own words.",
            )
        ]
    if content.moment == "midpoint":
        n = content.numbers
        return [
            _section(
                "nudge-arc",
                f":mag: *Halfway.* Your program so far: {plural(n.get('shares', 0), 'share')}, "
                f"{plural(n.get('actions', 0), 'action')} and {plural(n.get('requests', 0), 'request')}. "
                "Read your stand again: is it still big enough to need other people? Raise the stakes, "
                "or recommit to it as it is — either is a choice worth making out loud.",
            )
        ]
    stand = content.progress.stand
    if content.moment == "closing" and content.numbers and stand is not None:
        n = content.numbers
        # The program's last nudge, not always its last day: with weekends off, day 12 is a Friday.
        question = (
            f":checkered_flag: *Your program's last nudge: two weeks in numbers.* {plural(n['shares'], 'share')} "
            f"({plural(n['people'], 'person', 'people')} told) · {plural(n['actions'], 'action')} · "
            f"{plural(n['requests'], 'request')} made, {n['requests_kept']:,} kept · "
            f"{plural(n['promises'], 'promise')}, {n['promises_kept']:,} kept · "
            f"{plural(n['breakdowns'], 'breakdown')} met · {plural(n['followers'], 'follower')}.\nWhat now?"
        )
        return stand_question(stand, content.closing_answer, question, block_id="nudge-arc")
    return []


def _check_in(content: NudgeContent) -> list[dict[str, Any]]:
    """The breakdown the coach noticed yesterday: its questions and buttons, or what the member answered."""
    if not content.check_in:
        return []
    noticed = f":construction: {quote(content.check_in, 1500)}"
    if content.check_in_on_it and not content.check_in_declared:
        return [
            _section(
                "nudge-check-in",
                f"{noticed}\nYou said you're on it. Pick the one request you could make today — and make it.",
            )
        ]
    if content.check_in_declared:
        return [
            _section(
                "nudge-check-in",
                f"{noticed}\nYou declared it a breakdown — a milestone met, not a failure. The recap counts it.",
            )
        ]
    value = str(content.check_in_id)
    return [
        _section(
            "nudge-check-in",
            f"{noticed} That's a breakdown — a milestone, not a failure.\n"
            "• *What's missing* that would put you back on track?\n• *Who could help?*\n"
            "• *What request could you make today?*",
        ),
        {
            "type": "actions",
            "block_id": "nudge-check-in-actions",
            "elements": [
                {**_button("Declare a breakdown", Action.CHECK_IN_DECLARE), "value": value},
                {**_button("I'm on it", Action.CHECK_IN_ON_IT), "value": value},
            ],
        },
    ]


def _due(content: NudgeContent, questions: Sequence[Asked]) -> list[dict[str, Any]]:
    """What falls due today and is not asked about in `questions` (its follow-up came another day, or comes later)."""
    asked = {(q.kind, q.item.id) for q in questions}
    due = [
        f"• your promise: _{esc(clip(p.text, 300))}_" for p in content.promises_due if ("promise", p.id) not in asked
    ] + [
        f"• for {person(r.user_id)}: _{esc(clip(r.text, 300))}_"
        for r in content.requests_due
        if ("request", r.id) not in asked
    ]
    if not due:
        return []
    shown = "\n".join(due[:10]) + (f"\n…and {len(due) - 10} more" if len(due) > 10 else "")
    return [_section("nudge-due", clip_markup(f"*Due today*\n{shown}", SECTION_LIMIT))]
