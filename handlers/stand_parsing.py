"""Reading what a member types about a stand: its measure (`/stand 80 sign-ups (from 40)`), where the measure
stands (`/progress`), and its milestones (`/stand milestone <what> by <date>`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from bot.coach.trajectory import Measure
from handlers.parsing import ParseError, check_text, required_text, split_due_date, unescape

MAX_FIGURE = 1e12
"""Beyond any count a team keeps: a larger number is a typo."""
MAX_MEASURE_NAME = 80
_STAND_EXAMPLE = "`/stand Sign 10 new partners by 2026-12-31`"
_MEASURED_EXAMPLE = "`/stand 80 sign-ups by 2026-12-18 (from 40)`"
_PROGRESS_EXAMPLE = "`/progress 52 three more from the newsletter`"
_FROM = re.compile(r"\(\s*from\b([^)]*)\)", re.IGNORECASE)
_LEADING_FIGURE = re.compile(r"^\s*([-+]?\d[\d,_]*(?:\.\d+)?)\s+(\S.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class StandInput:
    """A stand as typed: the outcome and, when given, the date it is due and what it counts."""

    outcome: str
    due_on: date | None
    measure: Measure | None = None


@dataclass(frozen=True, slots=True)
class ProgressInput:
    """`/progress` as typed: where the stand's measure stands today, and an optional note."""

    value: float
    note: str


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    """A milestone as typed: what it is, and its date (a milestone always has one)."""

    what: str
    due_on: date


def parse_stand(text: str, *, today: date) -> StandInput:
    """The outcome, optional due date and optional measure in `/stand <outcome> [by <date>] [(from <number>)]`;
    with `(from N)`, the outcome starts with the number it commits to: `/stand 80 sign-ups (from 40)`."""
    starts = _FROM.findall(text)
    if len(starts) > 1:
        raise ParseError(f"One `(from …)` is enough: where your measure stands today, e.g. {_MEASURED_EXAMPLE}.")
    unmeasured = re.sub(r"[ \t]{2,}", " ", _FROM.sub(" ", text)).strip()
    outcome, due_on = split_due_date(unmeasured, today=today, example=_STAND_EXAMPLE)
    outcome = required_text(outcome, what="the outcome you're committing to", example=_STAND_EXAMPLE)
    return StandInput(outcome=outcome, due_on=due_on, measure=_measure(outcome, starts[0]) if starts else None)


def _measure(outcome: str, start_text: str) -> Measure:
    start = parse_figure(start_text)
    if start is None:
        raise ParseError(
            f"`(from{start_text})` needs the number your measure stands at today, e.g. {_MEASURED_EXAMPLE}."
        )
    leading = _LEADING_FIGURE.match(outcome)
    target = parse_figure(leading.group(1)) if leading else None
    if leading is None or target is None:
        raise ParseError(
            f"To measure your stand, start it with the number you commit to and what it counts, e.g. "
            f"{_MEASURED_EXAMPLE}."
        )
    return measure_of(leading.group(2), start, target)


def measure_of(what: str, start: float, target: float) -> Measure:
    """A measure from its parts, refused kindly when it cannot be followed: nothing counted, or no distance to go."""
    name = " ".join(what.split())
    if not name:
        raise ParseError(f"Say what your measure counts, e.g. {_MEASURED_EXAMPLE}.")
    if target == start:
        raise ParseError(
            "Your target is where the count stands already. A stand is well beyond the predictable: what would "
            "three times what you know how to do look like?"
        )
    return Measure(what=name[:MAX_MEASURE_NAME], start=start, target=target)


def parse_figure(text: str) -> float | None:
    """A count as a person types it (`80`, `1,250`, `2.5`), or None when it is not one."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) and abs(value) < MAX_FIGURE else None


def parse_progress(text: str) -> ProgressInput:
    """Where the stand's measure stands and an optional note in `/progress <number> [note]`."""
    first, _, rest = text.strip().partition(" ")
    value = parse_figure(first) if first else None
    if value is None:
        raise ParseError(f"Start with the number your measure stands at today, e.g. {_PROGRESS_EXAMPLE}.")
    return ProgressInput(value=value, note=check_text(unescape(rest), what="your note") if rest.strip() else "")


MILESTONE = re.compile(r"^\s*milestone\b", re.IGNORECASE)
_MILESTONE_EXAMPLE = "`/stand milestone 60 sign-ups by friday`"
MAX_MILESTONES_TYPED = 5


def is_milestone(text: str) -> bool:
    """Whether `/stand` was given a milestone (`/stand milestone <what> by <date>`) rather than a stand."""
    return MILESTONE.match(text) is not None


def parse_milestone(text: str, *, today: date) -> MilestoneInput:
    """What the milestone is and its date in `[milestone] <what> by <date>`; a milestone needs its date."""
    what, due_on = split_due_date(MILESTONE.sub("", text, count=1).strip(), today=today, example=_MILESTONE_EXAMPLE)
    what = required_text(what, what="what the milestone is", example=_MILESTONE_EXAMPLE)
    if due_on is None:
        raise ParseError(f"A milestone needs its date, so it can be followed up, e.g. {_MILESTONE_EXAMPLE}.")
    return MilestoneInput(what=what, due_on=due_on)


def parse_milestones(text: str, *, today: date) -> list[tuple[str, date]]:
    """Milestones typed one per line (`60 sign-ups by 2026-12-04`), up to five."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_MILESTONES_TYPED:
        raise ParseError(f"Up to {MAX_MILESTONES_TYPED} milestones, one per line.")
    return [(m.what, m.due_on) for m in (parse_milestone(line, today=today) for line in lines)]
