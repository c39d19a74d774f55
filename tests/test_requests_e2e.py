"""The request-to-promise loop, end to end, with both sides' cards updated in place."""

from __future__ import annotations

from bot.app import Runtime
from standin import Message, SlackStandIn
from tests.e2e import buttons, dm, export, last_ephemeral, seen


def ask(
    slack: SlackStandIn, text: str = "<@UBOB|bob> an intro to the council by 2026-12-04"
) -> tuple[Message, Message]:
    """Ada asks Bob; returns Bob's card and Ada's card."""
    slack.command("UADA", "/request", text)
    last_ephemeral(slack, "UADA", "Request sent")
    return dm(slack, "UBOB", "asks you"), dm(slack, "UADA", "You asked")


def status_of(app: Runtime) -> str:
    [request] = export(app)["requests"]
    return str(request["status"])


def test_the_person_asked_gets_accept_decline_and_counter_offer(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, ada_card = ask(slack)

    assert buttons(bob_card) == ["Accept", "Decline", "Counter-offer"]
    assert buttons(ada_card) == ["Cancel"]
    assert "an intro to the council" in seen(bob_card)
    [request] = export(app)["requests"]
    assert (request["user_id"], request["recipient_id"], request["due_on"]) == ("UADA", "UBOB", "2026-12-04")


PROMISED = ["Done", "Renegotiate"]  # the recipient's card once the request is their promise


def test_accepting_makes_it_a_promise_updates_both_cards_and_tells_the_requester(
    slack: SlackStandIn, app: Runtime
) -> None:
    bob_card, _ = ask(slack)

    slack.click("UBOB", bob_card, "Accept")

    dm(slack, "UADA", "accepted your request")
    bob_now = slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if buttons(m) == PROMISED), None))
    assert bob_now.ts == bob_card.ts  # the same message, rewritten
    assert status_of(app) == "accepted"
    assert buttons(dm(slack, "UADA", "You asked")) == []


def test_done_then_complete_closes_the_loop(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)
    slack.click("UBOB", bob_card, "Accept")
    done_card = slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if buttons(m) == PROMISED), None))

    slack.click("UBOB", done_card, "Done")
    ada_card = slack.wait_for(
        lambda: next((m for m in slack.messages("UADA") if buttons(m) == ["Complete", "Not yet"]), None)
    )
    dm(slack, "UADA", "reports your request done")

    slack.click("UADA", ada_card, "Complete")
    assert "complete" in seen(dm(slack, "UBOB", "declared your promise complete"))
    assert status_of(app) == "completed"


def test_not_yet_puts_it_back_in_the_promisers_hands(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)
    slack.click("UBOB", bob_card, "Accept")
    slack.click(
        "UBOB",
        slack.wait_for(lambda: next((m for m in slack.messages("UBOB") if buttons(m) == PROMISED), None)),
        "Done",
    )
    ada_card = slack.wait_for(
        lambda: next((m for m in slack.messages("UADA") if buttons(m) == ["Complete", "Not yet"]), None)
    )

    slack.click("UADA", ada_card, "Not yet")

    dm(slack, "UBOB", "isn't complete yet")
    assert status_of(app) == "accepted"


def test_a_second_click_on_a_spent_button_changes_nothing_and_says_so(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)
    slack.click("UBOB", bob_card, "Accept")
    dm(slack, "UADA", "accepted your request")
    notices_before = len(slack.messages("UADA"))

    slack.click("UBOB", bob_card, "Decline")  # the stale copy of the card still shows Decline

    assert "already accepted" in seen(last_ephemeral(slack, "UBOB", "nothing changed"))
    assert status_of(app) == "accepted"
    assert len(slack.messages("UADA")) == notices_before


def test_declining_tells_the_requester_and_ends_the_request(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)

    slack.click("UBOB", bob_card, "Decline")

    dm(slack, "UADA", "declined your request")
    assert status_of(app) == "declined"
    assert buttons(dm(slack, "UBOB", "asks you")) == []


def test_a_counter_offer_proposes_new_terms_that_the_requester_can_accept(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)

    slack.click("UBOB", bob_card, "Counter-offer")
    modal = slack.wait_for(lambda: slack.open_views("UBOB"))[-1]
    reply = slack.submit(
        "UBOB", modal, {"What you can promise instead": "an intro to one council member", "By when?": "2026-12-11"}
    )
    assert reply.status == 200

    ada_card = slack.wait_for(
        lambda: next((m for m in slack.messages("UADA") if "Counter-offer:" in seen(m) and buttons(m)), None)
    )
    assert buttons(ada_card) == ["Accept", "Decline"]
    slack.click("UADA", ada_card, "Accept")

    dm(slack, "UBOB", "accepted your counter-offer")
    [request] = export(app)["requests"]
    assert (request["status"], request["text"], request["due_on"]) == (
        "accepted",
        "an intro to one council member",
        "2026-12-11",
    )


def test_the_requester_can_cancel_an_open_request(slack: SlackStandIn, app: Runtime) -> None:
    _, ada_card = ask(slack)

    slack.click("UADA", ada_card, "Cancel")

    dm(slack, "UBOB", "cancelled their request")
    assert status_of(app) == "cancelled"
    assert buttons(dm(slack, "UBOB", "asks you")) == []


def test_only_the_person_asked_can_accept(slack: SlackStandIn, app: Runtime) -> None:
    bob_card, _ = ask(slack)

    slack.click("UCY", bob_card, "Accept")

    assert "between two other people" in seen(last_ephemeral(slack, "UCY", "nothing"))
    assert status_of(app) == "open"


def test_a_request_to_yourself_is_refused(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UADA|ada> a day off")

    last_ephemeral(slack, "UADA", "someone else")
    assert export(app)["requests"] == []


def test_a_request_to_a_bot_is_refused(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UHELPER|helperbot> a report")

    last_ephemeral(slack, "UADA", "is a bot")
    assert export(app)["requests"] == []


def test_a_request_to_someone_unknown_is_refused(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UNOBODY|ghost> a report")

    last_ephemeral(slack, "UADA", "couldn't find")
    assert export(app)["requests"] == []


def test_an_offer_of_help_becomes_the_helpers_promise_when_the_owner_accepts(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]

    slack.click("UBOB", announcement, "Offer help")
    modal = slack.wait_for(lambda: slack.open_views("UBOB"))[-1]
    slack.submit("UBOB", modal, {"How can you help?": "I'll introduce you to three partners"})

    owner_card = dm(slack, "UADA", "offers help")
    assert buttons(owner_card) == ["Accept", "Decline"]
    slack.click("UADA", owner_card, "Accept")
    dm(slack, "UBOB", "accepted your offer of help")
    [request] = export(app)["requests"]
    assert (request["user_id"], request["recipient_id"], request["status"]) == ("UADA", "UBOB", "accepted")
