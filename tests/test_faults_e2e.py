"""When Slack or the database misbehave: no data lost, the app keeps running, the member hears something kind."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool, QueuePool

from bot.app import Runtime, create_app
from bot.clock import FixedClock
from handlers.slack_io import NAMED_SECONDS
from standin import SlackStandIn
from storage.db import make_engine, upgrade
from tests import support
from tests.e2e import body, buttons, dm, export, last_ephemeral, seen
from tests.support import AppServer


def test_a_command_acks_in_time_even_when_slack_stalls_on_opening_the_modal(slack: SlackStandIn, app: Runtime) -> None:
    slack.stall("views.open", 2.5)  # slow, but inside the trigger's three seconds

    started = time.monotonic()
    reply = slack.command("UADA", "/act", "")
    acked_after = time.monotonic() - started

    assert reply.status == 200
    assert acked_after < 2.5, "the ack must not wait for views.open"
    slack.wait_for(lambda: slack.open_views("UADA"), timeout=10)


def test_a_command_acks_in_time_even_when_users_info_stalls(slack: SlackStandIn, app: Runtime) -> None:
    slack.stall("users.info", 4)

    started = time.monotonic()
    reply = slack.command("UADA", "/act", "Called the mayor")

    assert reply.status == 200 and time.monotonic() - started < 3
    slack.wait_for(lambda: slack.ephemerals("UADA"), timeout=10)
    assert len(export(app)["actions"]) == 1


@pytest.fixture
def deployed(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """The app as `breakthrough run` serves it: waiting NAMED_SECONDS for Slack to say who a command names (the
    `app` fixture gives the stand-in longer, so that a loaded machine does not pass for a slow Slack)."""
    settings = support.settings_for(slack.api_url, database_url)
    with support.serve_http(settings, clock, named_seconds=NAMED_SECONDS) as (runtime, url):
        slack.request_url = url
        yield runtime


def test_a_share_naming_people_slack_is_slow_about_answers_in_time_changes_nothing_and_works_once_slack_answers(
    slack: SlackStandIn, deployed: Runtime
) -> None:
    app = deployed
    slack.stall("users.info", 4)  # Ada, Bob and Cy are all new to the coach

    started = time.monotonic()
    reply = slack.command("UADA", "/share", "<@UBOB|bob> <@UCY|cy> over lunch")

    assert reply.status == 200 and time.monotonic() - started < 3
    answer = seen(last_ephemeral(slack, "UADA", "Slack is slow"))
    assert "<@UBOB>, <@UCY> are" in answer and "nothing changed" in answer
    assert export(app)["shares"] == []
    # The questions went on: once Slack answers, who they are is stored and the same share goes through.
    slack.stall("users.info", 0)
    slack.wait_for(lambda: {call.args["user"] for call in slack.calls("users.info") if call.ok} >= {"UBOB", "UCY"})
    slack.command("UADA", "/share", "<@UBOB|bob> <@UCY|cy> over lunch")
    last_ephemeral(slack, "UADA", "Shared with")
    assert [s["told_user_id"] for s in export(app)["shares"]] == ["UBOB", "UCY"]


def test_the_request_form_naming_someone_slack_is_slow_about_answers_in_time_under_the_field(
    slack: SlackStandIn, deployed: Runtime
) -> None:
    app = deployed
    slack.command("UADA", "/request", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]
    slack.stall("users.info", 4)

    started = time.monotonic()
    reply = slack.submit("UADA", modal, {"Who are you asking?": "UBOB", "What are you asking for?": "an intro"})

    assert time.monotonic() - started < 3
    assert "Slack is slow to tell me who <@UBOB> is" in body(reply)["errors"]["person"]
    assert slack.open_views("UADA") and export(app)["requests"] == []


def test_someone_met_before_whom_slack_is_slow_about_is_judged_by_what_is_stored(
    slack: SlackStandIn, deployed: Runtime, clock: FixedClock
) -> None:
    app = deployed
    slack.command("UBOB", "/act", "Met the coach")  # Bob's profile is stored
    last_ephemeral(slack, "UBOB", "Action logged")
    clock.advance(timedelta(days=2))  # and over a day old: naming him asks Slack again
    slack.stall("users.info", 4)

    slack.command("UADA", "/request", "<@UBOB|bob> an intro")

    assert "asks you" in seen(dm(slack, "UBOB", "asks you"))
    assert len(export(app)["requests"]) == 1


def test_a_rate_limited_users_info_is_retried_after_retry_after(slack: SlackStandIn, app: Runtime) -> None:
    slack.fail("users.info", "ratelimited", retry_after=1)

    slack.command("UCY", "/promise", "Draft it by tomorrow")

    last_ephemeral(slack, "UCY", "Promise made")
    slack.wait_for(lambda: [c.ok for c in slack.calls("users.info")] == [False, True])
    # The zone came from the retried call: tomorrow in Tokyo (23:00 Monday there) is Tuesday the 24th.
    assert export(app)["promises"][0]["due_on"] == "2026-11-24"


def test_when_users_info_fails_the_practice_is_still_logged_in_the_default_zone(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.fail("users.info", "fatal_error", times=5)

    slack.command("UCY", "/act", "Logged anyway")

    last_ephemeral(slack, "UCY", "Action logged")
    assert export(app)["actions"][0]["local_date"] == "2026-11-23"  # UTC, since Slack gave no zone


def test_a_stand_is_kept_when_the_announcement_cannot_be_posted(slack: SlackStandIn, app: Runtime) -> None:
    slack.add_channel("GSECRET", name="secret", is_private=True, bot_is_member=False)

    slack.command("UADA", "/stand", "Sign 10 new partners", channel="GSECRET")

    last_ephemeral(slack, "UADA", "Your stand is declared")
    assert export(app)["stands"][0]["status"] == "active"
    assert "/invite" in seen(dm(slack, "UADA", "couldn't announce your stand"))


def test_a_request_is_kept_when_the_dm_to_the_person_asked_fails(slack: SlackStandIn, app: Runtime) -> None:
    slack.fail("chat.postMessage", "internal_error", times=3)

    slack.command("UADA", "/request", "<@UBOB|bob> an intro")

    last_ephemeral(slack, "UADA", "Request sent")
    assert export(app)["requests"][0]["status"] == "open"
    dm(slack, "UBOB", "asks you")  # Slack's faults are retried from the outbox until the card lands
    slack.open_home("UBOB")
    home = slack.wait_for(lambda: slack.home("UBOB"))
    assert "Accept" in buttons(home)


def test_a_failed_card_update_does_not_undo_the_move(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UBOB|bob> an intro")
    card = dm(slack, "UBOB", "asks you")
    slack.fail("chat.update", "message_not_found", times=2)

    slack.click("UBOB", card, "Accept")

    dm(slack, "UADA", "accepted your request")
    assert export(app)["requests"][0]["status"] == "accepted"


@pytest.fixture
def locked_sqlite(slack: SlackStandIn, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Runtime, Path]]:
    """The app on a SQLite file with a short busy timeout, so a held lock shows as a database fault quickly."""
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = support.settings_for(slack.api_url, url)
    server = AppServer(create_app(settings, clock=clock, engine=make_engine(url, busy_timeout_ms=200)))
    slack.request_url = server.start() + "/slack/events"
    yield server.runtime, path
    server.stop()


def test_a_database_fault_is_answered_kindly_loses_nothing_already_stored_and_the_app_recovers(
    slack: SlackStandIn, locked_sqlite: tuple[Runtime, Path]
) -> None:
    runtime, path = locked_sqlite
    slack.command("UADA", "/act", "Before the fault")
    last_ephemeral(slack, "UADA", "Action logged")

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        reply = slack.command("UADA", "/act", "During the fault")
        assert reply.status == 200
        assert "nothing was saved" in seen(last_ephemeral(slack, "UADA", "couldn't reach my records"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    slack.command("UADA", "/act", "After the fault")
    slack.wait_for(lambda: sum("Action logged" in seen(m) for m in slack.ephemerals("UADA")) == 2)
    assert [a["text"] for a in export(runtime)["actions"]] == ["Before the fault", "After the fault"]


@pytest.mark.parametrize("database_url", [b for b in support.backends() if b == "postgresql"], indirect=True)
def test_connections_the_database_server_ended_are_replaced_before_a_command_uses_them(
    slack: SlackStandIn, app: Runtime, database_url: str
) -> None:
    slack.command("UADA", "/act", "Before the restart")
    last_ephemeral(slack, "UADA", "Action logged")
    pool = app.engine.pool
    assert isinstance(pool, QueuePool)
    pooled = pool.checkedin()
    assert pooled >= 1  # the app keeps connections open between commands

    # What a server restart (or an administrator) does to the app's idle connections.
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    assert ended >= pooled

    for n in range(pooled + 1):  # every pooled connection is ended: each of these would have met one
        slack.command("UADA", "/act", f"After the restart {n}")
    slack.wait_for(lambda: sum("Action logged" in seen(m) for m in slack.ephemerals("UADA")) == pooled + 2)
    assert not any("couldn't reach my records" in seen(m) for m in slack.ephemerals("UADA"))
    assert len(export(app)["actions"]) == pooled + 2
