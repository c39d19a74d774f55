"""The request state machine and the program's arithmetic, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.coach.rules import (
    BROKEN_AFTER_DAYS,
    Ledger,
    MoveRefused,
    Practice,
    RequestMove,
    Role,
    breaks_today,
    ledger,
    local_today,
    member_zone,
    move_request,
    moves_for,
    notice_breakdown,
    paused_days,
    program_day,
    program_moment,
    revoked_or_broken,
    streaks,
    unbroken_since,
    week_of,
)
from storage.models import PromiseStatus
from storage.models import RequestStatus as S


@pytest.mark.parametrize(
    ("status", "move", "role", "after"),
    [
        (S.OPEN, RequestMove.ACCEPT, Role.RECIPIENT, S.ACCEPTED),
        (S.OPEN, RequestMove.DECLINE, Role.RECIPIENT, S.DECLINED),
        (S.OPEN, RequestMove.COUNTER, Role.RECIPIENT, S.COUNTERED),
        (S.OPEN, RequestMove.CANCEL, Role.REQUESTER, S.CANCELLED),
        (S.COUNTERED, RequestMove.ACCEPT_COUNTER, Role.REQUESTER, S.ACCEPTED),
        (S.COUNTERED, RequestMove.DECLINE_COUNTER, Role.REQUESTER, S.CANCELLED),
        (S.ACCEPTED, RequestMove.DONE, Role.RECIPIENT, S.DONE),
        (S.DONE, RequestMove.COMPLETE, Role.REQUESTER, S.COMPLETED),
        (S.DONE, RequestMove.NOT_YET, Role.REQUESTER, S.ACCEPTED),
    ],
)
def test_each_allowed_move_leads_to_its_state(status: S, move: RequestMove, role: Role, after: S) -> None:
    assert move_request(status, move, role) is after


def test_a_move_by_the_wrong_side_is_refused_and_names_whose_it_is() -> None:
    with pytest.raises(MoveRefused) as refused:
        move_request(S.OPEN, RequestMove.ACCEPT, Role.REQUESTER)
    assert refused.value.reason == "other_side"
    assert refused.value.owner is Role.RECIPIENT


@pytest.mark.parametrize("status", [S.ACCEPTED, S.DECLINED, S.COMPLETED, S.CANCELLED])
def test_a_spent_accept_is_refused_as_spent(status: S) -> None:
    with pytest.raises(MoveRefused) as refused:
        move_request(status, RequestMove.ACCEPT, Role.RECIPIENT)
    assert refused.value.reason == "spent"
    assert refused.value.status is status


@pytest.mark.parametrize("status", [S.DECLINED, S.COMPLETED, S.CANCELLED])
def test_ended_requests_offer_no_moves_to_either_side(status: S) -> None:
    assert moves_for(status, Role.REQUESTER) == []
    assert moves_for(status, Role.RECIPIENT) == []


def test_an_open_request_offers_accept_decline_and_counter_to_the_person_asked() -> None:
    assert moves_for(S.OPEN, Role.RECIPIENT) == [RequestMove.ACCEPT, RequestMove.DECLINE, RequestMove.COUNTER]
    assert moves_for(S.OPEN, Role.REQUESTER) == [RequestMove.CANCEL]


def test_program_day_one_is_the_day_the_stand_was_declared() -> None:
    assert program_day(date(2026, 11, 23), date(2026, 11, 23)) == 1
    assert program_day(date(2026, 11, 23), date(2026, 12, 6)) == 14


def test_a_week_runs_monday_to_sunday_across_a_year_end() -> None:
    assert week_of(date(2027, 1, 1)) == (date(2026, 12, 28), date(2027, 1, 3))


def test_the_local_date_comes_from_the_members_zone() -> None:
    late_monday_utc = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert local_today(late_monday_utc, ZoneInfo("Asia/Tokyo")) == date(2026, 11, 24)
    assert local_today(late_monday_utc, ZoneInfo("America/New_York")) == date(2026, 11, 23)


def test_an_unknown_zone_falls_back_to_the_default() -> None:
    assert member_zone("Mars/Olympus_Mons", "Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert member_zone(None, "Nowhere/Atall") == ZoneInfo("UTC")


def test_full_practice_needs_two_of_each() -> None:
    assert Practice(shares=2, actions=2, requests=2).met()
    assert not Practice(shares=5, actions=5, requests=1).met()


def test_a_streak_counts_consecutive_working_days_of_full_practice() -> None:
    monday = date(2026, 11, 16)
    full = {monday, monday.replace(day=17), monday.replace(day=18)}
    assert streaks(full, date(2026, 11, 18), weekends=False, since=monday) == (3, 3)


def test_a_missed_working_day_breaks_the_streak_but_the_best_is_remembered() -> None:
    full = {date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 19)}
    assert streaks(full, date(2026, 11, 19), weekends=False, since=date(2026, 11, 16)) == (1, 2)


def test_weekends_off_neither_count_nor_break_a_streak() -> None:
    friday, monday = date(2026, 11, 20), date(2026, 11, 23)
    assert streaks({friday, monday}, monday, weekends=False, since=friday) == (2, 2)
    assert streaks({friday, monday}, monday, weekends=True, since=friday) == (1, 1)


def test_today_still_under_way_does_not_break_the_streak() -> None:
    full = {date(2026, 11, 16), date(2026, 11, 17)}
    assert streaks(full, date(2026, 11, 18), weekends=False, since=date(2026, 11, 16)) == (2, 2)


def test_a_paused_day_without_the_full_practice_neither_counts_nor_breaks_the_streak() -> None:
    monday, tuesday, wednesday = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
    full = {monday, wednesday}
    thursday = date(2026, 11, 19)
    assert streaks(full, thursday, weekends=False, since=monday, paused={tuesday}) == (2, 2)
    assert streaks(full, thursday, weekends=False, since=monday) == (1, 1)


def test_a_paused_day_with_the_full_practice_still_counts() -> None:
    monday, tuesday = date(2026, 11, 16), date(2026, 11, 17)
    assert streaks({monday, tuesday}, tuesday, weekends=False, since=monday, paused={tuesday}) == (2, 2)


def test_a_pause_across_the_weekend_keeps_the_streak_for_the_next_working_day() -> None:
    thursday, monday = date(2026, 11, 19), date(2026, 11, 23)
    paused = {date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)}  # Friday to Sunday
    assert streaks({thursday, monday}, monday, weekends=True, since=thursday, paused=paused) == (2, 2)


def test_a_streak_is_unbroken_since_a_day_only_when_no_working_day_after_it_was_missed() -> None:
    monday, friday, next_monday = date(2026, 11, 16), date(2026, 11, 20), date(2026, 11, 23)
    whole_week = {monday + timedelta(days=i) for i in range(5)}
    assert unbroken_since(whole_week, next_monday, weekends=False, since=monday)
    assert not unbroken_since(whole_week - {friday}, next_monday, weekends=False, since=monday)
    assert unbroken_since(whole_week - {friday}, next_monday, weekends=False, since=monday, paused={friday})
    assert unbroken_since(set(), next_monday, weekends=False, since=monday, paused=whole_week)


def test_paused_days_are_the_members_local_dates_touched_by_a_pause() -> None:
    # Monday 23:30 UTC to Tuesday 22:30 UTC: all of it on Tuesday in Berlin, two days in UTC.
    pause = (datetime(2026, 11, 16, 23, 30, tzinfo=UTC), datetime(2026, 11, 17, 22, 30, tzinfo=UTC))
    first, last = date(2026, 11, 16), date(2026, 11, 22)
    assert paused_days([pause], ZoneInfo("Europe/Berlin"), first=first, last=last) == {date(2026, 11, 17)}
    assert paused_days([pause], ZoneInfo("UTC"), first=first, last=last) == {date(2026, 11, 16), date(2026, 11, 17)}


def test_an_open_pause_runs_to_the_last_day_asked_about_and_days_before_the_first_are_left_out() -> None:
    pause = (datetime(2026, 11, 10, 9, 0, tzinfo=UTC), None)
    days = paused_days([pause], ZoneInfo("UTC"), first=date(2026, 11, 20), last=date(2026, 11, 22))
    assert days == {date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)}


def test_the_programs_moments_fall_on_working_days() -> None:
    monday = date(2026, 11, 23)
    moments = {
        monday + timedelta(days=i): program_moment(monday, monday + timedelta(days=i), weekends=False)
        for i in range(14)
    }
    assert moments[monday] == "opening"
    assert moments[date(2026, 11, 30)] == "midpoint"  # day 8: day 7 is a Sunday
    assert moments[date(2026, 12, 4)] == "closing"  # the second Friday, day 12
    assert [d for d, m in moments.items() if m] == [monday, date(2026, 11, 30), date(2026, 12, 4)]


def test_with_weekends_on_the_program_closes_on_day_fourteen() -> None:
    monday = date(2026, 11, 23)
    assert program_moment(monday, date(2026, 12, 6), weekends=True) == "closing"
    assert program_moment(monday, date(2026, 11, 29), weekends=True) == "midpoint"


def test_integrity_counts_kept_on_time_and_renegotiated_in_time_over_everything_ended() -> None:
    due = date(2026, 11, 24)
    account = ledger(
        [
            ("kept", due, due),
            ("kept", due, date(2026, 11, 25)),  # late
            ("renegotiated", due, date(2026, 11, 23)),
            ("revoked", due, due),
            ("open", due, due),
        ]
    )
    assert account == Ledger(made=5, kept_on_time=1, kept_late=1, renegotiated_in_time=1, revoked=1)
    assert account.ended == 4 and account.integrity == 0.5


def test_integrity_is_unknown_before_any_promise_has_ended() -> None:
    assert ledger([("open", None, date(2026, 11, 23))]).integrity is None
    assert ledger([("open", date(2026, 11, 24), None)]) == Ledger(made=1)


def test_taking_a_promise_back_by_its_date_revokes_it_and_after_its_date_breaks_it() -> None:
    due = date(2026, 11, 24)
    assert revoked_or_broken(due, date(2026, 11, 23)) == PromiseStatus.REVOKED
    assert revoked_or_broken(due, due) == PromiseStatus.REVOKED
    assert revoked_or_broken(due, date(2026, 11, 25)) == PromiseStatus.BROKEN
    assert revoked_or_broken(None, date(2027, 1, 1)) == PromiseStatus.REVOKED  # no date, nothing to pass


def test_an_open_promise_breaks_only_once_enough_days_past_its_date_have_gone_unanswered() -> None:
    due = date(2026, 11, 24)
    assert BROKEN_AFTER_DAYS == 3
    assert not breaks_today(due, due + timedelta(days=2))
    assert breaks_today(due, due + timedelta(days=3))
    assert not breaks_today(None, due + timedelta(days=300))


def test_two_idle_working_days_are_noticed_as_a_breakdown() -> None:
    monday = date(2026, 11, 23)
    idle = notice_breakdown(
        today=date(2026, 11, 25), started_on=monday, weekends=False, daily={}, midpoint=False, overdue=0
    )
    assert idle is not None and "two working days" in idle
    busy = {date(2026, 11, 24): Practice(shares=1)}
    assert (
        notice_breakdown(
            today=date(2026, 11, 25), started_on=monday, weekends=False, daily=busy, midpoint=False, overdue=0
        )
        is None
    )


def test_a_weekend_off_is_not_idleness() -> None:
    friday_full = {date(2026, 11, 27): Practice(2, 2, 2)}
    noticed = notice_breakdown(
        today=date(2026, 11, 30),
        started_on=date(2026, 11, 26),
        weekends=False,
        daily=friday_full,
        midpoint=False,
        overdue=0,
    )
    assert noticed is None


def test_under_half_the_targets_at_the_midpoint_is_noticed() -> None:
    monday = date(2026, 11, 23)
    daily = {monday + timedelta(days=i): Practice(shares=2, actions=2, requests=0) for i in range(5)}
    noticed = notice_breakdown(
        today=date(2026, 11, 30), started_on=monday, weekends=False, daily=daily, midpoint=True, overdue=0
    )
    assert noticed == "At the midpoint, your requests are under half of the target so far."


def test_an_overdue_promise_is_noticed_first() -> None:
    noticed = notice_breakdown(
        today=date(2026, 11, 24), started_on=date(2026, 11, 23), weekends=False, daily={}, midpoint=False, overdue=1
    )
    assert noticed is not None and "passed its date" in noticed
