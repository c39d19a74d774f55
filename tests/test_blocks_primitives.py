"""The primitives every builder is made of: clipped within Slack's limits, never cutting an entity in half."""

from __future__ import annotations

from datetime import date

from handlers.blocks.primitives import (
    SECTION_LIMIT,
    button,
    buttons,
    clip,
    clip_markup,
    context,
    day,
    esc,
    listing,
    person,
    plural,
    quote,
    section,
    when,
)
from storage.models import FORGOTTEN_USER


def test_clip_cuts_long_words_to_the_limit_with_an_ellipsis() -> None:
    assert clip("x" * 10, 5) == "xxxx…"
    assert clip("short", 5) == "short"


def test_quote_clips_before_escaping_so_no_entity_is_cut() -> None:
    assert quote("a<" * 10, 6) == "a&lt;a&lt;a…"


def test_clip_markup_never_leaves_half_an_entity_at_the_cut() -> None:
    assert clip_markup("abc &amp; def", 7) == "abc…"
    assert clip_markup("abc <@UBOB> def", 8) == "abc…"


def test_a_section_holds_at_most_slacks_3000_characters() -> None:
    text = section(esc("<" * 5000)).to_dict()["text"]["text"]

    assert len(text) <= SECTION_LIMIT
    assert text.endswith("&lt;…")


def test_a_context_line_holds_at_most_2000_characters() -> None:
    assert len(context("y" * 5000).to_dict()["elements"][0]["text"]) == 2000


def test_someone_forgotten_is_a_former_member() -> None:
    assert person(FORGOTTEN_USER) == "a former member"
    assert person(None) == "a former member"
    assert person("UADA") == "<@UADA>"


def test_dates_read_as_members_read_them() -> None:
    assert when(date(2026, 12, 4)) == "by Fri 4 Dec 2026"
    assert when(None) == "no date set"
    assert day(None) == "no date"


def test_plural_counts_in_words() -> None:
    assert plural(1, "person", "people") == "1 person"
    assert plural(1200, "share") == "1,200 shares"


def test_a_button_without_a_value_carries_none() -> None:
    assert "value" not in button("Go", "go").to_dict()
    assert buttons("row", [button("Go", "go", "7", style="primary")]).to_dict() == {
        "type": "actions",
        "block_id": "row",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Go", "emoji": True},
                "action_id": "go",
                "value": "7",
                "style": "primary",
            }
        ],
    }


def test_a_listing_stops_at_its_limit_and_says_how_many_more() -> None:
    lines = [f"line {n}" for n in range(20)]

    shown = listing("Title", lines, "none", limit=3)

    assert shown == "*Title*\n• line 0\n• line 1\n• line 2\n…and 17 more"


def test_a_listing_of_long_lines_fits_one_section() -> None:
    shown = listing("Title", ["z" * 900] * 10, "none")

    assert len(shown) <= SECTION_LIMIT
    assert shown.endswith("more")


def test_an_empty_listing_says_so() -> None:
    assert listing("Title", [], "Nothing waiting on you.") == "*Title*\n_Nothing waiting on you._"
