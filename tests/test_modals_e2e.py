"""Typed bare, a command opens a modal; submitting it does what the inline form does; field errors stay in it."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from standin import SlackStandIn
from tests.e2e import body, buttons, dm, export, modal_answer, seen


@pytest.mark.parametrize(
    ("command", "title"),
    [
        ("/stand", "Take a stand"),
        ("/share", "Log shares"),
        ("/act", "Log an action"),
        ("/request", "Make a request"),
        ("/promise", "Make a promise"),
        ("/breakdown", "Declare a breakdown"),
        ("/breakthrough", "Declare a breakthrough"),
    ],
)
def test_a_bare_command_opens_its_modal(slack: SlackStandIn, app: Runtime, command: str, title: str) -> None:
    reply = slack.command("UADA", command, "")

    assert reply.status == 200
    assert slack.wait_for(lambda: slack.open_views("UADA"))[-1].title == title


def test_the_stand_modal_declares_and_announces_in_the_channel_it_was_opened_from(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "", channel="CGENERAL")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"The outcome you commit to": "Sign 10 new partners", "By when?": "2026-12-31"})

    # The modal itself becomes the answer, in the ack: what was stored, where the member pressed Submit.
    assert reply.status == 200
    answer = modal_answer(slack, "UADA", "Your stand is declared")
    assert buttons(answer) == [] and "<#CGENERAL>" in seen(answer)
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    assert buttons(announcement) == ["Join the stand", "Offer help"]
    assert export(app)["stands"][0]["due_on"] == "2026-12-31"


def test_the_request_modal_sends_the_request_with_the_picked_person_and_date(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    slack.submit(
        "UADA",
        modal,
        {"Who are you asking?": "UBOB", "What are you asking for?": "an intro", "By when?": "2026-12-04"},
    )

    assert buttons(dm(slack, "UBOB", "asks you")) == ["Accept", "Decline", "Counter-offer"]
    [request] = export(app)["requests"]
    assert (request["recipient_id"], request["text"], request["due_on"]) == ("UBOB", "an intro", "2026-12-04")


def test_the_share_modal_counts_every_person_picked(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/share", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    slack.submit("UADA", modal, {"Who did you tell?": ["UBOB", "UCY"]})

    assert "Share 2/2" in seen(modal_answer(slack, "UADA", "Shared with"))
    assert len(export(app)["shares"]) == 2


def test_a_past_date_in_a_modal_is_a_field_error_and_the_modal_stays_open(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/promise", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"What will you do?": "Ship it", "By when?": "2026-11-01"})

    errors = body(reply)["errors"]
    assert list(errors) == ["due_on"] and "behind us" in errors["due_on"]
    assert slack.open_views("UADA")
    assert export(app)["promises"] == []


def test_asking_yourself_in_the_request_modal_is_a_field_error(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/request", "")
    modal = slack.wait_for(lambda: slack.open_views("UADA"))[-1]

    reply = slack.submit("UADA", modal, {"Who are you asking?": "UADA", "What are you asking for?": "a nap"})

    assert "someone else" in body(reply)["errors"]["person"]
    assert export(app)["requests"] == []
