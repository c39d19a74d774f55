"""Follow-ups, built pure: each question's buttons while it is open, and what was decided once it is not."""

from __future__ import annotations

from datetime import date, timedelta

from bot.coach.follow_ups import Asked
from handlers.blocks.follow_ups import build_follow_ups, build_requester_told, question_blocks, question_text
from storage.models import PromiseStatus, RequestStatus
from tests.blocks_support import TODAY, all_text, button_labels, promise, request, stand


def test_a_promise_due_today_asks_how_it_went_with_three_answers() -> None:
    blocks = question_blocks(Asked("promise", "due", TODAY, promise()))

    assert button_labels(blocks) == ["Kept", "Renegotiate", "Revoke"]
    assert "Today's the day for your promise" in all_text(blocks)


def test_a_promise_a_day_late_names_its_date_never_today() -> None:
    blocks = question_blocks(Asked("promise", "due", TODAY + timedelta(days=1), promise()))

    assert "was due Wed 2 Dec 2026 and is still open" in all_text(blocks)
    assert "Today's the day" not in all_text(blocks)


def test_a_kept_promise_keeps_no_buttons() -> None:
    blocks = question_blocks(Asked("promise", "due", TODAY, promise(status=PromiseStatus.KEPT)))

    assert button_labels(blocks) == []
    assert "Kept. A promise kept" in all_text(blocks)


def test_a_broken_promise_is_told_without_buttons() -> None:
    late = request(RequestStatus.CANCELLED, promise_status=PromiseStatus.BROKEN, due_on=TODAY)

    blocks = question_blocks(Asked("request", "broken", TODAY + timedelta(days=3), late))

    assert button_labels(blocks) == []
    assert "still open 3 days later, so I've recorded it as broken" in all_text(blocks)


def test_a_reminder_offers_the_answers_while_the_request_is_open() -> None:
    assert button_labels(question_blocks(Asked("request", "reminder", TODAY, request()))) == [
        "Accept",
        "Decline",
        "Counter-offer",
    ]


def test_a_reminder_answered_says_so_in_the_cards_words() -> None:
    blocks = question_blocks(Asked("request", "reminder", TODAY, request(RequestStatus.ACCEPTED)))

    assert button_labels(blocks) == []
    assert "Answered: accepted — a promise." in all_text(blocks)


def test_an_undated_promise_is_asked_about_a_week_after_it_was_made() -> None:
    asked = Asked("promise", "undated", TODAY, promise(due_on=None), made_on=TODAY - timedelta(days=9))

    assert question_text(asked).startswith("You promised 9 days ago: call the council")


def test_a_stands_own_date_asks_what_now() -> None:
    blocks = question_blocks(Asked("stand", "eve", TODAY, stand(due_on=date(2026, 12, 3))))

    assert "Your stand's own date is Thu 3 Dec 2026" in all_text(blocks)
    assert button_labels(blocks) == ["Declare a breakthrough", "Another 14 days", "Close the stand"]


def test_several_questions_come_in_one_message_counted() -> None:
    text, blocks = build_follow_ups(
        [Asked("promise", "due", TODAY, promise()), Asked("request", "reminder", TODAY, request())]
    )

    assert text == "2 things to account for today"
    assert button_labels(blocks) == ["Kept", "Renegotiate", "Revoke", "Accept", "Decline", "Counter-offer"]


def test_the_requester_hears_of_an_expired_request() -> None:
    text, _ = build_requester_told(request(RequestStatus.CANCELLED), "expired")

    assert text.startswith(":hourglass: Your request to <@UBEN> waited two weeks without an answer")
