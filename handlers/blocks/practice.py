"""The daily practice: today's tally against share 2, act 2, request 2, the week's, and day N of 14."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.coach import Progress
from bot.coach.rules import DAILY_TARGET, PROGRAM_DAYS, WEEKLY_REQUEST_TARGET, Practice
from handlers.blocks.primitives import Blocks, clip, context, dump, esc, plural, section


def tally(practice: Practice) -> str:
    """Today's practice against share 2, act 2, request 2."""

    def one(label: str, count: int) -> str:
        mark = " ✓" if count >= DAILY_TARGET else ""
        return f"{label} {min(count, 99)}/{DAILY_TARGET}{mark}"

    return " · ".join((one("Share", practice.shares), one("Act", practice.actions), one("Request", practice.requests)))


def next_nudge_words(at: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """When the member's next nudge comes, in their own time: today, tomorrow or a weekday, at HH:MM."""
    if at is None or at.year >= 9999:
        return "No nudges are due: declare a stand with `/stand` to start a program."
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    if at <= now:
        return "Today's nudge comes within the minute."
    if local.date() == today:
        when = "today"
    elif local.date() == today + timedelta(days=1):
        when = "tomorrow"
    else:
        when = f"on {local:%A}"
    return f"Your next nudge comes {when} at {local:%H:%M}."


def week_tally(practice: Practice) -> str:
    """This week's counts, with the weekly request target."""
    if practice.requests >= WEEKLY_REQUEST_TARGET:
        requests = f"{plural(practice.requests, 'request')} (the week's {WEEKLY_REQUEST_TARGET} ✓)"
    else:
        requests = f"{practice.requests} of {WEEKLY_REQUEST_TARGET} requests"
    return f"This week: {plural(practice.shares, 'share')}, {plural(practice.actions, 'action')}, {requests}"


def program_line(progress: Progress) -> str:
    """Day N of 14 and the stand, or an invitation to declare one."""
    if progress.stand is None:
        return "No active stand yet — declare one with `/stand &lt;the outcome you commit to&gt; by &lt;date&gt;`."
    if progress.day is None:
        day = "Your 14 days are complete"
    elif progress.day < 1:  # another 14 days chosen: they start on the next working day
        day = f"Your next {PROGRAM_DAYS} days start {progress.stand.program_started_on:%A %-d %B}"
    else:
        day = f"Day {progress.day} of {PROGRAM_DAYS}"
    return f"*{day}* · your stand: _{esc(clip(progress.stand.text, 500))}_"


def build_practice_logged(headline: str, progress: Progress) -> tuple[str, Blocks]:
    """The answer to a logged share or action: what was logged and today's progress."""
    cheer = " Full practice today — beautiful." if progress.today_practice.met() else ""
    text = f"{headline} {tally(progress.today_practice)}.{cheer}"
    return text, dump(
        [
            section(f"{headline}\n*Today:* {tally(progress.today_practice)}{cheer}"),
            context(f"{program_line(progress)}\n{week_tally(progress.week_practice)}"),
        ]
    )


def given_words(practice: Practice) -> str:
    """What followers logged for a stand, in words: "2 shares, 1 action and 1 request"."""
    parts = [
        plural(count, word)
        for count, word in ((practice.shares, "share"), (practice.actions, "action"), (practice.requests, "request"))
        if count
    ]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else (parts[0] if parts else "nothing")
