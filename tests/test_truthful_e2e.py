"""The coach tells the truth (issue 9): the figures and the days a member reads are right."""

from __future__ import annotations

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.nudges import THEMES
from bot.coach.recaps import Recaps
from handlers.jobs import recap_pass
from standin import Message, SlackStandIn
from tests import support
from tests.e2e import a_stand_declared_on_monday, buttons, drained, last_ephemeral, modal_answer, nudge_on, seen
from tests.support import at


def test_app_home_after_another_fourteen_days_says_when_they_start_not_a_negative_day(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")  # Friday, day 12: the closing nudge
    slack.click("UADA", closing, "Another 14 days")
    last_ephemeral(slack, "UADA", "Another 14 days on your stand")

    before = len(slack.calls("views.publish"))
    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA") if len(slack.calls("views.publish")) > before else None)

    assert "Day -" not in seen(home) and "Day 0" not in seen(home)
    assert "Your next 14 days start Monday 7 December" in seen(home)


def test_counts_read_as_words_one_action_not_one_actions_and_requests_against_the_week(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")

    slack.command("UADA", "/act", "Called the venue")
    answer = seen(last_ephemeral(slack, "UADA", "Action logged"))

    assert "1 action," in answer and "1 actions" not in answer
    assert "0 shares" in answer and "0 of 5 requests" in answer and "/5 requests" not in answer


def a_check_in_on_wednesday(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> Message:
    """Ada's stand from Monday, nothing logged Monday or Tuesday: Wednesday's nudge checks in on a breakdown."""
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "weekly recap")
    a_stand_declared_on_monday(slack, clock)
    nudge_on(slack, app, clock, "2026-11-23T08:00:00Z")
    nudge_on(slack, app, clock, "2026-11-24T08:00:00Z")
    check_in = nudge_on(slack, app, clock, "2026-11-25T08:00:00Z")
    assert "Declare a breakdown" in buttons(check_in)
    return check_in


def the_weeks_recap(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> str:
    drained(slack, app)
    clock.set(at("2026-11-30T08:05:00Z"))  # Monday 09:05 in Berlin: last week's recap is due
    recap_pass(Recaps(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    return seen(next(m for m in slack.messages("CWINS") if "Weekly recap" in seen(m)))


def test_a_check_in_nobody_answered_is_not_counted_as_a_breakdown_met(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_check_in_on_wednesday(slack, app, clock)

    recap = the_weeks_recap(slack, app, clock)

    assert "breakdown" not in recap.lower()


def test_a_check_in_the_member_declares_is_one_breakdown_met(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    check_in = a_check_in_on_wednesday(slack, app, clock)
    slack.click("UADA", check_in, "Declare a breakdown")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What is off track?": "I froze after the first rejection."})
    modal_answer(slack, "UADA", "froze")

    recap = the_weeks_recap(slack, app, clock)

    assert "1 breakdown met" in recap


def test_the_closing_numbers_read_as_words_and_do_not_call_day_twelve_the_last_day(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    slack.command("UADA", "/act", "Called the venue")
    last_ephemeral(slack, "UADA", "Action logged")

    closing = seen(nudge_on(slack, app, clock, "2026-12-04T08:00:00Z"))  # the second Friday: day 12 of 14

    assert "The last day of your program" not in closing
    assert "1 action ·" in closing and "1 actions" not in closing
    assert "0 breakdowns met" in closing and "0 followers" in closing


def test_resuming_says_when_the_next_nudge_comes_not_tomorrow_when_it_is_today(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T12:00:00Z"))  # Monday, 07:00 in New York: Bob's 09:00 nudge is still to come today
    slack.command("UBOB", "/stand", "Open the community garden", channel="CGENERAL")
    last_ephemeral(slack, "UBOB", "Your stand is declared")
    slack.command("UBOB", "/coach", "pause")
    last_ephemeral(slack, "UBOB", "Paused")

    slack.command("UBOB", "/coach", "resume")

    answer = seen(last_ephemeral(slack, "UBOB", "Welcome back"))
    assert "tomorrow" not in answer
    assert "today at 09:00" in answer


def test_closing_a_stand_as_achieved_after_its_breakthrough_does_not_ask_for_the_breakthrough_again(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")
    slack.command("UADA", "/breakthrough", "Twelve partners signed")
    last_ephemeral(slack, "UADA", "Breakthrough recorded")

    slack.click("UADA", closing, "Close the stand")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"How did it end?": "Achieved", "In your words": "Twelve partners signed."})

    answer = seen(modal_answer(slack, "UADA", "Stand closed as achieved"))
    assert "Declare the breakthrough" not in answer


def test_a_nudge_sent_in_the_evening_does_not_say_good_morning_even_when_rewritten(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T19:15:00Z"))  # Monday, 20:15 in Berlin: the stand's first day is today
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")

    nudge = nudge_on(slack, app, clock, "2026-11-23T19:16:00Z")
    slack.command("UADA", "/act", "Called the venue")  # the nudge is rewritten to show it
    last_ephemeral(slack, "UADA", "Action logged")
    rewritten = slack.wait_for(
        lambda: next((m for m in slack.messages("UADA") if m.ts == nudge.ts and m.updates), None)
    )

    assert "Good morning" not in seen(nudge) and "Good evening" in seen(nudge)
    assert "Good evening" in seen(rewritten) and "Act 1/2" in seen(rewritten)


def test_the_halfway_note_counts_the_program_so_far_not_a_monday_that_just_began(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    slack.command("UADA", "/act", "Called the venue")
    last_ephemeral(slack, "UADA", "Action logged")

    halfway = seen(nudge_on(slack, app, clock, "2026-11-30T08:00:00Z"))  # the second Monday, day 8

    assert "Halfway.* Your program so far: 0 shares, 1 action and 0 requests." in halfway


def test_with_weekends_off_the_program_meets_all_ten_steps_one_per_working_day(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    days = [f"2026-11-{d}T08:00:00Z" for d in (23, 24, 25, 26, 27, 30)] + [
        f"2026-12-0{d}T08:00:00Z" for d in (1, 2, 3, 4)
    ]

    themes = [seen(nudge_on(slack, app, clock, day)).split(":compass: *")[1].split(".*")[0] for day in days]

    assert themes == [theme.title for theme in THEMES]
    assert "Enrol evangelists" in themes and "Find what and whom you need to know" in themes
