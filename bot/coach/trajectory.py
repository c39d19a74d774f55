"""A measured stand's trajectory: the line from where it stood when declared, through where it stands now, to its
date; whether that line reaches the target. Pure: no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def figure(value: float) -> str:
    """A count as people write it: 80, 1,250, 2.5 (no trailing .0)."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


@dataclass(frozen=True, slots=True)
class Measure:
    """What a stand counts, where it stood when declared, and the target it commits to."""

    what: str
    start: float
    target: float

    @property
    def rising(self) -> bool:
        """Whether the target is above the start (else the stand commits to bring the count down)."""
        return self.target > self.start


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Where a measured stand stands on `today`, and where its line goes by `due_on`."""

    measure: Measure
    started_on: date
    due_on: date
    today: date
    current: float
    current_on: date  # the day `current` was recorded (the start's day when nothing was recorded yet)

    @property
    def days_left(self) -> int:
        """Whole days from today to the stand's date (0 on and after it)."""
        return max(0, (self.due_on - self.today).days)

    @property
    def reached(self) -> bool:
        """Whether the count is at or past the target."""
        if self.measure.rising:
            return self.current >= self.measure.target
        return self.current <= self.measure.target

    @property
    def projected(self) -> float | None:
        """Where the line from the start through the latest reading lands on the stand's date; None until a reading
        on a later day than the start gives the line a slope."""
        elapsed = (self.current_on - self.started_on).days
        if elapsed <= 0:
            return None
        pace = (self.current - self.measure.start) / elapsed
        return self.current + pace * max(0, (self.due_on - self.current_on).days)

    @property
    def on_track(self) -> bool | None:
        """Whether the line reaches the target by the date; None when it is too early to tell."""
        if self.reached:
            return True
        projected = self.projected
        if projected is None:
            return None
        return projected >= self.measure.target if self.measure.rising else projected <= self.measure.target

    @property
    def off_track(self) -> str | None:
        """What the coach notices when the line no longer reaches the target, in one kind sentence; or None."""
        if self.on_track is not False or self.today > self.due_on:
            return None
        projected = self.projected
        assert projected is not None
        return (
            f"At this pace, {self.measure.what} reach about {figure(projected)} by "
            f"{self.due_on.strftime('%a %d %b')} — the stand is {figure(self.measure.target)}."
        )
