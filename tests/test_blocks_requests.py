"""The request card and its summary line, built pure: each side sees the buttons it can press now, and only those."""

from __future__ import annotations

from datetime import date

import pytest

from bot.coach import RequestMoved
from bot.coach.rules import RequestMove, Role
from handlers.blocks.requests import build_request_card, build_request_notice, request_buttons, request_summary
from storage.models import PromiseStatus, RequestStatus
from tests.blocks_support import all_text, block, button_labels, request

BUTTONS = [
    (RequestStatus.OPEN, Role.RECIPIENT, ["Accept", "Decline", "Counter-offer"]),
    (RequestStatus.OPEN, Role.REQUESTER, ["Cancel"]),
    (RequestStatus.COUNTERED, Role.REQUESTER, ["Accept", "Decline"]),  # declining the counter already ends it
    (RequestStatus.COUNTERED, Role.RECIPIENT, []),
    (RequestStatus.ACCEPTED, Role.RECIPIENT, ["Done", "Renegotiate"]),  # revoking is the due date's question
    (RequestStatus.ACCEPTED, Role.REQUESTER, []),
    (RequestStatus.DONE, Role.REQUESTER, ["Complete", "Not yet"]),
    (RequestStatus.DONE, Role.RECIPIENT, []),
    (RequestStatus.DECLINED, Role.REQUESTER, []),
    (RequestStatus.COMPLETED, Role.RECIPIENT, []),
    (RequestStatus.CANCELLED, Role.RECIPIENT, []),
]


@pytest.mark.parametrize(("state", "viewer", "labels"), BUTTONS, ids=[f"{s}-{v}" for s, v, _ in BUTTONS])
def test_a_card_shows_the_viewer_only_the_buttons_they_can_press_now(
    state: RequestStatus, viewer: Role, labels: list[str]
) -> None:
    _, blocks = build_request_card(request(state), viewer)

    assert button_labels(blocks) == labels
    if not labels:
        assert "Nothing left to do here." in all_text(blocks)


def test_every_move_button_carries_the_request_and_its_own_action_id() -> None:
    pressable = [b.to_dict() for b in request_buttons(request(RequestStatus.OPEN), Role.RECIPIENT)]

    assert [b["action_id"] for b in pressable] == ["request:accept", "request:decline", "request_counter"]
    assert {b["value"] for b in pressable} == {"7"}


def test_renegotiating_a_promise_made_on_a_request_names_the_request() -> None:
    pressable = [b.to_dict() for b in request_buttons(request(RequestStatus.ACCEPTED), Role.RECIPIENT)]

    assert pressable[-1]["action_id"] == "follow_renegotiate"
    assert pressable[-1]["value"] == "request:7"


def test_a_counter_offer_shows_its_new_terms_and_date_on_the_card() -> None:
    countered = request(RequestStatus.COUNTERED, counter_text="half the deck", counter_due_on=date(2026, 12, 8))

    _, blocks = build_request_card(countered, Role.REQUESTER)

    assert "*Counter-offer:* _half the deck_ (by Tue 8 Dec 2026)" in block(blocks, "request-7")["text"]["text"]


def test_the_reminder_is_told_on_the_requesters_open_card_only() -> None:
    reminded = date(2026, 12, 3)

    _, theirs = build_request_card(request(), Role.REQUESTER, reminded_on=reminded)
    _, asked = build_request_card(request(), Role.RECIPIENT, reminded_on=reminded)
    _, answered = build_request_card(request(RequestStatus.ACCEPTED), Role.REQUESTER, reminded_on=reminded)

    assert "I reminded <@UBEN> on Thu 3 Dec." in all_text(theirs)
    assert "I reminded" not in all_text(asked)
    assert "I reminded" not in all_text(answered)


def test_an_expired_request_reads_as_expired_rather_than_cancelled() -> None:
    text, blocks = build_request_card(request(RequestStatus.CANCELLED), Role.REQUESTER, expired=True)

    assert text.endswith("expired — two weeks without an answer, so it's closed")
    assert "cancelled" not in all_text(blocks)


def test_an_offer_of_help_reads_as_an_offer_to_each_side() -> None:
    offer = request(RequestStatus.COUNTERED, offered=True)

    assert request_summary(offer, Role.REQUESTER) == (
        "<@UBEN> offered: _a review of the deck_ (by Fri 4 Dec 2026) — *waiting for your answer*"
    )
    assert request_summary(offer, Role.RECIPIENT) == (
        "You offered <@UADA> help: _a review of the deck_ (by Fri 4 Dec 2026) — *waiting for their answer*"
    )


def test_a_broken_promise_on_a_request_is_summarised_as_broken() -> None:
    broken = request(RequestStatus.CANCELLED, promise_status=PromiseStatus.BROKEN)

    assert request_summary(broken, Role.REQUESTER).endswith("— *not kept by its date — recorded as a broken promise*")


def test_the_notice_tells_the_other_side_who_moved_and_what() -> None:
    moved = RequestMoved(
        request=request(RequestStatus.ACCEPTED),
        before=RequestStatus.OPEN,
        move=RequestMove.ACCEPT,
        actor=Role.RECIPIENT,
    )

    assert build_request_notice(moved, "UBEN") == (
        ":handshake: <@UBEN> accepted your request — it's their promise now: _a review of the deck_"
    )


def test_declining_an_offer_of_help_is_told_as_a_thank_you() -> None:
    moved = RequestMoved(
        request=request(RequestStatus.CANCELLED, offered=True),
        before=RequestStatus.COUNTERED,
        move=RequestMove.DECLINE_COUNTER,
        actor=Role.REQUESTER,
    )

    assert build_request_notice(moved, "UADA").startswith(
        "<@UADA> thanked you for your offer but won't take it up this time"
    )
