"""The coach's use cases against a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.coach import Coach, CoachRefusal, MemberId, NotFound, Profile, StandConflict, StandDeclared
from bot.coach.nudges import Nudges
from bot.coach.rules import MoveRefused, RequestMove
from storage.models import FORGOTTEN_USER, RequestStatus, StandStatus

T = "T1"


@pytest.fixture
def coach(engine: Engine, clock: FixedClock) -> Coach:
    coach = Coach(engine, clock, default_timezone="UTC")
    coach.remember_profile(MemberId(T, "UADA"), Profile(name="Ada", tz="Europe/Berlin", is_admin=True, is_bot=False))
    coach.remember_profile(
        MemberId(T, "UBOB"), Profile(name="Bob", tz="America/New_York", is_admin=False, is_bot=False)
    )
    return coach


def test_declaring_a_stand_starts_the_program_on_the_members_local_day(coach: Coach, clock: FixedClock) -> None:
    clock.set(clock.now().replace(hour=23, minute=30))  # 23:30 UTC Monday is already Tuesday in Berlin
    result = coach.declare_stand(MemberId(T, "UADA"), "Sign 10 partners", date(2026, 12, 31))
    assert isinstance(result, StandDeclared)
    assert result.stand.program_started_on == date(2026, 11, 24)
    assert coach.progress(MemberId(T, "UADA")).day == 1


def test_a_second_stand_waits_as_a_draft_until_the_member_chooses(coach: Coach) -> None:
    first = coach.declare_stand(MemberId(T, "UADA"), "First", None)
    second = coach.declare_stand(MemberId(T, "UADA"), "Second", None)
    assert isinstance(first, StandDeclared)
    assert isinstance(second, StandConflict)
    assert second.current.id == first.stand.id
    assert coach.progress(MemberId(T, "UADA")).stand is not None
    assert coach.progress(MemberId(T, "UADA")).stand.text == "First"  # type: ignore[union-attr]


def test_replacing_withdraws_the_old_stand_and_keeping_changes_nothing(coach: Coach) -> None:
    coach.declare_stand(MemberId(T, "UADA"), "First", None)
    keep = coach.declare_stand(MemberId(T, "UADA"), "Second", None)
    assert isinstance(keep, StandConflict) and keep.draft.id
    assert coach.settle_draft(MemberId(T, "UADA"), keep.draft.id, replace=False) is None
    replace = coach.declare_stand(MemberId(T, "UADA"), "Third", None)
    assert isinstance(replace, StandConflict) and replace.draft.id
    declared = coach.settle_draft(MemberId(T, "UADA"), replace.draft.id, replace=True)
    assert declared is not None and declared.replaced is not None
    assert declared.replaced.status == StandStatus.WITHDRAWN
    assert declared.stand.text == "Third"
    stands = coach.export(team_id=T)["stands"]
    assert [(s["text"], s["status"]) for s in stands] == [("First", "withdrawn"), ("Third", "active")]


def test_a_draft_choice_cannot_be_made_twice(coach: Coach) -> None:
    coach.declare_stand(MemberId(T, "UADA"), "First", None)
    conflict = coach.declare_stand(MemberId(T, "UADA"), "Second", None)
    assert isinstance(conflict, StandConflict) and conflict.draft.id
    coach.settle_draft(MemberId(T, "UADA"), conflict.draft.id, replace=False)
    with pytest.raises(NotFound):
        coach.settle_draft(MemberId(T, "UADA"), conflict.draft.id, replace=True)


def test_the_first_to_join_is_the_first_follower_and_joining_twice_is_refused(coach: Coach) -> None:
    declared = coach.declare_stand(MemberId(T, "UADA"), "Stand", None)
    assert isinstance(declared, StandDeclared) and declared.stand.id
    sid = declared.stand.id
    assert coach.join_stand(T, sid, "UBOB").is_first
    second = coach.join_stand(T, sid, "UCY")
    assert not second.is_first and second.follower_ids == ["UBOB", "UCY"]
    with pytest.raises(CoachRefusal):
        coach.join_stand(T, sid, "UBOB")
    with pytest.raises(CoachRefusal):
        coach.join_stand(T, sid, "UADA")


def test_a_stand_of_another_workspace_cannot_be_seen_or_joined(coach: Coach) -> None:
    declared = coach.declare_stand(MemberId(T, "UADA"), "Stand", None)
    assert isinstance(declared, StandDeclared) and declared.stand.id
    with pytest.raises(NotFound):
        coach.join_stand("T2", declared.stand.id, "UEVE")
    with pytest.raises(NotFound):
        coach.stand("T2", declared.stand.id)


def test_practice_counts_today_in_the_members_zone_and_the_week(coach: Coach, clock: FixedClock) -> None:
    coach.log_shares(MemberId(T, "UADA"), ["UBOB", "UCY"], "told them")
    coach.log_action(MemberId(T, "UADA"), "called the mayor")
    clock.advance(timedelta(days=1))
    progress = coach.log_action(MemberId(T, "UADA"), "wrote the plan")
    assert (progress.today_practice.shares, progress.today_practice.actions) == (0, 1)
    assert (progress.week_practice.shares, progress.week_practice.actions) == (2, 2)


def test_practice_logged_reads_the_stand_the_counts_and_whether_todays_nudge_is_out(
    coach: Coach, clock: FixedClock
) -> None:
    ada, bob = MemberId(T, "UADA"), MemberId(T, "UBOB")
    declared = coach.declare_stand(ada, "Sign 10 partners", date(2026, 12, 31))
    assert isinstance(declared, StandDeclared)
    first = coach.log_action(ada, "called the mayor")
    nudges = Nudges(coach)
    [due] = [d for d in nudges.due(clock.now()) if d.user_id == "UADA"]
    nudges.claim_and_compose_many([due], clock.now(), items=nudges.due_items([due]))
    second = coach.log_action(ada, "wrote the plan")
    standless = coach.log_action(bob, "called a friend")

    assert first.stand is not None and first.stand.id == declared.stand.id and first.day == 1
    assert (first.today_practice.actions, first.nudge_out) == (1, False)
    assert (second.today_practice.actions, second.week_practice.actions, second.nudge_out) == (2, 2, True)
    assert (standless.stand, standless.day, standless.today_practice.actions, standless.nudge_out) == (
        None,
        None,
        1,
        False,
    )


def test_telling_yourself_is_not_a_share(coach: Coach) -> None:
    with pytest.raises(CoachRefusal):
        coach.log_shares(MemberId(T, "UADA"), ["UADA"], "")
    assert coach.export(team_id=T)["shares"] == []


def test_a_request_accepted_then_done_then_completed(coach: Coach) -> None:
    request = coach.make_request(MemberId(T, "UADA"), "UBOB", "Intro to the mayor", date(2026, 12, 1))
    assert request.id
    assert coach.progress(MemberId(T, "UADA")).today_practice.requests == 1
    coach.move_request(T, request.id, "UBOB", RequestMove.ACCEPT)
    coach.move_request(T, request.id, "UBOB", RequestMove.DONE)
    moved = coach.move_request(T, request.id, "UADA", RequestMove.COMPLETE)
    assert moved.request.status == RequestStatus.COMPLETED
    with pytest.raises(MoveRefused):
        coach.move_request(T, request.id, "UADA", RequestMove.COMPLETE)


def test_accepting_a_counter_offer_takes_its_terms(coach: Coach) -> None:
    request = coach.make_request(MemberId(T, "UADA"), "UBOB", "Ten intros", date(2026, 12, 1))
    assert request.id
    coach.move_request(T, request.id, "UBOB", RequestMove.COUNTER, terms="Five intros", due_on=date(2026, 12, 8))
    moved = coach.move_request(T, request.id, "UADA", RequestMove.ACCEPT_COUNTER)
    assert (moved.request.status, moved.request.text, moved.request.due_on) == (
        RequestStatus.ACCEPTED,
        "Five intros",
        date(2026, 12, 8),
    )


def test_someone_outside_a_request_cannot_move_it(coach: Coach) -> None:
    request = coach.make_request(MemberId(T, "UADA"), "UBOB", "Intro", None)
    assert request.id
    with pytest.raises(CoachRefusal):
        coach.move_request(T, request.id, "UCY", RequestMove.ACCEPT)
    with pytest.raises(NotFound):
        coach.move_request("T2", request.id, "UBOB", RequestMove.ACCEPT)
    assert coach.request(T, request.id).status == RequestStatus.OPEN


def test_an_offer_of_help_is_accepted_by_the_stands_owner(coach: Coach) -> None:
    declared = coach.declare_stand(MemberId(T, "UADA"), "Stand", None)
    assert isinstance(declared, StandDeclared) and declared.stand.id
    offer = coach.offer_help(T, declared.stand.id, "UBOB", "I'll host the workshop", None)
    assert offer.id and offer.user_id == "UADA" and offer.status == RequestStatus.COUNTERED
    assert coach.progress(MemberId(T, "UADA")).today_practice.requests == 0  # an offer is not the owner's request
    moved = coach.move_request(T, offer.id, "UADA", RequestMove.ACCEPT_COUNTER)
    assert moved.request.status == RequestStatus.ACCEPTED


def test_export_items_carry_team_user_time_and_text(coach: Coach) -> None:
    coach.declare_stand(MemberId(T, "UADA"), "Stand", date(2026, 12, 31))
    coach.make_request(MemberId(T, "UADA"), "UBOB", "Intro", None)
    document = coach.export()
    assert set(document) >= {
        "stands",
        "shares",
        "actions",
        "requests",
        "promises",
        "breakdowns",
        "breakthroughs",
        "nudges",
        "recaps",
        "pauses",
    }
    stand = document["stands"][0]
    assert stand["team_id"] == T and stand["user_id"] == "UADA" and stand["text"] == "Stand"
    assert stand["created_at"].endswith("Z") and stand["due_on"] == "2026-12-31" and stand["status"] == "active"
    assert document["requests"][0]["recipient_id"] == "UBOB"
    assert document["requests"][0]["status"] == "open"


def test_forgetting_deletes_own_records_and_anonymizes_shared_ones(coach: Coach) -> None:
    coach.declare_stand(MemberId(T, "UADA"), "Stand", None)
    coach.set_member_option(MemberId(T, "UADA"), paused=True)
    coach.set_member_option(MemberId(T, "UADA"), paused=False)
    coach.set_member_option(MemberId(T, "UBOB"), paused=True)
    coach.log_action(MemberId(T, "UADA"), "Act")
    asked = coach.make_request(MemberId(T, "UADA"), "UBOB", "Intro", None)
    accepted = coach.make_request(MemberId(T, "UBOB"), "UADA", "Review", None)
    assert asked.id and accepted.id
    coach.move_request(T, accepted.id, "UADA", RequestMove.ACCEPT)
    coach.log_shares(MemberId(T, "UBOB"), ["UADA"], "told Ada")

    coach.forget(MemberId(T, "UADA"))

    assert coach.export(team_id=T, user_id="UADA") == {name: [] for name in coach.export()}
    requests = {r["id"]: r for r in coach.export(team_id=T)["requests"]}
    assert requests[asked.id]["user_id"] == FORGOTTEN_USER and requests[asked.id]["status"] == "cancelled"
    assert requests[accepted.id]["recipient_id"] == FORGOTTEN_USER and requests[accepted.id]["status"] == "accepted"
    assert coach.export(team_id=T)["shares"][0]["told_user_id"] == FORGOTTEN_USER
    assert [p["user_id"] for p in coach.export(team_id=T)["pauses"]] == ["UBOB"]
    assert coach.member(MemberId(T, "UADA")) is None


def test_pausing_twice_opens_one_pause_and_resuming_closes_it(coach: Coach, clock: FixedClock) -> None:
    coach.set_member_option(MemberId(T, "UADA"), paused=True)
    clock.advance(timedelta(hours=1))
    coach.set_member_option(MemberId(T, "UADA"), paused=True)
    assert [(p["started_at"], p["ended_at"]) for p in coach.export(team_id=T)["pauses"]] == [
        ("2026-11-23T14:00:00Z", None)
    ]

    clock.advance(timedelta(days=1))
    coach.set_member_option(MemberId(T, "UADA"), paused=False)
    coach.set_member_option(MemberId(T, "UADA"), paused=False)

    [pause] = coach.export(team_id=T)["pauses"]
    assert (pause["started_at"], pause["ended_at"], pause["reason"]) == (
        "2026-11-23T14:00:00Z",
        "2026-11-24T15:00:00Z",
        None,
    )
    assert coach.member(MemberId(T, "UADA")).paused is False  # type: ignore[union-attr]


def test_a_pause_in_one_workspace_is_not_a_pause_in_another(coach: Coach) -> None:
    coach.set_member_option(MemberId("T2", "UADA"), paused=True)
    coach.set_member_option(MemberId(T, "UADA"), paused=False)
    assert [p["ended_at"] for p in coach.export(team_id="T2")["pauses"]] == [None]
    assert coach.export(team_id=T)["pauses"] == []


def test_member_data_is_kept_per_workspace(coach: Coach) -> None:
    coach.log_action(MemberId(T, "UADA"), "In T1")
    coach.log_action(MemberId("T2", "UADA"), "In T2")
    assert [a["text"] for a in coach.export(team_id="T2")["actions"]] == ["In T2"]
    assert coach.progress(MemberId(T, "UADA")).today_practice.actions == 1


def test_the_team_view_is_for_admins_the_coach_admins_and_whoever_chose_the_recap_channel(
    engine: Engine, clock: FixedClock
) -> None:
    coach = Coach(engine, clock, default_timezone="UTC", admins=frozenset({"UCY"}))
    coach.remember_profile(MemberId(T, "UADA"), Profile(name="Ada", tz="UTC", is_admin=True, is_bot=False))
    for user in ("UBOB", "UCY", "UDEE"):
        coach.remember_profile(MemberId(T, user), Profile(name=user, tz="UTC", is_admin=False, is_bot=False))
    coach.declare_stand(MemberId(T, "UDEE"), "Sign 10 partners", None)
    coach.set_recap_channel(MemberId(T, "UBOB"), "CWINS")  # chose it when an admin; Slack says otherwise now

    seen_by = {user: [s.stand.user_id for s in coach.team(MemberId(T, user))] for user in ("UADA", "UBOB", "UCY")}

    assert seen_by == {"UADA": ["UDEE"], "UBOB": ["UDEE"], "UCY": ["UDEE"]}
    with pytest.raises(CoachRefusal, match="for workspace admins"):
        coach.team(MemberId(T, "UDEE"))
    assert coach.status(MemberId(T, "UDEE")).team is None
    assert [s.stand.user_id for s in coach.status(MemberId(T, "UBOB")).team or []] == ["UDEE"]


def test_a_zone_learned_inside_a_unit_of_work_is_the_one_its_later_steps_use(coach: Coach, clock: FixedClock) -> None:
    clock.set(clock.now().replace(hour=23, minute=30))  # Monday 23:30 UTC: still Monday in New York, Tuesday in Tokyo
    bob = MemberId(T, "UBOB")
    with coach.transaction():
        assert coach.met(bob) is not None  # read once and kept for the unit
        before = coach.today(bob)
        coach.remember_profile(bob, Profile(name="Bob", tz="Asia/Tokyo", is_admin=False, is_bot=False))
        after = coach.today(bob)
        met = coach.met(bob)
    assert after - before == timedelta(days=1)
    assert met is not None and met.tz == "Asia/Tokyo"


def test_a_member_met_first_in_a_unit_of_work_is_known_by_its_later_steps(coach: Coach) -> None:
    newcomer = MemberId(T, "UNEW")
    with coach.transaction():
        assert coach.met(newcomer) is None
        assert coach.welcome(newcomer)  # meets them: a row with the default settings
        met = coach.met(newcomer)
        assert met is not None and met.welcomed_at is not None
        assert not coach.welcome(newcomer)
