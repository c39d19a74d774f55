"""App Home: the member's dashboard, published when they open it, with buttons that work from there."""

from __future__ import annotations

from datetime import date

from bot.app import Runtime
from bot.coach import MemberId
from bot.coach.trajectory import Measure
from standin import SlackStandIn
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
    ada = MemberId("T1", "UADA")
    app.coach.declare_stand(ada, long_text, date(2026, 12, 31), measure=Measure(long_text[:80], 40, 80))
    for n in range(5):
        app.coach.add_milestone(ada, long_text, date(2026, 12, 1 + n))
    for n in range(15):  # Ada, an admin, follows fifteen stands: her Home has the team's stands too
        app.coach.declare_stand(MemberId("T1", f"UOWNER{n:02d}"), long_text, None, measure=Measure("x", 1, 2))
        app.coach.join_stand("T1", export(app)["stands"][-1]["id"], "UADA")
    for _ in range(25):
        app.coach.make_request(MemberId("T1", "UBOB"), "UADA", long_text, None)
        app.coach.make_request(MemberId("T1", "UADA"), "UCY", long_text, None)
        app.coach.make_promise(MemberId("T1", "UADA"), long_text, None)

    slack.open_home("UADA")

    home = slack.wait_for(lambda: slack.home("UADA"))
    assert len(home.blocks) <= 100
    assert "more" in seen(home)
    for every_list in ("*Milestones:*", ":chart_with_upwards_trend:", "The team's stands", "…and 6 more stands"):
        assert every_list in seen(home)
    assert [c for c in slack.calls("views.publish") if not c.ok] == []


def join_from_the_announcement(slack: SlackStandIn, owner: str, followers: list[str]) -> None:
    """Each follower, in turn, joins the owner's stand from its announcement."""
    announcement = slack.wait_for(
        lambda: next((m for m in slack.messages("CGENERAL") if f"<@{owner}> takes a stand" in seen(m)), None)
    )
    for follower in followers:
        slack.click(follower, announcement, "Join the stand")
        last_ephemeral(slack, follower, "You joined")


def test_app_home_names_the_stands_followers_first_follower_first(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    join_from_the_announcement(slack, "UADA", ["UCY", "UBOB"])

    slack.open_home("UADA")

    home = slack.wait_for(lambda: slack.home("UADA"))
    assert "First follower: <@UCY> · also <@UBOB> · 2 followers" in seen(home)


def test_app_home_lists_the_stands_you_follow_and_leave_works_from_there(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    join_from_the_announcement(slack, "UADA", ["UBOB"])

    slack.open_home("UBOB")
    home = slack.wait_for(lambda: slack.home("UBOB"))
    assert "Stands you follow" in seen(home)
    assert "<@UADA> — _Sign 10 new partners_ · day 1 of 14" in seen(home)
    assert "Leave" in buttons(home)

    slack.click("UBOB", home, "Leave")

    dm(slack, "UBOB", "You've left <@UADA>'s stand")
    stand_id = export(app)["stands"][0]["id"]
    assert app.coach.followers("T1", stand_id) == []
    slack.wait_for(lambda: "Leave" not in buttons(slack.home("UBOB")))  # type: ignore[arg-type]
    assert "None yet" in seen(slack.home("UBOB"))  # type: ignore[arg-type]
    slack.wait_for(lambda: any("Be the first to join" in seen(m) for m in slack.messages("CGENERAL")))


def test_a_stand_with_hundreds_of_followers_names_the_first_few_within_block_kit_limits(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    stand_id = export(app)["stands"][0]["id"]
    followers = [f"UF{n:04d}" for n in range(300)]
    for follower in followers:
        app.coach.join_stand("T1", stand_id, follower)
    for n in range(15):  # Ada follows fifteen stands herself
        app.coach.declare_stand(MemberId("T1", f"UOWNER{n:02d}"), f"Outcome number {n}", None)
        app.coach.join_stand("T1", export(app)["stands"][-1]["id"], "UADA")

    slack.open_home("UADA")

    home = slack.wait_for(lambda: slack.home("UADA"))
    text = seen(home)
    assert "First follower: <@UF0000>" in text and "and 290 more · 300 followers" in text
    assert "<@UF0009>" in text and "<@UF0010>" not in text
    assert buttons(home).count("Leave") == 10 and "and 5 more stands you follow" in text
    assert len(home.blocks) <= 100
    assert [c for c in slack.calls("views.publish") if not c.ok] == []
