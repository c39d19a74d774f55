"""A stand's milestones, end to end: set inline or in the stand form, up to five, on the way to the stand's date,
shown in App Home and followed up on their date like any promise of the stand's owner."""

from __future__ import annotations

from typing import Any

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from handlers.ids import Field
from handlers.jobs import daily_pass
from standin import SlackStandIn
from tests import support
from tests.e2e import buttons, export, last_ephemeral, modal_answer, seen
from tests.support import at


def a_stand_due_on_friday_week(slack: SlackStandIn, clock: FixedClock) -> None:
    """Ada (Berlin) declares a stand due Friday 4 December, on Monday 23 November at 08:00."""
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", "80 sign-ups by 2026-12-04 (from 40)", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")


def milestones(app: Runtime) -> list[dict[str, Any]]:
    """Every milestone stored, as the export gives them."""
    return [p for p in export(app)["promises"] if p["milestone_of"] is not None]


def test_a_milestone_is_set_on_the_active_stand_and_shown_in_app_home(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_due_on_friday_week(slack, clock)

    slack.command("UADA", "/stand", "milestone 60 sign-ups by 2026-11-27")

    assert "Milestone set" in seen(last_ephemeral(slack, "UADA", "Milestone set"))
    [milestone] = milestones(app)
    [stand] = export(app)["stands"]
    assert (milestone["text"], milestone["due_on"], milestone["milestone_of"], milestone["status"]) == (
        "60 sign-ups",
        "2026-11-27",
        stand["id"],
        "open",
    )
    home = slack.wait_for(lambda: slack.home("UADA"))
    assert ":hourglass_flowing_sand: 60 sign-ups (by Fri 27 Nov 2026)" in seen(home)


def test_a_milestone_is_followed_up_on_its_date_and_kept_like_a_promise(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_stand_due_on_friday_week(slack, clock)
    slack.command("UADA", "/stand", "milestone 60 sign-ups by 2026-11-27")
    last_ephemeral(slack, "UADA", "Milestone set")

    clock.set(at("2026-11-27T08:00:00Z"))  # Friday, 09:00 in Berlin
    daily_pass(
        Nudges(app.coach),
        FollowUps(app.coach),
        paced_poster(support.settings_for(slack.api_url, "sqlite://")),
        clock.now(),
    )
    morning = slack.messages("UADA")[-1]
    assert "60 sign-ups" in seen(morning)
    assert {"Kept", "Renegotiate", "Revoke"} <= set(buttons(morning))

    slack.click("UADA", morning, "Kept", under="60 sign-ups")

    slack.wait_for(lambda: milestones(app)[0]["status"] == "kept" or None)
    slack.open_home("UADA")

    def kept_at_home() -> bool | None:
        home = slack.home("UADA")
        return (home is not None and ":white_check_mark: 60 sign-ups" in seen(home)) or None

    slack.wait_for(kept_at_home)


def test_a_milestone_needs_an_active_stand_a_date_and_to_come_before_the_stands_date(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", "milestone 60 sign-ups by 2026-11-27")
    assert "no active stand" in seen(last_ephemeral(slack, "UADA", "no active stand"))

    a_stand_due_on_friday_week(slack, clock)
    slack.command("UADA", "/stand", "milestone 60 sign-ups")
    assert "needs its date" in seen(last_ephemeral(slack, "UADA", "needs its date"))
    slack.command("UADA", "/stand", "milestone 90 sign-ups by 2026-12-11")
    assert "on or before Fri 04 Dec" in seen(last_ephemeral(slack, "UADA", "on or before"))

    assert milestones(app) == []


def test_a_stand_carries_five_milestones_at_most(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_stand_due_on_friday_week(slack, clock)
    for n in range(5):
        slack.command("UADA", "/stand", f"milestone step {n} by 2026-11-{25 + n}")
        last_ephemeral(slack, "UADA", f"step {n}")

    slack.command("UADA", "/stand", "milestone one too many by 2026-12-03")

    assert "5 milestones already" in seen(last_ephemeral(slack, "UADA", "milestones already"))
    assert [m["text"] for m in milestones(app)] == [f"step {n}" for n in range(5)]


def test_the_stand_form_takes_milestones_one_per_line_and_refuses_an_undated_one(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T07:00:00Z"))
    slack.command("UADA", "/stand", "", channel="CGENERAL")
    form = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    label = "Milestones on the way (optional, one per line)"

    refused = slack.submit(
        "UADA", form, {"The outcome you commit to": "Sign 10 partners", label: "Three signed by friday\nFive signed"}
    )

    assert isinstance(refused.body, dict) and Field.MILESTONES in refused.body["errors"]
    assert export(app)["stands"] == []
    slack.submit(
        "UADA",
        form,
        {"The outcome you commit to": "Sign 10 partners", label: "Three signed by friday\nFive signed by 2026-12-02"},
    )
    modal_answer(slack, "UADA", "Your stand is declared")
    assert [(m["text"], m["due_on"]) for m in milestones(app)] == [
        ("Three signed", "2026-11-27"),
        ("Five signed", "2026-12-02"),
    ]
