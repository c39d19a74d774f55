"""One table of words for a request's state: the cards, the listings, the follow-ups and the refusals read it alike."""

from __future__ import annotations

import pytest

from bot.coach.rules import MoveRefused, Role
from handlers.blocks.requests import build_request_card, request_summary
from handlers.blocks.words import refused_state_words, state_words
from handlers.errors import kind_words
from storage.models import RequestStatus
from tests.blocks_support import request


@pytest.mark.parametrize("state", list(RequestStatus))
def test_a_refusal_names_the_state_in_the_words_the_card_shows(state: RequestStatus) -> None:
    card = state_words(request(state))

    refused = refused_state_words(state)

    assert card.startswith(refused.removeprefix("already "))


@pytest.mark.parametrize("state", list(RequestStatus))
def test_a_spent_button_is_refused_with_the_table_s_words(state: RequestStatus) -> None:
    message, fault = kind_words(MoveRefused("spent", status=state))

    assert message == f"This request is {refused_state_words(state)} — nothing changed."
    assert not fault


def test_a_request_still_open_is_refused_as_waiting_for_an_answer_as_its_card_says() -> None:
    message, _ = kind_words(MoveRefused("spent", status=RequestStatus.OPEN))

    assert message == "This request is waiting for an answer — nothing changed."
    assert "waiting for an answer" in build_request_card(request(), Role.REQUESTER)[0]


def test_a_counter_offered_request_is_refused_as_already_counter_offered() -> None:
    message, _ = kind_words(MoveRefused("spent", status=RequestStatus.COUNTERED))

    assert message == "This request is already counter-offered — nothing changed."


def test_a_settled_request_is_refused_as_already_so() -> None:
    assert kind_words(MoveRefused("spent", status=RequestStatus.ACCEPTED))[0] == (
        "This request is already accepted — nothing changed."
    )


def test_the_card_and_the_listing_say_the_same_state() -> None:
    accepted = request(RequestStatus.ACCEPTED)

    assert build_request_card(accepted, Role.REQUESTER)[0].endswith("— accepted — a promise")
    assert request_summary(accepted, Role.REQUESTER).endswith("— *accepted — a promise*")


def test_each_state_has_words_of_its_own() -> None:
    words = [state_words(request(state)) for state in RequestStatus]

    assert len(set(words)) == len(words)
