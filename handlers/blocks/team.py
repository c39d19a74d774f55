"""The leader's view: the team's active stands side by side (`/coach team`, and a section of a lead's App Home)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.coach.rules import DAILY_TARGET, PROGRAM_DAYS, WEEKLY_REQUEST_TARGET, Practice
from bot.coach.trajectory import figure
from bot.coach.values import TeamStand
from handlers.blocks.measures import pace_words
from handlers.blocks.practice import given_words
from handlers.blocks.primitives import Blocks, clip, context, dump, esc, person, plural, section

STANDS_IN_A_MESSAGE = 40  # a section each, within Block Kit's 50 blocks with the header and footers
STANDS_AT_HOME = 10  # App Home holds 100 blocks, most of them the lead's own


def team_stand_line(item: TeamStand) -> str:
    """One stand as a lead reads it: owner, day, stand, measure, practice this week, breakdowns, overdue, follower."""
    stand = item.stand
    if item.day < 1:
        day = "starts soon"  # another 14 days, from the next working day
    else:
        day = f"day {item.day} of {PROGRAM_DAYS}" if item.day <= PROGRAM_DAYS else "program ended"
    lines = [f"{person(stand.user_id)} · {day} · _{esc(clip(stand.text, 300))}_"]
    if item.trajectory is not None:
        trajectory = item.trajectory
        lines.append(
            f":chart_with_upwards_trend: {figure(trajectory.current)} of {figure(trajectory.measure.target)} "
            f"{esc(trajectory.measure.what)} · {pace_words(trajectory)}"
        )
    week_target = DAILY_TARGET * 5
    lines.append(
        f"This week: share {item.week.shares}/{week_target} · act {item.week.actions}/{week_target} · "
        f"request {item.week.requests}/{WEEKLY_REQUEST_TARGET}"
    )
    signals = [
        plural(item.open_breakdowns, "open breakdown") if item.open_breakdowns else "no open breakdowns",
        plural(item.overdue, "overdue promise") if item.overdue else "nothing overdue",
        f"first follower {person(item.first_follower)} of {item.followers}"
        if item.first_follower
        else "no followers yet",
    ]
    if item.from_followers != Practice():
        signals.append(f"followers logged {given_words(item.from_followers)} for it")
    lines.append(" · ".join(signals))
    return "\n".join(lines)


def team_blocks(team: Sequence[TeamStand], *, limit: int) -> list[Block]:
    """A section per stand, up to `limit`, and a line saying how many more there are."""
    if not team:
        return [context("No active stands in the team yet. A stand starts with `/stand`.")]
    blocks: list[Block] = [section(team_stand_line(item), block_id=f"team-{item.stand.id}") for item in team[:limit]]
    if len(team) > limit:
        blocks.append(context(f"…and {plural(len(team) - limit, 'more stand')}: `/coach team` shows them all."))
    return blocks


def build_team(team: Sequence[TeamStand]) -> tuple[str, Blocks]:
    """The answer to `/coach team`."""
    head = f":busts_in_silhouette: *The team's stands* — {plural(len(team), 'active stand')}"
    text = f"The team's stands: {plural(len(team), 'active stand')}"
    blocks: list[Block] = [section(head), *team_blocks(team, limit=STANDS_IN_A_MESSAGE)]
    return text, dump(blocks)
