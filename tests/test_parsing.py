"""What members type after a slash command, read into typed values or answered with a kind message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest

from bot.coach.trajectory import Measure
from handlers.parsing import (
    MAX_TEXT_LENGTH,
    CoachCommand,
    CoachCommandName,
    ParseError,
    PromiseInput,
    RequestInput,
    ShareInput,
    check_text,
    mentioned_user_ids,
    parse_act,
    parse_breakdown,
    parse_breakthrough,
    parse_clock_time,
    parse_coach,
    parse_date,
    parse_promise,
    parse_request,
    parse_share,
    parse_toward,
)
from handlers.stand_parsing import (
    MilestoneInput,
    ProgressInput,
    StandInput,
    is_milestone,
    parse_milestone,
    parse_milestones,
    parse_progress,
    parse_stand,
)

WEDNESDAY = date(2026, 12, 2)
FRIDAY = date(2026, 12, 4)
NEW_YEARS_EVE = date(2026, 12, 31)  # a Thursday


def message_of(parse: Callable[[], object]) -> str:
    with pytest.raises(ParseError) as caught:
        parse()
    return caught.value.message


# Parse errors


def test_a_parse_error_is_a_value_error_whose_text_is_its_message() -> None:
    error = ParseError("Try friday.")

    assert isinstance(error, ValueError)
    assert error.message == "Try friday."
    assert str(error) == "Try friday."


# Dates


def test_an_iso_date_is_that_day() -> None:
    assert parse_date("2027-03-15", today=WEDNESDAY) == date(2027, 3, 15)


def test_today_is_the_members_local_date() -> None:
    assert parse_date("today", today=WEDNESDAY) == WEDNESDAY


def test_tomorrow_is_the_day_after_the_members_local_date() -> None:
    assert parse_date("tomorrow", today=WEDNESDAY) == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2027, 1, 31), date(2027, 2, 1)), (date(2027, 4, 30), date(2027, 5, 1))],
)
def test_tomorrow_on_the_last_day_of_a_month_is_the_first_of_the_next(today: date, expected: date) -> None:
    assert parse_date("tomorrow", today=today) == expected


def test_tomorrow_on_new_years_eve_is_new_years_day() -> None:
    assert parse_date("tomorrow", today=NEW_YEARS_EVE) == date(2027, 1, 1)


def test_a_date_typed_on_new_years_eve_may_be_in_the_next_year() -> None:
    assert parse_date("2027-01-05", today=NEW_YEARS_EVE) == date(2027, 1, 5)


def test_a_weekday_typed_on_new_years_eve_may_land_in_the_next_year() -> None:
    assert parse_date("friday", today=NEW_YEARS_EVE) == date(2027, 1, 1)


def test_an_earlier_date_in_december_typed_on_new_years_eve_is_behind_us() -> None:
    assert "already behind us" in message_of(lambda: parse_date("2026-12-30", today=NEW_YEARS_EVE))


def test_leap_day_is_a_date_in_a_leap_year() -> None:
    assert parse_date("2028-02-29", today=WEDNESDAY) == date(2028, 2, 29)


def test_tomorrow_on_the_28th_of_february_of_a_leap_year_is_leap_day() -> None:
    assert parse_date("tomorrow", today=date(2028, 2, 28)) == date(2028, 2, 29)


def test_counting_weeks_across_leap_day_counts_leap_day() -> None:
    assert parse_date("in 1 week", today=date(2028, 2, 25)) == date(2028, 3, 3)


def test_leap_day_in_a_common_year_is_not_on_the_calendar() -> None:
    message = message_of(lambda: parse_date("2027-02-29", today=WEDNESDAY))

    assert message.startswith("“2027-02-29” isn't on the calendar.")


@pytest.mark.parametrize("typed", ["2027-13-01", "2027-04-31", "2027-00-10"])
def test_a_day_that_does_not_exist_is_not_on_the_calendar(typed: str) -> None:
    assert "isn't on the calendar" in message_of(lambda: parse_date(typed, today=WEDNESDAY))


def test_a_single_digit_month_and_day_are_read_too() -> None:
    assert parse_date("2027-3-5", today=WEDNESDAY) == date(2027, 3, 5)


def test_a_weekday_means_the_next_one_never_today() -> None:
    assert parse_date("friday", today=FRIDAY) == date(2026, 12, 11)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("thursday", date(2026, 12, 3)),
        ("thu", date(2026, 12, 3)),
        ("thurs", date(2026, 12, 3)),
        ("friday", date(2026, 12, 4)),
        ("fri", date(2026, 12, 4)),
        ("sat", date(2026, 12, 5)),
        ("sunday", date(2026, 12, 6)),
        ("mon", date(2026, 12, 7)),
        ("tue", date(2026, 12, 8)),
        ("tues", date(2026, 12, 8)),
        ("wed", date(2026, 12, 9)),
        ("wednesday", date(2026, 12, 9)),
    ],
)
def test_a_weekday_name_or_abbreviation_means_the_coming_one(typed: str, expected: date) -> None:
    assert parse_date(typed, today=WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("in 1 day", date(2026, 12, 3)),
        ("in 30 days", date(2027, 1, 1)),
        ("in 1 week", date(2026, 12, 9)),
        ("in 2 weeks", date(2026, 12, 16)),
        ("next week", date(2026, 12, 9)),
    ],
)
def test_in_n_days_or_weeks_counts_ahead_from_today(typed: str, expected: date) -> None:
    assert parse_date(typed, today=WEDNESDAY) == expected


@pytest.mark.parametrize("typed", ["  Friday ", "FRI", "In 2 Weeks", "in   2\tweeks", "Next Week", "TOMORROW"])
def test_dates_ignore_case_and_extra_whitespace(typed: str) -> None:
    parse_date(typed, today=WEDNESDAY)


@pytest.mark.parametrize("typed", ["friday.", "2026-12-24!", "tomorrow,"])
def test_a_full_stop_or_comma_after_a_date_is_ignored(typed: str) -> None:
    parse_date(typed, today=WEDNESDAY)


def test_in_zero_days_points_to_today() -> None:
    message = message_of(lambda: parse_date("in 0 days", today=WEDNESDAY))

    assert message == "“in 0 days” would be today. Write today, or count from 1, e.g. in 1 day."


def test_up_to_3650_days_ahead_is_accepted() -> None:
    assert parse_date("in 3650 days", today=WEDNESDAY) == date(2036, 11, 29)


@pytest.mark.parametrize("typed", ["in 3651 days", "in 522 weeks", "in 99999999999999999999 days"])
def test_more_than_3650_days_ahead_is_refused(typed: str) -> None:
    assert "up to 3,650 days" in message_of(lambda: parse_date(typed, today=WEDNESDAY))


# Ten years ahead at most, in every form: WEDNESDAY + 3,650 days is 2036-11-29.


@pytest.mark.parametrize("typed", ["2036-11-29", "in 3650 days", "in 521 weeks", "in 0003650 days"])
def test_the_last_day_within_reach_is_accepted_in_every_form(typed: str) -> None:
    assert parse_date(typed, today=WEDNESDAY) <= date(2036, 11, 29)


@pytest.mark.parametrize(
    "typed",
    ["9999-12-31", "2036-11-30", "2100-1-1", "in 600 weeks", "in 5000 days", "in 522 weeks", "in 0000003651 days"],
)
def test_a_date_beyond_ten_years_is_refused_however_it_is_written(typed: str) -> None:
    message = message_of(lambda: parse_date(typed, today=WEDNESDAY))

    assert "up to 3,650 days (about ten years), so 2036-11-29 at the latest" in message


def test_a_date_picked_in_a_modal_beyond_ten_years_is_refused() -> None:
    # Slack's date picker sends YYYY-MM-DD, which the modal reads with parse_date.
    assert "further ahead than I can keep track of" in message_of(lambda: parse_date("9999-12-31", today=WEDNESDAY))


def test_a_number_of_days_thousands_of_digits_long_is_refused_kindly() -> None:
    typed = "in " + "9" * 5000 + " days"  # int() alone would raise a bare ValueError past 4,300 digits

    assert "up to 3,650 days" in message_of(lambda: parse_date(typed, today=WEDNESDAY))


def test_in_zero_days_written_with_leading_zeros_points_to_today() -> None:
    assert "would be today" in message_of(lambda: parse_date("in 000 days", today=WEDNESDAY))


@pytest.mark.parametrize("typed", ["friday", "sun", "tomorrow", "next week", "today"])
def test_weekday_names_and_words_stay_within_a_week(typed: str) -> None:
    assert WEDNESDAY <= parse_date(typed, today=WEDNESDAY) <= date(2026, 12, 9)


def test_a_stand_due_beyond_ten_years_is_refused() -> None:
    assert "up to 3,650 days" in message_of(lambda: parse_stand("Double revenue by 9999-12-31", today=WEDNESDAY))


def test_a_request_or_promise_due_beyond_ten_years_is_refused() -> None:
    assert "up to 3,650 days" in message_of(lambda: parse_request("<@U1> an intro by in 600 weeks", today=WEDNESDAY))
    assert "up to 3,650 days" in message_of(lambda: parse_promise("Ship it by 2040-01-01", today=WEDNESDAY))


def test_a_date_before_today_is_already_behind_us() -> None:
    message = message_of(lambda: parse_date("2026-11-30", today=WEDNESDAY))

    assert message == (
        "2026-11-30 is already behind us (today is 2026-12-02). Pick today or a later date, e.g. 2026-12-09."
    )


def test_by_yesterday_is_refused_as_past_rather_than_kept_as_words_of_a_promise_with_no_date() -> None:
    assert message_of(lambda: parse_promise("Call mum by yesterday", today=WEDNESDAY)).startswith(
        "2026-12-01 is already behind us"
    )
    assert message_of(lambda: parse_request("<@U1> an intro by Yesterday.", today=WEDNESDAY)).startswith(
        "2026-12-01 is already behind us"
    )


def test_an_unreadable_date_is_shown_back_with_examples_from_today() -> None:
    message = message_of(lambda: parse_date("next blursday", today=WEDNESDAY))

    assert message == (
        "I couldn't read “next blursday” as a date. Try a date like 2026-12-16, tomorrow, friday or in 2 weeks."
    )


@pytest.mark.parametrize("typed", ["", "soon", "in -2 days", "in 2 months", "in two weeks", "12/24", "2026-12-24 noon"])
def test_anything_else_is_not_read_as_a_date(typed: str) -> None:
    assert "as a date" in message_of(lambda: parse_date(typed, today=WEDNESDAY))


def test_next_and_a_weekday_is_refused_as_it_could_mean_two_days() -> None:
    message = message_of(lambda: parse_date("next friday", today=WEDNESDAY))

    assert message.startswith("“next friday” could mean two different days. Write friday for the coming one")


def test_a_long_unreadable_date_is_shortened_when_shown_back() -> None:
    message = message_of(lambda: parse_date("sometime " * 20, today=WEDNESDAY))

    assert "“sometime sometime sometime sometime…”" in message


# Checked text


def test_a_commands_text_is_stripped_and_unescaped() -> None:
    assert parse_act("  Q&amp;A &lt;3 &gt; 2  ") == "Q&A <3 > 2"


def test_only_the_three_slack_escapes_are_undone_once() -> None:
    assert parse_act("&amp;lt; &quot;hi&quot; &#39;") == "&lt; &quot;hi&quot; &#39;"


def test_an_escape_typed_in_a_command_stays_the_characters_typed() -> None:
    # Typed `&lt;!channel&gt;` reaches us as `&amp;lt;!channel&amp;gt;`: undone once, it is text, not a mention.
    assert parse_breakthrough("&amp;lt;!channel&amp;gt; we did it") == "&lt;!channel&gt; we did it"


def test_checked_text_is_kept_as_typed_because_a_modal_field_comes_unescaped() -> None:
    assert check_text("  &lt;!channel&gt; Q&amp;A <3  ", what="your note") == "&lt;!channel&gt; Q&amp;A <3"


def test_mentions_and_links_are_kept_as_slack_wrote_them() -> None:
    text = "Called <@U123|maria> about <https://example.com|the plan> in <#C1|general>"

    assert check_text(text, what="what you did") == text


@pytest.mark.parametrize("typed", ["", "   \n\t"])
def test_empty_text_is_refused_naming_what_is_missing(typed: str) -> None:
    assert message_of(lambda: check_text(typed, what="your note")) == "Tell me your note; there's nothing here yet."


def test_text_of_exactly_the_maximum_length_is_kept() -> None:
    assert len(check_text("a" * MAX_TEXT_LENGTH, what="your note")) == MAX_TEXT_LENGTH


def test_text_over_the_maximum_length_is_refused_saying_how_long_it_was() -> None:
    message = message_of(lambda: check_text("a" * 3412, what="your note"))

    assert message == "Your note runs to 3,412 characters, and I can keep up to 3,000. Could you trim it a little?"


def test_the_length_limit_counts_characters_after_unescaping() -> None:
    assert parse_act("&amp;" * 700) == "&" * 700


# Mentions


def test_mentioned_user_ids_lists_each_person_once_in_order_of_first_mention() -> None:
    text = "<@U2|sam> thanks <@U1|maria> and <@U2|sam> again"

    assert mentioned_user_ids(text) == ["U2", "U1"]


def test_mentioned_user_ids_reads_enterprise_ids_and_mentions_without_a_name() -> None:
    assert mentioned_user_ids("<@W0ABC123> and <@U0XYZ>") == ["W0ABC123", "U0XYZ"]


def test_mentioned_user_ids_ignores_channels_groups_and_plain_names() -> None:
    text = "<#C1|general> <!here> <!subteam^S1|@team> @maria <https://x.example|link>"

    assert mentioned_user_ids(text) == []


# The date at the end: "by <date>"


def test_only_the_last_by_gives_the_date() -> None:
    promise = parse_promise("Stand by the team by friday", today=WEDNESDAY)

    assert promise == PromiseInput(what="Stand by the team", due_on=date(2026, 12, 4))


@pytest.mark.parametrize(
    "typed",
    [
        "Meet people by the river",
        "Lead by being bold",
        "Finish the deck by friday's standup",
        "Drop by",
        "Win them over by <@U1|maria>'s intro",
    ],
)
def test_by_followed_by_ordinary_words_is_part_of_the_text(typed: str) -> None:
    assert parse_promise(typed, today=WEDNESDAY) == PromiseInput(what=typed, due_on=None)


@pytest.mark.parametrize("typed", ["Be on standby tomorrow", "Sit in the lobby friday", "Go by-the-book in 2 weeks"])
def test_by_counts_only_as_a_word_of_its_own(typed: str) -> None:
    assert parse_promise(typed, today=WEDNESDAY).due_on is None


def test_by_is_found_in_any_case() -> None:
    assert parse_promise("Call Ana BY Friday", today=WEDNESDAY) == PromiseInput("Call Ana", date(2026, 12, 4))


def test_by_inside_a_link_label_is_not_a_date() -> None:
    typed = "Read <https://x.example|the plan by friday> twice"

    assert parse_promise(typed, today=WEDNESDAY) == PromiseInput(what=typed, due_on=None)


def test_a_date_after_a_link_is_still_read() -> None:
    promise = parse_promise("Read <https://x.example|the plan by friday> by tomorrow", today=WEDNESDAY)

    assert promise == PromiseInput("Read <https://x.example|the plan by friday>", date(2026, 12, 3))


@pytest.mark.parametrize(
    "typed",
    [
        "Call Ana by 5pm",
        "Ship it by 2027",
        "Ship it by next quarter",
        "Ship it by friday afternoon",
        "Ship it by tomorrow morning",
        "Ship it by in a week",
    ],
)
def test_something_after_by_that_looks_like_a_date_but_is_not_is_refused(typed: str) -> None:
    assert "as a date" in message_of(lambda: parse_promise(typed, today=WEDNESDAY))


def test_a_date_after_by_that_is_behind_us_is_refused() -> None:
    message = message_of(lambda: parse_promise("Call Ana by 2026-12-01", today=WEDNESDAY))

    assert message.startswith("2026-12-01 is already behind us")


# /stand


def test_a_stand_with_by_and_a_date_is_due_that_day() -> None:
    stand = parse_stand("Sign 10 new partners by 2026-12-31", today=WEDNESDAY)

    assert stand == StandInput(outcome="Sign 10 new partners", due_on=date(2026, 12, 31))


def test_a_stand_without_a_date_has_no_due_date() -> None:
    assert parse_stand("  Sign 10 new partners ", today=WEDNESDAY) == StandInput("Sign 10 new partners", None)


def test_a_stand_outcome_is_unescaped() -> None:
    assert parse_stand("R&amp;D ships &lt;2 bugs", today=WEDNESDAY).outcome == "R&D ships <2 bugs"


@pytest.mark.parametrize("typed", ["", "   ", "by friday", "  BY 2026-12-31"])
def test_a_stand_needs_an_outcome(typed: str) -> None:
    message = message_of(lambda: parse_stand(typed, today=WEDNESDAY))

    assert message == ("Tell me the outcome you're committing to, e.g. `/stand Sign 10 new partners by 2026-12-31`.")


def test_a_stand_outcome_over_the_maximum_length_is_refused() -> None:
    message = message_of(lambda: parse_stand("a" * 3001 + " by friday", today=WEDNESDAY))

    assert message.startswith("The outcome you're committing to runs to 3,001 characters")


# /share


def test_a_share_names_each_person_told_and_the_note() -> None:
    share = parse_share("<@U1|maria> <@U2|sam> Told them about our stand")

    assert share == ShareInput(told_user_ids=("U1", "U2"), note="Told them about our stand")


@pytest.mark.parametrize(
    "typed",
    [
        "<@U1><@U2> over lunch",
        "<@U1>, <@U2> over lunch",
        "<@U1> and <@U2> over lunch",
        "<@U1>, and <@U2>: over lunch",
        "<@U1> &amp; <@U2> over lunch",
        "<@U1> AND <@U2> - over lunch",
    ],
)
def test_people_told_may_be_separated_by_spaces_commas_and_and(typed: str) -> None:
    assert parse_share(typed) == ShareInput(("U1", "U2"), "over lunch")


def test_a_person_mentioned_twice_is_told_once() -> None:
    assert parse_share("<@U1|maria> <@U2> <@U1|maria>").told_user_ids == ("U1", "U2")


def test_a_share_without_a_note_has_an_empty_note() -> None:
    assert parse_share(" <@W1> ").note == ""


def test_a_note_starting_with_and_keeps_its_and() -> None:
    assert parse_share("<@U1> and then she signed up").note == "and then she signed up"


def test_people_mentioned_inside_the_note_stay_in_the_note() -> None:
    share = parse_share("<@U1> Told her, and she'll tell <@U2>")

    assert share == ShareInput(("U1",), "Told her, and she'll tell <@U2>")


def test_a_share_note_is_unescaped() -> None:
    assert parse_share("<@U1> Q&amp;A went &gt; well").note == "Q&A went > well"


def test_a_share_note_over_the_maximum_length_is_refused() -> None:
    assert "Your note runs to 3,001 characters" in message_of(lambda: parse_share("<@U1> " + "a" * 3001))


@pytest.mark.parametrize("typed", ["", "Told everyone at lunch", "Told <@U1> at lunch"])
def test_a_share_starts_with_someone_mentioned(typed: str) -> None:
    message = message_of(lambda: parse_share(typed))

    assert message == (
        "Start with the people you told, mentioned with @, e.g. `/share @maria @sam Told them about my stand`."
    )


@pytest.mark.parametrize("typed", ["<#C1|general> told them", "<@U1>, <#C1|general> told them"])
def test_a_channel_where_a_person_is_expected_is_refused(typed: str) -> None:
    message = message_of(lambda: parse_share(typed))

    assert message.startswith("#general is a channel. Mention a person with @ instead")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("<!here> hi", "@here"), ("<!channel> hi", "@channel"), ("<@U1> <!subteam^S1|@design> hi", "@design")],
)
def test_a_group_mention_where_a_person_is_expected_is_refused(typed: str, shown: str) -> None:
    message = message_of(lambda: parse_share(typed))

    assert message.startswith(f"{shown} reaches a whole group. Mention a person with @ instead")


@pytest.mark.parametrize("typed", ["@maria told her", "<@U1> and @maria told them"])
def test_a_plain_at_name_is_refused_asking_to_pick_the_person(typed: str) -> None:
    message = message_of(lambda: parse_share(typed))

    assert message.startswith("I couldn't tell who @maria is. Type @ and pick them from the list")


def test_a_mention_of_something_other_than_a_person_is_refused() -> None:
    assert "isn't a person" in message_of(lambda: parse_share("<@B123|bot> hi"))


# /act, /breakdown, /breakthrough

PLAIN_TEXT_COMMANDS = [
    pytest.param(parse_act, "Tell me what you did, e.g. `/act ", id="act"),
    pytest.param(parse_breakdown, "Tell me what's off track, e.g. `/breakdown ", id="breakdown"),
    pytest.param(parse_breakthrough, "Tell me what happened, e.g. `/breakthrough ", id="breakthrough"),
]


@pytest.mark.parametrize(("parse", "_"), PLAIN_TEXT_COMMANDS)
def test_a_plain_text_command_keeps_the_text_stripped_and_unescaped(parse: Callable[[str], str], _: str) -> None:
    assert parse("  Q&amp;A with <@U1|maria>  ") == "Q&A with <@U1|maria>"


@pytest.mark.parametrize(("parse", "_"), PLAIN_TEXT_COMMANDS)
def test_a_plain_text_command_reads_no_date(parse: Callable[[str], str], _: str) -> None:
    assert parse("Called Ana by friday") == "Called Ana by friday"


@pytest.mark.parametrize(("parse", "start"), PLAIN_TEXT_COMMANDS)
def test_a_plain_text_command_needs_its_text(parse: Callable[[str], str], start: str) -> None:
    assert message_of(lambda: parse("  ")).startswith(start)


@pytest.mark.parametrize(("parse", "_"), PLAIN_TEXT_COMMANDS)
def test_a_plain_text_command_refuses_text_over_the_maximum_length(parse: Callable[[str], str], _: str) -> None:
    assert "runs to 3,001 characters" in message_of(lambda: parse("a" * 3001))


# /request


def test_a_request_names_one_person_what_and_by_when() -> None:
    request = parse_request("<@U1|maria> Review the pitch deck by friday", today=WEDNESDAY)

    assert request == RequestInput(recipient_id="U1", what="Review the pitch deck", due_on=date(2026, 12, 4))


def test_a_request_without_a_date_has_no_due_date() -> None:
    assert parse_request("<@U1> Review the pitch deck", today=WEDNESDAY).due_on is None


def test_what_is_asked_may_mention_other_people() -> None:
    request = parse_request("<@U1> Introduce me to <@U2|sam>", today=WEDNESDAY)

    assert request == RequestInput("U1", "Introduce me to <@U2|sam>", None)


def test_what_is_asked_is_unescaped() -> None:
    assert parse_request("<@U1> Prep the Q&amp;A", today=WEDNESDAY).what == "Prep the Q&A"


def test_the_same_person_mentioned_twice_is_still_one_request() -> None:
    assert parse_request("<@U1> <@U1|maria> Call me", today=WEDNESDAY).recipient_id == "U1"


@pytest.mark.parametrize("typed", ["<@U1> <@U2> Review it", "<@U1> and <@U2> Review it"])
def test_a_request_to_two_people_asks_for_one_request_each(typed: str) -> None:
    message = message_of(lambda: parse_request(typed, today=WEDNESDAY))

    assert message.startswith("Let's make it one request per person")


@pytest.mark.parametrize("typed", ["", "Review the pitch deck", "Ask <@U1> to review"])
def test_a_request_starts_with_the_person_asked(typed: str) -> None:
    message = message_of(lambda: parse_request(typed, today=WEDNESDAY))

    assert message.startswith("Start with the person you're asking, mentioned with @")


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("<#C1|general> Review it", "#general is a channel."),
        ("<!here> Review it", "@here reaches a whole group."),
        ("@maria Review it", "I couldn't tell who @maria is."),
    ],
)
def test_a_request_is_made_of_a_person(typed: str, start: str) -> None:
    message = message_of(lambda: parse_request(typed, today=WEDNESDAY))

    assert message.startswith(start)
    assert "`/request @maria Review the pitch deck by friday`" in message


@pytest.mark.parametrize("typed", ["<@U1|maria>", "<@U1|maria> by friday"])
def test_a_request_needs_what_is_asked(typed: str) -> None:
    message = message_of(lambda: parse_request(typed, today=WEDNESDAY))

    assert message.startswith("Tell me what you're asking <@U1> for, e.g.")


def test_a_request_with_an_unreadable_date_is_refused() -> None:
    assert "as a date" in message_of(lambda: parse_request("<@U1> Review it by friday noon", today=WEDNESDAY))


def test_a_request_due_before_today_is_refused() -> None:
    message = message_of(lambda: parse_request("<@U1> Review it by 2026-01-01", today=WEDNESDAY))

    assert "already behind us" in message


# /promise


def test_a_promise_with_by_and_a_date_is_due_that_day() -> None:
    promise = parse_promise("Send Ana the budget by in 2 weeks", today=WEDNESDAY)

    assert promise == PromiseInput(what="Send Ana the budget", due_on=date(2026, 12, 16))


def test_a_promise_without_a_date_has_no_due_date() -> None:
    assert parse_promise("Send Ana the budget", today=WEDNESDAY) == PromiseInput("Send Ana the budget", None)


@pytest.mark.parametrize("typed", ["", "by tomorrow"])
def test_a_promise_needs_what_will_be_done(typed: str) -> None:
    message = message_of(lambda: parse_promise(typed, today=WEDNESDAY))

    assert message.startswith("Tell me what you'll do, e.g. `/promise ")


# /coach


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("", "help"),
        ("   ", "help"),
        ("help", "help"),
        ("status", "status"),
        ("recap here", "recap_here"),
        ("pause", "pause"),
        ("resume", "resume"),
        ("export", "export"),
        ("forget me", "forget_me"),
        ("  Forget   ME ", "forget_me"),
        ("RECAP\tHere", "recap_here"),
    ],
)
def test_coach_subcommands_without_an_argument(typed: str, name: CoachCommandName) -> None:
    assert parse_coach(typed) == CoachCommand(name=name, arg=None)


@pytest.mark.parametrize(
    ("typed", "arg"),
    [("nudge 08:30", "08:30"), ("nudge 8:30", "08:30"), ("Nudge 7am", "07:00"), ("nudge  7:30 PM ", "19:30")],
)
def test_coach_nudge_takes_a_time_written_as_hh_mm(typed: str, arg: str) -> None:
    assert parse_coach(typed) == CoachCommand(name="nudge", arg=arg)


def test_coach_nudge_needs_a_time() -> None:
    assert message_of(lambda: parse_coach("nudge")) == (
        "Tell me the time for your daily nudge, e.g. `/coach nudge 08:30`."
    )


def test_coach_nudge_with_an_unreadable_time_is_refused() -> None:
    assert message_of(lambda: parse_coach("nudge 25:00")).startswith("I couldn't read “25:00” as a time.")


@pytest.mark.parametrize(("typed", "arg"), [("weekends on", "on"), ("Weekends OFF", "off")])
def test_coach_weekends_is_on_or_off(typed: str, arg: str) -> None:
    assert parse_coach(typed) == CoachCommand(name="weekends", arg=arg)


@pytest.mark.parametrize("typed", ["weekends", "weekends maybe", "weekends on please"])
def test_coach_weekends_needs_on_or_off(typed: str) -> None:
    assert message_of(lambda: parse_coach(typed)) == (
        "Weekends can be on or off, e.g. `/coach weekends on` or `/coach weekends off`."
    )


@pytest.mark.parametrize("typed", ["dance", "status please", "forget"])
def test_an_unknown_coach_subcommand_lists_what_coach_can_do(typed: str) -> None:
    message = message_of(lambda: parse_coach(typed))

    assert message.startswith(f"I don't know “{typed}” yet.")
    for subcommand in ["help", "status", "recap here", "nudge HH:MM", "weekends on|off", "pause", "resume"]:
        assert f"`{subcommand}`" in message
    assert "`export`" in message
    assert "`forget me`" in message


# Clock times


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("08:30", time(8, 30)), ("9:00", time(9, 0)), ("00:00", time(0, 0)), ("23:59", time(23, 59))],
)
def test_a_clock_time_on_the_24_hour_clock(typed: str, expected: time) -> None:
    assert parse_clock_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7am", time(7, 0)),
        ("7 AM", time(7, 0)),
        ("7:30 pm", time(19, 30)),
        ("7:30pm", time(19, 30)),
        ("7 a.m.", time(7, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:15 am", time(0, 15)),
    ],
)
def test_a_clock_time_with_am_or_pm(typed: str, expected: time) -> None:
    assert parse_clock_time(typed) == expected


@pytest.mark.parametrize("typed", ["", "24:00", "9:60", "13pm", "0am", "9", "9.30", "noon", "7:5", "19:30 pm"])
def test_an_unreadable_clock_time_is_shown_back_with_examples(typed: str) -> None:
    message = message_of(lambda: parse_clock_time(typed))

    assert message == f"I couldn't read “{typed}” as a time. Try 08:30, 18:00, 7am or 7:30 pm."


# Tone


@pytest.mark.parametrize(
    "parse",
    [
        lambda: parse_date("blursday", today=WEDNESDAY),
        lambda: parse_date("2026-01-01", today=WEDNESDAY),
        lambda: parse_date("2027-02-29", today=WEDNESDAY),
        lambda: check_text("a" * 3001, what="your note"),
        lambda: parse_stand("", today=WEDNESDAY),
        lambda: parse_share("<#C1|general>"),
        lambda: parse_share("@maria"),
        lambda: parse_request("<@U1> <@U2> x", today=WEDNESDAY),
        lambda: parse_coach("dance"),
        lambda: parse_clock_time("25:00"),
    ],
)
def test_messages_never_blame_the_member(parse: Callable[[], object]) -> None:
    message = message_of(parse).lower()

    assert not any(word in message for word in ["invalid", "error", "wrong", "failed", "you forgot", "must"])


def test_an_admin_can_name_the_recaps_weekday_and_time() -> None:
    assert parse_coach("recap friday 16:30") == CoachCommand("recap_at", "4 16:30")
    assert parse_coach("Recap Mon 9am") == CoachCommand("recap_at", "0 09:00")


def test_a_recap_schedule_without_a_time_is_refused_kindly() -> None:
    with pytest.raises(ParseError, match="recap monday 09:00"):
        parse_coach("recap friday")


def test_a_stand_with_from_is_measured_from_its_leading_target() -> None:
    parsed = parse_stand("80 sign-ups by 2026-12-18 (from 40)", today=date(2026, 11, 30))

    assert (parsed.outcome, parsed.due_on) == ("80 sign-ups", date(2026, 12, 18))
    assert parsed.measure == Measure(what="sign-ups", start=40, target=80)


def test_from_may_come_anywhere_and_counts_may_be_written_with_commas() -> None:
    parsed = parse_stand("1,000 users (from 250) for the beta by 2026-12-18", today=date(2026, 11, 30))

    assert parsed.outcome == "1,000 users for the beta"
    assert parsed.measure == Measure(what="users for the beta", start=250, target=1000)


def test_a_stand_without_from_has_no_measure_even_when_it_starts_with_a_number() -> None:
    assert parse_stand("10 new partners", today=date(2026, 11, 30)).measure is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("More sign-ups (from 40)", "start it with the number you commit to"),
        ("80 sign-ups (from forty)", "needs the number your measure stands at today"),
        ("80 sign-ups (from 80)", "three times what you know how to do"),
        ("80 sign-ups (from 4) (from 5)", "One `(from …)` is enough"),
    ],
)
def test_a_measure_that_cannot_be_followed_is_refused_kindly(text: str, words: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse_stand(text, today=date(2026, 11, 30))

    assert words in refused.value.message


def test_progress_reads_a_number_and_a_note() -> None:
    assert parse_progress("52 three more from the newsletter") == ProgressInput(52, "three more from the newsletter")
    assert parse_progress("1,250") == ProgressInput(1250, "")


@pytest.mark.parametrize("text", ["", "lots", "1e400", "nan", "52%"])
def test_progress_that_is_not_a_count_is_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_progress(text)


def test_a_milestone_is_told_from_a_stand_by_its_first_word() -> None:
    assert is_milestone("milestone 60 sign-ups by friday") and is_milestone("Milestone: launch by friday")
    assert not is_milestone("Milestones matter: sign 10 partners")


def test_a_milestone_reads_what_it_is_and_its_date() -> None:
    parsed = parse_milestone("milestone 60 sign-ups by 2026-12-04", today=date(2026, 11, 30))

    assert parsed == MilestoneInput(what="60 sign-ups", due_on=date(2026, 12, 4))


def test_a_milestone_without_a_date_is_refused_kindly() -> None:
    with pytest.raises(ParseError) as refused:
        parse_milestone("milestone 60 sign-ups", today=date(2026, 11, 30))

    assert "needs its date" in refused.value.message


def test_milestones_typed_in_the_form_are_read_one_per_line_up_to_five() -> None:
    today = date(2026, 11, 30)

    assert parse_milestones("A by 2026-12-01\n\nB by 2026-12-02\n", today=today) == [
        ("A", date(2026, 12, 1)),
        ("B", date(2026, 12, 2)),
    ]
    with pytest.raises(ParseError):
        parse_milestones("\n".join(f"M{n} by 2026-12-0{n + 1}" for n in range(6)), today=today)


def test_practice_for_a_followed_stand_starts_with_for_and_its_owner() -> None:
    assert parse_toward("for <@UBOB|bob> Called a partner", command="/act") == ("UBOB", "Called a partner")
    assert parse_toward("For <@UBOB>: <@UADA> told Ada", command="/share") == ("UBOB", "<@UADA> told Ada")
    assert parse_toward("for the team: called a partner", command="/act") == (None, "for the team: called a partner")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for @bob Called a partner", "I couldn't tell who @bob is"),
        ("For  @bob.smith, called", "I couldn't tell who @bob.smith is"),
        ("for <!channel> called everyone", "reaches a whole group"),
        ("for <!subteam^S1|@devs> called them", "@devs reaches a whole group"),
        ("for <#CGENERAL|general> posted", "#general is a channel"),
    ],
)
def test_for_someone_slack_did_not_link_is_refused_with_the_commands_own_example(text: str, expected: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse_toward(text, command="/act")

    assert expected in str(refused.value)
    assert "`/act for @maria" in str(refused.value)
