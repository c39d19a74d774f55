"""The weekly recap job: due once a week in the workspace's zone, posted exactly once, kind when the channel fails."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach import Coach, MemberId, Profile, StandDeclared
from bot.coach.recaps import Recaps
from handlers.jobs import PassReport, channel_recap_pass, recap_pass, weekly_line_pass
from handlers.posting import PacedPoster
from standin import SlackStandIn
from tests import support
from tests.e2e import buttons, dm, drained, export, last_ephemeral, seen
from tests.support import at

T = "T1"


def a_week_of_practice(slack: SlackStandIn, clock: FixedClock) -> None:
    """Ada (an admin in Berlin) sets the recap channel; Ada and Bob practise in the week of 16 November."""
    clock.set(at("2026-11-16T10:00:00Z"))
    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")
    for user in ("UADA", "UBOB"):
        slack.command(user, "/stand", f"{user} takes a stand", channel="CGENERAL")
        last_ephemeral(slack, user, "Your stand is declared")
        slack.command(user, "/act", "An action")
        last_ephemeral(slack, user, "Action logged")
    slack.command("UBOB", "/breakthrough", "The council said yes")
    last_ephemeral(slack, "UBOB", "Breakthrough recorded")


def test_the_recap_is_due_from_monday_0900_in_the_workspace_zone(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    recaps = Recaps(app.coach)

    assert recaps.due(at("2026-11-23T07:59:00Z")) == []  # 08:59 in Berlin, the admin's zone
    [due] = recaps.due(at("2026-11-23T08:00:00Z"))
    assert (due.week_start.isoformat(), due.channel_id) == ("2026-11-16", "CWINS")


def test_a_pass_posts_the_weeks_recap_once_with_the_people_in_the_thread(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    drained(slack, app)  # the breakthrough's celebration is out before the pass
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    posts_before = len(slack.messages("CWINS"))

    report = recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))

    assert (report.sent, report.failed) == (1, 0)
    recap = next(m for m in slack.messages("CWINS") if "Weekly recap" in seen(m))
    assert "16–22 Nov 2026" in seen(recap)
    assert "The council said yes" in seen(recap)
    replies = [m for m in slack.messages("CWINS") if m.thread_ts == recap.ts]
    assert replies and "<@UBOB>" in "".join(seen(m) for m in replies)
    again = recap_pass(Recaps(app.coach), poster, at("2026-11-23T09:05:00Z"))
    assert (again.sent, again.skipped, again.failed) == (0, 0, 0)
    assert len(slack.messages("CWINS")) == posts_before + 1 + len(replies)
    assert [r["week"] for r in export(app)["recaps"]] == ["2026-11-16"]


def test_a_recap_missed_on_monday_goes_out_when_the_app_comes_back_that_week(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    assert recap_pass(Recaps(app.coach), poster, at("2026-11-25T15:00:00Z")).sent == 1  # Wednesday
    assert Recaps(app.coach).due(at("2026-11-29T22:00:00Z")) == []  # Sunday night: done for the week
    [next_week] = Recaps(app.coach).due(at("2026-11-30T08:00:00Z"))
    assert next_week.week_start.isoformat() == "2026-11-23"


def test_admins_choose_the_recap_day_and_time(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_week_of_practice(slack, clock)
    slack.command("UADA", "/coach", "recap friday 16:30", channel="CWINS")
    last_ephemeral(slack, "UADA", "Fridays at 16:30")
    slack.command("UBOB", "/coach", "recap monday 08:00", channel="CWINS")
    last_ephemeral(slack, "UBOB", "admins")

    assert Recaps(app.coach).due(at("2026-11-27T15:29:00Z")) == []  # Friday 16:29 in Berlin
    [due] = Recaps(app.coach).due(at("2026-11-27T15:30:00Z"))
    assert due.week_start.isoformat() == "2026-11-16"


def test_a_channel_the_app_cannot_post_in_is_reported_to_the_admin_once_and_recovers(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.add_channel("GPRIVATE", name="private", is_private=True, bot_is_member=True)
    a_week_of_practice(slack, clock)
    slack.command("UADA", "/coach", "recap here", channel="GPRIVATE")
    last_ephemeral(slack, "UADA", "<#GPRIVATE>")
    slack.add_channel("GPRIVATE", name="private", is_private=True, bot_is_member=False)  # the app was removed
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    report = recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))

    assert report.failed == 1
    assert "/invite" in seen(dm(slack, "UADA", "couldn't post this week's recap"))
    assert recap_pass(Recaps(app.coach), poster, at("2026-11-23T09:05:00Z")).failed == 0  # told once, no storm

    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    slack.wait_for(lambda: sum("posted in <#CWINS>" in seen(m) for m in slack.ephemerals("UADA")) == 2)
    assert recap_pass(Recaps(app.coach), poster, at("2026-11-23T09:10:00Z")).sent == 1
    assert any("Weekly recap" in seen(m) for m in slack.messages("CWINS"))


def _recap_command(api_url: str, database_url: str, now: str, cwd: Path) -> subprocess.Popen[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": support.BOT_TOKEN,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "RECAP_CHANNEL": "CWINS",
    }
    return support.breakthrough_started("recap", "--now", now, env=env, cwd=cwd)


def test_three_instances_post_one_recap_and_running_again_posts_nothing(
    slack: SlackStandIn, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-18T10:00:00Z")))
    coach.remember_profile(MemberId(T, "UADA"), Profile(name="Ada", tz="UTC", is_admin=True, is_bot=False))
    coach.declare_stand(MemberId(T, "UADA"), "Sign 10 partners", None)
    coach.log_action(MemberId(T, "UADA"), "An action")

    runs = [_recap_command(slack.api_url, database_url, "2026-11-23T09:30:00Z", tmp_path) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert all(run.returncode == 0 for run in runs), outputs
    sent = [int(re.match(r"sent (\d+),", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == 1
    assert sum("Weekly recap" in seen(m) for m in slack.messages("CWINS")) == 1
    rerun = _recap_command(slack.api_url, database_url, "2026-11-23T10:30:00Z", tmp_path)
    out, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0 and out.startswith("sent 0,")


def test_the_recap_command_exits_1_when_the_post_failed(
    slack: SlackStandIn, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-18T10:00:00Z")))
    coach.log_action(MemberId(T, "UADA"), "An action")
    slack.fail("chat.postMessage", "fatal_error", times=10, status=500)

    run = _recap_command(slack.api_url, database_url, "2026-11-23T09:30:00Z", tmp_path)
    out, err = run.communicate(timeout=120)

    assert run.returncode == 1, err
    assert out.strip() == "sent 0, skipped 0, failed 1"


def test_the_recap_counts_breakdowns_met_and_resolved(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_week_of_practice(slack, clock)
    clock.set(at("2026-11-18T10:00:00Z"))
    breakdown = app.coach.declare_breakdown(MemberId(T, "UADA"), "Two partners pulled out")
    app.coach.resolve_breakdown(MemberId(T, "UADA"), breakdown.id, "A third stepped in")

    [due] = Recaps(app.coach).due(at("2026-11-23T08:00:00Z"))
    summary = Recaps(app.coach).summary(due)

    assert (summary.breakdowns_met, summary.breakdowns_resolved) == (1, 1)


# Stands and their followers --------------------------------------------------------------------------------


def bob_and_cy_join_adas_stand(slack: SlackStandIn) -> None:
    """Bob, then Cy, join Ada's stand from its announcement."""
    # Posted through the outbox once Ada's stand is stored: waited for, not assumed there.
    announcement = slack.wait_for(
        lambda: next((m for m in slack.messages("CGENERAL") if "UADA takes a stand" in seen(m)), None)
    )
    for user in ("UBOB", "UCY"):
        slack.click(user, announcement, "Join the stand")
        last_ephemeral(slack, user, "You joined")


