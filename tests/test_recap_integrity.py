"""Integrity in public, and the words around it (issue 9): which week a promise counts in, when the team's figure
shows, and builders that read right for one as for many (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from bot.coach import FollowedStand
from bot.coach.rules import Ledger
from handlers.blocks.help import build_help
from handlers.blocks.home import build_home
from handlers.blocks.recaps import build_weekly_recap
from handlers.parsing import CoachCommand, ParseError, parse_coach
from storage.db import unit_of_work
from storage.models import Promise, PromiseStatus, Renegotiation, RenegotiationStatus, RequestStatus
from tests.e2e import texts_of
from tests.test_escaping import status
from tests.test_recaps import NOON, berlin, day, request, summarize, summary_of

# Which week a promise counts in ------------------------------------------------------------------------------


def test_a_promise_due_in_the_week_and_recorded_broken_after_it_counts_in_that_weeks_ledger(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        # Due on the week's Friday; three days later, on the next Monday morning, recorded as broken.
        session.add(
            Promise(
                team_id="T1",
                user_id="UADA",
                text="ship",
                due_on=day(4),
                status=PromiseStatus.BROKEN,
                created_at=NOON,
                updated_at=berlin(day(7), 9),
            )
        )

    assert summarize(engine).ledger.broken == 1
    assert summarize(engine, week_start=day(7)).ledger.ended == 0


def test_a_new_date_agreed_the_week_before_counts_in_the_week_of_the_date_it_replaced(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        promised = request("UBOB", day(-6), status=RequestStatus.ACCEPTED)
        promised.promise_status, promised.promised_on, promised.due_on = PromiseStatus.OPEN, day(-6), day(9)
        session.add(promised)
        session.flush()
        assert promised.id is not None
        session.add(
            Renegotiation(
                team_id="T1",
                request_id=promised.id,
                user_id="UFRIEND",
                old_due_on=day(2),  # was due this week's Wednesday; moved, by agreement, the week before
                new_due_on=day(9),
                asked_on=day(-5),
                status=RenegotiationStatus.ACCEPTED,
                created_at=berlin(day(-5), 9),
                settled_at=berlin(day(-5), 11),
            )
        )

    this_week, the_week_before = summarize(engine).ledger, summarize(engine, week_start=day(-7)).ledger

    assert (this_week.renegotiated_in_time, this_week.made) == (1, 0)
    assert (the_week_before.ended, the_week_before.made) == (0, 1 + 1)  # promised, then the new date agreed


# When the team's figure shows --------------------------------------------------------------------------------


def test_four_promises_ended_give_the_counts_but_no_team_integrity() -> None:
    summary = summary_of([], ledger=Ledger(made=4, kept_on_time=3, broken=1))

    text = texts_of(build_weekly_recap(summary)[1])

    assert "4 due this week ended: 3 kept on time, 0 renegotiated in time, 1 broken, 0 revoked" in text
    assert "integrity" not in text and "%" not in text


def test_five_promises_ended_give_the_team_integrity_unless_the_workspace_turned_it_off() -> None:
    summary = summary_of([], ledger=Ledger(made=5, kept_on_time=4, broken=1))

    assert "— team integrity 80%" in texts_of(build_weekly_recap(summary)[1])
    assert "integrity" not in texts_of(build_weekly_recap(replace(summary, team_integrity=False))[1])


def test_promises_kept_or_renegotiated_late_are_counted_so_the_figures_add_up() -> None:
    summary = summary_of([], ledger=Ledger(kept_on_time=3, kept_late=1, renegotiated_late=1))

    text = texts_of(build_weekly_recap(summary)[1])

    assert "5 due this week ended: 3 kept on time, 1 kept late, 0 renegotiated in time, 1 renegotiated late" in text


# `/coach recap integrity on|off` ----------------------------------------------------------------------------


def test_an_admin_turns_the_teams_integrity_in_the_recap_on_or_off() -> None:
    assert parse_coach("recap integrity off") == CoachCommand("recap_integrity", "off")
    assert parse_coach("Recap Integrity ON") == CoachCommand("recap_integrity", "on")


def test_recap_integrity_without_on_or_off_is_refused_kindly() -> None:
    with pytest.raises(ParseError, match="`/coach recap integrity on` or `/coach recap integrity off`"):
        parse_coach("recap integrity maybe")


def test_help_and_the_list_of_coach_subcommands_name_recap_integrity() -> None:
    assert "`/coach recap integrity on|off`" in texts_of(build_help()[1])
    with pytest.raises(ParseError, match="`recap integrity on\\|off`"):
        parse_coach("dance")


# Counts read as words ------------------------------------------------------------------------------------------


def test_home_says_one_more_stand_you_follow_not_one_more_stands() -> None:
    following = [FollowedStand(stand_id=n, owner_id=f"U{n}", text="Open Lyon", day=3) for n in range(11)]

    home = texts_of(build_home(replace(status("words"), following=following))["blocks"])

    assert "…and 1 more stand you follow." in home


def test_status_of_one_promise_made_and_none_ended_reads_as_words() -> None:
    home = texts_of(build_home(replace(status("words"), ledger=Ledger(made=1)))["blocks"])

    assert "Your word: 1 promise made, none ended yet" in home
    assert "integrity —" not in home and "of 0 ended" not in home
