"""`breakthrough demo --story`: a team in the middle of a program, told through the app's own commands."""

from __future__ import annotations

from bot.demo import Demo


def tell_story(demo: Demo) -> None:
    """Walk the team through six days of a program."""
