"""Breakdowns and breakthroughs, built pure: questions and ways into action; what shifted; the celebration."""

from __future__ import annotations

from handlers.blocks.breakdowns import (
    build_breakdown_coaching,
    build_breakthrough_celebration,
    build_breakthrough_declared,
    build_breakthrough_for_follower,
)
from tests.blocks_support import NOON, action_ids, all_text, breakdown, breakthrough, button_labels


def test_a_breakdown_is_met_with_questions_and_three_ways_into_action() -> None:
    _, blocks = build_breakdown_coaching(breakdown())

    assert button_labels(blocks) == ["Make a request", "Log an action", "It shifted"]
    assert blocks[-1]["elements"][-1]["value"] == "4"
    assert "*What's missing*" in all_text(blocks)


def test_a_resolved_breakdown_shows_what_shifted_in_place_of_its_buttons() -> None:
    _, blocks = build_breakdown_coaching(breakdown(resolved_at=NOON, resolution="Sam found a hall"))

    assert button_labels(blocks) == []
    assert ":seedling: *It shifted:* Sam found a hall" in all_text(blocks)


def test_a_breakthrough_is_celebrated_by_name() -> None:
    text, _ = build_breakthrough_celebration(breakthrough())

    assert text == "Breakthrough! <@UADA>: all three schools signed"


def test_a_follower_can_leave_the_stand_from_its_breakthrough() -> None:
    _, blocks = build_breakthrough_for_follower(breakthrough())

    assert action_ids(blocks) == ["stand_leave"]
    assert blocks[-1]["elements"][0]["value"] == "1"


def test_the_member_hears_where_it_was_celebrated_or_why_not() -> None:
    assert "<#CWINS>" in build_breakthrough_declared("CWINS")
    assert "No recap channel is set yet" in build_breakthrough_declared(None)
