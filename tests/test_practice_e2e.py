"""Stands and the daily practice, end to end: signed slash commands in, Web API calls out, rows stored."""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.app import Runtime
from bot.clock import FixedClock
from bot.coach import MemberId
from standin import SlackStandIn
from tests import support
from tests.e2e import buttons, dm, drained, eventually, export, last_ephemeral, seen


def test_a_stand_is_confirmed_to_its_owner_and_announced_with_join_and_offer_buttons(
    slack: SlackStandIn, app: Runtime
) -> None:
    reply = slack.command("UADA", "/stand", "Sign 10 new partners by 2026-12-31", channel="CGENERAL")

    assert reply.status == 200
    confirmation = last_ephemeral(slack, "UADA", "Your stand is declared")
    assert "Day 1 of 14" in seen(confirmation)
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    assert "Sign 10 new partners" in seen(announcement)
    assert buttons(announcement) == ["Join the stand", "Offer help"]
    [stand] = export(app)["stands"]
    assert (stand["user_id"], stand["status"], stand["due_on"]) == ("UADA", "active", "2026-12-31")


def test_joining_a_stand_names_the_first_follower_on_the_announcement_and_tells_the_owner(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]

    slack.click("UBOB", announcement, "Join the stand")

    updated = slack.wait_for(lambda: next((m for m in slack.messages("CGENERAL") if "First follower" in seen(m)), None))
    assert "<@UBOB>" in seen(updated)
    assert "first follower" in seen(dm(slack, "UADA", "joined your stand"))
    assert "first follower" in seen(last_ephemeral(slack, "UBOB", "You joined"))


