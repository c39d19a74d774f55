"""The one welcome DM a member gets the first time they use a command or open App Home."""

from __future__ import annotations

from bot.coach.rules import PROGRAM_DAYS
from handlers.blocks.primitives import Blocks, button, buttons, context, dump, section
from handlers.ids import Action

WELCOME = (
    ":wave: *Welcome to Breakthrough Coach.* I help you produce a result well beyond what you already know how "
    "to produce.\n"
    "*1. Take a stand:* a public, specific commitment to an outcome, with a date — if you know how to grow 10%, "
    "stand for 30%. Add what you'll count, and I'll keep its trajectory.\n"
    f"*2. Practise for {PROGRAM_DAYS} days:* each working day share 2 (tell two people), act 2 (two actions) and "
    "request 2 (ask two people for something). I'll nudge you each morning at 09:00 your time.\n"
    "*3. Keep an honest account* of the promises that come back — kept, renegotiated or revoked."
)


def build_welcome() -> tuple[str, Blocks]:
    """What the coach is, in three steps, and the first one a click away."""
    text = "Welcome to Breakthrough Coach: take a stand, then share 2, act 2, request 2 each day."
    return text, dump(
        [
            section(WELCOME, block_id="welcome"),
            buttons("welcome-start", [button("Declare a stand", Action.OPEN_STAND, style="primary")]),
            context("`/coach help` for everything I do · `/coach pause` any time · nothing is posted without you"),
        ]
    )
