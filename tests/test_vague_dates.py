"""Vague dates (issue 9): `by someday` is no date; undated promises, unanswered and unconfirmed requests are each
asked about once, at a moment of their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from bot.coach.follow_ups import next_stage
from handlers.parsing import ParseError, PromiseInput, parse_promise, parse_request, vague_date
from handlers.stand_parsing import parse_stand
from storage.models import Member
from storage.schedule import FollowUpCandidate

WEDNESDAY = date(2026, 12, 2)
VAGUE = ["someday", "some day", "soon", "later", "eventually", "asap", "ASAP", "A.S.A.P.", "Someday!", "SOON."]
VAGUER = ["the end of the week", "end of the month", "EOD", "whenever", "sometime", "as soon as possible"]


def message_of(parse: Callable[[], object]) -> str:
    with pytest.raises(ParseError) as caught:
        parse()
    return caught.value.message


@pytest.mark.parametrize("word", VAGUE + VAGUER)
def test_a_promise_by_a_vague_word_is_refused(word: str) -> None:
    message = message_of(lambda: parse_promise(f"Send Ana the budget by {word}", today=WEDNESDAY))

    assert "real date" in message


def test_by_is_found_in_any_case_before_a_vague_word() -> None:
    assert "real date" in message_of(lambda: parse_promise("Send Ana the budget BY Someday", today=WEDNESDAY))


def test_the_refusal_quotes_the_vague_words_and_shows_every_date_form_the_contract_lists() -> None:
    message = message_of(lambda: parse_promise("Send Ana the budget by someday", today=WEDNESDAY))

    assert "“by someday”" in message
    for form in ("2026-12-16", "today", "tomorrow", "friday", "in 3 days", "in 2 weeks"):
        assert form in message
    assert "`/promise Send Ana the budget by friday`" in message


def test_a_request_or_stand_by_a_vague_word_is_refused_with_its_own_example() -> None:
    request = message_of(lambda: parse_request("<@U1|maria> Review the deck by soon", today=WEDNESDAY))
    stand = message_of(lambda: parse_stand("Sign 10 new partners by eventually", today=WEDNESDAY))

    assert "real date" in request and "`/request @maria" in request
    assert "real date" in stand and "`/stand" in stand


@pytest.mark.parametrize(
    "typed",
    [
        "Follow up soon with the venue",
        "Call Ana soon",
        "Sooner or later, call the venue",
        "Stand by the team later",
        "Drop by eventually-land",
        "Meet by the soon-to-open cafe",
        "Read <https://x.example|the plan by someday> twice",
    ],
)
def test_vague_words_without_by_right_before_them_are_ordinary_text(typed: str) -> None:
    assert parse_promise(typed, today=WEDNESDAY) == PromiseInput(what=typed, due_on=None)


def test_a_real_date_after_a_vague_word_mid_sentence_is_read() -> None:
    promise = parse_promise("Call the venue soon, by friday", today=WEDNESDAY)

    assert promise == PromiseInput(what="Call the venue soon,", due_on=date(2026, 12, 4))


def test_vague_date_names_the_words_at_the_end_of_a_text_or_none() -> None:
    assert vague_date("Send the deck by ASAP!") == "by ASAP!"
    assert vague_date("Send the deck by friday") is None
    assert vague_date("Send the deck soon") is None


# The moments of the follow-ups

MONDAY = date(2026, 11, 23)


def bob(*, weekends: bool = False) -> Member:
    return Member(
        team_id="T1", user_id="UBOB", tz="UTC", weekends=weekends, created_at=datetime(2026, 11, 1, tzinfo=UTC)
    )


def undated_promise(stages: dict[str, date] | None = None) -> FollowUpCandidate:
    made = datetime(2026, 11, 23, 12, tzinfo=UTC)
    return FollowUpCandidate("T1", "UBOB", "promise", 1, None, made, False, stages or {})


def test_a_promise_with_no_date_is_asked_about_a_week_after_it_was_made_once() -> None:
    assert next_stage(undated_promise(), date(2026, 11, 29), bob()) is None
    assert next_stage(undated_promise(), date(2026, 11, 30), bob()) == "undated"
    assert next_stage(undated_promise({"undated": date(2026, 11, 30)}), date(2026, 12, 7), bob()) is None


def test_an_accepted_request_with_no_date_counts_its_week_from_the_day_it_was_accepted() -> None:
    asked = datetime(2026, 11, 16, 12, tzinfo=UTC)
    accepted = FollowUpCandidate("T1", "UBOB", "request", 1, None, asked, False, {}, promised_on=MONDAY)

    assert next_stage(accepted, date(2026, 11, 27), bob()) is None
    assert next_stage(accepted, date(2026, 11, 30), bob()) == "undated"


def unanswered_request(stages: dict[str, date] | None = None) -> FollowUpCandidate:
    asked = datetime(2026, 11, 23, 12, tzinfo=UTC)
    return FollowUpCandidate("T1", "UBOB", "request", 1, None, asked, True, stages or {})


def test_a_request_unanswered_for_two_weeks_expires_not_a_day_earlier_and_only_once() -> None:
    reminded = {"reminder": date(2026, 11, 25)}

    assert next_stage(unanswered_request(reminded), date(2026, 12, 6), bob(weekends=True)) is None
    assert next_stage(unanswered_request(reminded), date(2026, 12, 7), bob()) == "expired"
    assert next_stage(unanswered_request({**reminded, "expired": date(2026, 12, 7)}), date(2026, 12, 8), bob()) is None


def test_a_request_found_two_weeks_unanswered_expires_without_a_reminder_first() -> None:
    assert next_stage(unanswered_request(), date(2026, 12, 9), bob()) == "expired"


def done_request(stages: dict[str, date] | None = None, *, due_on: date | None = None) -> FollowUpCandidate:
    asked = datetime(2026, 11, 16, 12, tzinfo=UTC)
    return FollowUpCandidate("T1", "UADA", "request", 1, due_on, asked, False, stages or {}, done_on=MONDAY)


def test_a_request_reported_done_is_asked_about_two_working_days_later_once() -> None:
    assert next_stage(done_request(), date(2026, 11, 24), bob()) is None
    assert next_stage(done_request(), date(2026, 11, 25), bob()) == "unconfirmed"
    assert next_stage(done_request({"unconfirmed": date(2026, 11, 25)}), date(2026, 11, 30), bob()) is None


def test_a_request_reported_done_on_friday_is_asked_about_on_tuesday_with_weekends_off() -> None:
    friday = datetime(2026, 11, 13, 12, tzinfo=UTC)
    done = FollowUpCandidate("T1", "UADA", "request", 1, None, friday, False, {}, done_on=date(2026, 11, 20))

    assert next_stage(done, date(2026, 11, 23), bob()) is None
    assert next_stage(done, date(2026, 11, 24), bob()) == "unconfirmed"


def test_a_request_reported_done_past_its_date_is_not_asked_about_as_an_open_promise() -> None:
    assert next_stage(done_request(due_on=date(2026, 11, 20)), date(2026, 11, 24), bob()) is None
