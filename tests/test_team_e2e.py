"""The leader's view, end to end: `/coach team` and a lead's App Home show every active stand side by side; a
member who does not lead is refused kindly. And followers' practice for a stand they joined, inline or in a form."""

from __future__ import annotations

from bot.app import Runtime
from bot.clock import FixedClock
from standin import SlackStandIn
from tests.e2e import export, last_ephemeral, modal_answer, seen
from tests.support import at


def bob_and_cy_take_stands(slack: SlackStandIn, clock: FixedClock) -> None:
    """On Monday 23 November Bob declares a measured stand and Cy a plain one; Cy joins Bob's."""
    clock.set(at("2026-11-23T14:00:00Z"))
    slack.command("UBOB", "/stand", "80 sign-ups by 2026-12-04 (from 40)", channel="CGENERAL")
    last_ephemeral(slack, "UBOB", "Your stand is declared")
    slack.command("UCY", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UCY", "Your stand is declared")
    # The announcement goes out through the outbox once Bob's stand is stored: waited for, not assumed there.
    announcement = slack.wait_for(
        lambda: next((m for m in slack.messages("CGENERAL") if "UBOB" in seen(m) and "takes a stand" in seen(m)), None)
    )
    slack.click("UCY", announcement, "Join the stand")
    last_ephemeral(slack, "UCY", "You joined")


def test_a_lead_sees_every_active_stand_side_by_side(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    bob_and_cy_take_stands(slack, clock)
    clock.set(at("2026-11-24T14:00:00Z"))  # Tuesday
    slack.command("UBOB", "/progress", "50")
    last_ephemeral(slack, "UBOB", "Recorded")
    slack.command("UBOB", "/act", "Called the newsletter")
    last_ephemeral(slack, "UBOB", "Action logged")
    slack.command("UBOB", "/promise", "Draft the landing page by 2026-11-23")
    slack.command("UBOB", "/breakdown", "The launch slipped a week")
    last_ephemeral(slack, "UBOB", "Breakdown declared")

    slack.command("UADA", "/coach", "team")

    view = seen(last_ephemeral(slack, "UADA", "The team's stands"))
    assert "2 active stands" in view
    bob = view[view.index("<@UBOB> · day 2 of 14") :]
    assert "50 of 80 sign-ups · on track for about 150" in bob
    assert "This week: share 0/10 · act 1/10 · request 0/5" in bob
    assert "1 open breakdown" in bob
    assert "first follower <@UCY> of 1" in bob
    assert "<@UCY> · day 2 of 14 · _Sign 10 new partners_" in view


def test_the_overdue_count_is_the_owners_promises_past_their_date(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)
    slack.command("UBOB", "/promise", "Draft the landing page by tomorrow")
    last_ephemeral(slack, "UBOB", "Draft the landing page")
    clock.set(at("2026-11-26T14:00:00Z"))  # Thursday: Tuesday's promise is two days past

    slack.command("UADA", "/coach", "team")

    view = seen(last_ephemeral(slack, "UADA", "The team's stands"))
    bob = view[view.index("<@UBOB>") : view.index("<@UCY> · day")]
    assert "1 overdue promise" in bob
    assert "nothing overdue" in view[view.index("<@UCY> · day") :]


def test_a_member_who_does_not_lead_is_refused_and_sees_no_team_at_home(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)

    slack.command("UBOB", "/coach", "team")

    assert "for workspace admins" in seen(last_ephemeral(slack, "UBOB", "for workspace admins"))
    slack.open_home("UBOB")
    home = slack.wait_for(lambda: slack.home("UBOB"))
    assert "The team's stands" not in seen(home)


def test_a_leads_app_home_carries_the_team_section(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    bob_and_cy_take_stands(slack, clock)
    slack.command("UADA", "/coach", "status")  # Ada is met, and Slack says she is an admin
    last_ephemeral(slack, "UADA", "")

    slack.open_home("UADA")

    home = seen(slack.wait_for(lambda: slack.home("UADA")))
    assert "The team's stands" in home
    assert "<@UBOB> · day 1 of 14 · _80 sign-ups_" in home
    assert "<@UCY> · day 1 of 14 · _Sign 10 new partners_" in home


def test_a_follower_logs_practice_for_the_stand_they_joined_and_it_counts_for_it(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)

    slack.command("UCY", "/act", "for <@UBOB|bob> Introduced Bob to two newsletter editors")
    slack.command("UCY", "/share", "for <@UBOB> <@UADA> told Ada about Bob's sign-ups")
    slack.command("UCY", "/request", "for <@UBOB|bob> <@UADA> share Bob's launch post by friday")

    assert "For <@UBOB>'s stand too" in seen(last_ephemeral(slack, "UCY", "Action logged"))
    last_ephemeral(slack, "UCY", "Request sent")
    [stand] = [s for s in export(app)["stands"] if s["user_id"] == "UBOB"]
    logged = [
        (kind, row["user_id"], row["toward_stand_id"])
        for kind in ("actions", "shares", "requests")
        for row in export(app)[kind]
    ]
    assert logged == [("actions", "UCY", stand["id"]), ("shares", "UCY", stand["id"]), ("requests", "UCY", stand["id"])]
    slack.command("UBOB", "/coach", "status")
    status = seen(last_ephemeral(slack, "UBOB", "they logged"))
    assert "for your stand this week they logged 1 share, 1 action and 1 request" in status
    slack.command("UADA", "/coach", "team")
    assert "followers logged 1 share, 1 action and 1 request for it" in seen(last_ephemeral(slack, "UADA", "team's"))
    assert "Act 1/2" in seen(last_ephemeral(slack, "UCY", "Action logged"))  # it is Cy's practice too


def test_only_a_follower_logs_for_a_stand_and_never_for_their_own(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)

    slack.command("UADA", "/act", "for <@UBOB> Something for Bob")
    slack.command("UBOB", "/act", "for <@UBOB> Something for me")

    assert "Join it from its announcement first" in seen(last_ephemeral(slack, "UADA", "Join it"))
    assert "your own stand" in seen(last_ephemeral(slack, "UBOB", "your own stand"))
    assert export(app)["actions"] == []


def test_a_follower_picks_the_stand_their_practice_is_for_in_the_form(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)

    slack.command("UCY", "/act", "")
    form = slack.wait_for(lambda: slack.open_views("UCY"))[-1]
    slack.submit(
        "UCY", form, {"What did you do?": "Introduced Bob to an editor", "For a stand you joined?": "80 sign-ups"}
    )

    assert "For <@UBOB>'s stand too" in seen(modal_answer(slack, "UCY", "Action logged"))
    [stand] = [s for s in export(app)["stands"] if s["user_id"] == "UBOB"]
    [action] = export(app)["actions"]
    assert (action["user_id"], action["toward_stand_id"]) == ("UCY", stand["id"])


def test_practice_forms_offer_the_stands_a_member_joined_and_only_to_a_follower(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_and_cy_take_stands(slack, clock)

    slack.open_home("UCY")
    home = slack.wait_for(lambda: slack.home("UCY"))
    slack.click("UCY", home, "Make a request")
    request_form = slack.wait_for(lambda: slack.open_views("UCY"))[-1]
    slack.command("UADA", "/share", "")
    share_form = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    assert "For a stand you joined?" in seen(request_form)
    assert "For a stand you joined?" not in seen(share_form)  # Ada joined no stand
    slack.submit("UCY", request_form, {"Who are you asking?": "UADA", "What are you asking for?": "an intro"})
    [request] = export(app)["requests"]
    assert request["toward_stand_id"] is None  # left blank: only Cy's own practice
