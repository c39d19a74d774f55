"""The installer's welcome: what the coach is, how to start, and (for an admin) where the recap goes."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from handlers.blocks.primitives import Blocks, context, dump, section

WHAT = (
    "*Thanks for adding Breakthrough Coach.* It coaches your team through results beyond the predictable: each "
    "member declares a *stand* — a specific outcome by a date — and practises for 14 days: "
    "*share 2, act 2, request 2* each day, with a morning nudge and an honest account of promises."
)
START = (
    "*To start:* type `/stand &lt;the outcome you commit to&gt; by &lt;date&gt;` in any channel, for example "
    "`/stand Sign 10 new partners by 2026-12-31`. `/coach help` lists everything."
)
ADMIN = (
    "*As an admin:* choose where the weekly recap and breakthroughs go — invite me to that channel "
    "(`/invite @Breakthrough Coach`) and type `/coach recap here` in it. `/coach recap &lt;weekday&gt; HH:MM` sets "
    "when the recap is posted."
)


def build_welcome(*, admin: bool) -> tuple[str, Blocks]:
    """The one DM the installer gets: what the coach is, how to start with /stand, and for an admin the recap."""
    parts: list[Block] = [section(WHAT), section(START)]
    if admin:
        parts.append(section(ADMIN))
    else:
        parts.append(context("A workspace admin chooses the recap channel with `/coach recap here`."))
    return "Breakthrough Coach is installed: type /stand to start.", dump(parts)
