"""What each modal carries in its `private_metadata`, typed: the builder writes one of these, the reader reads the
same one back, so the two cannot drift apart. Slack gives the string back untouched (3,000 characters at most), in
a signed submission; anything that does not read as the expected shape is a form that lost track of itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from bot.coach import CoachRefusal

M = TypeVar("M", bound="Metadata")

LOST = "That form lost track of what it was about, so nothing changed. Please start again."


@dataclass(frozen=True, slots=True)
class Metadata:
    """Every modal's: whether it was opened from App Home (its answer then refreshes Home too)."""

    home: bool = False

    def dump(self) -> str:
        """As `private_metadata`: compact JSON, the fields that are set."""
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, False)}, separators=(",", ":"))

    @classmethod
    def read(cls: type[M], raw: Any) -> M:
        """The metadata a submission carried; a refusal when it is not this modal's shape."""
        try:
            loaded = json.loads(raw or "{}")
        except (TypeError, ValueError):
            raise CoachRefusal(LOST) from None
        if not isinstance(loaded, dict):
            raise CoachRefusal(LOST)
        known = {f.name for f in fields(cls)}
        try:
            found = cls(**{k: v for k, v in loaded.items() if k in known})
        except TypeError:
            raise CoachRefusal(LOST) from None
        found.check()
        return found

    def check(self) -> None:
        """Refuse values of the wrong type: what the JSON held is checked against each field's type."""
        hints = get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not any(_fits(value, t) for t in get_args(hints[f.name]) or (hints[f.name],)):
                raise CoachRefusal(LOST)


def _fits(value: Any, expected: Any) -> bool:
    if get_origin(expected) is Literal:
        return value in get_args(expected)
    if expected is int:  # JSON's true is no ID
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(expected, type) and isinstance(value, expected)


@dataclass(frozen=True, slots=True)
class StandForm(Metadata):
    channel: str | None = None  # where `/stand` was typed: the announcement goes there


@dataclass(frozen=True, slots=True)
class BreakdownForm(Metadata):
    noticed: int | None = None  # the check-in's breakdown this declares in the member's words


@dataclass(frozen=True, slots=True)
class CounterForm(Metadata):
    request: int | None = None


@dataclass(frozen=True, slots=True)
class StandItemForm(Metadata):
    stand: int | None = None  # the stand an offer of help is for, or that is being closed


@dataclass(frozen=True, slots=True)
class IdeaForm(Metadata):
    breakdown: int | None = None  # the breakdown the idea answers


@dataclass(frozen=True, slots=True)
class ResolveForm(Metadata):
    breakdown: int | None = None
    url: str | None = None  # the coaching's response_url, to replace It shifted with what shifted


@dataclass(frozen=True, slots=True)
class RenegotiateForm(Metadata):
    kind: Literal["promise", "request"] | None = None
    id: int | None = None
    channel: str | None = None  # where the question was asked
    ts: str | None = None


def required(value: int | None) -> int:
    """An ID the form must carry."""
    if value is None:
        raise CoachRefusal(LOST)
    return value
