"""The program's arc in the morning nudge: its opening, its midpoint, and its closing with a choice."""

from __future__ import annotations

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.nudges import Nudges
from handlers.jobs import nudge_pass
from standin import SlackStandIn
from tests import support
from tests.e2e import a_stand_declared_on_monday, buttons, dm, export, last_ephemeral, modal_answer, nudge_on, seen
from tests.support import at


def test_the_first_nudge_opens_the_program_and_the_midpoint_reviews_it(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)

    opening = nudge_on(slack, app, clock, "2026-11-23T08:00:00Z")
    assert "Your program begins" in seen(opening) and "two people" in seen(opening)
    midpoint = nudge_on(slack, app, clock, "2026-11-30T08:00:00Z")  # day 8, the first working day past the middle
    assert "Halfway" in seen(midpoint)


def test_the_last_nudge_gives_the_two_weeks_in_numbers_and_a_choice(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    slack.command("UADA", "/share", "<@UBOB|bob> <@UCY|cy>")
    last_ephemeral(slack, "UADA", "Shared with")

    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")  # the second Friday

    assert "two weeks in numbers" in seen(closing) and "2 shares (2 people told)" in seen(closing)
    offered = buttons(closing)
    start = offered.index("Declare a breakthrough")
    assert offered[start : start + 3] == ["Declare a breakthrough", "Another 14 days", "Close the stand"]


def test_another_fourteen_days_restarts_the_program_on_the_next_working_day(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")

    slack.click("UADA", closing, "Another 14 days")

    assert "day 1 is Monday 7 December" in seen(last_ephemeral(slack, "UADA", "Another 14 days on your stand"))
    assert export(app)["stands"][0]["status"] == "active"
    reopening = nudge_on(slack, app, clock, "2026-12-07T08:00:00Z")
    assert "day 1 of 14" in seen(reopening) and "Your program begins" in seen(reopening)


def test_closing_the_stand_as_achieved_stops_the_nudges_and_keeps_the_history(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")

    slack.click("UADA", closing, "Close the stand")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"How did it end?": "Achieved", "In your words": "Twelve partners signed."})

    modal_answer(slack, "UADA", "Stand closed as achieved")
    [stand] = export(app)["stands"]
    assert (stand["status"], stand["closing_words"]) == ("achieved", "Twelve partners signed.")
    clock.set(at("2026-12-07T08:00:00Z"))
    report = nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    assert report.sent == 0


def test_followers_hear_the_stand_closed_in_its_owners_words(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UBOB", announcement, "Join the stand")
    last_ephemeral(slack, "UBOB", "You joined")
    closing = nudge_on(slack, app, clock, "2026-12-04T08:00:00Z")
    slack.click("UADA", closing, "Close the stand")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    slack.submit("UADA", modal, {"How did it end?": "Achieved", "In your words": "Twelve partners <!channel> signed."})

    told = seen(dm(slack, "UBOB", "closed the stand you joined"))
    assert "closed the stand you joined as achieved" in told
    assert "Twelve partners &lt;!channel&gt; signed." in told
    assert "<!channel>" not in told


def test_two_idle_working_days_turn_the_next_nudge_into_a_breakdown_check_in_at_most_every_three_days(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_declared_on_monday(slack, clock)
    nudge_on(slack, app, clock, "2026-11-23T08:00:00Z")
    assert "breakdown" not in seen(nudge_on(slack, app, clock, "2026-11-24T08:00:00Z"))

    check_in = nudge_on(slack, app, clock, "2026-11-25T08:00:00Z")  # nothing logged Monday or Tuesday

    assert "last two working days" in seen(check_in) and "What's missing" in seen(check_in)
    assert buttons(check_in)[-2:] == ["Declare a breakdown", "I'm on it"]
    assert "What's missing" not in seen(nudge_on(slack, app, clock, "2026-11-26T08:00:00Z"))  # not daily
    [noticed] = export(app)["breakdowns"]
    assert noticed["noticed"] is True

    slack.click("UADA", check_in, "Declare a breakdown")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What is off track?": "I froze after the first rejection."})
    slack.wait_for(lambda: export(app)["breakdowns"][0]["text"] == "I froze after the first rejection.")
    assert len(export(app)["breakdowns"]) == 1  # one breakdown met, declared in the member's words
