"""The `/coach` command's own answers: help, and the question before forgetting a member."""

from __future__ import annotations

from handlers.blocks.primitives import Blocks, button, buttons, dump, section
from handlers.ids import Action

HELP = """*Breakthrough Coach* — a stand, and a daily practice toward it.
• `/stand &lt;outcome&gt; by &lt;date&gt;` — declare a stand and start 14 days of practice
• `/stand 80 sign-ups by &lt;date&gt; (from 40)` — a stand with a measure: the target first, where it stands today last
• `/progress &lt;number&gt; [note]` — where your stand's measure stands today
• `/share @person [@person…] [what you told them]` — each person told counts as one share
• `/act &lt;what you did&gt;` — log an action
• `/request @person &lt;what&gt; by &lt;date&gt;` — ask someone; they accept, decline or counter-offer
• `/act for @owner &lt;what&gt;` (also `/share`, `/request`) — practice for a stand you joined: it counts for it too
• `/promise &lt;what&gt; by &lt;date&gt;` — a promise of your own
• `/breakdown &lt;what's off track&gt;` — meet it with coaching questions
• `/breakthrough &lt;what happened&gt;` — celebrate it with the team
• `/coach status` · `nudge HH:MM` · `weekends on|off` · `pause` · `resume` · `export` · `forget me`
• `/coach team` — (admins, and whoever chose the recap channel) every active stand side by side
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
            buttons(
                "forget-choice",
                [
                    button("Yes, forget me", Action.FORGET_CONFIRM, style="danger"),
                    button("Keep my data", Action.FORGET_CANCEL),
                ],
            ),
        ]
    )