def weekly_lines(slack: SlackStandIn, user: str) -> list[str]:
    """The weekly-line DMs a member received."""
    return [seen(m) for m in slack.messages(user) if "'s week on their stand" in seen(m)]


def test_the_recap_shows_each_active_stand_with_its_first_follower_and_count(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    bob_and_cy_join_adas_stand(slack)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))

    recap = next(m for m in slack.messages("CWINS") if "Weekly recap" in seen(m))
    assert "Stands and their followers" in seen(recap)
    assert "<@UADA> — _UADA takes a stand_ · first follower <@UBOB> · 2 followers" in seen(recap)
    assert "<@UBOB> — _UBOB takes a stand_ · no followers yet" in seen(recap)


def test_each_follower_gets_the_owners_weekly_line_once_however_often_the_pass_runs(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    bob_and_cy_join_adas_stand(slack)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    first = recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))
    again = recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:06:00Z"))

    assert (first.sent, first.failed) == (3, 0)  # the recap, and Bob's and Cy's lines
    assert (again.sent, again.skipped, again.failed) == (0, 0, 0)
    thread = " ".join(seen(m) for m in slack.messages("CWINS"))
    ada_line = "shares 0 · actions 1 · requests 0 · full days 0 · current streak 0 · best streak 0"
    assert f"<@UADA> — {ada_line}" in thread  # the same line the recap's thread gives Ada
    for follower in ("UBOB", "UCY"):
        [line] = weekly_lines(slack, follower)
        assert f"<@UADA>'s week on their stand 'UADA takes a stand': {ada_line}" in line
    news = dm(slack, "UCY", "'s week on their stand")
    assert buttons(news) == ["Leave the stand"]
    assert weekly_lines(slack, "UADA") == []  # the owner follows no one

    slack.click("UCY", news, "Leave the stand")
    last_ephemeral(slack, "UCY", "You've left")
    assert app.coach.followers(T, export(app)["stands"][0]["id"]) == ["UBOB"]


