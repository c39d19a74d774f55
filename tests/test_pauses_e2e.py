"""Pauses in streaks, end to end: a day paused with `/coach pause` neither counts nor breaks the streak shown in
`/coach status` and in the weekly recap."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.recaps import Recaps
from handlers.jobs import recap_pass
from standin import SlackStandIn
from tests import support
from tests.e2e import export, last_ephemeral, seen

OTHERS = {"UADA": ("UBOB", "bob", "UCY", "cy"), "UBOB": ("UADA", "ada", "UCY", "cy")}


def answered(slack: SlackStandIn, user: str, command: str, text: str, answer: str, *, channel: str = "C1") -> None:
    """Run a slash command as `user` and wait until its answer arrives (the work runs after the ack)."""
    before = len(slack.ephemerals(user))
    slack.command(user, command, text, channel=channel)
    slack.wait_for(lambda: any(answer in seen(m) for m in slack.ephemerals(user)[before:]))


def full_practice(slack: SlackStandIn, user: str) -> None:
    """Share 2, act 2, request 2, typed as slash commands."""
    first, first_name, second, second_name = OTHERS[user]
    answered(slack, user, "/share", f"<@{first}|{first_name}> <@{second}|{second_name}> the stand", "Shared with")
    for _ in range(2):
        answered(slack, user, "/act", "Called a partner", "Action logged")
        answered(slack, user, "/request", f"<@{first}|{first_name}> an intro to your buyer", "Request sent")


def monday_to_wednesday(slack: SlackStandIn, clock: FixedClock) -> None:
    """Ada and Bob practise fully on Monday and Wednesday; Ada paused on Tuesday and resumed on Wednesday."""
    full_practice(slack, "UADA")
    full_practice(slack, "UBOB")
    clock.advance(timedelta(days=1))
    answered(slack, "UADA", "/coach", "pause", "Paused")
    clock.advance(timedelta(days=1))
    answered(slack, "UADA", "/coach", "resume", "Welcome back")
    full_practice(slack, "UADA")
    full_practice(slack, "UBOB")


def test_a_day_paused_neither_counts_nor_breaks_the_streak_in_coach_status(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    monday_to_wednesday(slack, clock)

    slack.command("UADA", "/coach", "status")
    slack.command("UBOB", "/coach", "status")

    assert "Streak: 2 working days of full practice (best 2)" in seen(last_ephemeral(slack, "UADA", "Streak"))
    assert "Streak: 1 working day of full practice (best 1)" in seen(last_ephemeral(slack, "UBOB", "Streak"))
    [pause] = export(app)["pauses"]
    assert (pause["user_id"], pause["started_at"], pause["ended_at"]) == (
        "UADA",
        "2026-11-24T14:00:00Z",
        "2026-11-25T14:00:00Z",
    )


def test_the_weekly_recap_shows_each_persons_current_and_best_streak_across_a_pause(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    answered(slack, "UADA", "/coach", "recap here", "will be posted in", channel="CWINS")
    monday_to_wednesday(slack, clock)
    clock.advance(timedelta(days=1))
    answered(slack, "UADA", "/coach", "pause", "Paused")  # Thursday, and still paused as the week ends
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))

    report = recap_pass(Recaps(app.coach), poster, datetime.fromisoformat("2026-11-30T08:05:00+00:00"))

    assert (report.sent, report.failed) == (1, 0)
    recap = next(m for m in slack.messages("CWINS") if "Weekly recap" in seen(m))
    assert "<@UADA> 2 days · <@UBOB> 1 day" in seen(recap)
    thread = "\n".join(seen(m) for m in slack.messages("CWINS") if m.thread_ts == recap.ts)
    assert "<@UADA> — shares 4 · actions 4 · requests 4 · full days 2 · current streak 2 · best streak 2" in thread
    assert "<@UBOB> — shares 4 · actions 4 · requests 4 · full days 2 · current streak 0 · best streak 1" in thread
