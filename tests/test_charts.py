"""The week as a picture, its pure parts: the line a stand is drawn against, what counts as nothing to draw, the
words that describe a chart, and a PNG that changes with the figures it is drawn from."""

from __future__ import annotations

from datetime import date, timedelta

from bot.coach.pictures import DayPractice, StandLine, WeekPicture
from bot.coach.rules import Practice
from bot.coach.trajectory import Measure
from handlers.charts import ALT_LIMIT, MAX_STANDS, describe, draw_week

MONDAY = date(2026, 11, 23)


def week(*done: tuple[int, int, int], target: int = 2) -> tuple[DayPractice, ...]:
    """Seven days from MONDAY: `done` for the first days (the rest empty), `target` on weekdays."""
    counts = list(done) + [(0, 0, 0)] * (7 - len(done))
    return tuple(
        DayPractice(MONDAY + timedelta(days=i), Practice(*counts[i]), target if i < 5 else 0) for i in range(7)
    )


def sign_ups(*readings: tuple[date, float], name: str = "Ada") -> StandLine:
    return StandLine("UADA", name, Measure("sign-ups", 40, 80), MONDAY, MONDAY + timedelta(days=10), readings)


def test_the_line_to_the_target_runs_straight_from_the_start_to_the_target_by_the_date() -> None:
    line = sign_ups((MONDAY, 40))

    assert line.planned(MONDAY) == 40
    assert line.planned(MONDAY + timedelta(days=5)) == 60
    assert line.planned(MONDAY + timedelta(days=10)) == 80
    assert line.planned(MONDAY + timedelta(days=30)) == 80  # after the date, the line stays at the target
    assert line.planned(MONDAY - timedelta(days=3)) == 40


def test_a_week_with_no_practice_no_target_and_no_measured_stand_has_nothing_to_draw() -> None:
    assert WeekPicture("T1", MONDAY, week(target=0), ()).empty
    assert not WeekPicture("T1", MONDAY, week(target=2), ()).empty
    assert not WeekPicture("T1", MONDAY, week((0, 1, 0), target=0), ()).empty
    assert not WeekPicture("T1", MONDAY, week(target=0), (sign_ups((MONDAY, 40)),)).empty


def test_the_description_gives_each_day_against_its_target_and_each_stand_against_its_line() -> None:
    picture = WeekPicture(
        "T1", MONDAY, week((2, 3, 1), (4, 0, 0)), (sign_ups((MONDAY, 40), (MONDAY + timedelta(days=5), 52)),)
    )

    words = describe(picture, "The week of 23 Nov")

    assert words.startswith("The week of 23 Nov. Share/act/request by day: Mon 23 2/3/1 of 2 each; Tue 24 4/0/0 of 2")
    assert "Sat 28 0/0/0; Sun 29 0/0/0." in words
    assert "Ada — sign-ups: 52 of 80 by 03 Dec (the line to the target: 60 on 28 Nov)." in words


def test_the_description_stays_within_what_slack_keeps_of_an_images_words() -> None:
    stands = tuple(sign_ups((MONDAY, 40), name="A very long name " * 4) for _ in range(MAX_STANDS + 3))

    words = describe(WeekPicture("T1", MONDAY, week(), stands), "The week of 23 Nov")

    assert len(words) == ALT_LIMIT
    assert words.endswith("…")


def test_the_png_is_drawn_from_its_figures() -> None:
    one = draw_week(WeekPicture("T1", MONDAY, week((2, 2, 2)), ()), title="The week of 23 Nov")
    other = draw_week(WeekPicture("T1", MONDAY, week((2, 2, 3)), ()), title="The week of 23 Nov")

    assert one.png.startswith(b"\x89PNG") and other.png.startswith(b"\x89PNG")
    assert one.png != other.png
    assert one.filename == "week-2026-11-23.png"


def test_a_members_chart_is_named_for_them_and_draws_at_most_the_stands_it_has_room_for() -> None:
    stands = tuple(sign_ups((MONDAY, 40)) for _ in range(MAX_STANDS + 2))
    many = draw_week(WeekPicture("T1", MONDAY, week(), stands, user_id="UADA"), title="Your week so far")
    few = draw_week(WeekPicture("T1", MONDAY, week(), stands[:MAX_STANDS], user_id="UADA"), title="Your week so far")

    assert many.filename == "week-2026-11-23-UADA.png"
    assert many.png == few.png
