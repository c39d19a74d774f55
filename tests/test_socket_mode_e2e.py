"""Socket Mode: the same app, reached through envelopes on the stand-in's websocket instead of HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Runtime
from bot.clock import FixedClock
from standin import SlackStandIn
from tests import support
from tests.e2e import buttons, dm, export, last_ephemeral, seen


@pytest.fixture
def socket_app(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    settings = support.settings_for(slack.api_url, database_url, SLACK_APP_TOKEN=support.APP_TOKEN)
    assert settings.socket_mode
    with support.serve_socket_mode(settings, clock) as runtime:
        slack.mode = "socket"
        slack.wait_for_socket_connection()
        yield runtime


def test_a_command_over_socket_mode_is_acked_and_stored(slack: SlackStandIn, socket_app: Runtime) -> None:
    reply = slack.command("UADA", "/act", "Called the mayor")

    assert reply.status == 200
    assert "Act 1/2" in seen(last_ephemeral(slack, "UADA", "Action logged"))
    assert [a["text"] for a in export(socket_app)["actions"]] == ["Called the mayor"]


def test_the_request_loop_works_over_socket_mode(slack: SlackStandIn, socket_app: Runtime) -> None:
    slack.command("UADA", "/request", "<@UBOB|bob> an intro")
    card = dm(slack, "UBOB", "asks you")

    slack.click("UBOB", card, "Accept")

    dm(slack, "UADA", "accepted your request")
    assert export(socket_app)["requests"][0]["status"] == "accepted"


def test_a_modal_over_socket_mode_returns_field_errors_in_the_ack(slack: SlackStandIn, socket_app: Runtime) -> None:
    slack.command("UADA", "/promise", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"What will you do?": "Ship it", "By when?": "2026-01-01"})

    assert "due_on" in str(reply.body)
    assert export(socket_app)["promises"] == []


def test_app_home_over_socket_mode(slack: SlackStandIn, socket_app: Runtime) -> None:
    slack.open_home("UBOB")

    home = slack.wait_for(lambda: slack.home("UBOB"))
    assert "Log an action" in buttons(home)


def test_the_app_reconnects_when_slack_drops_the_socket(slack: SlackStandIn, socket_app: Runtime) -> None:
    slack.disconnect_socket()
    slack.wait_for(lambda: len(slack.calls("apps.connections.open")) >= 2)
    slack.wait_for_socket_connection()

    slack.command("UADA", "/act", "After the reconnect")

    last_ephemeral(slack, "UADA", "Action logged")
