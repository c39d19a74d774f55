"""Promises, accounted: an accepted request is the recipient's promise in their ledger, a new date is asked of the
requester, and a promise left unanswered past its date ends as broken rather than staying silently open."""

from __future__ import annotations

from bot.app import Runtime
from bot.clock import FixedClock
from standin import AppReply, Message, SlackStandIn
from tests.e2e import body, buttons, dm, export, last_ephemeral, modal_answer, run_pass, seen
from tests.support import at

QUESTION = ["Agree to the new date", "Keep the original date"]


def bob_promises_the_intro_by_tuesday(slack: SlackStandIn, clock: FixedClock) -> Message:
    """Ada (Berlin) asks Bob (New York) on Monday; Bob accepts: his card now carries Done and Renegotiate."""
    clock.set(at("2026-11-23T15:00:00Z"))  # Monday, 10:00 in New York
    slack.command("UADA", "/request", "<@UBOB|bob> the council intro by tomorrow")
    slack.click("UBOB", dm(slack, "UBOB", "asks you"), "Accept")
    dm(slack, "UADA", "accepted your request")
    return slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if "Renegotiate" in buttons(m)), None))


def ask_for(slack: SlackStandIn, card: Message, new_date: str) -> AppReply:
    before = len(slack.calls("views.open"))
    slack.click("UBOB", card, "Renegotiate")
    slack.wait_for(lambda: len(slack.calls("views.open")) > before)
    modal = slack.open_views("UBOB")[-1]
    return slack.submit("UBOB", modal, {"New date": new_date})


def test_renegotiating_a_request_asks_the_requester_and_the_old_date_holds_until_they_agree(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)

    ask_for(slack, card, "2026-11-27")

    question = dm(slack, "UADA", "asks to move their promise")
    assert buttons(question) == QUESTION
    assert "Tue 24 Nov 2026" in seen(question) and "Fri 27 Nov 2026" in seen(question)
    assert "Until they do, it's still due Tue 24 Nov 2026" in seen(modal_answer(slack, "UBOB", "I've asked <@UADA>"))
    document = export(app)
    assert document["requests"][0]["due_on"] == "2026-11-24"
    assert [r["status"] for r in document["renegotiations"]] == ["proposed"]


