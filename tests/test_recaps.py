"""The weekly recap: which week, what it counts, and how it reads in Slack (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.clock import FixedClock
from bot.coach import Coach, MemberId, StandDeclared
from bot.coach.rules import Ledger
from bot.coach.weeks import ParticipantWeek, StandFollowers, WeekSummary, last_full_week, summarize_week
from handlers.blocks.recaps import PEOPLE_PER_REPLY, STANDS_PER_REPLY, build_weekly_recap
from standin import validate_blocks
from storage.db import unit_of_work
from storage.models import (
    Action,
    Breakdown,
    Breakthrough,
    Follower,
    Member,
    Pause,
    Promise,
    PromiseStatus,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
    StandStatus,
)

T = "T1"
BERLIN = ZoneInfo("Europe/Berlin")
WEEK = date(2026, 11, 16)  # Monday 16 to Sunday 22 November 2026
NOON = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def day(offset: int) -> date:
    """A day counted from the recap week's Monday."""
    return WEEK + timedelta(days=offset)


def berlin(on: date, hour: int, minute: int = 0) -> datetime:
    """A moment on the workspace's wall clock."""
    return datetime.combine(on, time(hour, minute), tzinfo=BERLIN)


def log(
    session: Session, user_id: str, on: date, *, shares: int = 2, actions: int = 2, requests: int = 2, team: str = T
) -> None:
    """Practice logged on one local day (a full day by default)."""
    at = datetime.combine(on, time(12), tzinfo=UTC)
    for _ in range(shares):
        session.add(Share(team_id=team, user_id=user_id, told_user_id="UFRIEND", local_date=on, created_at=at))
    for _ in range(actions):
        session.add(Action(team_id=team, user_id=user_id, text="called a partner", local_date=on, created_at=at))
    for _ in range(requests):
        session.add(request(user_id, on, team=team))


def request(
    user_id: str, on: date, *, status: RequestStatus = RequestStatus.OPEN, offered: bool = False, team: str = T
) -> Request:
    at = datetime.combine(on, time(12), tzinfo=UTC)
    return Request(
        team_id=team,
        user_id=user_id,
        recipient_id="UFRIEND",
        text="an intro",
        status=status,
        offered=offered,
        local_date=on,
        created_at=at,
        updated_at=at,
    )


def stand(user_id: str, created_at: datetime, *, status: StandStatus = StandStatus.ACTIVE, team: str = T) -> Stand:
    return Stand(
        team_id=team,
        user_id=user_id,
        text=f"{user_id}'s outcome",
        status=status,
        program_started_on=created_at.date(),
        created_at=created_at,
        ended_at=created_at + timedelta(hours=1) if status is StandStatus.WITHDRAWN else None,
    )


def member(user_id: str, *, weekends: bool = False, tz: str | None = None, team: str = T) -> Member:
    return Member(team_id=team, user_id=user_id, weekends=weekends, tz=tz, created_at=NOON)


def pause(user_id: str, started_at: datetime, ended_at: datetime | None = None, *, team: str = T) -> Pause:
    return Pause(team_id=team, user_id=user_id, started_at=started_at, ended_at=ended_at, created_at=started_at)


def summarize(engine: Engine, *, team: str = T, week_start: date = WEEK) -> WeekSummary:
    with unit_of_work(engine) as session:
        return summarize_week(session, team_id=team, week_start=week_start, zone=BERLIN)


def one(summary: WeekSummary, user_id: str) -> ParticipantWeek:
    return next(p for p in summary.participants if p.user_id == user_id)


# Which week ------------------------------------------------------------------------------------------------


def test_on_a_monday_morning_the_last_full_week_is_the_one_that_just_ended() -> None:
    clock = FixedClock(berlin(date(2026, 11, 23), 9))
    assert last_full_week(clock.now(), BERLIN) == (date(2026, 11, 16), date(2026, 11, 22))


def test_on_a_sunday_night_the_last_full_week_is_the_one_before_this_week() -> None:
    clock = FixedClock(berlin(date(2026, 11, 29), 23, 30))
    assert last_full_week(clock.now(), BERLIN) == (date(2026, 11, 16), date(2026, 11, 22))


