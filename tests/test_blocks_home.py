"""`/coach status` and App Home, built pure: what a member sees of their stand, followers, requests and promises."""

from __future__ import annotations

from datetime import timedelta

from bot.coach import FollowedStand
from handlers.blocks.home import (
    FOLLOWED_SHOWN,
    build_home,
    build_status,
    followed_stand_line,
    followers_line,
    promise_line,
)
from storage.models import RequestStatus
from tests.blocks_support import (
    TODAY,
    action_ids,
    all_text,
    block,
    button_labels,
    progress,
    promise,
    request,
    status,
)


def test_home_is_a_home_view_with_the_members_log_buttons() -> None:
    home = build_home(status())

    assert home["type"] == "home"
    assert action_ids(block(home["blocks"], "status-log")) == [
        "open_share",
        "open_act",
        "open_request",
        "open_promise",
        "week_picture",
    ]


def test_status_answers_in_a_message_whose_one_button_is_the_week_as_a_picture() -> None:
    _, blocks = build_status(status(received=[request(recipient_id="UADA", user_id="UCAL")]))

    assert button_labels(blocks) == ["My week in a picture"]


def test_without_a_stand_neither_status_nor_home_offers_a_picture_of_the_week() -> None:
    without = status(progress=progress(with_stand=None))

    _, blocks = build_status(without)
    home = build_home(without)

    assert button_labels(blocks) == []
    assert "week_picture" not in action_ids(block(home["blocks"], "status-log"))


def test_home_lets_a_member_answer_requests_waiting_on_them() -> None:
    waiting = request(recipient_id="UADA", user_id="UCAL")

    home = build_home(status(received=[waiting]))

    assert button_labels(block(home["blocks"], "home-received-actions-7")) == ["Accept", "Decline", "Counter-offer"]


def test_each_followed_stand_has_a_leave_button_up_to_ten() -> None:
    following = [FollowedStand(stand_id=n, owner_id="UCAL", text=f"stand {n}", day=4) for n in range(12)]

    home = build_home(status(following=following))

    leaves = [b for b in home["blocks"] if b.get("block_id", "").startswith("following-")]
    assert len(leaves) == FOLLOWED_SHOWN
    assert {b["accessory"]["action_id"] for b in leaves} == {"stand_leave"}
    assert "…and 2 more stands you follow." in all_text(home)


def test_followers_are_named_first_follower_first_then_counted() -> None:
    line = followers_line([f"U{n:02d}" for n in range(12)])

    assert line.startswith(":busts_in_silhouette: First follower: <@U00> · also <@U01>")
    assert line.endswith("<@U09> and 2 more · 12 followers")


def test_a_followed_stand_says_where_its_program_is() -> None:
    assert followed_stand_line(FollowedStand(stand_id=1, owner_id="UCAL", text="Win", day=15)).endswith(
        "its 14 days are complete"
    )


def test_a_promise_past_its_date_is_marked_overdue() -> None:
    assert promise_line("call", TODAY - timedelta(days=1), TODAY).endswith("— *overdue*")
    assert "overdue" not in promise_line("call", TODAY, TODAY)


def test_the_listings_use_the_cards_state_words() -> None:
    _, blocks = build_status(status(made=[request(RequestStatus.COUNTERED)]))

    assert "— *counter-offered*" in block(blocks, "status-made")["text"]["text"]


def test_a_counter_offer_waiting_in_home_shows_the_terms_its_accept_button_would_take() -> None:
    countered = request(RequestStatus.COUNTERED, counter_text="half the deck", counter_due_on=TODAY + timedelta(days=6))

    view = build_home(status(made=[countered]))

    waiting = block(view["blocks"], "home-made-7")["text"]["text"]
    assert waiting.endswith(f"— *counter-offered*: _half the deck_ (by {TODAY + timedelta(days=6):%a %-d %b %Y})")
    assert button_labels(block(view["blocks"], "home-made-actions-7")) == ["Accept", "Decline"]


def test_promises_due_include_requests_accepted_from_others() -> None:
    accepted = request(RequestStatus.ACCEPTED, recipient_id="UADA", user_id="UCAL")

    _, blocks = build_status(status(promises=[promise()], received=[accepted]))

    due = block(blocks, "status-promises")["text"]["text"]
    assert "_call the council_" in due
    assert "for <@UCAL>: _a review of the deck_" in due
