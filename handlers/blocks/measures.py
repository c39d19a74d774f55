"""A measured stand's trajectory in words: where the count stands, the target, the days left, and whether the line
from the start reaches it. Where a stand has no measure, nothing is said about one."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.coach.trajectory import Measure, Trajectory, figure
from handlers.blocks.primitives import Blocks, context, dump, esc, plural, section


def measure_line(measure: Measure) -> str:
    """What a stand counts, from where to where: `sign-ups: 40 → 80`."""
    return f"{esc(measure.what)}: {figure(measure.start)} → {figure(measure.target)}"


def pace_words(trajectory: Trajectory) -> str:
    """Whether the line reaches the target: reached, on track, too early to tell, or where this pace lands."""
    if trajectory.reached:
        return "target reached :tada:"
    projected = trajectory.projected
    if projected is None:
        return "record where it stands with `/progress` to see its pace"
    if trajectory.on_track:
        return f"on track for about {figure(projected)}"
    return f"at this pace about {figure(projected)} by {trajectory.due_on.strftime('%a %d %b')}"


def days_left_words(trajectory: Trajectory) -> str:
    """The days left to the stand's date, or that the date has come."""
    if trajectory.days_left == 0:
        return "its date is today" if trajectory.today == trajectory.due_on else "its date has passed"
    return f"{plural(trajectory.days_left, 'day')} left"


def trajectory_line(trajectory: Trajectory) -> str:
    """One line: `:chart_with_upwards_trend: *sign-ups* 52 of 80 (from 40) · 9 days left · on track for about 85`."""
    measure = trajectory.measure
    return (
        f":chart_with_upwards_trend: *{esc(measure.what)}* {figure(trajectory.current)} of {figure(measure.target)} "
        f"(from {figure(measure.start)}) · {days_left_words(trajectory)} · {pace_words(trajectory)}"
    )


def build_progress_recorded(trajectory: Trajectory) -> tuple[str, Blocks]:
    """The ephemeral answer to `/progress`."""
    measure = trajectory.measure
    text = f"Recorded: {figure(trajectory.current)} {esc(measure.what)}."
    blocks: list[Block] = [
        section(f"Recorded: *{figure(trajectory.current)}* {esc(measure.what)}.\n{trajectory_line(trajectory)}")
    ]
    if trajectory.on_track is False and not trajectory.reached:
        blocks.append(
            context(
                "The line no longer reaches the stand: that is a breakdown, not a failure. What is missing? Who "
                "could help? What request could you make today? (`/breakdown` to declare it.)"
            )
        )
    return text, dump(blocks)
