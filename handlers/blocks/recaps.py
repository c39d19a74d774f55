"""The weekly recap as Block Kit: a condensed message for the channel and each person's week in its thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.coach.recaps import DueWeeklyLine
from bot.coach.rules import Practice
from bot.coach.trajectory import figure
from bot.coach.weeks import ParticipantWeek, StandFollowers, WeekSummary
from handlers.blocks.measures import pace_words
from handlers.blocks.practice import given_words
from handlers.blocks.primitives import (
    SECTION_LIMIT,
    Blocks,
    buttons,
    clip,
    context,
    dump,
    esc,
    listing,
    person,
    plural,
    section,
)
from handlers.blocks.stands import leave_stand_button

PEOPLE_PER_REPLY = 40  # each reply stays a readable screenful, well inside Slack's block and text limits
STANDS_PER_REPLY = 25  # a stand's line is longer than a person's week (it quotes the stand)
STANDS_SHOWN = 5
FOLLOWED_STANDS_SHOWN = 5  # the most followed in the channel message; every one is in the thread when there are more
JOINS_SHOWN = 10
BREAKTHROUGHS_SHOWN = 5
TEXT_SHOWN = 200  # characters of a member's stand or breakthrough quoted in the recap

Reply = tuple[str, Blocks]


def week_label(first: date, last: date) -> str:
    """The week as people read it: 16–22 Nov 2026, 30 Nov – 6 Dec 2026, 28 Dec 2026 – 3 Jan 2027."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day}–{last.day} {last:%b %Y}"


def _against(label: str, count: int, target: int) -> str:
    mark = " ✓" if target and count >= target else ""
    return f"{label} {count:,} / {target:,}{mark}"


def totals_line(summary: WeekSummary) -> str:
    """The team's shares, actions and requests against the week's targets."""
    return " · ".join(
        (
            _against("Shares", summary.shares, summary.share_target),
            _against("Actions", summary.actions, summary.action_target),
            _against("Requests", summary.requests, summary.request_target),
        )
    )


def week_line(week: ParticipantWeek) -> str:
    """One person's week in one line, without their name."""
    if not (week.shares or week.actions or week.requests):
        # A streak can outlast a quiet week: paused days neither count nor break it.
        kept = f" · current streak {week.current_streak}" if week.current_streak else ""
        return f"a quiet week on the log{kept}"
    return (
        f"shares {week.shares} · actions {week.actions} · requests {week.requests}"
        f" · full days {week.days_full} · current streak {week.current_streak} · best streak {week.best_streak}"
    )


def participant_line(week: ParticipantWeek) -> str:
    """One person's week in one line, as the recap's thread gives it."""
    return f"{person(week.user_id)} — {week_line(week)}"


def stand_line(stand: StandFollowers) -> str:
    """An active stand, its owner, its first follower and how many follow it."""
    if not stand.followers:
        followed = "no followers yet"
    else:
        followed = f"first follower {person(stand.first_follower)} · {plural(stand.followers, 'follower')}"
    line = f"{_quoted(stand.owner_id, stand.text)} · {followed}"
    if stand.from_followers != Practice():
        line += f" · followers logged {given_words(stand.from_followers)} for it"
    if stand.trajectory is not None:
        line += f" · {figure(stand.trajectory.current)} of {figure(stand.trajectory.measure.target)}"
        line += f" {esc(stand.trajectory.measure.what)}, {pace_words(stand.trajectory)}"
    return line


def _quoted(user_id: str, text: str) -> str:
    # One line per item: a member's line breaks would end the italics and the bullet early.
    return f"{person(user_id)} — _{esc(clip(' '.join(text.split()), TEXT_SHOWN))}_"


def promises_line(summary: WeekSummary) -> str | None:
    """The team's promises: how many were made in the week, how those due in it ended, and the team's integrity
    only when the workspace shows it and enough ended that it is nobody's own."""
    account = summary.ledger
    if not (account.made or account.ended):
        return None
    parts = [f"{account.made:,} made this week"] if account.made else []
    if account.ended:
        ends = [f"{account.kept_on_time:,} kept on time"]
        if account.kept_late:
            ends.append(f"{account.kept_late:,} kept late")
        ends.append(f"{account.renegotiated_in_time:,} renegotiated in time")
        if account.renegotiated_late:
            ends.append(f"{account.renegotiated_late:,} renegotiated late")
        ends += [f"{account.broken:,} broken", f"{account.revoked:,} revoked"]
        parts.append(f"{account.ended:,} due this week ended: {', '.join(ends)}")
    else:
        parts.append("none due this week ended")
    line = f":handshake: Promises: {' · '.join(parts)}"
    if summary.integrity_shown and account.integrity is not None:
        line += f" — team integrity {account.integrity:.0%}"
    return line


def _accounts(summary: WeekSummary) -> list[str]:
    lines = []
    if summary.breakdowns_met:
        each = "a milestone" if summary.breakdowns_met == 1 else "each one a milestone"
        lines.append(f":construction: {plural(summary.breakdowns_met, 'breakdown')} met — {each}")
    if summary.breakdowns_resolved:
        lines.append(f":seedling: {plural(summary.breakdowns_resolved, 'breakdown')} resolved — something shifted")
    if summary.requests_made:
        lines.append(
            f":envelope_with_arrow: Requests: {summary.requests_made:,} made · {summary.requests_accepted:,} accepted"
            f" · {summary.requests_completed:,} completed"
        )
    promises = promises_line(summary)
    if promises:
        lines.append(promises)
    if summary.overdue:
        overdue = plural(summary.overdue, "promise")
        lines.append(
            f":hourglass: {overdue} overdue and still open — a kept, renegotiated or revoked answer closes each"
        )
    return lines