def test_the_last_full_week_can_span_the_year_end() -> None:
    clock = FixedClock(berlin(date(2027, 1, 4), 9))
    assert last_full_week(clock.now(), BERLIN) == (date(2026, 12, 28), date(2027, 1, 3))


def test_the_last_full_week_follows_the_workspace_zone_where_it_is_already_monday() -> None:
    clock = FixedClock(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))  # Sunday in UTC, Monday 09:00 in Auckland
    assert last_full_week(clock.now(), ZoneInfo("Pacific/Auckland")) == (date(2026, 11, 23), date(2026, 11, 29))
    assert last_full_week(clock.now(), ZoneInfo("UTC")) == (date(2026, 11, 16), date(2026, 11, 22))


def test_a_recap_week_must_start_on_a_monday(engine: Engine) -> None:
    with pytest.raises(ValueError, match="Monday"), unit_of_work(engine) as session:
        summarize_week(session, team_id=T, week_start=day(1), zone=BERLIN)


# What the week counts --------------------------------------------------------------------------------------


def test_team_totals_count_the_weeks_practice_against_two_a_day_per_working_day(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add_all([member("UADA"), member("UBOB", weekends=True)])
        for offset in range(5):
            log(session, "UADA", day(offset))
        log(session, "UBOB", day(5), shares=1, actions=0, requests=0)
        log(session, "UADA", day(-1))  # the Sunday before
        log(session, "UADA", day(7))  # the Monday after

    summary = summarize(engine)

    assert (summary.shares, summary.actions, summary.requests) == (11, 10, 10)
    # Ada practises Monday to Friday, Bob all seven days: 2 a day over 12 working days.
    assert (summary.share_target, summary.action_target, summary.request_target) == (24, 24, 24)


def test_each_participants_week_counts_their_practice_and_full_days(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        log(session, "UADA", day(0))
        log(session, "UADA", day(1), requests=1)
        for offset in (2, 3, 4):
            log(session, "UADA", day(offset))

    ada = one(summarize(engine), "UADA")

    assert ada == ParticipantWeek(
        user_id="UADA", shares=10, actions=10, requests=9, days_full=4, best_streak=3, current_streak=3
    )


def test_an_empty_weekend_does_not_break_a_weekday_streak_when_weekends_are_off(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(member("UADA"))
        for offset in range(5):
            log(session, "UADA", day(offset))

    assert one(summarize(engine), "UADA").best_streak == 5


def test_with_weekends_on_an_empty_saturday_ends_the_streak(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(member("UBOB", weekends=True))
        for offset in (3, 4, 6):  # Thursday, Friday, Sunday
            log(session, "UBOB", day(offset))

    bob = one(summarize(engine), "UBOB")

    assert (bob.days_full, bob.best_streak) == (3, 2)


def test_offers_of_help_do_not_count_as_requests_made(engine: Engine) -> None:
    coach = Coach(engine, FixedClock(NOON), default_timezone="UTC")
    declared = coach.declare_stand(MemberId(T, "UADA"), "Sign 10 partners", None)
    assert isinstance(declared, StandDeclared) and declared.stand.id
    coach.offer_help(T, declared.stand.id, "UBOB", "I'll intro you to two buyers", None)
    coach.make_request(MemberId(T, "UADA"), "UBOB", "Review my pitch", None)

    summary = summarize(engine)

    assert one(summary, "UADA").requests == 1
    assert (summary.requests, summary.requests_made) == (1, 1)


def test_requests_accepted_and_completed_are_counted_among_those_made_that_week(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for status in RequestStatus:
            session.add(request("UADA", day(1), status=status))
        session.add(request("UADA", day(2), status=RequestStatus.ACCEPTED, offered=True))
        session.add(request("UADA", day(-3), status=RequestStatus.COMPLETED))

    summary = summarize(engine)

    assert (summary.requests_made, summary.requests_accepted, summary.requests_completed) == (7, 3, 1)


def test_the_teams_ledger_counts_promises_made_in_the_week_and_how_those_that_ended_in_it_ended(
    engine: Engine,
) -> None:
    settled = berlin(day(3), 10)
    with unit_of_work(engine) as session:
        for status in (*PromiseStatus, PromiseStatus.KEPT):
            session.add(
                Promise(team_id=T, user_id="UADA", text="ship", status=status, created_at=NOON, updated_at=settled)
            )
        # Made this week, ended last week (a clock's edge): made, not ended, here.
        session.add(
            Promise(
                team_id=T,
                user_id="UADA",
                text="old",
                status=PromiseStatus.KEPT,
                created_at=NOON,
                updated_at=berlin(day(-1), 23),
            )
        )
        kept = request("UADA", day(1), status=RequestStatus.COMPLETED)
        kept.promise_status, kept.promised_on, kept.done_on, kept.due_on = PromiseStatus.KEPT, day(1), day(2), day(3)
        late = request("UADA", day(1), status=RequestStatus.CANCELLED)
        late.promise_status, late.promised_on, late.due_on = PromiseStatus.BROKEN, day(1), day(1)
        late.updated_at = berlin(day(4), 9)
        session.add_all([kept, late])
        session.flush()
        assert kept.id is not None
        session.add(
            Renegotiation(
                team_id=T,
                request_id=kept.id,
                user_id="UFRIEND",
                old_due_on=day(2),
                new_due_on=day(3),
                asked_on=day(2),
                status=RenegotiationStatus.ACCEPTED,
                created_at=berlin(day(2), 9),
                settled_at=berlin(day(2), 11),
            )
        )

    account = summarize(engine).ledger

    assert (account.kept_on_time, account.renegotiated_in_time, account.broken, account.revoked) == (3, 2, 2, 1)
    assert account.made == 7 + 2 + 1  # own promises, requests accepted, the new date agreed
    assert account.integrity == 5 / 8


def test_a_member_with_an_active_stand_is_a_participant_even_on_a_quiet_week(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(stand("UADA", berlin(day(-20), 9)))
        session.add(stand("UBOB", berlin(day(-20), 9), status=StandStatus.WITHDRAWN))

    summary = summarize(engine)

    assert summary.participants == [ParticipantWeek("UADA", 0, 0, 0, 0, 0)]
    assert (summary.share_target, summary.request_target) == (10, 10)


def test_stands_and_joins_count_in_the_week_they_happened_on_the_workspaces_clock(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        ada = stand("UADA", berlin(day(0), 0, 30))  # Sunday 23:30 in UTC, but Monday in Berlin
        session.add_all([ada, stand("UBOB", berlin(day(7), 0, 30)), stand("UCY", berlin(day(-1), 23, 30))])
        session.flush()
        assert ada.id is not None
        session.add(Follower(team_id=T, stand_id=ada.id, user_id="UCY", created_at=berlin(day(6), 23, 59)))
        session.add(Follower(team_id=T, stand_id=ada.id, user_id="UDEE", created_at=berlin(day(7), 0, 10)))

    summary = summarize(engine)

    assert summary.stands_declared == [("UADA", "UADA's outcome")]
    assert summary.joined == [("UCY", "UADA")]
    assert [p.user_id for p in summary.participants] == ["UADA", "UCY"]


def test_active_stands_come_with_their_first_follower_and_how_many_follow_most_followed_first(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        ada, bob, cy = (
            stand("UADA", berlin(day(-3), 9)),
            stand("UBOB", berlin(day(2), 9)),
            stand("UCY", berlin(day(3), 9)),
        )
        withdrawn = stand("UDEE", berlin(day(1), 9), status=StandStatus.WITHDRAWN)
        late = stand("UEVE", berlin(day(7), 9))  # declared after the week ended
        session.add_all([ada, bob, cy, withdrawn, late])
        session.flush()
        joins = [(bob, "UCY", 5), (bob, "UADA", 4), (bob, "UEVE", 6), (ada, "UBOB", 1), (withdrawn, "UADA", 2)]
        for held, follower, on in joins:
            assert held.id is not None
            session.add(Follower(team_id=T, stand_id=held.id, user_id=follower, created_at=berlin(day(on), 9)))

    stands = summarize(engine).stands

    assert [(s.owner_id, s.first_follower, s.followers) for s in stands] == [
        ("UBOB", "UADA", 3),
        ("UADA", "UBOB", 1),
        ("UCY", None, 0),
    ]
    assert stands[0].text == "UBOB's outcome"


def test_breakthroughs_and_breakdowns_count_in_the_week_they_happened_on_the_workspaces_clock(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        for who, at in (("UADA", berlin(day(0), 0, 30)), ("UBOB", berlin(day(7), 0, 30))):
            session.add(Breakthrough(team_id=T, user_id=who, text=f"{who} signed the deal", created_at=at))
            session.add(Breakdown(team_id=T, user_id=who, text="off track", created_at=at))
        session.add(Breakdown(team_id=T, user_id="UCY", text="off track", created_at=berlin(day(6), 23, 59)))

    summary = summarize(engine)

    assert summary.breakthroughs == [("UADA", "UADA signed the deal")]
    assert summary.breakdowns_met == 2


def test_another_teams_rows_never_appear(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        log(session, "UADA", day(1))
        log(session, "UOTHER", day(1), team="T2")
        other = stand("UOTHER", berlin(day(1), 9), team="T2")
        session.add(other)
        session.flush()
        assert other.id is not None
        session.add(Follower(team_id="T2", stand_id=other.id, user_id="UOTHER2", created_at=berlin(day(1), 10)))
        session.add(Breakthrough(team_id="T2", user_id="UOTHER", text="theirs", created_at=berlin(day(1), 10)))
        session.add(Breakdown(team_id="T2", user_id="UOTHER", text="theirs", created_at=berlin(day(1), 10)))
        session.add(
            Promise(
                team_id="T2", user_id="UOTHER", text="x", status=PromiseStatus.KEPT, created_at=NOON, updated_at=NOON
            )
        )
        session.add(member("UADA", weekends=True, team="T2"))

    summary = summarize(engine)

    assert [p.user_id for p in summary.participants] == ["UADA"]
    assert (summary.shares, summary.requests_made, summary.share_target) == (2, 2, 10)
    assert summary.stands_declared == summary.joined == summary.breakthroughs == []
    assert summary.stands == []
    assert (summary.breakdowns_met, summary.ledger.made) == (0, 0)


def test_the_longest_streaks_are_the_top_three_with_ties_by_member(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for who, days in (("UDEE", 3), ("UBOB", 5), ("UCY", 3), ("UEVE", 0), ("UAMY", 3)):
            for offset in range(days):
                log(session, who, day(offset))
        log(session, "UEVE", day(0), shares=1)

    assert summarize(engine).longest_streaks == [("UBOB", 5), ("UAMY", 3), ("UCY", 3)]


def test_a_paused_day_neither_counts_nor_breaks_the_weeks_streak(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add_all([member("UADA", tz="Europe/Berlin"), member("UBOB", tz="Europe/Berlin")])
        for offset in (0, 1, 3, 4):  # Wednesday off for both; only Ada paused for it
            log(session, "UADA", day(offset))
            log(session, "UBOB", day(offset))
        session.add(pause("UADA", berlin(day(2), 8), berlin(day(2), 20)))

    summary = summarize(engine)

    ada, bob = one(summary, "UADA"), one(summary, "UBOB")
    assert (ada.best_streak, ada.current_streak) == (4, 4)
    assert (bob.best_streak, bob.current_streak) == (2, 2)
    assert summary.longest_streaks == [("UADA", 4), ("UBOB", 2)]


def test_pauses_are_read_on_the_members_own_calendar(engine: Engine) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    with unit_of_work(engine) as session:
        session.add(member("UCY", tz="Asia/Tokyo"))
        for offset in (0, 3, 4):
            log(session, "UCY", day(offset))
        # Wednesday 05:00 to 23:00 in Tokyo; in Berlin it would also cover Tuesday.
        start = datetime.combine(day(2), time(5), tzinfo=tokyo)
        session.add(pause("UCY", start, start + timedelta(hours=18)))

    cy = one(summarize(engine), "UCY")

    assert (cy.best_streak, cy.current_streak) == (2, 2)  # the empty Tuesday still breaks it


def test_the_current_streak_reaches_back_before_the_week(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add_all([member("UADA"), member("UBOB"), member("UCY")])
        for offset in (-4, -3, 0, 1, 2, 3, 4):  # from the Thursday before
            log(session, "UADA", day(offset))
        for offset in (*range(-14, -9), *range(5)):  # a full week, a week paused, then this one
            log(session, "UBOB", day(offset))
        session.add(pause("UBOB", berlin(day(-7), 8), berlin(day(-1), 20)))
        log(session, "UCY", day(-3))  # broken on the Monday: nothing earlier counts
        for offset in range(1, 5):
            log(session, "UCY", day(offset))

    summary = summarize(engine)

    assert (one(summary, "UADA").current_streak, one(summary, "UADA").best_streak) == (7, 5)
    assert (one(summary, "UBOB").current_streak, one(summary, "UBOB").best_streak) == (10, 5)
    assert (one(summary, "UCY").current_streak, one(summary, "UCY").best_streak) == (4, 4)


def test_an_empty_sunday_ends_the_current_streak_of_a_member_with_weekends_on(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(member("UBOB", weekends=True))
        for offset in range(6):
            log(session, "UBOB", day(offset))

    bob = one(summarize(engine), "UBOB")

    assert (bob.best_streak, bob.current_streak) == (6, 0)


def test_an_open_pause_keeps_a_streak_through_a_quiet_week(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(member("UADA"))
        session.add(stand("UADA", berlin(day(-20), 9)))
        for offset in (-3, -4):
            log(session, "UADA", day(offset))
        session.add(pause("UADA", berlin(day(-1), 9)))

    ada = one(summarize(engine), "UADA")

    assert (ada.days_full, ada.best_streak, ada.current_streak) == (0, 0, 2)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        if not str(args[2]).startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is transaction control, not a query
            seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_summarizing_takes_the_same_few_queries_however_many_members_practised(
    engine: Engine, statements: list[str]
) -> None:
    def queries_for(people: int) -> int:
        with unit_of_work(engine) as session:
            for n in range(people):
                user_id = f"U{people:03d}{n:03d}"
                log(session, user_id, day(n % 7))
                held = stand(user_id, berlin(day(0), 9))
                session.add(held)
                session.flush()
                assert held.id is not None
                for follower in range(3):
                    joined = berlin(day(1), 9 + follower)
                    session.add(
                        Follower(team_id=T, stand_id=held.id, user_id=f"{user_id}F{follower}", created_at=joined)
                    )
        statements.clear()
        summary = summarize(engine)
        mine = [s for s in summary.stands if s.owner_id.startswith(f"U{people:03d}")]
        assert len(mine) == people and {s.followers for s in summary.stands} == {3}
        return len(statements)

    # Nineteen: the week's practice (3), its members and their weekends (2), everyone's pauses (1), what followers
    # logged for the stands (1), the rest (12).
    assert queries_for(2) == queries_for(60) <= 19


def test_summarizing_takes_the_same_few_queries_however_many_members_paused(
    engine: Engine, statements: list[str]
) -> None:
    def queries_for(people: int) -> int:
        with unit_of_work(engine) as session:
            for n in range(people):
                user_id = f"P{people:03d}{n:03d}"
                session.add(member(user_id))
                log(session, user_id, day(0))
                session.add(pause(user_id, berlin(day(1), 9)))
        statements.clear()
        summarize(engine)
        return len(statements)

    # Paused all week long, each streak may reach back: their zones (1) and earlier practice (3) on top.
    assert queries_for(2) == queries_for(60) <= 22


# How it reads in Slack -------------------------------------------------------------------------------------


def summary_of(participants: list[ParticipantWeek], **changes: Any) -> WeekSummary:
    base = WeekSummary(
        team_id=T,
        week_start=WEEK,
        week_end=day(6),
        participants=participants,
        shares=sum(p.shares for p in participants),
        actions=sum(p.actions for p in participants),
        requests=sum(p.requests for p in participants),
        share_target=10 * len(participants),
        action_target=10 * len(participants),
        request_target=10 * len(participants),
        stands_declared=[],
        joined=[],
        breakthroughs=[],
        breakdowns_met=0,
        requests_made=sum(p.requests for p in participants),
        requests_accepted=0,
        requests_completed=0,
        longest_streaks=[],
    )
    return replace(base, **changes)


def texts(blocks: Any) -> Iterator[str]:
    """Every text string in the blocks, however deep."""
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(blocks, list):
        for item in blocks:
            yield from texts(item)


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def everything(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))


def test_the_recap_names_the_week_and_the_team_totals_against_their_targets() -> None:
    people = [ParticipantWeek(f"U{n}", 8, 10, 9, 4, 3) for n in range(50)]
    summary = summary_of(people, shares=412, share_target=500, actions=500, action_target=500)

    text, blocks, _ = build_weekly_recap(summary)

    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Weekly recap · 16–22 Nov 2026"
    assert "Shares 412 / 500 · Actions 500 / 500 ✓ · Requests 450 / 500" in everything(blocks)
    assert text.startswith("Weekly recap · 16–22 Nov 2026: Shares 412 / 500")


def test_a_week_across_the_year_end_is_labelled_with_both_years() -> None:
    summary = summary_of([], week_start=date(2026, 12, 28), week_end=date(2027, 1, 3))
    assert build_weekly_recap(summary)[1][0]["text"]["text"] == "Weekly recap · 28 Dec 2026 – 3 Jan 2027"


def test_each_persons_week_is_one_line_in_the_thread() -> None:
    summary = summary_of(
        [
            ParticipantWeek("U1", 8, 10, 9, 4, 3),
            ParticipantWeek("U2", 0, 0, 0, 0, 0),
            ParticipantWeek("U3", 8, 10, 9, 4, 4, current_streak=12),
            ParticipantWeek("U4", 0, 0, 0, 0, 0, current_streak=6),  # paused all week
        ]
    )

    _, blocks, replies = build_weekly_recap(summary)

    assert len(replies) == 1
    lines = "\n".join(sections(replies[0][1])).splitlines()
    assert lines == [
        "<@U1> — shares 8 · actions 10 · requests 9 · full days 4 · current streak 0 · best streak 3",
        "<@U2> — a quiet week on the log",
        "<@U3> — shares 8 · actions 10 · requests 9 · full days 4 · current streak 12 · best streak 4",
        "<@U4> — a quiet week on the log · current streak 6",
    ]
    assert "Each person's week is in the thread" in everything(blocks)


def test_breakdowns_are_counted_as_milestones_never_as_failures() -> None:
    summary = summary_of([ParticipantWeek("U1", 8, 10, 9, 4, 3)], breakdowns_met=3, ledger=Ledger(made=2, broken=1))

    text = everything(build_weekly_recap(summary)[1])

    assert "3 breakdowns met — each one a milestone" in text
    assert not re.search(r"fail|miss|behind|should", text, re.IGNORECASE)


def test_requests_promises_stands_breakthroughs_and_streaks_are_in_the_main_message() -> None:
    summary = summary_of(
        [ParticipantWeek("U1", 8, 10, 9, 4, 3), ParticipantWeek("U2", 8, 10, 9, 4, 2)],
        stands_declared=[("U1", "Double our pipeline by March")],
        joined=[("U2", "U1")],
        breakthroughs=[("U2", "Signed Acme")],
        requests_made=18,
        requests_accepted=12,
        requests_completed=5,
        ledger=Ledger(made=6, kept_on_time=3, renegotiated_in_time=1, broken=1),
        longest_streaks=[("U1", 3), ("U2", 2)],
    )

    text = everything(build_weekly_recap(summary)[1])

    for expected in (
        "<@U1> — _Double our pipeline by March_",
        "<@U2> joined <@U1>'s stand",
        "<@U2> — _Signed Acme_",
        "Requests: 18 made · 12 accepted · 5 completed",
        "Promises: 6 made this week · 5 due this week ended: 3 kept on time, 1 renegotiated in time, 1 broken, "
        "0 revoked — team integrity 80%",
        "<@U1> 3 days · <@U2> 2 days",
    ):
        assert expected in text


def test_the_recap_shows_each_stand_with_its_first_follower_and_how_many_follow() -> None:
    summary = summary_of(
        [ParticipantWeek("U1", 8, 10, 9, 4, 3), ParticipantWeek("U2", 0, 0, 0, 0, 0)],
        stands=[
            StandFollowers(1, "U1", "Double our pipeline by March", 3, "U2"),
            StandFollowers(2, "U2", "Open the Lyon office", 0, None),
        ],
    )

    _, blocks, replies = build_weekly_recap(summary)

    section = next(s for s in sections(blocks) if "Stands and their followers" in s)
    assert "<@U1> — _Double our pipeline by March_ · first follower <@U2> · 3 followers" in section
    assert "<@U2> — _Open the Lyon office_ · no followers yet" in section
    assert len(replies) == 1  # every stand is already in the message: none in the thread


def test_long_lists_show_the_first_few_and_how_many_more() -> None:
    summary = summary_of(
        [ParticipantWeek("U1", 8, 10, 9, 4, 3)],
        breakthroughs=[(f"U{n}", f"Breakthrough {n}") for n in range(12)],
    )

    section = next(s for s in sections(build_weekly_recap(summary)[1]) if "Breakthroughs" in s)

    assert section.count("• ") == 5
    assert section.endswith("…and 7 more")


def test_member_text_is_shown_as_typed_and_never_pings_the_channel() -> None:
    summary = summary_of([ParticipantWeek("U1", 8, 10, 9, 4, 3)], breakthroughs=[("U1", "<!channel> we did it & more")])
    assert "&lt;!channel&gt; we did it &amp; more" in everything(build_weekly_recap(summary)[1])


def test_an_empty_week_gets_a_short_kind_message_and_no_thread() -> None:
    text, blocks, replies = build_weekly_recap(summary_of([]))

    assert replies == []
    assert validate_blocks(blocks, surface="message") == []
    assert len(blocks) == 2
    assert "quiet week" in text and "quiet week" in everything(blocks)


def test_the_recap_of_500_participants_stays_within_slacks_limits() -> None:
    people = [ParticipantWeek(f"U{n:010d}", 14, 14, 14, 7, 7) for n in range(500)]
    long_text = "A stand & a promise <worth> keeping " * 80  # escaping makes member text longer still
    summary = summary_of(
        people,
        stands_declared=[(p.user_id, long_text) for p in people],
        joined=[(p.user_id, people[0].user_id) for p in people[1:]],
        breakthroughs=[(p.user_id, long_text) for p in people],
        breakdowns_met=400,
        requests_made=7000,
        requests_accepted=5000,
        requests_completed=3000,
        ledger=Ledger(made=1200, kept_on_time=900, renegotiated_in_time=80, broken=20),
        longest_streaks=[(p.user_id, 7) for p in people[:3]],
        stands=[StandFollowers(n, p.user_id, long_text, 499, people[0].user_id) for n, p in enumerate(people)],
    )

    text, blocks, replies = build_weekly_recap(summary)

    for message in [blocks, *(reply for _, reply in replies)]:
        assert validate_blocks(message, surface="message") == []
        assert len(message) <= 50
        assert all(len(s) <= 3000 for s in sections(message))
        assert sum(map(len, texts(message))) < 12_000
    assert sum(map(len, texts(blocks))) + len(text) < 8_000  # the channel message stays condensed
    assert len(replies) == math.ceil(500 / PEOPLE_PER_REPLY) + math.ceil(500 / STANDS_PER_REPLY)
    assert all(reply_text for reply_text, _ in replies)
    thread = "\n".join(everything(reply) for _, reply in replies)
    assert re.findall(r"<@(U\d+)> — shares", thread) == [p.user_id for p in people]
    stands = re.findall(r"<@(U\d+)> — _[^\n]*· first follower <@U0000000000> · 499 followers", thread)
    assert stands == [p.user_id for p in people]
    assert "every stand are in the thread" in everything(blocks)


def test_a_real_weeks_recap_is_valid_block_kit(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(stand("UADA", berlin(day(1), 9)))
        session.add(Breakthrough(team_id=T, user_id="UADA", text="Signed *Acme*", created_at=berlin(day(4), 16)))
        for offset in range(5):
            log(session, "UADA", day(offset))

    _, blocks, replies = build_weekly_recap(summarize(engine))

    assert validate_blocks(blocks, surface="message") == []
    assert [validate_blocks(reply, surface="message") for _, reply in replies] == [[]]
    assert "Shares 10 / 10 ✓" in everything(blocks)