def test_joining_twice_changes_nothing_and_says_so(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UBOB", announcement, "Join the stand")
    last_ephemeral(slack, "UBOB", "You joined")

    slack.click("UBOB", slack.messages("CGENERAL")[-1], "Join the stand")

    assert "already joined" in seen(last_ephemeral(slack, "UBOB", "already"))
    stand_id = export(app)["stands"][0]["id"]
    assert app.coach.followers("T1", stand_id) == ["UBOB"]


def test_a_second_stand_offers_to_replace_the_first_and_replacing_withdraws_it(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "First stand", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")

    slack.command("UADA", "/stand", "Bigger stand by 2027-03-01", channel="CGENERAL")
    choice = last_ephemeral(slack, "UADA", "already have an active stand")
    assert buttons(choice) == ["Replace it", "Keep my current stand"]
    slack.click("UADA", choice, "Replace it")

    last_ephemeral(slack, "UADA", "is withdrawn")
    stands = {s["text"]: s["status"] for s in export(app)["stands"]}
    assert stands == {"First stand": "withdrawn", "Bigger stand": "active"}


def test_keeping_the_current_stand_stores_nothing_new(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "First stand", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    slack.command("UADA", "/stand", "Another stand", channel="CGENERAL")
    slack.click("UADA", last_ephemeral(slack, "UADA", "already have"), "Keep my current stand")

    last_ephemeral(slack, "UADA", "Kept your current stand")
    assert [s["text"] for s in export(app)["stands"]] == ["First stand"]


def test_acting_logs_one_action_and_shows_todays_progress(slack: SlackStandIn, app: Runtime) -> None:
    reply = slack.command("UADA", "/act", "Called the mayor's office")

    assert reply.status == 200
    answer = last_ephemeral(slack, "UADA", "Action logged")
    assert "Act 1/2" in seen(answer) and "Share 0/2" in seen(answer)
    [action] = export(app)["actions"]
    assert action["text"] == "Called the mayor's office"
    assert action["local_date"] == "2026-11-23"


def test_sharing_counts_each_person_told(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/share", "<@UBOB|bob> <@UCY|cy> over lunch")

    answer = last_ephemeral(slack, "UADA", "Shared with")
    assert "Share 2/2 ✓" in seen(answer)
    shares = export(app)["shares"]
    assert [(s["told_user_id"], s["text"]) for s in shares] == [("UBOB", "over lunch"), ("UCY", "over lunch")]


def test_a_promise_is_stored_open_with_its_date_read_in_the_members_zone(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UCY", "/promise", "Draft the proposal by tomorrow")

    last_ephemeral(slack, "UCY", "Promise made")
    [promise] = export(app)["promises"]
    # 14:00 UTC on Monday is 23:00 in Tokyo: "tomorrow" there is Tuesday the 24th.
    assert (promise["status"], promise["due_on"]) == ("open", date(2026, 11, 24).isoformat())


def test_a_breakdown_is_met_with_coaching_questions_and_one_click_ways_into_action(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/breakdown", "Two partners pulled out")

    coaching = last_ephemeral(slack, "UADA", "milestone")
    assert "What's missing" in seen(coaching) and "Who could help" in seen(coaching)
    assert buttons(coaching) == ["Make a request", "Log an action", "It shifted"]
    assert [b["text"] for b in export(app)["breakdowns"]] == ["Two partners pulled out"]

    slack.click("UADA", coaching, "Log an action")
    assert slack.wait_for(lambda: slack.open_views("UADA"))[-1].title == "Log an action"


def test_a_breakthrough_is_celebrated_in_the_recap_channel(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")

    slack.command("UBOB", "/breakthrough", "The city signed on!", channel="CGENERAL")

    celebration = slack.wait_for(lambda: slack.messages("CWINS"))[-1]
    assert "Breakthrough" in seen(celebration) and "The city signed on!" in seen(celebration)
    assert "celebrated in <#CWINS>" in seen(last_ephemeral(slack, "UBOB", "Breakthrough recorded"))
    assert export(app)["breakthroughs"][0]["text"] == "The city signed on!"


def test_a_breakthrough_without_a_recap_channel_is_stored_and_says_how_to_set_one(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UBOB", "/breakthrough", "We did it")

    assert "/coach recap here" in seen(last_ephemeral(slack, "UBOB", "Breakthrough recorded"))
    assert len(export(app)["breakthroughs"]) == 1


def test_only_admins_choose_the_recap_channel(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UBOB", "/coach", "recap here", channel="CWINS")

    last_ephemeral(slack, "UBOB", "admins")
    assert app.coach.recap_channel("T1") is None


def test_coach_help_lists_every_command(slack: SlackStandIn, app: Runtime) -> None:
    reply = slack.command("UBOB", "/coach", "help")

    assert reply.status == 200
    help_text = seen(last_ephemeral(slack, "UBOB", "Breakthrough Coach"))
    for command in ("/stand", "/share", "/act", "/request", "/promise", "/breakdown", "/breakthrough", "/coach"):
        assert command in help_text


def test_coach_status_shows_stand_day_counts_requests_and_promises(slack: SlackStandIn, app: Runtime) -> None:
    for command, text, answer in (
        ("/stand", "Sign 10 new partners", "Your stand is declared"),
        ("/act", "Called the mayor", "Action logged"),
        ("/promise", "Send the deck by friday", "Promise made"),
        ("/request", "<@UBOB|bob> an intro to the council by friday", "Request sent"),
    ):
        slack.command("UADA", command, text, channel="CGENERAL")
        last_ephemeral(slack, "UADA", answer)

    slack.command("UADA", "/coach", "status")

    status = seen(last_ephemeral(slack, "UADA", "Requests you made"))
    assert "Day 1 of 14" in status
    assert "Sign 10 new partners" in status
    assert "Act 1/2" in status and "Request 1/2" in status
    assert "an intro to the council" in status and "Send the deck" in status


def test_personal_settings_are_stored(slack: SlackStandIn, app: Runtime) -> None:
    for text, answer in (
        ("nudge 7:30", "07:30"),
        ("weekends on", "Weekends are on"),
        ("pause", "Paused"),
    ):
        slack.command("UBOB", "/coach", text)
        last_ephemeral(slack, "UBOB", answer)

    member = app.coach.member(MemberId("T1", "UBOB"))
    assert member is not None and (member.nudge_time, member.weekends, member.paused) == ("07:30", True, True)
    slack.command("UBOB", "/coach", "resume")
    last_ephemeral(slack, "UBOB", "Welcome back")
    assert app.coach.member(MemberId("T1", "UBOB")).paused is False  # type: ignore[union-attr]


def test_export_sends_the_members_own_data_as_a_json_file(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/act", "Mine")
    slack.command("UBOB", "/act", "Not mine")
    last_ephemeral(slack, "UBOB", "Action logged")

    slack.command("UADA", "/coach", "export")

    last_ephemeral(slack, "UADA", "JSON file")
    [upload] = slack.wait_for(lambda: slack.files())
    document = json.loads(upload.content)
    assert [a["text"] for a in document["actions"]] == ["Mine"]
    assert upload.channel == "DUADA"


def test_an_export_slack_refuses_for_a_moment_is_uploaded_again_under_its_one_line(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/act", "Mine")
    slack.fail("files.completeUploadExternal", "internal_error", status=500, times=1)

    slack.command("UADA", "/coach", "export")

    [upload] = slack.wait_for(lambda: slack.files())
    assert upload.channel == "DUADA"
    assert [c.ok for c in slack.calls("files.completeUploadExternal")] == [False, True]
    lines = [m for m in slack.messages("UADA") if "everything I keep about you" in m.text]
    assert len(lines) == 1, "the line before the file is posted once, however often the upload is tried"


def test_forget_me_asks_first_then_deletes_and_anonymizes(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    slack.command("UADA", "/request", "<@UBOB|bob> an intro")
    last_ephemeral(slack, "UADA", "Request sent")

    slack.command("UADA", "/coach", "forget me")
    confirm = last_ephemeral(slack, "UADA", "Forget everything")
    assert len(export(app, user_id="UADA")["stands"]) == 1  # asking changes nothing
    slack.click("UADA", confirm, "Yes, forget me")

    last_ephemeral(slack, "UADA", "forgotten you")
    drained(slack, app)
    assert {name: rows for name, rows in export(app, user_id="UADA").items() if rows} == {}
    [request] = export(app)["requests"]
    assert (request["user_id"], request["recipient_id"], request["status"]) == ("forgotten", "UBOB", "cancelled")


def test_a_members_zone_is_cached_for_a_day_then_asked_again(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UCY", "/act", "First")
    last_ephemeral(slack, "UCY", "Action logged")
    slack.command("UCY", "/act", "Second")
    slack.wait_for(lambda: sum("Action logged" in seen(m) for m in slack.ephemerals("UCY")) == 2)
    assert len(slack.calls("users.info")) == 1

    slack.set_user("UCY", tz="Europe/Lisbon")
    clock.advance(timedelta(hours=25))
    slack.command("UCY", "/act", "A day later")
    slack.wait_for(lambda: sum("Action logged" in seen(m) for m in slack.ephemerals("UCY")) == 3)

    # After the ack, Slack is asked again, and the zone it gives is the one used from then on.
    slack.wait_for(lambda: len(slack.calls("users.info")) == 2)
    eventually(lambda: app.coach.member(MemberId("T1", "UCY")).tz == "Europe/Lisbon")  # type: ignore[union-attr]


def test_members_listed_in_coach_admins_may_choose_the_recap_channel(
    slack: SlackStandIn, database_url: str, clock: FixedClock
) -> None:
    settings = support.settings_for(slack.api_url, database_url, COACH_ADMINS="UBOB")
    with support.serve_http(settings, clock) as (runtime, url):
        slack.request_url = url
        slack.command("UBOB", "/coach", "recap here", channel="CWINS")
        last_ephemeral(slack, "UBOB", "will be posted in")
        assert runtime.coach.recap_channel("T1") == "CWINS"


def test_a_stand_of_three_thousand_characters_is_announced_within_slacks_limits(
    slack: SlackStandIn, app: Runtime
) -> None:
    outcome = ("Grow our partner network across every region we serve " * 60)[:2990].strip()

    slack.command("UADA", "/stand", outcome, channel="CGENERAL")

    last_ephemeral(slack, "UADA", "Your stand is declared")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    assert buttons(announcement) == ["Join the stand", "Offer help"]
    assert [c for c in slack.calls() if not c.ok] == []
    assert export(app)["stands"][0]["text"] == outcome


def test_status_shows_the_current_and_best_streak(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    for _day in range(2):  # Monday and Tuesday: full practice, logged straight through the coach
        for _ in range(2):
            app.coach.log_shares(MemberId("T1", "UADA"), ["UBOB"], "")
            app.coach.log_action(MemberId("T1", "UADA"), "an action")
            app.coach.make_request(MemberId("T1", "UADA"), "UBOB", "a favour", None)
        clock.advance(timedelta(days=1))

    slack.command("UADA", "/coach", "status")

    assert "Streak: 2 working days of full practice (best 2)" in seen(last_ephemeral(slack, "UADA", "Streak"))


def test_followers_hear_of_the_stands_breakthrough_and_can_leave_it(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UBOB", announcement, "Join the stand")
    last_ephemeral(slack, "UBOB", "You joined")

    slack.command("UADA", "/breakthrough", "The council signed on")

    news = dm(slack, "UBOB", "whose stand you joined")
    assert "The council signed on" in seen(news) and buttons(news) == ["Leave the stand"]
    slack.click("UBOB", news, "Leave the stand")
    last_ephemeral(slack, "UBOB", "You've left")
    stand_id = export(app)["stands"][0]["id"]
    assert app.coach.followers("T1", stand_id) == []
    slack.click("UBOB", news, "Leave the stand")
    last_ephemeral(slack, "UBOB", "not following")


def test_a_breakdown_is_resolved_by_logging_what_shifted(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/breakdown", "Two partners pulled out")
    coaching = last_ephemeral(slack, "UADA", "milestone")

    slack.click("UADA", coaching, "It shifted")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"What shifted?": "A third partner stepped in"})

    slack.wait_for(lambda: export(app)["breakdowns"][0]["resolution"] == "A third partner stepped in")
    assert export(app)["breakdowns"][0]["resolved_at"] is not None


def test_breakdown_resolve_resolves_the_latest_open_breakdown(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/breakdown", "Two partners pulled out")
    last_ephemeral(slack, "UADA", "milestone")

    slack.command("UADA", "/breakdown", "resolve A third partner stepped in")

    last_ephemeral(slack, "UADA", "Breakdown resolved")
    [breakdown] = export(app)["breakdowns"]
    assert breakdown["resolution"] == "A third partner stepped in"
    slack.command("UADA", "/breakdown", "resolve again")
    last_ephemeral(slack, "UADA", "no open breakdown")