def test_agreeing_moves_the_date_tells_the_promiser_and_counts_as_renegotiated_in_time(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    ask_for(slack, card, "2026-11-27")
    question = dm(slack, "UADA", "asks to move their promise")

    slack.click("UADA", question, "Agree to the new date")

    assert "now due Fri 27 Nov 2026" in seen(dm(slack, "UBOB", "agreed to the new date"))
    settled = slack.wait_for(lambda: next((m for m in slack.messages("UADA") if "You agreed" in seen(m)), None))
    assert settled.ts == question.ts and buttons(settled) == []
    assert export(app)["requests"][0]["due_on"] == "2026-11-27"
    assert "By Fri 27 Nov 2026" in seen(dm(slack, "UBOB", "asks you"))  # Bob's card shows the new date
    slack.command("UBOB", "/coach", "status")
    ledger = seen(last_ephemeral(slack, "UBOB", "Your word"))
    assert "integrity 100% · 0 kept on time, 1 renegotiated in time" in ledger
    assert "of 1 ended · 2 made" in ledger


def test_the_new_date_gets_its_own_follow_up(slack: SlackStandIn, app: Runtime, clock: FixedClock) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    assert run_pass(slack, app, at("2026-11-24T14:00:00Z")).sent == 1  # Tuesday: its date
    clock.set(at("2026-11-24T14:05:00Z"))
    ask_for(slack, card, "2026-11-26")
    slack.click("UADA", dm(slack, "UADA", "asks to move their promise"), "Agree to the new date")
    dm(slack, "UBOB", "agreed to the new date")

    assert run_pass(slack, app, at("2026-11-25T14:00:00Z")).sent == 0  # no "still open" for the old date
    assert run_pass(slack, app, at("2026-11-26T14:00:00Z")).sent == 1
    assert len([m for m in slack.messages("UBOB") if "Today's the day" in seen(m)]) == 2


def test_keeping_the_original_date_tells_the_promiser_and_leaves_the_date_alone(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    ask_for(slack, card, "2026-11-27")

    slack.click("UADA", dm(slack, "UADA", "asks to move their promise"), "Keep the original date")

    assert "Keep it if you can" in seen(dm(slack, "UBOB", "would like to keep the original date"))
    document = export(app)
    assert document["requests"][0]["due_on"] == "2026-11-24"
    assert [r["status"] for r in document["renegotiations"]] == ["declined"]


def test_a_second_ask_while_one_waits_is_refused_kindly_and_asks_nothing_more(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    ask_for(slack, card, "2026-11-27")
    dm(slack, "UADA", "asks to move their promise")

    reply = ask_for(slack, card, "2026-11-30")

    # Refused in the ack, under the form's field: the member's choice stays on screen.
    assert "already asked to move it to Friday 27 November" in str(body(reply)["errors"])
    assert len([m for m in slack.messages("UADA") if "asks to move" in seen(m)]) == 1
    assert [r["new_due_on"] for r in export(app)["renegotiations"]] == ["2026-11-27"]


def test_only_the_requester_can_answer_and_a_spent_question_changes_nothing(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    ask_for(slack, card, "2026-11-27")
    question = dm(slack, "UADA", "asks to move their promise")

    slack.click("UBOB", question, "Agree to the new date")
    assert "for the person who made the request" in seen(last_ephemeral(slack, "UBOB", "nothing changed"))
    assert export(app)["renegotiations"][0]["status"] == "proposed"

    slack.click("UADA", question, "Keep the original date")
    dm(slack, "UBOB", "would like to keep the original date")
    slack.click("UADA", question, "Agree to the new date")  # the old buttons, pressed again
    last_ephemeral(slack, "UADA", "already settled")
    assert export(app)["requests"][0]["due_on"] == "2026-11-24"


def test_a_renegotiated_date_that_has_gone_by_is_a_field_error(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    slack.click("UBOB", card, "Renegotiate")
    modal = slack.wait_for(lambda: slack.open_views("UBOB"))[-1]

    reply = slack.submit("UBOB", modal, {"New date": "2026-11-20"})

    assert "already behind us" in str(reply.body)
    assert export(app)["renegotiations"] == []


def test_an_accepted_request_unanswered_days_past_its_date_is_recorded_broken_and_both_are_told(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    bob_promises_the_intro_by_tuesday(slack, clock)
    assert run_pass(slack, app, at("2026-11-24T14:00:00Z")).sent == 1  # Tuesday: today's the day
    assert run_pass(slack, app, at("2026-11-25T14:00:00Z")).sent == 1  # Wednesday: still open
    assert run_pass(slack, app, at("2026-11-26T14:00:00Z")).sent == 0  # Thursday: not yet
    assert export(app)["requests"][0]["promise_status"] == "open"

    assert run_pass(slack, app, at("2026-11-27T14:00:00Z")).sent == 1  # Friday: three days past

    dm(slack, "UBOB", "recorded it as broken")
    assert "ask again" in seen(dm(slack, "UADA", "recorded it as broken"))
    request = export(app)["requests"][0]
    assert (request["status"], request["promise_status"]) == ("cancelled", "broken")
    card = slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if "broken promise" in seen(m)), None))
    assert buttons(card) == []
    assert run_pass(slack, app, at("2026-11-30T14:00:00Z")).sent == 0  # once
    slack.command("UBOB", "/coach", "status")
    assert "integrity 0% · 0 kept on time, 0 renegotiated in time, 1 broken" in seen(
        last_ephemeral(slack, "UBOB", "Your word")
    )


def test_a_new_date_asked_for_holds_off_the_broken_record_until_the_requester_answers(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)
    run_pass(slack, app, at("2026-11-24T14:00:00Z"))
    run_pass(slack, app, at("2026-11-25T14:00:00Z"))
    clock.set(at("2026-11-25T14:05:00Z"))
    ask_for(slack, card, "2026-11-30")
    dm(slack, "UADA", "asks to move their promise")

    assert run_pass(slack, app, at("2026-11-27T14:00:00Z")).sent == 0

    assert export(app)["requests"][0]["promise_status"] == "open"


def test_done_on_time_is_kept_on_time_in_the_promisers_ledger(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    card = bob_promises_the_intro_by_tuesday(slack, clock)

    slack.click("UBOB", card, "Done")
    dm(slack, "UADA", "reports your request done")

    slack.command("UBOB", "/coach", "status")
    assert "integrity 100% · 1 kept on time" in seen(last_ephemeral(slack, "UBOB", "Your word"))
    assert export(app)["requests"][0]["done_on"] == "2026-11-23"


def test_revoking_a_promise_after_its_date_has_passed_records_it_as_broken(
    slack: SlackStandIn, app: Runtime, clock: FixedClock
) -> None:
    clock.set(at("2026-11-23T10:00:00Z"))  # Monday, 11:00 in Berlin
    slack.command("UADA", "/promise", "Send the deck by tomorrow")
    last_ephemeral(slack, "UADA", "Promise made")
    run_pass(slack, app, at("2026-11-24T08:00:00Z"))
    run_pass(slack, app, at("2026-11-25T08:00:00Z"))
    clock.set(at("2026-11-25T08:01:00Z"))

    slack.click("UADA", dm(slack, "UADA", "still open"), "Revoke")

    dm(slack, "UADA", "recorded it as broken")
    assert export(app)["promises"][0]["status"] == "broken"
