"""App Home: the member's dashboard, published when they open it, with buttons that work from there."""

from __future__ import annotations

from bot.app import Runtime
from bot.standin import SlackStandIn
from tests.e2e import buttons, dm, export, last_ephemeral, seen


def test_opening_app_home_publishes_the_dashboard(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    slack.command("UADA", "/act", "Called the mayor")
    last_ephemeral(slack, "UADA", "Action logged")
    slack.command("UBOB", "/request", "<@UADA|ada> the partner list by friday")
    last_ephemeral(slack, "UBOB", "Request sent")

    slack.open_home("UADA")

    home = slack.wait_for(lambda: slack.home("UADA"))
    text = seen(home)
    assert "Day 1 of 14" in text and "Sign 10 new partners" in text
    assert "Act 1/2" in text
    assert "the partner list" in text and "Requests made of you" in text
    assert {"Log a share", "Log an action", "Make a request", "Accept"} <= set(buttons(home))


def test_accepting_from_app_home_updates_the_request_and_the_home(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UBOB", "/request", "<@UADA|ada> the partner list")
    dm(slack, "UADA", "asks you")
    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA"))

    slack.click("UADA", home, "Accept")

    dm(slack, "UBOB", "accepted your request")
    assert export(app)["requests"][0]["status"] == "accepted"
    slack.wait_for(lambda: "Done" in buttons(slack.home("UADA")))  # type: ignore[arg-type]


def test_logging_from_app_home_opens_the_form_and_refreshes_home(slack: SlackStandIn, app: Runtime) -> None:
    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA"))

    slack.click("UADA", home, "Log an action")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What did you do?": "Wrote the plan"})

    slack.wait_for(lambda: "Act 1/2" in seen(slack.home("UADA")))  # type: ignore[arg-type]
    assert [a["text"] for a in export(app)["actions"]] == ["Wrote the plan"]


def test_a_busy_members_home_stays_within_slacks_block_kit_limits(slack: SlackStandIn, app: Runtime) -> None:
    long_text = "a long ask " * 270  # about 2,970 characters each
    for _ in range(25):
        app.coach.make_request("T1", "UBOB", "UADA", long_text, None)
        app.coach.make_request("T1", "UADA", "UCY", long_text, None)
        app.coach.make_promise("T1", "UADA", long_text, None)

    slack.open_home("UADA")

    home = slack.wait_for(lambda: slack.home("UADA"))
    assert len(home.blocks) <= 100
    assert "more" in seen(home)
    assert [c for c in slack.calls("views.publish") if not c.ok] == []
