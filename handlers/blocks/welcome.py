"""The one welcome DM a member gets the first time they use a command or open App Home; the installer gets it when
the app is added, with the recap channel's step when they are an admin."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.coach.rules import PROGRAM_DAYS
from handlers.blocks.primitives import Blocks, button, buttons, context, dump, section
from handlers.ids import Action

WELCOME = (
    ":wave: *Welcome to Breakthrough Coach.* I help you produce a result well beyond what you already know how "
    "to produce.\n"
    "*1. Take a stand* (`/stand`, or the button below): a public, specific commitment to an outcome, with a date — "
    "if you know how to grow 10%, stand for 30%. Add what you'll count, and I'll keep its trajectory.\n"
    f"*2. Practise for {PROGRAM_DAYS} days:* each working day share 2 (tell two people), act 2 (two actions) and "
    "request 2 (ask two people for something). I'll nudge you each morning at 09:00 your time.\n"
    "*3. Keep an honest account* of the promises that come back — kept, renegotiated or revoked."
)


RECAP_STEP = (
    "*As an admin:* choose where the weekly recap and breakthroughs go — invite me to that channel "
    "(`/invite @Breakthrough Coach`) and type `/coach recap here` in it. `/coach recap &lt;weekday&gt; HH:MM` sets "
    "when the recap is posted."
)


def build_welcome(*, installer: bool = False, admin: bool = False) -> tuple[str, Blocks]:
    """What the coach is, in three steps, and the first one a click away; for the admin who installed it, where the
    weekly recap goes."""
    text = "Welcome to Breakthrough Coach: take a stand, then share 2, act 2, request 2 each day."
    blocks: list[Block] = [section(WELCOME, block_id="welcome")]
    if installer and admin:
        blocks.append(section(RECAP_STEP, block_id="welcome-recap"))
    elif installer:
        blocks.append(context("A workspace admin chooses the recap channel with `/coach recap here`."))
    blocks.append(buttons("welcome-start", [button("Declare a stand", Action.OPEN_STAND, style="primary")]))
    blocks.append(
        context("`/coach help` for everything I do · `/coach pause` any time · nothing is posted without you")
    )
    return text, dump(blocks)
