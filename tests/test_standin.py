"""The stand-in for Slack behaves like Slack: tested with slack_sdk's real clients as the caller."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from standin import AppReply, SlackStandIn, View, validate_blocks, validate_view

SECRET = "test-secret"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"


class SteppingClock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self.at

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.at += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Received:
    """One request the stand-in sent to the tiny app."""

    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        """The body as a form."""
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def payload(self) -> dict[str, Any]:
        """The JSON in an interactivity request's `payload` field."""
        payload: dict[str, Any] = json.loads(self.form()["payload"])
        return payload

    def json(self) -> dict[str, Any]:
        """The body as JSON (Events API)."""
        body: dict[str, Any] = json.loads(self.body)
        return body


Answer = Callable[[Received], tuple[int, str, bytes]]


def text_answer(text: str = "") -> Answer:
    """Answer every request with 200 and plain text."""
    return lambda _: (200, "text/plain", text.encode())


def json_answer(body: dict[str, Any]) -> Answer:
    """Answer every request with 200 and this JSON."""
    return lambda _: (200, "application/json", json.dumps(body).encode())


class TinyApp(ThreadingHTTPServer):
    """A minimal app endpoint: rejects bad signatures, records what arrived, answers as the test says."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TinyHandler)
        self.verifier = SignatureVerifier(SECRET)
        self.received: list[Received] = []
        self.answer: Answer = text_answer()

    @property
    def url(self) -> str:
        """Where Slack should send requests."""
        return f"http://127.0.0.1:{self.server_address[1]}/slack/events"


class _TinyHandler(BaseHTTPRequestHandler):
    server: TinyApp

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = dict(self.headers.items())
        if not self.server.verifier.is_valid_request(body, headers):
            status, content_type, data = 401, "text/plain", b"invalid signature"
        else:
            received = Received(headers, body)
            self.server.received.append(received)
            status, content_type, data = self.server.answer(received)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def clock() -> SteppingClock:
    """A clock set to a Monday afternoon in November (outside daylight saving time)."""
    return SteppingClock()


@pytest.fixture
def slack(clock: SteppingClock) -> Iterator[SlackStandIn]:
    """A bare stand-in with two members, U2 in New York and U3 in Berlin (overrides the team fixture)."""
    with SlackStandIn(signing_secret=SECRET, bot_token=BOT_TOKEN, app_token=APP_TOKEN, clock=clock) as standin:
        standin.add_user("U2", name="ann", tz="America/New_York")
        standin.add_user("U3", name="bo", tz="Europe/Berlin")
        yield standin


@pytest.fixture
def tiny(slack: SlackStandIn) -> Iterator[TinyApp]:
    """A tiny app the stand-in sends signed requests to."""
    app = TinyApp()
    thread = threading.Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    slack.request_url = app.url
    yield app
    app.shutdown()
    app.server_close()
    thread.join()


@pytest.fixture
def web(slack: SlackStandIn) -> WebClient:
    """slack_sdk's real WebClient pointed at the stand-in, without retries."""
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])


def section(text: str) -> dict[str, Any]:
    """A section block with mrkdwn text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str = "act", value: str = "v") -> dict[str, Any]:
    """A button element."""
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def plain(text: str) -> dict[str, str]:
    """A plain_text object."""
    return {"type": "plain_text", "text": text}


def open_modal(slack: SlackStandIn, tiny: TinyApp, web: WebClient, view: dict[str, Any], user: str = "U2") -> View:
    """Open a modal for the user the way an app does: from a slash command's trigger_id."""
    slack.command(user, "/open")
    web.views_open(trigger_id=tiny.received[-1].form()["trigger_id"], view=view)
    return slack.open_views(user)[-1]


