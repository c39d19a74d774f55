"""Follow-ups: promises asked about on their date and once more a day late; unanswered requests reminded once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import Runtime
from bot.clock import FixedClock
from bot.coach.follow_ups import next_stage, working_days_between
from standin import SlackStandIn
from storage.models import Member
from storage.schedule import FollowUpCandidate
from tests.e2e import buttons, dm, export, last_ephemeral, run_pass, seen
from tests.support import at


def test_working_days_skip_weekends_unless_the_member_practises_on_them() -> None:
    friday, tuesday = date(2026, 11, 20), date(2026, 11, 24)
    assert working_days_between(friday, tuesday, weekends=False) == 2
    assert working_days_between(friday, tuesday, weekends=True) == 4


def candidate(stages: dict[str, date], *, renegotiating: bool = False) -> FollowUpCandidate:
    tuesday = date(2026, 11, 24)
    created = datetime(2026, 11, 23, 12, tzinfo=UTC)
    return FollowUpCandidate("T1", "UBOB", "request", 1, tuesday, created, False, stages, renegotiating=renegotiating)


def test_the_stages_of_a_promise_are_its_date_a_day_late_and_broken_days_after_never_two_on_one_day() -> None:
    bob = Member(team_id="T1", user_id="UBOB", created_at=datetime(2026, 11, 1, tzinfo=UTC))
    tue, wed, thu, fri = (date(2026, 11, d) for d in (24, 25, 26, 27))
    assert next_stage(candidate({}), tue, bob) == "due"
    assert next_stage(candidate({"due": tue}), wed, bob) == "overdue"
    assert next_stage(candidate({"due": tue, "overdue": wed}), thu, bob) is None
    assert next_stage(candidate({"due": tue, "overdue": wed}), fri, bob) == "broken"
    # Caught up after downtime: the late ask goes first, and the broken record waits for another day.
    assert next_stage(candidate({"due": tue}), fri, bob) == "overdue"
    assert next_stage(candidate({"due": tue, "overdue": fri}), fri, bob) is None
    assert next_stage(candidate({"due": tue, "overdue": wed}, renegotiating=True), fri, bob) is None
    assert next_stage(candidate({"due": tue, "overdue": wed, "broken": fri}), fri, bob) is None


def promise_due_tuesday(slack: SlackStandIn, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T10:00:00Z"))  # Monday, 11:00 in Berlin
    slack.command("UADA", "/promise", "Send the deck by tomorrow")
    last_ephemeral(slack, "UADA", "Promise made")


def test_on_its_date_a_promise_is_asked_about_with_kept_renegotiate_and_revoke(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)

    assert run_pass(slack, app, at("2026-11-24T07:59:00Z")).sent == 0  # 08:59 in Berlin
    assert run_pass(slack, app, at("2026-11-24T08:00:00Z")).sent == 1

    follow_up = dm(slack, "UADA", "Today's the day")
    assert "Send the deck" in seen(follow_up)
    assert buttons(follow_up) == ["Kept", "Renegotiate", "Revoke"]
    assert run_pass(slack, app, at("2026-11-24T12:00:00Z")).sent == 0  # once


def test_pressing_kept_accounts_for_the_promise_and_settles_the_message(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    follow_up = dm(slack, "UADA", "Today's the day")

    slack.click("UADA", follow_up, "Kept")

    settled = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Kept." in seen(m)), None))
    assert settled.ts == follow_up.ts and buttons(settled) == []
    assert export(app)["promises"][0]["status"] == "kept"


def test_an_unanswered_promise_is_asked_about_once_more_a_day_late_then_recorded_broken_and_never_nagged(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))

    assert run_pass(slack, app, at("2026-11-25T08:00:00Z")).sent == 1
    dm(slack, "UADA", "still open")
    assert run_pass(slack, app, at("2026-11-26T08:00:00Z")).sent == 0
    assert export(app)["promises"][0]["status"] == "open"
    assert run_pass(slack, app, at("2026-11-27T08:00:00Z")).sent == 1
    assert "not a verdict" in seen(dm(slack, "UADA", "recorded it as broken"))
    assert export(app)["promises"][0]["status"] == "broken"
    assert run_pass(slack, app, at("2026-11-30T08:00:00Z")).sent == 0


def test_renegotiating_closes_the_promise_as_renegotiated_and_opens_it_again_with_the_new_date(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    clock.set(at("2026-11-24T08:01:00Z"))

    slack.click("UADA", dm(slack, "UADA", "Today's the day"), "Renegotiate")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.submit("UADA", modal, {"New date": "2026-11-27"})

    slack.wait_for(lambda: len(export(app)["promises"]) == 2)
    old, new = export(app)["promises"]
    assert (old["status"], new["status"], new["due_on"]) == ("renegotiated", "open", "2026-11-27")


def test_a_renegotiated_date_in_the_past_is_a_field_error(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    clock.set(at("2026-11-24T08:01:00Z"))
    slack.click("UADA", dm(slack, "UADA", "Today's the day"), "Renegotiate")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"New date": "2026-11-20"})

    assert "due_on" in str(reply.body)
    assert export(app)["promises"][0]["status"] == "open"


def test_revoking_an_accepted_request_tells_the_requester(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by tomorrow")
    slack.click("UBOB", dm(slack, "UBOB", "asks you"), "Accept")
    dm(slack, "UADA", "accepted your request")

    run_pass(slack, app, at("2026-11-24T14:00:00Z"))  # Tuesday 09:00 in New York
    follow_up = dm(slack, "UBOB", "Today's the day for your promise for <@UADA>")
    slack.click("UBOB", follow_up, "Revoke")

    dm(slack, "UADA", "revoked their promise")
    assert export(app)["requests"][0]["status"] == "cancelled"


def test_kept_on_an_accepted_request_reports_it_done_to_the_requester(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by tomorrow")
    slack.click("UBOB", dm(slack, "UBOB", "asks you"), "Accept")
    dm(slack, "UADA", "accepted your request")
    run_pass(slack, app, at("2026-11-24T14:00:00Z"))

    slack.click("UBOB", dm(slack, "UBOB", "Today's the day"), "Kept")

    assert "is it complete" in seen(dm(slack, "UADA", "reports your request done"))
    assert export(app)["requests"][0]["status"] == "done"


def test_a_request_unanswered_for_two_working_days_gets_one_reminder_and_the_requester_is_told(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-20T15:00:00Z"))  # Friday
    slack.command("UADA", "/request", "<@UBOB|bob> the partner list")
    dm(slack, "UBOB", "asks you")

    assert run_pass(slack, app, at("2026-11-23T15:00:00Z")).sent == 0  # Monday: one working day
    assert run_pass(slack, app, at("2026-11-24T15:00:00Z")).sent == 1  # Tuesday: two
    reminder = dm(slack, "UBOB", "gentle reminder")
    assert buttons(reminder) == ["Accept", "Decline", "Counter-offer"]
    told = dm(slack, "UADA", "I reminded")  # on her card of the request, not in one more DM
    assert "I reminded <@UBOB> on Tue 24 Nov" in seen(told) and "You asked <@UBOB>" in seen(told)
    assert sum("I reminded" in seen(m) for m in slack.messages("UADA")) == 1
    assert run_pass(slack, app, at("2026-11-25T15:00:00Z")).sent == 0

    slack.click("UBOB", reminder, "Accept")
    dm(slack, "UADA", "accepted your request")
    assert export(app)["requests"][0]["status"] == "accepted"


def test_an_overdue_promise_is_marked_in_app_home_and_counted_in_the_recap(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    from bot.coach.recaps import Recaps

    slack.command("UADA", "/coach", "recap here", channel="CWINS")
    last_ephemeral(slack, "UADA", "will be posted in")
    promise_due_tuesday(slack, clock)
    clock.set(at("2026-11-26T10:00:00Z"))  # Thursday: two days late

    slack.open_home("UADA")
    home = slack.wait_for(lambda: slack.home("UADA"))
    assert "Send the deck" in seen(home) and "overdue" in seen(home)

    [due] = Recaps(app.coach).due(at("2026-11-30T08:00:00Z"))
    assert Recaps(app.coach).summary(due).overdue == 1


def test_status_shows_the_integrity_ledger(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    promise_due_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    slack.click("UADA", dm(slack, "UADA", "Today's the day"), "Kept")
    slack.wait_for(lambda: export(app)["promises"][0]["status"] == "kept")

    slack.command("UADA", "/coach", "status")

    assert "integrity 100% · 1 kept on time" in seen(last_ephemeral(slack, "UADA", "Your word"))


def test_the_day_before_the_stands_own_date_a_dm_asks_where_it_is(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T10:00:00Z"))  # Monday
    slack.command("UADA", "/stand", "Sign 10 new partners by 2026-11-27", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")

    assert run_pass(slack, app, at("2026-11-25T08:00:00Z")).sent == 1  # Wednesday: only the nudge
    run_pass(slack, app, at("2026-11-26T08:00:00Z"))  # Thursday, the day before

    eve = dm(slack, "UADA", "Where is it?")
    assert "Sign 10 new partners" in seen(eve) and "day 4 of 14" in seen(eve)  # asked inside Thursday's nudge
    assert buttons(eve)[-3:] == ["Declare a breakthrough", "Another 14 days", "Close the stand"]
    before = len(slack.messages("UADA"))
    run_pass(slack, app, at("2026-11-27T08:00:00Z"))  # Friday: the nudge, but not the question again
    assert sum("Where is it?" in seen(m) for m in slack.messages("UADA")[before:]) == 0