def test_a_paused_follower_gets_no_weekly_line(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_week_of_practice(slack, clock)
    bob_and_cy_join_adas_stand(slack)
    slack.command("UCY", "/coach", "pause")
    last_ephemeral(slack, "UCY", "Paused")
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))

    assert len(weekly_lines(slack, "UBOB")) == 1
    assert weekly_lines(slack, "UCY") == []


def test_a_gone_follower_is_paused_and_the_others_still_get_their_line(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_week_of_practice(slack, clock)
    bob_and_cy_join_adas_stand(slack)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    channel = channel_recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))
    assert channel.sent == 1
    drained(slack, app)
    slack.fail("chat.postMessage", "account_inactive")  # whichever follower's line goes first

    report = recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:06:00Z"))

    assert (report.sent, report.failed) == (1, 1)
    [gone] = [u for u in ("UBOB", "UCY") if not weekly_lines(slack, u)]
    member = app.coach.member(MemberId(T, gone))
    assert member is not None and member.paused and member.paused_reason == "account_inactive"
    assert recap_pass(Recaps(app.coach), poster, at("2026-11-23T09:06:00Z")) == PassReport()


def test_a_slack_outage_leaves_the_line_to_a_later_pass(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    a_week_of_practice(slack, clock)
    bob_and_cy_join_adas_stand(slack)
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    channel_recap_pass(Recaps(app.coach), poster, at("2026-11-23T08:05:00Z"))
    drained(slack, app)  # the joins' DMs are out: the two failures are the lines'
    slack.fail("chat.postMessage", "internal_error", times=2, status=500)
    impatient = PacedPoster(poster.client, poster.per_second, attempts=1)  # gives up at the first 5xx

    assert weekly_line_pass(Recaps(app.coach), impatient, at("2026-11-23T08:06:00Z")).failed == 2
    assert weekly_line_pass(Recaps(app.coach), poster, at("2026-11-23T08:07:00Z")) == PassReport()  # claimed

    later = weekly_line_pass(Recaps(app.coach), poster, at("2026-11-23T08:20:00Z"))  # the claims timed out

    assert later.sent == 2
    assert len(weekly_lines(slack, "UBOB")) == len(weekly_lines(slack, "UCY")) == 1


def test_weekly_lines_go_out_at_the_recap_time_even_without_a_recap_channel(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-16T10:00:00Z"))
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.click("UBOB", announcement, "Join the stand")
    last_ephemeral(slack, "UBOB", "You joined")
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    recaps = Recaps(app.coach)

    assert recaps.due(at("2026-11-23T09:00:00Z")) == []  # no recap channel: no recap
    assert recaps.weekly_lines_due(at("2026-11-23T08:59:00Z")) == []  # Monday 09:00 in DEFAULT_TIMEZONE (UTC)
    report = recap_pass(recaps, poster, at("2026-11-23T09:00:00Z"))

    assert (report.sent, report.failed) == (1, 0)
    [line] = weekly_lines(slack, "UBOB")
    assert "<@UADA>'s week on their stand 'Sign 10 new partners': a quiet week on the log" in line

    clock.set(at("2026-11-23T10:00:00Z"))
    slack.click("UCY", announcement, "Join the stand")
    last_ephemeral(slack, "UCY", "You joined")
    assert recap_pass(recaps, poster, at("2026-11-23T10:05:00Z")) == PassReport()  # Cy starts with next week's
    assert weekly_lines(slack, "UCY") == []


def test_two_instances_send_each_follower_one_weekly_line(
    slack: SlackStandIn, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-18T10:00:00Z")))
    coach.remember_profile(MemberId(T, "UADA"), Profile(name="Ada", tz="UTC", is_admin=True, is_bot=False))
    declared = coach.declare_stand(MemberId(T, "UADA"), "Sign 10 partners", None)
    assert isinstance(declared, StandDeclared) and declared.stand.id is not None
    for follower in ("UBOB", "UCY"):
        coach.join_stand(T, declared.stand.id, follower)
    coach.log_action(MemberId(T, "UADA"), "An action")

    runs = [_recap_command(slack.api_url, database_url, "2026-11-23T09:30:00Z", tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert all(run.returncode == 0 for run in runs), outputs
    sent = [int(re.match(r"sent (\d+),", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == 3  # the recap and two lines, each from one instance
    assert len(weekly_lines(slack, "UBOB")) == len(weekly_lines(slack, "UCY")) == 1
    rerun = _recap_command(slack.api_url, database_url, "2026-11-23T10:30:00Z", tmp_path)
    out, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0 and out.startswith("sent 0,")