def api_error(call: Callable[[], object]) -> SlackApiError:
    """The SlackApiError a call raises."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def many(count: int, make: Callable[[int], Any]) -> list[Any]:
    """`count` items made by `make(index)`."""
    return [make(i) for i in range(count)]


INVALID_MESSAGE_BLOCKS = [
    pytest.param(many(51, lambda i: {"type": "divider"}), "no more than 50 items", id="51-blocks"),
    pytest.param([section("x" * 3001)], "less than 3001 characters", id="section-text"),
    pytest.param(
        [{"type": "section", "fields": many(11, lambda i: {"type": "mrkdwn", "text": "f"})}],
        "no more than 10 items",
        id="section-fields-count",
    ),
    pytest.param(
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "less than 2001 characters",
        id="section-field-length",
    ),
    pytest.param([{"type": "header", "text": plain("h" * 151)}], "less than 151 characters", id="header-length"),
    pytest.param(
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}], "must be a plain_text", id="header-mrkdwn"
    ),
    pytest.param([{"type": "actions", "elements": [button("b" * 76)]}], "less than 76 characters", id="button-text"),
    pytest.param(
        [{"type": "actions", "elements": [button("ok", value="v" * 2001)]}],
        "less than 2001 characters",
        id="button-value",
    ),
    pytest.param(
        [{"type": "actions", "elements": [button("ok", action_id="a" * 256)]}],
        "less than 256 characters",
        id="action-id",
    ),
    pytest.param([{"type": "divider", "block_id": "b" * 256}], "less than 256 characters", id="block-id"),
    pytest.param(
        [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}],
        "duplicate block_id",
        id="duplicate-block-id",
    ),
    pytest.param(
        [{"type": "actions", "elements": [button("a", action_id="x"), button("b", action_id="x")]}],
        "duplicate action_id",
        id="duplicate-action-id",
    ),
    pytest.param(
        [{"type": "actions", "elements": many(26, lambda i: button(str(i), action_id=f"a{i}"))}],
        "no more than 25 items",
        id="actions-elements",
    ),
    pytest.param(
        [{"type": "context", "elements": many(11, lambda i: {"type": "mrkdwn", "text": "c"})}],
        "no more than 10 items",
        id="context-elements",
    ),
    pytest.param(
        [{"type": "input", "element": {"type": "plain_text_input"}}],
        "missing required field [json-pointer:/blocks/0/label]",
        id="no-label",
    ),
    pytest.param(
        [{"type": "input", "label": plain("l" * 2001), "element": {"type": "plain_text_input"}}],
        "less than 2001 characters",
        id="label-length",
    ),
    pytest.param([{"type": "input", "label": plain("Name")}], "missing required field: element", id="no-element"),
    pytest.param(
        [
            {
                "type": "section",
                "text": plain("pick"),
                "accessory": {
                    "type": "static_select",
                    "options": [{"text": plain("o" * 76), "value": "o"}],
                },
            }
        ],
        "less than 76 characters",
        id="option-text",
    ),
    pytest.param(
        [
            {
                "type": "section",
                "text": plain("pick"),
                "accessory": {
                    "type": "static_select",
                    "options": many(101, lambda i: {"text": plain(str(i)), "value": str(i)}),
                },
            }
        ],
        "no more than 100 items",
        id="option-count",
    ),
    pytest.param([{"type": "section", "text": {"text": "no type"}}], "must have a type", id="text-without-type"),
    pytest.param([{"type": "section", "text": {"type": "mrkdwn"}}], "missing required field: text", id="no-text"),
    pytest.param([section("")], "more than 0 characters", id="empty-text"),
]


@pytest.mark.parametrize(("blocks", "problem"), INVALID_MESSAGE_BLOCKS)
def test_validate_blocks_reports_each_limit_slack_enforces(blocks: list[Any], problem: str) -> None:
    problems = validate_blocks(blocks, surface="message")

    assert any(problem in p for p in problems), problems


def test_validate_blocks_points_at_the_broken_field() -> None:
    problems = validate_blocks([{"type": "divider"}, section("x" * 3001)], surface="message")

    assert problems == ["must be less than 3001 characters [json-pointer:/blocks/1/text/text]"]


def test_validate_blocks_accepts_valid_blocks_and_allows_a_hundred_in_views() -> None:
    blocks = [
        {"type": "header", "text": plain("Stands")},
        section("*One*"),
        {"type": "actions", "elements": [button("Yes", "yes"), button("No", "no")]},
        {"type": "actions", "elements": [button("Yes", "yes")]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]},
    ]

    assert validate_blocks(blocks, surface="message") == []
    assert validate_blocks(many(100, lambda i: {"type": "divider"}), surface="modal") == []
    assert validate_blocks(many(101, lambda i: {"type": "divider"}), surface="home") != []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param({"title": plain("t" * 25)}, "/view/title/text", id="title"),
        pytest.param({"submit": plain("s" * 25)}, "/view/submit/text", id="submit"),
        pytest.param({"close": plain("c" * 25)}, "/view/close/text", id="close"),
        pytest.param({"private_metadata": "m" * 3001}, "/view/private_metadata", id="private-metadata"),
        pytest.param({"callback_id": "c" * 256}, "/view/callback_id", id="callback-id"),
        pytest.param({"submit": None}, "/view/submit", id="inputs-need-submit"),
    ],
)
def test_validate_view_reports_modal_limits(change: dict[str, Any], problem: str) -> None:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain("Declare a stand"),
        "submit": plain("Declare"),
        "blocks": [{"type": "input", "label": plain("Stand"), "element": {"type": "plain_text_input"}}],
    }
    view.update(change)
    view = {k: v for k, v in view.items() if v is not None}

    assert any(problem in p for p in validate_view(view)), validate_view(view)


def test_posting_returns_slack_like_increasing_timestamps_and_records_the_message(
    slack: SlackStandIn, web: WebClient
) -> None:
    first = web.chat_postMessage(channel="C1", text="one")
    second = web.chat_postMessage(channel="C1", text="two", blocks=[section("*two*")])

    assert re.fullmatch(r"\d{10}\.\d{6}", str(first["ts"]))
    assert float(first["ts"]) < float(second["ts"])
    assert [m.text for m in slack.messages("C1")] == ["one", "two"]
    assert slack.last_message("C1").blocks[0]["block_id"]  # Slack fills in missing block_ids
    assert [c.method for c in slack.calls()] == ["chat.postMessage", "chat.postMessage"]
    assert slack.calls()[1].args["blocks"] == [section("*two*")]


def test_updating_a_message_replaces_it_in_place_and_keeps_its_history(slack: SlackStandIn, web: WebClient) -> None:
    posted = web.chat_postMessage(channel="C1", text="draft", blocks=[section("draft")])

    web.chat_update(channel="C1", ts=str(posted["ts"]), text="final", blocks=[section("final")])

    (message,) = slack.messages("C1")
    assert (message.text, message.updates) == ("final", 1)
    assert message.blocks[0]["text"]["text"] == "final"
    assert [old.text for old in message.history] == ["draft"]


def test_updating_a_missing_message_or_by_user_id_fails(web: WebClient) -> None:
    posted = web.chat_postMessage(channel="U2", text="hi")

    assert api_error(lambda: web.chat_update(channel="C1", ts="1.000001", text="x")).response["error"] == (
        "message_not_found"
    )
    assert api_error(lambda: web.chat_update(channel="U2", ts=str(posted["ts"]), text="x")).response["error"] == (
        "channel_not_found"
    )


def test_posting_to_a_user_id_posts_to_their_dm(slack: SlackStandIn, web: WebClient) -> None:
    posted = web.chat_postMessage(channel="U2", text="hello")

    assert posted["channel"] == "DU2"
    assert slack.messages("U2") == slack.messages("DU2")
    assert slack.last_message("U2").text == "hello"
    web.chat_postMessage(channel="DU2", text="again")
    assert len(slack.messages("U2")) == 2


def test_users_info_gives_the_zone_and_its_current_offset(slack: SlackStandIn, web: WebClient) -> None:
    user = web.users_info(user="U2")["user"]

    assert (user["tz"], user["tz_offset"], user["is_bot"]) == ("America/New_York", -5 * 3600, False)
    slack.set_user("U2", tz="Asia/Tokyo", deleted=True)
    user = web.users_info(user="U2")["user"]
    assert (user["tz"], user["tz_offset"], user["deleted"]) == ("Asia/Tokyo", 9 * 3600, True)
    assert web.users_info(user="UBOT")["user"]["is_bot"] is True


def test_users_info_for_an_unknown_user_is_user_not_found(web: WebClient) -> None:
    assert api_error(lambda: web.users_info(user="UNOPE")).response["error"] == "user_not_found"


def test_auth_test_describes_the_bot(web: WebClient) -> None:
    answer = web.auth_test()

    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T1", "UBOT", "B1")
    assert answer["url"] == "https://acme.slack.com/"


def test_wrong_or_missing_tokens_are_refused(slack: SlackStandIn) -> None:
    assert api_error(WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test).response["error"] == (
        "invalid_auth"
    )
    assert api_error(WebClient(base_url=slack.api_url).auth_test).response["error"] == "not_authed"
    app_level = WebClient(token=APP_TOKEN, base_url=slack.api_url)
    assert api_error(app_level.auth_test).response["error"] == "not_allowed_token_type"


def test_channel_rules_match_slack(slack: SlackStandIn, web: WebClient) -> None:
    slack.add_channel("CSECRET", name="secret", is_private=True, bot_is_member=False)
    slack.add_channel("COPEN", name="open", bot_is_member=False)

    assert api_error(lambda: web.chat_postMessage(channel="CNOPE", text="x")).response["error"] == "channel_not_found"
    assert api_error(lambda: web.chat_postMessage(channel="CSECRET", text="x")).response["error"] == "not_in_channel"
    assert api_error(lambda: web.chat_postMessage(channel="UNOPE", text="x")).response["error"] == "channel_not_found"
    assert web.chat_postMessage(channel="COPEN", text="x")["ok"] is True


def test_invalid_blocks_are_refused_with_what_broke(slack: SlackStandIn, web: WebClient) -> None:
    error = api_error(lambda: web.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)]))

    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert slack.messages("C1") == []
    assert (slack.calls()[-1].ok, slack.calls()[-1].error) == (False, "invalid_blocks")


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_a_message_needs_text_or_blocks_and_text_has_a_limit(web: WebClient) -> None:
    assert api_error(lambda: web.chat_postMessage(channel="C1")).response["error"] == "no_text"
    assert api_error(lambda: web.chat_postMessage(channel="C1", text="x" * 40_001)).response["error"] == (
        "msg_too_long"
    )


def test_ephemeral_messages_are_seen_only_by_their_user(slack: SlackStandIn, web: WebClient) -> None:
    answer = web.chat_postEphemeral(channel="C1", user="U2", text="psst")

    (seen,) = slack.ephemerals("U2")
    assert (seen.text, seen.ephemeral, seen.user, seen.ts) == ("psst", True, "U2", answer["message_ts"])
    assert slack.messages("C1") == []
    assert slack.ephemerals("U3") == []


def test_ratelimited_answers_429_with_retry_after(slack: SlackStandIn, web: WebClient) -> None:
    slack.fail("chat.postMessage", times=1, retry_after=7)

    error = api_error(lambda: web.chat_postMessage(channel="C1", text="x"))

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert web.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_injected_errors_use_the_given_status(slack: SlackStandIn, web: WebClient) -> None:
    slack.fail("users.info", "internal_error", status=500)

    error = api_error(lambda: web.users_info(user="U2"))

    assert (error.response.status_code, error.response["error"]) == (500, "internal_error")


def test_the_workspace_rate_limit_refuses_posts_beyond_it(slack: SlackStandIn, web: WebClient) -> None:
    slack.rate_limit(1)

    web.chat_postMessage(channel="C1", text="first")
    error = api_error(lambda: web.chat_postMessage(channel="C1", text="second"))

    assert (error.response.status_code, error.response.headers["Retry-After"]) == (429, "1")
    assert [m.text for m in slack.messages("C1")] == ["first"]


def test_a_reset_connection_is_retried_by_slack_sdk(slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", "connection_reset")
    retry = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0))
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[retry])

    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [c.error for c in slack.calls("chat.postMessage")] == ["connection_reset", None]


def test_a_reset_connection_without_retries_raises(slack: SlackStandIn, web: WebClient) -> None:
    slack.fail("chat.postMessage", "connection_reset")

    with pytest.raises(OSError):
        web.chat_postMessage(channel="C1", text="x")


def test_a_stalled_method_answers_late(slack: SlackStandIn, web: WebClient) -> None:
    slack.stall("chat.postMessage", 0.3)

    started = time.monotonic()
    web.chat_postMessage(channel="C1", text="x")

    assert time.monotonic() - started >= 0.3
    slack.stall("chat.postMessage", 0)


def test_unknown_methods_are_unknown(web: WebClient) -> None:
    assert api_error(lambda: web.api_call("chat.teleport")).response["error"] == "unknown_method"


def test_files_upload_v2_round_trip(slack: SlackStandIn, web: WebClient) -> None:
    answer = web.files_upload_v2(
        channel="C1", content=b"week 47", filename="recap.txt", title="Recap", initial_comment="This week"
    )

    (uploaded,) = slack.files("C1")
    assert (uploaded.filename, uploaded.title, uploaded.content) == ("recap.txt", "Recap", b"week 47")
    assert answer["file"]["id"] == uploaded.file_id
    assert slack.last_message("C1").text == "This week"
    assert slack.last_message("C1").files == (uploaded.file_id,)
    assert [c.method for c in slack.calls()] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_wait_for_returns_the_value_or_lists_the_calls(slack: SlackStandIn, web: WebClient) -> None:
    web.chat_postMessage(channel="C1", text="x")

    assert slack.wait_for(lambda: slack.messages("C1")) == slack.messages("C1")
    with pytest.raises(AssertionError, match=r"chat\.postMessage ok"):
        slack.wait_for(lambda: slack.messages("U2"), timeout=0.05)


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "declare",
    "title": plain("Declare a stand"),
    "submit": plain("Declare"),
    "private_metadata": "week-47",
    "blocks": [
        {"type": "input", "block_id": "stand", "label": plain("Stand"), "element": {"type": "plain_text_input"}},
    ],
}


def test_views_open_needs_a_fresh_unused_trigger(
    slack: SlackStandIn, tiny: TinyApp, web: WebClient, clock: SteppingClock
) -> None:
    slack.command("U2", "/stand")
    stale = tiny.received[-1].form()["trigger_id"]
    clock.advance(3.5)
    slack.command("U2", "/stand")
    fresh = tiny.received[-1].form()["trigger_id"]

    assert api_error(lambda: web.views_open(trigger_id=stale, view=MODAL)).response["error"] == "expired_trigger_id"
    opened = web.views_open(trigger_id=fresh, view=MODAL)["view"]
    assert api_error(lambda: web.views_open(trigger_id=fresh, view=MODAL)).response["error"] == "exchanged_trigger_id"
    assert api_error(lambda: web.views_open(trigger_id="1.2.3", view=MODAL)).response["error"] == "invalid_trigger_id"
    (view,) = slack.open_views("U2")
    assert (view.id, view.callback_id, view.title, view.private_metadata) == (
        opened["id"],
        "declare",
        "Declare a stand",
        "week-47",
    )
    assert view.id.startswith("V")


def test_an_invalid_view_is_refused_with_invalid_arguments(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    slack.command("U2", "/stand")
    trigger = tiny.received[-1].form()["trigger_id"]

    error = api_error(lambda: web.views_open(trigger_id=trigger, view={**MODAL, "title": plain("t" * 25)}))

    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


def test_views_push_and_update_change_the_users_stack(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    first = open_modal(slack, tiny, web, {**MODAL, "external_id": "declare-U2"})
    slack.command("U2", "/more")
    web.views_push(trigger_id=tiny.received[-1].form()["trigger_id"], view={**MODAL, "title": plain("Second")})
    web.views_update(external_id="declare-U2", view={**MODAL, "title": plain("Renamed")})

    assert [v.title for v in slack.open_views("U2")] == ["Renamed", "Second"]
    assert slack.open_views("U2")[0].id == first.id
    assert api_error(lambda: web.views_update(view_id="VNOPE", view=MODAL)).response["error"] == "not_found"
    assert api_error(lambda: web.views_update(view_id=first.id, hash="stale", view=MODAL)).response["error"] == (
        "hash_conflict"
    )


def test_views_publish_sets_the_users_home(slack: SlackStandIn, web: WebClient) -> None:
    web.views_publish(user_id="U2", view={"type": "home", "blocks": [section("Your stands")]})
    web.views_publish(user_id="U2", view={"type": "home", "blocks": [section("Updated")]})

    home = slack.home("U2")
    assert home is not None and home.type == "home"
    assert home.blocks[0]["text"]["text"] == "Updated"
    assert slack.home("U3") is None
    assert api_error(lambda: web.views_publish(user_id="U2", view=MODAL)).response["error"] == "invalid_arguments"


def test_a_command_is_delivered_signed_with_slacks_fields(slack: SlackStandIn, tiny: TinyApp) -> None:
    reply = slack.command("U2", "/stand", "ship the beta")

    assert reply.status == 200
    (received,) = tiny.received
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = received.form()
    assert {k: form[k] for k in ("team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name")} == {
        "team_id": "T1",
        "team_domain": "acme",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": "U2",
        "user_name": "ann",
    }
    assert (form["command"], form["text"], form["api_app_id"], form["is_enterprise_install"]) == (
        "/stand",
        "ship the beta",
        "A1",
        "false",
    )
    assert form["response_url"].startswith(slack.api_url.removesuffix("api/") + "response/")
    assert form["trigger_id"]


def test_a_commands_ack_text_becomes_an_ephemeral_for_its_user(slack: SlackStandIn, tiny: TinyApp) -> None:
    tiny.answer = text_answer("Noted.")

    reply = slack.command("U2", "/stand")

    assert reply == AppReply(200, "Noted.", reply.headers)
    (seen,) = slack.ephemerals("U2")
    assert (seen.text, seen.channel, seen.response_url_posted) == ("Noted.", "C1", False)


def test_an_in_channel_ack_is_a_public_message(slack: SlackStandIn, tiny: TinyApp) -> None:
    tiny.answer = json_answer({"response_type": "in_channel", "text": "Ann declared a stand"})

    slack.command("U2", "/stand")

    assert slack.last_message("C1").text == "Ann declared a stand"
    assert slack.ephemerals("U2") == []


def test_an_ack_with_invalid_blocks_is_recorded_and_not_shown(slack: SlackStandIn, tiny: TinyApp) -> None:
    tiny.answer = json_answer({"text": "t", "blocks": [section("x" * 3001)]})

    slack.command("U2", "/stand")

    assert slack.ephemerals("U2") == []
    (ack,) = slack.calls("ack")
    assert (ack.ok, ack.error) == (False, "invalid_blocks")


def test_response_url_posts_follow_slacks_rules(slack: SlackStandIn, tiny: TinyApp) -> None:
    slack.command("U2", "/stand")
    respond = WebhookClient(tiny.received[-1].form()["response_url"])

    respond.send(text="Working on it")
    respond.send(text="Done", replace_original=True)
    respond.send(text="Everyone: a stand", response_type="in_channel")
    refused = respond.send(text="t", blocks=[section("x" * 3001)])

    (seen,) = slack.ephemerals("U2")
    assert (seen.text, seen.updates, seen.response_url_posted) == ("Done", 1, True)
    assert slack.last_message("C1").text == "Everyone: a stand"
    assert refused.status_code == 400
    assert [(c.ok, c.error) for c in slack.calls("response_url")] == [
        (True, None),
        (True, None),
        (True, None),
        (False, "invalid_blocks"),
    ]


def test_clicking_a_button_sends_a_block_actions_payload(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    web.chat_postMessage(
        channel="C1",
        text="Promise?",
        blocks=[section("Promise?"), {"type": "actions", "elements": [button("Accept", "accept", "p-7")]}],
    )
    message = slack.last_message("C1")

    slack.click("U2", message, "Accept")

    payload = tiny.received[-1].payload()
    assert payload["type"] == "block_actions"
    assert payload["user"] == {"id": "U2", "username": "ann", "name": "ann", "team_id": "T1"}
    assert payload["team"] == {"id": "T1", "domain": "acme"}
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C1", "name": "general"}
    assert (payload["message"]["ts"], payload["message"]["text"]) == (message.ts, "Promise?")
    (action,) = payload["actions"]
    assert (action["action_id"], action["value"], action["type"], action["text"]["text"]) == (
        "accept",
        "p-7",
        "button",
        "Accept",
    )
    assert action["block_id"] == message.blocks[1]["block_id"]
    assert payload["trigger_id"] and payload["response_url"]


def test_a_click_can_be_forged_from_another_workspace(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    web.chat_postMessage(channel="C1", text="t", blocks=[{"type": "actions", "elements": [button("Accept")]}])

    slack.click("U2", slack.last_message("C1"), "Accept", team_id="T2")

    payload = tiny.received[-1].payload()
    assert (payload["team"]["id"], payload["user"]["team_id"]) == ("T2", "T2")


def test_a_stale_copy_of_a_message_can_still_be_clicked(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    posted = web.chat_postMessage(
        channel="C1", text="t", blocks=[{"type": "actions", "elements": [button("Accept"), button("Decline", "no")]}]
    )
    stale = slack.last_message("C1")
    web.chat_update(channel="C1", ts=str(posted["ts"]), text="Accepted", blocks=[])

    slack.click("U2", stale, "Decline")

    payload = tiny.received[-1].payload()
    assert payload["actions"][0]["action_id"] == "no"
    assert payload["message"]["text"] == "t"


def test_clicking_a_missing_button_lists_the_buttons_present(slack: SlackStandIn, web: WebClient) -> None:
    web.chat_postMessage(channel="C1", text="t", blocks=[{"type": "actions", "elements": [button("Accept")]}])

    with pytest.raises(AssertionError, match=r"buttons present: \['Accept'\]"):
        slack.click("U2", slack.last_message("C1"), "Decline")


def test_response_url_of_a_click_replaces_or_deletes_the_message(
    slack: SlackStandIn, tiny: TinyApp, web: WebClient
) -> None:
    web.chat_postMessage(channel="C1", text="t", blocks=[{"type": "actions", "elements": [button("Accept")]}])
    web.chat_postMessage(channel="C1", text="u", blocks=[{"type": "actions", "elements": [button("Drop")]}])

    slack.click("U2", slack.messages("C1")[0], "Accept")
    WebhookClient(tiny.received[-1].payload()["response_url"]).send(text="Accepted", replace_original=True)
    slack.click("U2", slack.messages("C1")[1], "Drop")
    WebhookClient(tiny.received[-1].payload()["response_url"]).send(delete_original=True)

    (message,) = slack.messages("C1")
    assert (message.text, message.response_url_posted, message.updates) == ("Accepted", True, 1)


def test_submitting_a_modal_sends_state_shaped_like_slacks(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    sizes = [{"text": plain("Small"), "value": "s"}, {"text": plain("Big"), "value": "b"}]
    inputs: list[tuple[str, dict[str, Any], bool]] = [
        ("Stand", {"type": "plain_text_input"}, False),
        ("By", {"type": "datepicker"}, False),
        ("At", {"type": "timepicker"}, False),
        ("Partner", {"type": "users_select"}, False),
        ("Witnesses", {"type": "multi_users_select"}, False),
        ("Size", {"type": "static_select", "options": sizes}, False),
        ("Notes", {"type": "plain_text_input", "initial_value": "none"}, True),
        ("Extra", {"type": "plain_text_input"}, True),
    ]
    blocks = [
        {"type": "input", "block_id": label.lower(), "label": plain(label), "element": {**element, "action_id": "v"}}
        | ({"optional": True} if optional else {})
        for label, element, optional in inputs
    ]
    view = open_modal(slack, tiny, web, {**MODAL, "blocks": blocks})

    slack.submit(
        "U2",
        view,
        {
            "Stand": "Ship",
            "By": "2026-12-01",
            "At": "09:30",
            "Partner": "U3",
            "Witnesses": ["U3", "UBOT"],
            "Size": "Big",
        },
    )

    payload = tiny.received[-1].payload()
    assert (payload["type"], payload["view"]["id"], payload["view"]["callback_id"]) == (
        "view_submission",
        view.id,
        "declare",
    )
    assert payload["view"]["private_metadata"] == "week-47"
    assert payload["view"]["state"]["values"] == {
        "stand": {"v": {"type": "plain_text_input", "value": "Ship"}},
        "by": {"v": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "at": {"v": {"type": "timepicker", "selected_time": "09:30"}},
        "partner": {"v": {"type": "users_select", "selected_user": "U3"}},
        "witnesses": {"v": {"type": "multi_users_select", "selected_users": ["U3", "UBOT"]}},
        "size": {"v": {"type": "static_select", "selected_option": {"text": plain("Big"), "value": "b"}}},
        "notes": {"v": {"type": "plain_text_input", "value": "none"}},
        "extra": {"v": {"type": "plain_text_input", "value": None}},
    }
    assert slack.open_views("U2") == []


def test_submit_refuses_what_slacks_client_would_not_send(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    view = open_modal(slack, tiny, web, MODAL)

    with pytest.raises(AssertionError, match="no input labelled"):
        slack.submit("U2", view, {"Nope": "x"})
    with pytest.raises(AssertionError, match="required"):
        slack.submit("U2", view, {})


def test_a_submission_answered_with_errors_stays_open(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    view = open_modal(slack, tiny, web, MODAL)
    tiny.answer = json_answer({"response_action": "errors", "errors": {"stand": "Say what you will produce"}})

    reply = slack.submit("U2", view, {"Stand": "?"})

    assert reply.body == {"response_action": "errors", "errors": {"stand": "Say what you will produce"}}
    assert [v.id for v in slack.open_views("U2")] == [view.id]
    assert slack.calls("ack") == []


def test_errors_for_a_block_that_is_not_an_input_are_refused(
    slack: SlackStandIn, tiny: TinyApp, web: WebClient
) -> None:
    view = open_modal(slack, tiny, web, MODAL)
    tiny.answer = json_answer({"response_action": "errors", "errors": {"nope": "x"}})

    slack.submit("U2", view, {"Stand": "?"})

    (ack,) = slack.calls("ack")
    assert (ack.ok, ack.error) == (False, "invalid_arguments")


def test_a_submission_answered_with_update_replaces_the_view(
    slack: SlackStandIn, tiny: TinyApp, web: WebClient
) -> None:
    view = open_modal(slack, tiny, web, MODAL)
    tiny.answer = json_answer(
        {"response_action": "update", "view": {"type": "modal", "title": plain("Thanks"), "blocks": [section("ok")]}}
    )

    slack.submit("U2", view, {"Stand": "Ship"})

    (top,) = slack.open_views("U2")
    assert (top.id, top.title) == (view.id, "Thanks")


def test_clicking_a_button_in_a_modal_sends_the_view(slack: SlackStandIn, tiny: TinyApp, web: WebClient) -> None:
    witness = {"type": "actions", "elements": [button("Add a witness", "witness")]}
    view = open_modal(slack, tiny, web, {**MODAL, "blocks": [*MODAL["blocks"], witness]})

    slack.click("U2", view, "Add a witness")

    payload = tiny.received[-1].payload()
    assert payload["container"] == {"type": "view", "view_id": view.id}
    assert payload["view"]["state"]["values"]["stand"] == {
        view.blocks[0]["element"]["action_id"]: {"type": "plain_text_input", "value": None}
    }
    assert "response_url" not in payload and "channel" not in payload


def test_an_app_that_does_not_ack_in_time_is_recorded_as_operation_timeout(slack: SlackStandIn, tiny: TinyApp) -> None:
    release = threading.Event()

    def hang(_: Received) -> tuple[int, str, bytes]:
        release.wait(5)
        return 200, "text/plain", b""

    tiny.answer = hang
    slack.ack_timeout = 0.2
    try:
        reply = slack.command("U2", "/stand")
    finally:
        release.set()

    assert reply.status == 0
    (ack,) = slack.calls("ack")
    assert (ack.ok, ack.error) == (False, "operation_timeout")


def test_opening_home_sends_app_home_opened(slack: SlackStandIn, tiny: TinyApp) -> None:
    slack.open_home("U2")

    body = tiny.received[-1].json()
    assert tiny.received[-1].headers["Content-Type"] == "application/json"
    assert (body["type"], body["team_id"], body["api_app_id"]) == ("event_callback", "T1", "A1")
    assert body["event_id"].startswith("Ev")
    assert body["authorizations"][0]["user_id"] == "UBOT"
    event = body["event"]
    assert (event["type"], event["user"], event["channel"], event["tab"]) == ("app_home_opened", "U2", "DU2", "home")


def test_send_raw_lets_a_test_forge_a_signature(slack: SlackStandIn, tiny: TinyApp) -> None:
    forged = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=forged"}

    assert slack.send_raw(b"{}", {"Content-Type": "application/json", **forged}, sign=False).status == 401
    assert slack.send_raw(b"{}", {"Content-Type": "application/json"}).status == 200
    assert slack.send_raw(b"{}", {"Content-Type": "application/json"}, timestamp=int(time.time()) - 600).status == 401


def test_socket_mode_round_trip_with_slack_sdks_builtin_client(slack: SlackStandIn) -> None:
    slack.mode = "socket"
    client = SocketModeClient(app_token=APP_TOKEN, web_client=WebClient(base_url=slack.api_url))

    def ack_command(socket: BaseSocketModeClient, request: SocketModeRequest) -> None:
        text = f"got {request.payload['command']} {request.payload['text']}"
        socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload={"text": text}))

    client.socket_mode_request_listeners.append(ack_command)
    client.connect()
    try:
        slack.wait_for_socket_connection()
        reply = slack.command("U2", "/stand", "ship it")
        slack.disconnect_socket()
        slack.wait_for(lambda: len(slack.calls("apps.connections.open")) == 2 and slack.socket_connections == 1)
        again = slack.command("U2", "/stand", "again")
    finally:
        client.close()

    assert reply == AppReply(200, {"text": "got /stand ship it"}, {})
    assert again.body == {"text": "got /stand again"}
    assert [m.text for m in slack.ephemerals("U2")] == ["got /stand ship it", "got /stand again"]
    slack.wait_for(lambda: slack.socket_connections == 0)
