"""The weekly recap, built pure: the words of each line, and the team's integrity only when it is nobody's own."""

from __future__ import annotations

from datetime import date

from bot.coach.recaps import DueWeeklyLine
from bot.coach.rules import Ledger
from bot.coach.weeks import ParticipantWeek, StandFollowers, WeekSummary
from handlers.blocks.recaps import (
    build_weekly_line_for_follower,
    build_weekly_recap,
    promises_line,
    stand_line,
    week_label,
    week_line,
)
from tests.blocks_support import TODAY, action_ids


def summary(**changes: object) -> WeekSummary:
    fields: dict[str, object] = {
        "team_id": "T1",
        "week_start": date(2026, 11, 23),
        "week_end": date(2026, 11, 29),
        "participants": [ParticipantWeek("UADA", 12, 10, 10, 5, 5, 7)],
        "shares": 12,
        "actions": 10,
        "requests": 10,
        "share_target": 10,
        "action_target": 10,
        "request_target": 10,
        "stands_declared": [],
        "joined": [],
        "breakthroughs": [],
        "breakdowns_met": 0,
        "requests_made": 0,
        "requests_accepted": 0,
        "requests_completed": 0,
        "longest_streaks": [],
    }
    return WeekSummary(**(fields | changes))  # type: ignore[arg-type]


def test_a_week_reads_as_people_read_it_across_months_and_years() -> None:
    assert week_label(date(2026, 11, 16), date(2026, 11, 22)) == "16–22 Nov 2026"
    assert week_label(date(2026, 11, 30), date(2026, 12, 6)) == "30 Nov – 6 Dec 2026"
    assert week_label(date(2026, 12, 28), date(2027, 1, 3)) == "28 Dec 2026 – 3 Jan 2027"


def test_a_persons_week_in_one_line() -> None:
    assert week_line(ParticipantWeek("UADA", 12, 10, 10, 5, 5, 7)) == (
        "shares 12 · actions 10 · requests 10 · full days 5 · current streak 7 · best streak 5"
    )


def test_a_quiet_week_keeps_a_streak_that_outlasted_it() -> None:
    assert week_line(ParticipantWeek("UADA", 0, 0, 0, 0, 0, 3)) == "a quiet week on the log · current streak 3"


def test_a_stand_line_names_its_first_follower_and_counts_followers() -> None:
    line = stand_line(StandFollowers(stand_id=1, owner_id="UADA", text="Win\nbig", followers=3, first_follower="UBEN"))

    assert line == "<@UADA> — _Win big_ · first follower <@UBEN> · 3 followers"


def test_the_team_integrity_shows_only_from_five_promises_ended() -> None:
    four = summary(ledger=Ledger(made=4, kept_on_time=3, broken=1))
    five = summary(ledger=Ledger(made=5, kept_on_time=4, broken=1))

    assert "team integrity" not in (promises_line(four) or "")
    assert (promises_line(five) or "").endswith("— team integrity 80%")


def test_the_team_integrity_stays_out_when_the_workspace_says_so() -> None:
    hidden = summary(ledger=Ledger(made=5, kept_on_time=5), team_integrity=False)

    assert "team integrity" not in (promises_line(hidden) or "")


def test_no_promises_no_promise_line() -> None:
    assert promises_line(summary()) is None


def test_the_recap_text_gives_the_team_totals_without_marks() -> None:
    text, _, replies = build_weekly_recap(summary())

    assert text == "Weekly recap · 23–29 Nov 2026: Shares 12 / 10 · Actions 10 / 10 · Requests 10 / 10"
    assert [heading for heading, _ in replies] == ["Each person's week, 23–29 Nov 2026"]


def test_a_follower_gets_the_owners_week_with_a_way_to_leave() -> None:
    due = DueWeeklyLine(
        team_id="T1",
        follower_id=1,
        user_id="UBEN",
        stand_id=1,
        owner_id="UADA",
        stand_text="Win big",
        week_start=date(2026, 11, 23),
        local_date=TODAY,
        week=ParticipantWeek("UADA", 0, 0, 0, 0, 0),
    )

    text, blocks = build_weekly_line_for_follower(due)

    assert text == "<@UADA>'s week on their stand 'Win big': a quiet week on the log"
    assert action_ids(blocks) == ["stand_leave"]
