"""The morning nudge, built pure: within Block Kit's limits whatever a member wrote, and the check-in as answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.coach.follow_ups import Asked
from bot.coach.rules import Practice
from handlers.blocks.nudges import build_nudge, greeting
from handlers.blocks.primitives import SECTION_LIMIT
from storage.models import RequestStatus
from tests.blocks_support import TODAY, action_ids, block, nudge_content, progress, promise, request, stand

HUGE = "x" * 20_000


def test_a_nudge_with_very_long_words_everywhere_stays_within_slacks_limits() -> None:
    content = nudge_content(
        progress=progress(with_stand=stand(HUGE)),
        promises_due=[promise(HUGE, id=n) for n in range(30)],
        requests_due=[request(RequestStatus.ACCEPTED, HUGE, id=n) for n in range(30)],
        check_in=HUGE,
        check_in_id=4,
    )
    questions = [Asked("promise", "due", TODAY, promise(HUGE, id=100 + n)) for n in range(15)]

    _, blocks = build_nudge(content, questions)

    assert len(blocks) <= 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert max(len(text) for text in sections) <= SECTION_LIMIT
    assert len(sections) > 15


def test_the_head_names_the_day_and_the_stand() -> None:
    _, blocks = build_nudge(nudge_content())

    assert block(blocks, "nudge-head")["text"]["text"] == (
        "Good morning — *day 3 of 14*.\nYour stand: _Sign 3 new schools by Friday_"
    )
    assert action_ids(block(blocks, "nudge-log")) == ["open_share", "open_act", "open_request"]


def test_a_full_day_is_cheered() -> None:
    content = nudge_content(progress=progress(with_stand=stand(), today=Practice(shares=2, actions=2, requests=2)))

    _, blocks = build_nudge(content)

    assert "full practice. Beautiful." in block(blocks, "nudge-today")["text"]["text"]


@pytest.mark.parametrize(("hour", "words"), [(8, "Good morning"), (13, "Good afternoon"), (19, "Good evening")])
def test_a_late_nudge_is_not_a_good_morning(hour: int, words: str) -> None:
    assert greeting(hour) == words


def test_a_noticed_breakdown_asks_with_two_buttons_carrying_it() -> None:
    _, blocks = build_nudge(nudge_content(check_in="behind on calls", check_in_id=4))

    row = block(blocks, "nudge-check-in-actions")
    assert action_ids(row) == ["check_in_declare", "check_in_on_it"]
    assert {b["value"] for b in row["elements"]} == {"4"}


@pytest.mark.parametrize(
    ("answer", "words"),
    [({"check_in_on_it": True}, "You said you're on it."), ({"check_in_declared": True}, "You declared it")],
)
def test_an_answered_check_in_keeps_no_buttons(answer: dict[str, bool], words: str) -> None:
    _, blocks = build_nudge(nudge_content(check_in="behind on calls", check_in_id=4, **answer))

    assert words in block(blocks, "nudge-check-in")["text"]["text"]
    assert "check_in_declare" not in action_ids(blocks)


def test_what_is_due_today_and_asked_about_is_not_listed_twice() -> None:
    asked, other = promise("asked about", id=1), promise("only due", id=2)
    content = nudge_content(promises_due=[asked, other])

    _, blocks = build_nudge(content, [Asked("promise", "due", TODAY, asked)])

    assert block(blocks, "nudge-due")["text"]["text"] == "*Due today*\n• your promise: _only due_"


def test_more_than_ten_things_due_are_counted() -> None:
    content = nudge_content(promises_due=[promise(f"p{n}", id=n) for n in range(13)])

    _, blocks = build_nudge(content)

    assert block(blocks, "nudge-due")["text"]["text"].endswith("\n…and 3 more")


def test_the_closing_nudge_gives_the_two_weeks_in_numbers_and_asks_what_now() -> None:
    numbers = dict.fromkeys(
        ("shares", "people", "actions", "requests", "requests_kept", "promises", "promises_kept", "breakdowns"), 2
    ) | {"followers": 1}
    content = nudge_content(moment="closing", numbers=numbers, local_date=TODAY + timedelta(days=13))

    _, blocks = build_nudge(content)

    assert "2 shares (2 people told)" in block(blocks, "nudge-arc")["text"]["text"]
    assert action_ids(blocks)[-3:] == ["open_breakthrough", "program_another", "stand_close"]
