"""A stand's measure, end to end: declared inline or in the form, recorded with `/progress`, shown as a trajectory
in the confirmation, status, App Home, the morning nudge and the recap, and noticed as a breakdown when its line no
longer reaches the target."""

from __future__ import annotations

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from bot.coach.recaps import Recaps
from handlers.ids import Field
from handlers.jobs import daily_pass, recap_pass
from standin import SlackStandIn
from tests import support
from tests.e2e import drained, export, last_ephemeral, modal_answer, seen
from tests.support import at

MEASURED = "80 sign-ups by 2026-12-04 (from 40)"


def a_measured_stand_on_monday(slack: SlackStandIn, clock: FixedClock) -> None:
    """Ada (Berlin) declares 80 sign-ups by Friday 4 December, from 40, on Monday 23 November at 08:00."""
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", MEASURED, channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")


def progress_on_tuesday(slack: SlackStandIn, clock: FixedClock, text: str) -> str:
    """Ada records where the count stands on Tuesday at noon; what she is answered."""
    clock.set(at("2026-11-24T11:00:00Z"))
    slack.command("UADA", "/progress", text)
    return seen(last_ephemeral(slack, "UADA", "Recorded"))


def morning(slack: SlackStandIn, app: Runtime, clock: FixedClock, instant: str) -> str:
    """Ada's morning message from the daily pass at `instant`."""
    drained(slack, app)  # her welcome and what else earlier commands owe her are out before counting
    clock.set(at(instant))
    before = len(slack.messages("UADA"))
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    daily_pass(Nudges(app.coach), FollowUps(app.coach), poster, clock.now())
    assert len(slack.messages("UADA")) == before + 1
    return seen(slack.messages("UADA")[-1])


def test_a_stand_declared_with_a_measure_keeps_it_and_its_starting_point(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)

    confirmation = seen(last_ephemeral(slack, "UADA", "Your stand is declared"))
    assert "Measured: sign-ups: 40 → 80" in confirmation
    [stand] = export(app)["stands"]
    assert (stand["text"], stand["measure"], stand["measure_start"], stand["measure_target"]) == (
        "80 sign-ups",
        "sign-ups",
        40,
        80,
    )
    assert stand["due_on"] == "2026-12-04"
    [reading] = export(app)["readings"]
    assert (reading["value"], reading["local_date"], reading["stand_id"]) == (40, "2026-11-23", stand["id"])


def test_progress_is_recorded_and_answered_with_the_trajectory(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)

    answer = progress_on_tuesday(slack, clock, "60 a newsletter mention")

    assert "Recorded: *60* sign-ups" in answer
    # From 40 to 60 in a day: 20 a day for the ten days to Friday 4 December reaches 260.
    assert "60 of 80 (from 40) · 10 days left · on track for about 260" in answer
    readings = export(app)["readings"]
    assert [(r["value"], r["note"], r["local_date"]) for r in readings] == [
        (40, None, "2026-11-23"),
        (60, "a newsletter mention", "2026-11-24"),
    ]