def _highlights(summary: WeekSummary) -> list[Block]:
    """Stands, joins, breakthroughs, the week's accounts and streaks: each only when there is something to say."""
    blocks: list[Block] = []
    if summary.stands_declared:
        lines = [_quoted(user_id, text) for user_id, text in summary.stands_declared]
        blocks.append(section(listing(":dart: Stands declared", lines, "", limit=STANDS_SHOWN)))
    if summary.stands:
        lines = [stand_line(stand) for stand in summary.stands]
        title = ":people_holding_hands: Stands and their followers"
        blocks.append(section(listing(title, lines, "", limit=FOLLOWED_STANDS_SHOWN)))
    if summary.joined:
        lines = [f"{person(follower)} joined {person(owner)}'s stand" for follower, owner in summary.joined]
        blocks.append(section(listing(":busts_in_silhouette: Joined", lines, "", limit=JOINS_SHOWN)))
    if summary.breakthroughs:
        lines = [_quoted(user_id, text) for user_id, text in summary.breakthroughs]
        blocks.append(section(listing(":rocket: Breakthroughs to celebrate", lines, "", limit=BREAKTHROUGHS_SHOWN)))
    accounts = _accounts(summary)
    if accounts:
        blocks.append(section("\n".join(accounts)))
    if summary.longest_streaks:
        streaks = " · ".join(f"{person(user_id)} {plural(days, 'day')}" for user_id, days in summary.longest_streaks)
        blocks.append(section(f":fire: *Longest streaks:* {streaks}"))
    return blocks


def _main_blocks(summary: WeekSummary, label: str, replies: int) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=f"Weekly recap · {label}")]
    people = len(summary.participants)
    if people:
        full_days = sum(p.days_full for p in summary.participants)
        heading = f"*Team practice* — {plural(people, 'person', 'people')}"
        if full_days:
            heading += f", {plural(full_days, 'full day')} of share 2, act 2, request 2"
        blocks.append(section(f"{heading}\n{totals_line(summary)}"))
    else:
        blocks.append(
            section(
                "A quiet week on the log. Every week is a fresh start: `/stand` declares an outcome worth "
                "going for, and share 2, act 2, request 2 a day carries it."
            )
        )
    body = _highlights(summary)
    if body:
        blocks += [DividerBlock(), *body]
    if replies:
        where = f"Each person's week is in the thread — {plural(people, 'person', 'people')}."
        if len(summary.stands) > FOLLOWED_STANDS_SHOWN:
            where = f"Each person's week and every stand are in the thread — {plural(people, 'person', 'people')}."
        blocks.append(context(where))
    return blocks


def _packed(lines: Sequence[str]) -> list[Block]:
    """Lines in as few sections as fit Slack's 3,000 characters each."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def _batched(title: str, lines: Sequence[str], per_reply: int) -> list[Reply]:
    replies: list[Reply] = []
    for first in range(0, len(lines), per_reply):
        batch = lines[first : first + per_reply]
        heading = title
        if len(lines) > per_reply:
            heading += f" · {first + 1}–{first + len(batch)} of {len(lines):,}"
        replies.append((heading, dump([context(heading), *_packed(batch)])))
    return replies


def _thread(summary: WeekSummary, label: str) -> list[Reply]:
    replies = _batched(
        f"Each person's week, {label}", [participant_line(p) for p in summary.participants], PEOPLE_PER_REPLY
    )
    if len(summary.stands) > FOLLOWED_STANDS_SHOWN:
        stands = [stand_line(stand) for stand in summary.stands]
        replies += _batched(f"Stands and their followers, {label}", stands, STANDS_PER_REPLY)
    return replies


def build_weekly_recap(summary: WeekSummary) -> tuple[str, Blocks, list[Reply]]:
    """The recap message (fallback text and blocks) and the thread replies with each person's week."""
    label = week_label(summary.week_start, summary.week_end)
    replies = _thread(summary, label)
    if summary.participants:
        text = f"Weekly recap · {label}: {totals_line(summary).replace(' ✓', '')}"
    else:
        text = f"Weekly recap · {label}: a quiet week on the log."
    return text, dump(_main_blocks(summary, label, len(replies))), replies


def build_weekly_line_for_follower(due: DueWeeklyLine) -> tuple[str, Blocks]:
    """The DM to a follower with the stand owner's line of the week, and a way to leave the stand."""
    stand = esc(clip(" ".join(due.stand_text.split()), TEXT_SHOWN))
    line = f"{person(due.owner_id)}'s week on their stand '{stand}': {week_line(due.week)}"
    label = week_label(due.week_start, due.week_start + timedelta(days=6))
    return line, dump(
        [
            section(f":busts_in_silhouette: {line}", block_id=f"weekly-line-{due.stand_id}"),
            context(f"{label} · you joined this stand, so its week comes to you."),
            buttons(f"weekly-line-actions-{due.stand_id}", [leave_stand_button(due.stand_id)]),
        ]
    )
