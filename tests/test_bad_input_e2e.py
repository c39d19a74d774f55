"""Bad input gets a clear, kind answer, stores nothing, and leaves the app unharmed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from bot.app import Runtime
from standin import SlackStandIn
from tests.e2e import dm, export, last_ephemeral, seen
from tests.support import SIGNING_SECRET


def nothing_stored(app: Runtime) -> bool:
    # `members` may hold what Slack said of the sender (their zone): a cache, not something their command did.
    return {name: rows for name, rows in export(app).items() if rows and name != "members"} == {}


def app_still_works(slack: SlackStandIn) -> None:
    slack.command("UCY", "/act", "still here")
    last_ephemeral(slack, "UCY", "Action logged")


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/request", "<@UBOB|bob>", "Tell me what"),
        ("/share", "told everyone at lunch", "mention"),
        ("/request", "bob an intro", "mention"),
        ("/request", "<#CGENERAL|general> an intro", "person"),
        ("/share", "<!here> the news", "person"),
        ("/request", "<@UBOB|bob> <@UCY|cy> an intro", "one"),
        ("/promise", "Ship it by 2026-13-45", "date"),
        ("/request", "<@UBOB|bob> an intro by 2020-01-01", "behind us"),
        ("/stand", "Double revenue by 2026-11-01", "behind us"),
        ("/coach", "dance", "status"),
        ("/coach", "nudge 25:00", "time"),
        ("/act", "for @bob called a partner for his stand", "who @bob is"),
        ("/share", "for <!channel> <@UBOB|bob> told him", "whole group"),
    ],
)
def test_bad_command_text_gets_a_kind_specific_answer_and_stores_nothing(
    slack: SlackStandIn, app: Runtime, command: str, text: str, expected: str
) -> None:
    reply = slack.command("UADA", command, text)

    assert reply.status == 200
    answer = seen(last_ephemeral(slack, "UADA", expected))
    assert expected.lower() in answer.lower()
    assert nothing_stored(app)
    app_still_works(slack)


def test_text_beyond_three_thousand_characters_is_refused(slack: SlackStandIn, app: Runtime) -> None:
    slack.command("UADA", "/act", "x" * 3001)

    last_ephemeral(slack, "UADA", "3,000")
    assert nothing_stored(app)


def _signed_headers(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={signature}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _command_body(text: str = "sneaky") -> bytes:
    return urlencode(
        {"command": "/act", "text": text, "team_id": "T1", "user_id": "UADA", "response_url": "", "trigger_id": "x"}
    ).encode()


def test_a_forged_signature_gets_401_and_changes_nothing(slack: SlackStandIn, app: Runtime) -> None:
    payload = _command_body()
    reply = slack.send_raw(payload, _signed_headers(payload, secret="not-the-secret"), sign=False)

    assert reply.status == 401
    assert nothing_stored(app)


def test_a_stale_timestamp_gets_401_and_changes_nothing(slack: SlackStandIn, app: Runtime) -> None:
    payload = _command_body()
    reply = slack.send_raw(payload, _signed_headers(payload, timestamp=int(time.time()) - 600), sign=False)

    assert reply.status == 401
    assert nothing_stored(app)


def test_an_interaction_payload_that_is_not_json_is_rejected_without_harm(slack: SlackStandIn, app: Runtime) -> None:
    payload = urlencode({"payload": "{not json"}).encode()
    reply = slack.send_raw(payload, _signed_headers(payload), sign=False)

    assert 400 <= reply.status < 500
    assert nothing_stored(app)
    app_still_works(slack)


def test_a_button_payload_lacking_its_fields_is_answered_without_harm(slack: SlackStandIn, app: Runtime) -> None:
    broken = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "UADA"},
        "actions": [{"action_id": "stand_join"}],
    }
    payload = urlencode({"payload": json.dumps(broken)}).encode()
    reply = slack.send_raw(payload, _signed_headers(payload), sign=False)

    assert reply.status == 200
    dm(slack, "UADA", "recognise")  # no response_url in it, so the answer comes by DM
    assert nothing_stored(app)
    app_still_works(slack)


def test_a_button_for_an_item_of_another_workspace_finds_nothing_and_changes_nothing(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    announcement = slack.wait_for(lambda: slack.messages("CGENERAL"))[-1]
    slack.add_user("UEVE", team_id="T2", name="eve", tz="UTC")

    slack.click("UEVE", announcement, "Join the stand", team_id="T2")

    assert "couldn't find that stand" in seen(last_ephemeral(slack, "UEVE", "couldn't find"))
    stand_id = export(app)["stands"][0]["id"]
    assert app.coach.followers("T1", stand_id) == []


def test_a_share_counts_only_real_people_of_this_workspace_and_names_the_others(
    slack: SlackStandIn, app: Runtime
) -> None:
    slack.add_user("UOTHER", team_id="T2", name="oz", tz="Europe/Paris")
    slack.add_user("UGONE", name="gone", deleted=True)

    slack.command("UADA", "/share", "<@UBOB|bob> <@UHELPER|helperbot> <@UNOBODY|nobody> <@UOTHER|oz> <@UGONE|gone> hi")

    answer = seen(last_ephemeral(slack, "UADA", "only count people"))
    assert "<@UHELPER> is a bot" in answer
    assert "couldn't find <@UNOBODY>" in answer
    assert "<@UOTHER> is in another workspace" in answer
    assert "<@UGONE> has left" in answer
    assert "<@UBOB>" not in answer  # Bob is a person here: not named among the refused
    assert export(app)["shares"] == []
    app_still_works(slack)


def test_a_share_naming_more_people_than_one_share_counts_is_refused(slack: SlackStandIn, app: Runtime) -> None:
    many = " ".join(f"<@U{n:03d}|p{n}>" for n in range(11))

    slack.command("UADA", "/share", f"{many} the news")

    assert "up to 10" in seen(last_ephemeral(slack, "UADA", "people in one go"))
    assert export(app)["shares"] == []
    assert slack.calls("users.info") == [] or all(c.args.get("user") == "UADA" for c in slack.calls("users.info"))
