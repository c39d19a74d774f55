"""Breakdowns met with coaching questions, and breakthroughs celebrated in the channel and told to followers."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from handlers.blocks.primitives import Blocks, button, buttons, clip, context, dump, esc, person, quote, section
from handlers.blocks.stands import leave_stand_button
from handlers.ids import Action
from storage.models import Breakdown, Breakthrough


def build_breakdown_coaching(breakdown: Breakdown) -> tuple[str, Blocks]:
    """Coaching questions for a declared breakdown, with one-click ways into action."""
    text = "Breakdown declared — that's a milestone, not a failure. What's missing? Who could help?"
    next_steps: Block = buttons(
        "breakdown-next",
        [
            button("Make a request", Action.OPEN_REQUEST, style="primary"),
            button("Log an action", Action.OPEN_ACT),
            button("It shifted", Action.RESOLVE_BREAKDOWN, str(breakdown.id)),
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
            buttons("follower-actions", [leave_stand_button(breakthrough.stand_id)]),
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
