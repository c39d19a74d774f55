"""Vague dates (issue 9), through the real app: `by someday` is asked to be a real date and nothing is stored;
a promise with no date is asked about after a week; a request unanswered for two weeks expires and both sides are
told; a request reported done and never completed is asked about once."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from bot.clock import FixedClock
from standin import Message, SlackStandIn
from tests.e2e import body, buttons, dm, drained, export, last_ephemeral, run_pass, seen
from tests.support import at

# Vague dates are asked to be real ones ----------------------------------------------------------------------


def test_a_request_by_someday_asks_for_a_real_date_and_stores_nothing(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UBOB|bob> the partner list by someday")

    answer = seen(last_ephemeral(slack, "UADA", "real date"))
    assert "“by someday”" in answer and "tomorrow" in answer and "in 2 weeks" in answer
    drained(slack, app)
    assert export(app)["requests"] == []
    assert slack.messages("UBOB") == []


@pytest.mark.parametrize("word", ["soon", "Later", "EVENTUALLY", "asap", "the end of the week"])
def test_a_promise_by_a_vague_word_asks_for_a_real_date_and_stores_nothing(
    slack: SlackStandIn, app: Runtime, word: str
) -> None:
    slack.command("UADA", "/promise", f"Send Ana the budget by {word}")

    assert "/promise Send Ana the budget by friday" in seen(last_ephemeral(slack, "UADA", "real date"))
    assert export(app)["promises"] == []


def test_a_stand_by_eventually_asks_for_a_real_date_and_starts_no_program(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners by eventually", channel="CGENERAL")

    last_ephemeral(slack, "UADA", "real date")
    drained(slack, app)
    assert export(app)["stands"] == []
    assert slack.messages("CGENERAL") == []


def test_soon_in_the_middle_of_an_ordinary_sentence_is_not_refused(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/act", "Called the venue, will follow up soon")
    slack.command("UADA", "/promise", "Follow up soon with the venue")

    last_ephemeral(slack, "UADA", "Promise made")
    assert [a["text"] for a in export(app)["actions"]] == ["Called the venue, will follow up soon"]
    assert [(p["text"], p["due_on"]) for p in export(app)["promises"]] == [("Follow up soon with the venue", None)]


def test_a_request_form_whose_text_ends_by_asap_asks_for_a_picked_date_and_stores_nothing(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/request")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"Who are you asking?": "UBOB", "What are you asking for?": "The list by ASAP"})

    errors = body(reply)["errors"]
    assert list(errors) == ["text"] and "“by ASAP”" in errors["text"] and "date below" in errors["text"]
    assert export(app)["requests"] == []


def test_a_promise_form_by_someday_is_refused_even_with_a_date_picked(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/promise")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"What will you do?": "Send the deck by someday", "By when?": "2026-11-27"})

    assert "“by someday”" in body(reply)["errors"]["text"]
    assert export(app)["promises"] == []


# A promise with no date is asked about after a week ---------------------------------------------------------


def an_undated_promise_on_monday(slack: SlackStandIn, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T10:00:00Z"))  # Monday, 11:00 in Berlin
    slack.command("UADA", "/promise", "Send Ana the budget")
    last_ephemeral(slack, "UADA", "Promise made")


def test_a_promise_with_no_date_is_asked_about_a_week_later_with_kept_renegotiate_and_revoke(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    an_undated_promise_on_monday(slack, clock)

    assert run_pass(slack, app, at("2026-11-27T08:00:00Z")).sent == 0  # Friday: not yet a week
    assert run_pass(slack, app, at("2026-11-30T07:59:00Z")).sent == 0  # Monday, 08:59 in Berlin
    assert run_pass(slack, app, at("2026-11-30T08:00:00Z")).sent == 1

    question = dm(slack, "UADA", "You promised a week ago")
    assert "Send Ana the budget" in seen(question) and "How is it going?" in seen(question)
    assert buttons(question) == ["Kept", "Renegotiate", "Revoke"]


def test_a_promise_with_no_date_is_asked_about_once(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    an_undated_promise_on_monday(slack, clock)
    assert run_pass(slack, app, at("2026-11-30T08:00:00Z")).sent == 1

    assert run_pass(slack, app, at("2026-12-01T08:00:00Z")).sent == 0
    assert run_pass(slack, app, at("2026-12-07T08:00:00Z")).sent == 0
    assert export(app)["promises"][0]["status"] == "open"


def test_kept_on_the_undated_promises_question_accounts_for_it_and_settles_the_message(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    an_undated_promise_on_monday(slack, clock)
    run_pass(slack, app, at("2026-11-30T08:00:00Z"))
    question = dm(slack, "UADA", "You promised a week ago")

    slack.click("UADA", question, "Kept")

    settled = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "Kept." in seen(m)), None))
    assert settled.ts == question.ts and buttons(settled) == []
    assert export(app)["promises"][0]["status"] == "kept"


def test_an_undated_promise_found_late_says_how_long_ago_it_was_made(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    an_undated_promise_on_monday(slack, clock)

    run_pass(slack, app, at("2026-12-02T08:00:00Z"))  # the app was away until Wednesday

    assert "You promised 9 days ago" in seen(dm(slack, "UADA", "You promised"))


def test_a_request_accepted_with_no_date_is_asked_about_a_week_after_it_was_accepted(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro")
    card = dm(slack, "UBOB", "asks you")
    clock.set(at("2026-11-24T15:00:00Z"))  # accepted on Tuesday
    slack.click("UBOB", card, "Accept")
    dm(slack, "UADA", "accepted your request")

    assert run_pass(slack, app, at("2026-11-30T14:00:00Z")).sent == 0  # Monday 09:00 in New York
    assert run_pass(slack, app, at("2026-12-01T14:00:00Z")).sent == 1  # Tuesday: a week

    question = dm(slack, "UBOB", "You promised a week ago")
    assert "<@UADA>" in seen(question) and "the council intro" in seen(question)
    assert buttons(question) == ["Kept", "Renegotiate", "Revoke"]


# A request unanswered for two weeks expires -----------------------------------------------------------------


def a_request_bob_never_answers(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> Message:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the partner list")
    card = dm(slack, "UBOB", "asks you")
    run_pass(slack, app, at("2026-11-25T16:00:00Z"))  # Wednesday: the reminder after two working days
    dm(slack, "UBOB", "gentle reminder")
    return card


def test_a_request_unanswered_for_two_weeks_is_closed_and_the_person_asked_hears_nothing_is_owed(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_request_bob_never_answers(slack, app, clock)

    assert run_pass(slack, app, at("2026-12-04T14:00:00Z")).sent == 0  # Friday: 11 days
    assert export(app)["requests"][0]["status"] == "open"
    assert run_pass(slack, app, at("2026-12-07T14:00:00Z")).sent == 1  # Monday: two weeks

    closed = seen(dm(slack, "UBOB", "two weeks"))
    assert "the partner list" in closed and "nothing is owed" in closed.lower()
    assert export(app)["requests"][0]["status"] == "cancelled"


def test_the_requester_of_an_expired_request_hears_it_expired_and_may_ask_again(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_request_bob_never_answers(slack, app, clock)

    run_pass(slack, app, at("2026-12-07T14:00:00Z"))

    told = seen(dm(slack, "UADA", "has expired"))
    assert "<@UBOB>" in told and "the partner list" in told and "ask again" in told and "someone else" in told


def test_an_expired_requests_card_and_reminder_no_longer_offer_accept_decline_or_counter(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = a_request_bob_never_answers(slack, app, clock)
    reminder = dm(slack, "UBOB", "gentle reminder")

    run_pass(slack, app, at("2026-12-07T14:00:00Z"))
    drained(slack, app)

    for ts in (card.ts, reminder.ts):
        now = next(m for m in slack.messages("UBOB") if m.ts == ts)
        assert buttons(now) == [] and "expired" in seen(now)
    requester_card = next(m for m in slack.messages("UADA") if "You asked <@UBOB>" in seen(m))
    assert buttons(requester_card) == [] and "expired" in seen(requester_card)


def test_an_expired_request_is_told_apart_from_a_cancelled_one_in_the_export(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_request_bob_never_answers(slack, app, clock)

    run_pass(slack, app, at("2026-12-07T14:00:00Z"))

    document = export(app)
    [request] = document["requests"]
    assert request["status"] == "cancelled"
    assert [(f["kind"], f["item_id"], f["stage"]) for f in document["follow_ups"] if f["stage"] == "expired"] == [
        ("request", request["id"], "expired")
    ]


# A request reported done and never completed is asked about once ---------------------------------------------


def a_request_reported_done_on_tuesday(slack: SlackStandIn, clock: FixedClock) -> None:
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by friday")
    slack.click("UBOB", dm(slack, "UBOB", "asks you"), "Accept")
    dm(slack, "UADA", "accepted your request")
    clock.set(at("2026-11-24T15:00:00Z"))  # Tuesday
    slack.click("UBOB", dm(slack, "UBOB", "accepted — a promise"), "Done")
    dm(slack, "UADA", "reports your request done")


def test_a_request_reported_done_and_never_completed_is_asked_about_once_two_working_days_later(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_request_reported_done_on_tuesday(slack, clock)

    assert run_pass(slack, app, at("2026-11-25T08:00:00Z")).sent == 0  # Wednesday: one working day
    assert run_pass(slack, app, at("2026-11-26T08:00:00Z")).sent == 1  # Thursday, 09:00 in Berlin

    question = dm(slack, "UADA", "still waiting for you to declare it complete")
    assert "<@UBOB>" in seen(question) and "the council intro" in seen(question)
    assert buttons(question) == ["Complete", "Not yet"]
    assert run_pass(slack, app, at("2026-11-27T08:00:00Z")).sent == 0
    assert run_pass(slack, app, at("2026-12-01T08:00:00Z")).sent == 0


def test_complete_on_that_question_completes_the_request_and_spends_every_complete_button(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    a_request_reported_done_on_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-26T08:00:00Z"))
    question = dm(slack, "UADA", "still waiting for you to declare it complete")

    slack.click("UADA", question, "Complete")

    dm(slack, "UBOB", "declared your promise complete")
    drained(slack, app)
    assert export(app)["requests"][0]["status"] == "completed"
    assert [buttons(m) for m in slack.messages("UADA") if "Complete" in buttons(m)] == []
