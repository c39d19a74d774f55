"""Stands, built pure: an active stand's announcement invites joining; a closed one keeps who stood with it."""

from __future__ import annotations

import pytest

from handlers.blocks.stands import (
    build_joined_dm,
    build_stand_announcement,
    build_stand_conflict,
    build_stand_declared,
    stand_question,
)
from storage.models import StandStatus
from tests.blocks_support import action_ids, all_text, button_labels, stand


def test_an_active_stand_can_be_joined_or_helped() -> None:
    _, blocks = build_stand_announcement(stand(), [])

    assert button_labels(blocks) == ["Join the stand", "Offer help"]
    assert "Be the first to join" in all_text(blocks)


@pytest.mark.parametrize("closed", [StandStatus.ACHIEVED, StandStatus.WITHDRAWN, StandStatus.ENDED])
def test_a_closed_stands_announcement_has_no_join(closed: StandStatus) -> None:
    _, blocks = build_stand_announcement(stand(status=closed), ["UBEN"])

    assert button_labels(blocks) == []
    assert "First follower: <@UBEN>" in all_text(blocks)


def test_an_achieved_stand_says_so() -> None:
    _, blocks = build_stand_announcement(stand(status=StandStatus.ACHIEVED), [])

    assert ":trophy: This stand was achieved." in all_text(blocks)


def test_the_announcement_names_twenty_followers_after_the_first_and_counts_the_rest() -> None:
    followers = [f"U{n:03d}" for n in range(25)]

    _, blocks = build_stand_announcement(stand(), followers)

    assert "First follower: <@U000>" in all_text(blocks)
    assert "<@U020>" in all_text(blocks)
    assert "<@U021>" not in all_text(blocks)
    assert "and 4 more" in all_text(blocks)


def test_the_owner_hears_of_their_first_follower_as_such() -> None:
    assert (
        build_joined_dm("UBEN", is_first=True)[0] == ":raised_hands: <@UBEN> joined your stand — your *first follower*."
    )
    assert build_joined_dm("UCAL", is_first=False)[0] == ":raised_hands: <@UCAL> joined your stand."


def test_a_declared_stand_says_where_it_was_announced() -> None:
    _, blocks = build_stand_declared(stand(), announced_in="CGENERAL")

    assert "I announced it in <#CGENERAL>." in all_text(blocks)


def test_a_second_stand_asks_to_replace_or_keep_with_the_draft() -> None:
    _, blocks = build_stand_conflict(stand(), 42, "a new stand")

    assert button_labels(blocks) == ["Replace it", "Keep my current stand"]
    assert {b["value"] for b in blocks[1]["elements"]} == {"42"}


def test_what_now_offers_a_breakthrough_another_program_or_closing() -> None:
    blocks = stand_question(stand(), None, "What now?", block_id="q")

    assert action_ids(blocks) == ["open_breakthrough", "program_another", "stand_close"]


def test_what_now_after_a_breakthrough_offers_the_two_other_choices() -> None:
    blocks = stand_question(stand(), "breakthrough", "What now?", block_id="q")

    assert button_labels(blocks) == ["Another 14 days", "Close the stand"]


@pytest.mark.parametrize("answer", ["achieved", "ended", "withdrawn", "restarted"])
def test_what_now_answered_keeps_no_buttons(answer: str) -> None:
    blocks = stand_question(stand(), answer, "What now?", block_id="q")

    assert button_labels(blocks) == []