def test_status_and_app_home_show_the_trajectory(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_measured_stand_on_monday(slack, clock)
    progress_on_tuesday(slack, clock, "44")

    slack.command("UADA", "/coach", "status")
    status = seen(last_ephemeral(slack, "UADA", "of 80"))
    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA"))

    # 4 a day for ten more days: 84.
    expected = "44 of 80 (from 40) · 10 days left · on track for about 84"
    assert expected in status
    assert expected in seen(home)


def test_the_morning_nudge_shows_the_trajectory_and_notices_a_line_that_falls_short(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)
    answer = progress_on_tuesday(slack, clock, "42")
    assert "breakdown, not a failure" in answer  # 2 a day reaches 62 by the 4th: short of 80

    nudge = morning(slack, app, clock, "2026-11-25T08:00:00Z")  # Wednesday, 09:00 in Berlin

    assert "42 of 80 (from 40) · 9 days left · at this pace about 62 by Fri 04 Dec" in nudge
    assert "At this pace, sign-ups reach about 62 by Fri 04 Dec — the stand is 80." in nudge
    [noticed] = [b for b in export(app)["breakdowns"] if b["noticed"]]
    assert noticed["text"].startswith("At this pace, sign-ups reach about 62")


def test_a_line_on_track_is_not_noticed_as_a_breakdown(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_measured_stand_on_monday(slack, clock)
    slack.command("UADA", "/act", "Wrote to the newsletter editors")  # Monday's practice: not idle either
    last_ephemeral(slack, "UADA", "Action logged")
    progress_on_tuesday(slack, clock, "60")

    nudge = morning(slack, app, clock, "2026-11-25T08:00:00Z")

    assert "60 of 80 (from 40) · 9 days left · on track for about 260" in nudge  # 20 a day from Tuesday to the 4th
    assert not [b for b in export(app)["breakdowns"] if "At this pace" in b["text"]]


def test_a_stand_without_a_measure_says_nothing_of_one_and_progress_is_refused_kindly(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", "Sign 10 new partners by 2026-12-04", channel="CGENERAL")
    assert "Measured" not in seen(last_ephemeral(slack, "UADA", "Your stand is declared"))

    reply = slack.command("UADA", "/progress", "12")

    assert "doesn't count anything yet" in seen(last_ephemeral(slack, "UADA", "count anything"))
    assert reply.status == 200
    assert export(app)["readings"] == []
    nudge = morning(slack, app, clock, "2026-11-24T08:00:00Z")
    assert "of 80" not in nudge and ":chart_with_upwards_trend:" not in nudge


def test_progress_that_is_not_a_number_is_refused_and_changes_nothing(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)

    slack.command("UADA", "/progress", "lots more")

    assert "Start with the number" in seen(last_ephemeral(slack, "UADA", "Start with the number"))
    assert len(export(app)["readings"]) == 1


def test_a_measure_without_a_leading_target_is_refused_and_nothing_is_declared(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "Many more sign-ups (from 40)", channel="CGENERAL")

    assert "start it with the number you commit to" in seen(last_ephemeral(slack, "UADA", "number you commit to"))
    assert export(app)["stands"] == []


def test_the_stand_form_takes_a_measure_and_refuses_half_of_one_under_its_fields(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "", channel="CGENERAL")
    form = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    assert "What would be three times what you know how to do?" in seen(form)

    half = slack.submit("UADA", form, {"The outcome you commit to": "Triple the sign-ups", "What will you count?": "x"})

    assert isinstance(half.body, dict) and half.body["response_action"] == "errors"
    assert set(half.body["errors"]) == {Field.MEASURE_START, Field.MEASURE_TARGET}
    assert export(app)["stands"] == []

    slack.submit(
        "UADA",
        form,
        {
            "The outcome you commit to": "Triple the sign-ups",
            "Where does it come from?": "An inspiration — something new is possible",
            "What will you count?": "sign-ups",
            "Where does it stand today?": "40",
            "What would be three times what you know how to do?": "120",
        },
    )

    modal_answer(slack, "UADA", "Your stand is declared")
    [stand] = export(app)["stands"]
    assert (stand["measure"], stand["measure_start"], stand["measure_target"], stand["origin"]) == (
        "sign-ups",
        40,
        120,
        "inspiration",
    )


def test_bare_progress_opens_a_form_that_refuses_words_and_records_a_number(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)
    slack.command("UADA", "/progress", "")
    form = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    refused = slack.submit("UADA", form, {"Where does your measure stand today?": "forty-two"})

    assert isinstance(refused.body, dict) and Field.VALUE in refused.body["errors"]
    slack.submit("UADA", form, {"Where does your measure stand today?": "42", "A note": "two from a talk"})
    assert "Recorded: *42* sign-ups" in seen(modal_answer(slack, "UADA", "Recorded"))
    assert [r["value"] for r in export(app)["readings"]] == [40, 42]


def test_the_recap_shows_each_measured_stand_where_it_stood_at_the_weeks_end(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_measured_stand_on_monday(slack, clock)
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "weekly recap")
    progress_on_tuesday(slack, clock, "50")
    clock.set(at("2026-11-27T11:00:00Z"))
    slack.command("UADA", "/progress", "58")
    last_ephemeral(slack, "UADA", "Recorded: *58*")

    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    report = recap_pass(Recaps(app.coach), poster, at("2026-11-30T08:05:00Z"))

    assert report.failed == 0
    recap = "\n".join(seen(m) for m in slack.messages("CWINS"))
    # Friday's 58, four days after the start: 4.5 a day reaches 89.5 by the 4th.
    assert "58 of 80 sign-ups, on track for about 89.5" in recap
