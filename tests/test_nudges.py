"""The daily nudge: due at each member's own local time, exactly once a local day, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach import Coach, MemberId, Profile
from bot.coach.nudges import NudgeContent, Nudges, theme_for
from bot.coach.trajectory import Measure
from handlers.blocks.nudges import build_nudge
from handlers.jobs import nudge_pass
from standin import SlackStandIn
from tests import support
from tests.e2e import buttons, drained, export, last_ephemeral, seen
from tests.support import at

T = "T1"


def participant(coach: Coach, user_id: str, tz: str, **options: object) -> None:
    coach.remember_profile(MemberId(T, user_id), Profile(name=user_id, tz=tz, is_admin=False, is_bot=False))
    coach.declare_stand(MemberId(T, user_id), f"{user_id}'s stand", None)
    if options:
        coach.set_member_option(MemberId(T, user_id), **options)


@pytest.fixture
def coach(engine: Engine, clock: FixedClock) -> Coach:
    return Coach(engine, clock, default_timezone="UTC")


def due_users(coach: Coach, now: datetime) -> list[str]:
    return [d.user_id for d in Nudges(coach).due(now)]


# Who is due ------------------------------------------------------------------------------------------------


def test_a_member_is_due_from_their_own_local_nudge_time(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))  # Monday
    participant(coach, "UBERLIN", "Europe/Berlin")
    participant(coach, "UNY", "America/New_York")

    assert due_users(coach, at("2026-11-23T07:59:00Z")) == []  # 08:59 in Berlin
    assert due_users(coach, at("2026-11-23T08:00:00Z")) == ["UBERLIN"]  # 09:00 in Berlin, 03:00 in New York
    assert due_users(coach, at("2026-11-23T14:00:00Z")) == ["UBERLIN", "UNY"]


def test_a_member_who_moved_their_nudge_is_due_at_the_new_time(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    participant(coach, "UEARLY", "UTC", nudge_time="06:30")

    assert due_users(coach, at("2026-11-23T06:29:00Z")) == []
    assert due_users(coach, at("2026-11-23T06:30:00Z")) == ["UEARLY"]


def test_weekends_are_off_unless_the_member_turned_them_on(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-20T06:00:00Z"))  # Friday
    participant(coach, "UWEEKDAYS", "UTC")
    participant(coach, "UEVERYDAY", "UTC", weekends=True)

    assert due_users(coach, at("2026-11-21T10:00:00Z")) == ["UEVERYDAY"]  # Saturday


def test_paused_members_and_members_without_a_stand_are_not_nudged(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    participant(coach, "UPAUSED", "UTC", paused=True)
    coach.remember_profile(MemberId(T, "UNOSTAND"), Profile(name="x", tz="UTC", is_admin=False, is_bot=False))

    assert due_users(coach, at("2026-11-23T10:00:00Z")) == []


def test_the_program_runs_fourteen_days_then_the_nudges_stop(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    participant(coach, "UDONE", "UTC", weekends=True)

    assert due_users(coach, at("2026-12-06T10:00:00Z")) == ["UDONE"]  # day 14
    assert due_users(coach, at("2026-12-07T10:00:00Z")) == []  # day 15


def test_the_days_theme_walks_the_ten_steps_in_order() -> None:
    assert theme_for(1).title == "Decide where you are going"
    assert theme_for(10).title == "Make at least five requests a week"
    assert theme_for(11) == theme_for(1)


# Exactly once ----------------------------------------------------------------------------------------------


def test_a_nudge_can_be_claimed_once_and_a_stale_claim_is_taken_over(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    participant(coach, "UONE", "UTC")
    nudges = Nudges(coach)
    now = at("2026-11-23T10:00:00Z")
    [due] = nudges.due(now)

    assert nudges.claim(due, now) is True
    assert nudges.claim(due, now) is False
    assert nudges.due(now + timedelta(minutes=5)) == []  # a fresh claim: someone is sending it
    assert nudges.due(now + timedelta(minutes=11)) == [due]  # that sender died: due again
    assert nudges.claim(due, now + timedelta(minutes=11)) is True


def test_concurrent_claimants_get_exactly_one_win(coach: Coach, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    participant(coach, "UONE", "UTC")
    nudges = Nudges(coach)
    now = at("2026-11-23T10:00:00Z")
    [due] = nudges.due(now)
    start = threading.Barrier(8)
    wins: list[bool] = []

    def race() -> None:
        start.wait()
        wins.append(nudges.claim(due, now))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def twins(coach: Coach, clock: FixedClock) -> None:
    """Members in pairs (1 and 2) with the same history: a measured stand with practice, a reading and a promise
    gone past its date (A); a plain stand with no practice since its first day (B)."""
    clock.set(at("2026-11-16T06:00:00Z"))  # Monday
    for twin in ("1", "2"):
        for name in ("UA", "UB"):
            coach.remember_profile(MemberId(T, name + twin), Profile(name=name, tz="UTC", is_admin=False, is_bot=False))
        ada, bob = MemberId(T, "UA" + twin), MemberId(T, "UB" + twin)
        coach.declare_stand(ada, "80 sign-ups", date(2026, 12, 4), measure=Measure("sign-ups", 40, 80))
        coach.declare_stand(bob, "Bob's stand", None)
        coach.log_shares(ada, ["UX", "UY"], "told them")
        coach.log_action(ada, "called the printer")
        coach.log_action(bob, "a first step")
    clock.set(at("2026-11-17T12:00:00Z"))
    for twin in ("1", "2"):
        coach.record_progress(MemberId(T, "UA" + twin), 47, "a good day")
        coach.make_promise(MemberId(T, "UA" + twin), "send the flyer", date(2026, 11, 18))
        coach.log_action(MemberId(T, "UA" + twin), "booked the hall")


def alike(content: NudgeContent) -> NudgeContent:
    """The content with what names the member or a row of theirs left out."""
    progress = replace(content.progress, stand=None)
    return replace(content, user_id="", progress=progress, check_in_id=None, promises_due=[], requests_due=[])


def test_a_chunk_of_nudges_composed_at_once_shows_what_each_would_alone(coach: Coach, clock: FixedClock) -> None:
    twins(coach, clock)
    nudges = Nudges(coach)
    now = at("2026-11-19T10:00:00Z")  # Thursday: Ada's promise is overdue, Bob has logged nothing since Monday
    clock.set(now)
    due = {d.user_id: d for d in nudges.due(now)}
    items = nudges.due_items(list(due.values()))

    alone = {u: nudges.claim_and_compose(due[u], now, items=items[(T, u)]) for u in ("UA1", "UB1")}
    together = nudges.claim_and_compose_many([due["UA2"], due["UB2"]], now, items=items)
    nudges.sent_many([(due[u], "D" + u, "1") for u in ("UA2", "UB2")])

    for name in ("UA", "UB"):
        one, other = alone[name + "1"], together[(T, name + "2")]
        assert one is not None and alike(one) == alike(other)
        assert other.check_in is not None and other.progress.day == 4
        assert nudges.content(due[name + "2"]) == other  # what it asked is remembered as it was sent
    assert together[(T, "UA2")].trajectory is not None and together[(T, "UA2")].progress.week_practice.actions == 2


def test_a_chunk_is_claimed_once_across_instances_and_a_stale_claim_is_taken_over(
    coach: Coach, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))
    for name in ("UONE", "UTWO", "UTHREE"):
        participant(coach, name, "UTC")
    nudges, other = Nudges(coach), Nudges(coach)
    now = at("2026-11-23T10:00:00Z")
    due = nudges.due(now)
    start = threading.Barrier(2)
    won: list[set[str]] = []

    def claim(instance: Nudges) -> None:
        start.wait()
        won.append({user for _, user in instance.claim_and_compose_many(due, now, items={})})

    threads = [threading.Thread(target=claim, args=(instance,)) for instance in (nudges, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(won[0] | won[1]) == ["UONE", "UTHREE", "UTWO"] and not won[0] & won[1]
    assert nudges.claim_and_compose_many(due, now, items={}) == {}
    nudges.sent_many([(d, "D", "1") for d in due if d.user_id == "UONE"])
    later = now + timedelta(minutes=11)  # the other senders died before recording theirs
    assert {d.user_id for d in nudges.due(later)} == {"UTWO", "UTHREE"}
    assert set(nudges.claim_and_compose_many(nudges.due(later), later, items={})) == {(T, "UTWO"), (T, "UTHREE")}


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", "2026-03-08"),  # spring forward
        ("America/New_York", "2026-11-01"),  # fall back
        ("Europe/Berlin", "2026-03-29"),
        ("Europe/Berlin", "2026-10-25"),
        ("Australia/Lord_Howe", "2026-04-05"),  # back half an hour
        ("Australia/Lord_Howe", "2026-10-04"),  # forward half an hour
    ],
)
def test_dst_days_give_exactly_one_nudge(coach: Coach, clock: FixedClock, zone: str, day: str) -> None:
    from zoneinfo import ZoneInfo

    local_midnight = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
    clock.set(local_midnight - timedelta(days=2))
    for name, nudge_time in (("UNINE", "09:00"), ("UGAP", "02:30"), ("UTWICE", "01:45")):
        participant(coach, name, zone, weekends=True, nudge_time=nudge_time)
    nudges = Nudges(coach)
    sent: dict[str, list[str]] = {}
    instant = local_midnight.astimezone(UTC) - timedelta(hours=1)
    while instant < local_midnight.astimezone(UTC) + timedelta(hours=26):
        for due in nudges.due(instant):
            if nudges.claim(due, instant):
                nudges.sent(due, "D", "1")
                sent.setdefault(due.user_id, []).append(due.local_date.isoformat())
        instant += timedelta(minutes=15)

    for name in ("UNINE", "UGAP", "UTWICE"):
        assert sent[name].count(day) == 1, (name, sent[name])


# End to end through the stand-in ---------------------------------------------------------------------------


def test_a_pass_dms_each_participant_once_with_their_progress_buttons_and_theme(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)  # the announcement is out: every post after this is the pass's
    clock.advance(timedelta(days=1))  # Tuesday 14:00 UTC: 15:00 in Berlin
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    before = len(slack.calls("chat.postMessage"))

    report = nudge_pass(Nudges(app.coach), poster, clock.now())

    assert (report.sent, report.skipped, report.failed) == (1, 0, 0)
    [call] = slack.calls("chat.postMessage")[before:]
    assert call.args["channel"] == "UADA"  # the user ID as the channel: no conversations.open
    nudge = slack.last_message("UADA")
    assert "day 2 of 14" in seen(nudge) and "Sign 10 new partners" in seen(nudge)
    assert "Share the stand broadly" in seen(nudge) or "Share your goals broadly" in seen(nudge)
    assert buttons(nudge) == ["Log a share", "Log an action", "Make a request"]
    again = nudge_pass(Nudges(app.coach), poster, clock.now())
    assert (again.sent, again.skipped, again.failed) == (0, 0, 0)
    assert export(app)["nudges"][0]["status"] == "sent"


def test_logging_practice_later_that_day_updates_the_nudge_in_place(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)  # the welcome DM is out: the last message in the DM is the nudge
    nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    nudge = slack.last_message("UADA")
    assert "Act 0/2" in seen(nudge)

    slack.command("UADA", "/act", "Called the mayor")

    updated = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Act 1/2" in seen(m)), None))
    assert updated.ts == nudge.ts


def test_practice_logged_while_the_pass_is_still_recording_the_nudge_rewrites_it_once_recorded(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)
    nudges, now = Nudges(app.coach), clock.now()
    [due] = [d for d in nudges.due(now) if d.user_id == "UADA"]
    composed = nudges.claim_and_compose_many([due], now, items=nudges.due_items([due]))
    # The pass has posted the nudge but records its chunk only once the chunk's posts are through.
    text, blocks = build_nudge(composed[(due.team_id, "UADA")], [], [])
    posted = paced_poster(support.settings_for(slack.api_url, "sqlite://")).post_message(
        channel="UADA", text=text, blocks=blocks
    )

    slack.command("UADA", "/act", "Called the mayor")
    last_ephemeral(slack, "UADA", "Action logged")
    nudges.sent_many([(due, str(posted["channel"]), str(posted["ts"]))])

    updated = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Act 1/2" in seen(m)), None))
    assert updated.ts == posted["ts"] and "Act 0/2" in text


def test_a_member_slack_no_longer_knows_is_paused_and_the_others_still_get_theirs(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    for user in ("UADA", "UBOB"):
        slack.command(user, "/stand", f"{user} stands", channel="CGENERAL")
        last_ephemeral(slack, user, "Your stand is declared")
    drained(slack, app)  # the announcements are out before Slack starts refusing
    slack.fail("chat.postMessage", "account_inactive")
    # One post a second means one sender, in ID order: the refused post is Ada's.
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://", SLACK_POSTS_PER_SECOND="1"))

    report = nudge_pass(Nudges(app.coach), poster, clock.now())

    assert (report.sent, report.failed) == (1, 1)
    member = app.coach.member(MemberId(T, "UADA"))
    assert member is not None and member.paused and member.paused_reason == "account_inactive"
    [pause] = export(app)["pauses"]
    assert (pause["user_id"], pause["reason"], pause["ended_at"]) == ("UADA", "account_inactive", None)
    assert len(slack.messages("UBOB")) >= 1
    again = nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    assert again.failed == 0  # no retry storm: the paused member is no longer due


def test_a_rate_limit_is_waited_out_for_its_retry_after_and_nothing_is_posted_twice(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)  # the announcement is out before Slack starts refusing
    before = len(slack.messages("UADA"))
    slack.fail("chat.postMessage", "ratelimited", retry_after=1)

    report = nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())

    assert report.sent == 1
    assert len(slack.messages("UADA")) == before + 1
    limited, posted = slack.calls("chat.postMessage")[-2:]
    assert (limited.error, posted.error) == ("ratelimited", None)
    assert posted.at - limited.at >= 1.0  # Retry-After: 1


def test_a_server_error_is_retried_and_nothing_is_posted_twice(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)  # the announcement is out before Slack starts refusing
    before = len(slack.messages("UADA"))
    slack.fail("chat.postMessage", "internal_error", times=2, status=500)

    report = nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())

    assert report.sent == 1
    assert len(slack.messages("UADA")) == before + 1
    assert [c.error for c in slack.calls("chat.postMessage")[-3:]] == ["internal_error", "internal_error", None]


# The command, on one instance or many ---------------------------------------------------------------------


def _nudge_command(api_url: str, database_url: str, now: str, cwd: Path) -> subprocess.Popen[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": support.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": support.SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "SLACK_POSTS_PER_SECOND": "50",
    }
    return support.breakthrough_started("nudge", "--now", now, env=env, cwd=cwd)


def test_three_instances_nudging_at_the_same_instant_send_one_dm_per_participant(
    slack: SlackStandIn, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-23T06:00:00Z")))
    members = [f"UMEMBER{i:03d}" for i in range(60)]
    for user in members:
        slack.add_user(user, tz="Europe/Berlin")
        participant(coach, user, "Europe/Berlin")
    promisers = members[::3]  # each also has a promise due today: one follow-up each
    for user in promisers:
        coach.make_promise(MemberId(T, user), "Send the deck", at("2026-11-23T06:00:00Z").date())

    runs = [_nudge_command(slack.api_url, database_url, "2026-11-23T09:30:00Z", tmp_path) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert all(run.returncode == 0 for run in runs), outputs
    dms = [c for c in slack.calls("chat.postMessage") if c.ok]
    nudges = sorted(c.args["channel"] for c in dms if "Good morning" in json.dumps(c.args))
    follow_ups = sorted(c.args["channel"] for c in dms if "Today's the day" in json.dumps(c.args))
    assert nudges == members
    assert follow_ups == promisers  # each inside that member's one morning message
    assert len(dms) == len(members)
    sent = [int(re.match(r"sent (\d+),", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == len(members)
    rerun = _nudge_command(slack.api_url, database_url, "2026-11-23T09:30:00Z", tmp_path)
    out, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0 and out.startswith("sent 0,")


def test_the_nudge_command_exits_1_when_a_send_failed(
    slack: SlackStandIn, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-23T06:00:00Z")))
    participant(coach, "UNOTINSLACK", "UTC")  # the stand-in has never heard of them: channel_not_found

    run = _nudge_command(slack.api_url, database_url, "2026-11-23T10:00:00Z", tmp_path)
    out, err = run.communicate(timeout=60)

    assert run.returncode == 1, err
    assert out.strip() == "sent 0, skipped 0, failed 1"


def test_a_pass_interrupted_by_shutdown_posts_nothing_more_and_leaves_its_claims_for_later(
    slack: SlackStandIn, engine: Engine, database_url: str
) -> None:
    coach = Coach(engine, FixedClock(at("2026-11-23T06:00:00Z")))
    for i in range(5):
        slack.add_user(f"USTOP{i}", tz="UTC")
        participant(coach, f"USTOP{i}", "UTC")
    stop = threading.Event()
    stop.set()
    poster = paced_poster(support.settings_for(slack.api_url, database_url), stop)

    report = nudge_pass(Nudges(coach), poster, at("2026-11-23T10:00:00Z"))

    assert (report.sent, report.failed) == (0, 5)
    assert slack.calls("chat.postMessage") == []
    later = nudge_pass(
        Nudges(coach), paced_poster(support.settings_for(slack.api_url, database_url)), at("2026-11-23T10:11:00Z")
    )
    assert later.sent == 5  # the claims timed out and were taken over


def test_a_dropped_connection_is_retried_and_the_nudge_goes_out_once(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    drained(slack, app)  # the announcement is out before Slack starts refusing
    before = len(slack.messages("UADA"))
    slack.fail("chat.postMessage", "connection_reset")

    report = nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())

    assert report.sent == 1
    assert len(slack.messages("UADA")) == before + 1
    assert [c.error for c in slack.calls("chat.postMessage")[-2:]] == ["connection_reset", None]


def test_an_app_down_at_nine_still_nudges_at_eleven_but_never_for_a_day_that_ended(
    coach: Coach, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T06:00:00Z"))  # Monday
    participant(coach, "ULATE", "UTC")

    [due] = Nudges(coach).due(at("2026-11-24T11:00:00Z"))  # nothing ran on Monday; Tuesday 11:00

    assert due.local_date.isoformat() == "2026-11-24"  # today's nudge, late; Monday's is gone for good


def test_the_scheduler_runs_fixed_coalescing_jobs_that_replace_their_old_selves(
    engine: Engine, clock: FixedClock, slack: SlackStandIn
) -> None:
    from bot.scheduler import start_scheduler

    scheduler = start_scheduler(
        Coach(engine, clock), clock, paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    )
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"nudges", "recaps", "housekeeping"}
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    finally:
        scheduler.shutdown(wait=True)


def test_the_nudge_lists_what_falls_due_that_day(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
    slack.command("UADA", "/promise", "Send the deck by tomorrow")
    last_ephemeral(slack, "UADA", "Promise made")
    slack.command("UBOB", "/request", "<@UADA|ada> the partner list by tomorrow")
    slack.click(
        "UADA",
        slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "asks you" in seen(m)), None)),
        "Accept",
    )
    slack.wait_for(lambda: export(app)["requests"][0]["status"] == "accepted")
    clock.advance(timedelta(days=1))

    nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())

    nudge = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Due today" in seen(m)), None))
    assert "Send the deck" in seen(nudge) and "the partner list" in seen(nudge)
