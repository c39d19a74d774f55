"""A measured stand's trajectory, pure: the line from its start through its latest reading to its date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.coach.trajectory import Measure, Trajectory, figure
from handlers.blocks.measures import build_progress_recorded, days_left_words, pace_words, trajectory_line

SIGN_UPS = Measure(what="sign-ups", start=40, target=80)
MONDAY, FRIDAY_WEEK_AFTER = date(2026, 11, 23), date(2026, 12, 4)


def line(current: float, current_on: date, today: date | None = None, measure: Measure = SIGN_UPS) -> Trajectory:
    return Trajectory(
        measure=measure,
        started_on=MONDAY,
        due_on=FRIDAY_WEEK_AFTER,
        today=today or current_on,
        current=current,
        current_on=current_on,
    )


def test_the_line_through_the_latest_reading_lands_where_its_pace_takes_it() -> None:
    tuesday = date(2026, 11, 24)

    assert line(42, tuesday).projected == 62  # 2 a day for the ten days left
    assert line(60, tuesday).projected == 260


def test_nothing_is_projected_before_a_reading_on_a_later_day_than_the_start() -> None:
    assert line(40, MONDAY).projected is None
    assert line(40, MONDAY).on_track is None
    assert line(40, MONDAY).off_track is None


def test_a_line_short_of_the_target_is_off_track_with_one_kind_sentence() -> None:
    short = line(42, date(2026, 11, 24), today=date(2026, 11, 25))

    assert short.on_track is False
    assert short.off_track == "At this pace, sign-ups reach about 62 by Fri 04 Dec — the stand is 80."


def test_a_reached_target_is_on_track_whatever_the_pace() -> None:
    reached = line(80, MONDAY)

    assert reached.reached and reached.on_track is True and reached.off_track is None


def test_a_stand_that_brings_a_count_down_is_on_track_when_its_line_goes_low_enough() -> None:
    bugs = Measure(what="open bugs", start=120, target=20)
    tuesday = date(2026, 11, 24)

    assert line(100, tuesday, measure=bugs).on_track is True  # 20 fewer a day: -100 by the 4th
    assert line(118, tuesday, measure=bugs).on_track is False  # 2 fewer a day: 98
    assert line(15, tuesday, measure=bugs).reached


def test_after_its_date_nothing_more_is_noticed_and_no_days_are_left() -> None:
    late = line(42, date(2026, 11, 24), today=date(2026, 12, 7))

    assert late.days_left == 0 and late.off_track is None
    assert days_left_words(late) == "its date has passed"
    assert days_left_words(line(42, date(2026, 11, 24), today=FRIDAY_WEEK_AFTER)) == "its date is today"


@pytest.mark.parametrize(("value", "words"), [(80, "80"), (1250, "1,250"), (2.5, "2.5"), (89.49, "89.5"), (-3, "-3")])
def test_figures_read_as_people_write_them(value: float, words: str) -> None:
    assert figure(value) == words


def test_the_trajectory_in_words() -> None:
    tuesday = date(2026, 11, 24)

    assert trajectory_line(line(44, tuesday)) == (
        ":chart_with_upwards_trend: *sign-ups* 44 of 80 (from 40) · 10 days left · on track for about 84"
    )
    assert pace_words(line(40, MONDAY)) == "record where it stands with `/progress` to see its pace"
    assert pace_words(line(42, tuesday)) == "at this pace about 62 by Fri 04 Dec"
    assert pace_words(line(90, tuesday)) == "target reached :tada:"


def test_what_a_measure_counts_is_escaped_in_every_word_the_member_reads() -> None:
    hostile = Measure(what="<!channel> sign-ups", start=1, target=2)
    text, blocks = build_progress_recorded(line(1.5, date(2026, 11, 24), measure=hostile))

    assert "<!channel>" not in text and "<!channel>" not in str(blocks)
    assert "&lt;!channel&gt;" in text


def test_only_a_line_falling_short_is_answered_with_the_breakdown_questions() -> None:
    _, short = build_progress_recorded(line(42, date(2026, 11, 24)))
    _, fine = build_progress_recorded(line(60, date(2026, 11, 24)))

    assert "breakdown, not a failure" in str(short)
    assert "breakdown" not in str(fine)
