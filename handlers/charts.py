"""The week as a picture: a PNG drawn with matplotlib's Agg backend from a `WeekPicture`, for the recap's thread
and a member's DM, with a description in words for screen readers (Slack's `alt_txt`)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.coach.pictures import DayPractice, StandLine, WeekPicture
from bot.coach.trajectory import figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Slack's colours, one per practice; a test finds the bars by them, so each is used for its bars and legend only.
SHARE_COLOUR, ACT_COLOUR, REQUEST_COLOUR = "#2eb67d", "#36c5f0", "#ecb22e"
TARGET_COLOUR, READING_COLOUR, PLAN_COLOUR = "#e01e5a", "#4a154b", "#868686"
MAX_STANDS = 6  # panels after the team's; the recap's text lists every stand
ALT_LIMIT = 1000  # characters Slack keeps of an image's description

# matplotlib's font and text caches are shared by every figure and not safe to fill from two threads at once.
_DRAWING = threading.Lock()


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart: the PNG, its description in words, and what to call it in Slack."""

    png: bytes
    alt: str
    title: str
    filename: str


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day}"


def _practice_panel(axes: Axes, days: tuple[DayPractice, ...]) -> None:
    from matplotlib.ticker import MaxNLocator  # with the Figure, below: only drawing needs matplotlib

    xs = range(len(days))
    width = 0.27
    for offset, colour, label, counts in (
        (-width, SHARE_COLOUR, "share", [d.done.shares for d in days]),
        (0.0, ACT_COLOUR, "act", [d.done.actions for d in days]),
        (width, REQUEST_COLOUR, "request", [d.done.requests for d in days]),
    ):
        axes.bar([x + offset for x in xs], counts, width=width, color=colour, label=label, linewidth=0)
    for x, day in zip(xs, days, strict=True):
        if day.target:
            axes.hlines(day.target, x - 0.45, x + 0.45, colors=TARGET_COLOUR, linestyles="dashed", linewidth=1.5)
    axes.plot([], [], color=TARGET_COLOUR, linestyle="dashed", label="target, each")
    highest = max([d.target for d in days] + [max(d.done.shares, d.done.actions, d.done.requests) for d in days])
    axes.set_ylim(0, max(1, highest) * 1.15)
    axes.set_xticks(list(xs), [_day_label(d.day) for d in days])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Share 2, act 2, request 2 — day by day", loc="left", fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)


def _stand_title(line: StandLine) -> str:
    latest = line.readings[-1][1]
    who = line.owner_name or "A stand"
    return f"{who} — {line.measure.what}: {figure(latest)} of {figure(line.measure.target)} by {line.due_on:%d %b}"


def _stand_panel(axes: Axes, line: StandLine, week: tuple[date, date]) -> None:
    # Days are drawn as numbers from the stand's start, labelled by date: the line's span is weeks, not years.
    def x(day: date) -> int:
        return (day - line.started_on).days

    axes.axvspan(x(week[0]), x(week[1]) + 1, color="#f4ede4", linewidth=0)  # the week this chart is about
    axes.plot(
        [x(line.started_on), x(line.due_on)],
        [line.measure.start, line.measure.target],
        color=PLAN_COLOUR,
        linestyle="dashed",
        label="the line to the target",
    )
    axes.plot(
        [x(day) for day, _ in line.readings],
        [value for _, value in line.readings],
        color=READING_COLOUR,
        marker="o",
        markersize=4,
        label="recorded",
    )
    span = max(x(line.due_on), x(week[1]) + 1, 1)
    ticks = sorted({round(span * i / 5) for i in range(6)})
    axes.set_xticks(ticks, [f"{line.started_on + timedelta(days=t):%d %b}" for t in ticks])
    axes.set_title(_stand_title(line)[:90], loc="left", fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)


def describe(picture: WeekPicture, title: str) -> str:
    """The chart in words: each day's share, act and request against its target, and each stand's line."""
    days = "; ".join(
        f"{_day_label(d.day)} {d.done.shares}/{d.done.actions}/{d.done.requests}"
        + (f" of {d.target} each" if d.target else "")
        for d in picture.days
    )
    words = f"{title}. Share/act/request by day: {days}."
    for line in picture.stands[:MAX_STANDS]:
        planned = line.planned(line.readings[-1][0])
        words += f" {_stand_title(line)} (the line to the target: {figure(planned)} on {line.readings[-1][0]:%d %b})."
    return words if len(words) <= ALT_LIMIT else words[: ALT_LIMIT - 1] + "…"


def draw_week(picture: WeekPicture, *, title: str) -> Chart:
    """The week's chart: the practice panel, then one panel per measured stand (at most `MAX_STANDS`)."""
    # Imported here, not at the top: matplotlib takes a noticeable moment to import, and only this draws.
    from matplotlib.figure import Figure

    stands = picture.stands[:MAX_STANDS]
    with _DRAWING:
        chart = Figure(figsize=(8.5, 3.2 + 2.4 * len(stands)), dpi=100, layout="constrained")
        panels = chart.subplots(1 + len(stands), 1, squeeze=False)[:, 0]
        chart.suptitle(title, x=0.02, ha="left", fontsize=12, fontweight="bold")
        _practice_panel(panels[0], picture.days)
        for axes, line in zip(panels[1:], stands, strict=True):
            _stand_panel(axes, line, (picture.week_start, picture.week_end))
        out = io.BytesIO()
        chart.savefig(out, format="png", metadata={"Title": title, "Description": describe(picture, title)})
    who = f"-{picture.user_id}" if picture.user_id else ""
    return Chart(
        png=out.getvalue(),
        alt=describe(picture, title),
        title=title,
        filename=f"week-{picture.week_start.isoformat()}{who}.png",
    )
