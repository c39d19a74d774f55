"""The practice, built pure: today's tally, the week's, day N of 14, and when the next nudge comes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.coach.rules import Practice
from handlers.blocks.practice import build_practice_logged, next_nudge_words, program_line, tally, week_tally
from tests.blocks_support import all_text, progress, stand

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin


def test_the_tally_marks_each_target_met() -> None:
    assert tally(Practice(shares=2, actions=1, requests=3)) == "Share 2/2 ✓ · Act 1/2 · Request 3/2 ✓"


def test_the_week_counts_requests_against_five() -> None:
    assert week_tally(Practice(shares=1, actions=2, requests=3)).endswith("3 of 5 requests")
    assert week_tally(Practice(shares=1, actions=2, requests=5)).endswith("5 requests (the week's 5 ✓)")


def test_without_a_stand_the_program_line_invites_one() -> None:
    assert program_line(progress(with_stand=None)).startswith("No active stand yet")


def test_the_program_line_names_the_day_and_the_stand() -> None:
    assert (
        program_line(progress(with_stand=stand("Win <big>"), day=3)) == "*Day 3 of 14* · your stand: _Win &lt;big&gt;_"
    )


def test_a_full_day_is_cheered() -> None:
    full = progress(with_stand=stand(), today=Practice(shares=2, actions=2, requests=2))

    text, blocks = build_practice_logged("Logged.", full)

    assert text.endswith("Full practice today — beautiful.")
    assert "Full practice today" in all_text(blocks)


def test_the_next_nudge_is_told_in_the_members_own_time() -> None:
    assert next_nudge_words(datetime(2026, 12, 3, 7, 30, tzinfo=UTC), BERLIN, NOW) == (
        "Your next nudge comes tomorrow at 08:30."
    )
    assert next_nudge_words(datetime(2026, 12, 5, 7, 30, tzinfo=UTC), BERLIN, NOW) == (
        "Your next nudge comes on Saturday at 08:30."
    )
    assert next_nudge_words(None, BERLIN, NOW).startswith("No nudges are due")
