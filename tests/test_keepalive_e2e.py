"""The Web API client that keeps its connection to Slack open, against the stand-in: calls share one connection,
a connection Slack closed between calls is replaced without sending a call twice, and every fault (429 with
Retry-After, a server error, a reset after the call was sent) reaches the caller exactly as through slack_sdk's
own client."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.app import Runtime
from handlers.posting import PacedPoster
from handlers.web_client import KeepAliveWebClient
from standin import SlackStandIn
from tests import support


def kept(slack: SlackStandIn) -> KeepAliveWebClient:
    """A keep-alive client for the stand-in, with no retry handlers: what it does itself is what is tested."""
    return KeepAliveWebClient(token=support.BOT_TOKEN, base_url=slack.api_url, timeout=5, retry_handlers=[])


def stock(slack: SlackStandIn) -> WebClient:
    """slack_sdk's own client, one connection per call: the behaviour to match."""
    return WebClient(token=support.BOT_TOKEN, base_url=slack.api_url, timeout=5, retry_handlers=[])


def test_calls_in_a_row_go_over_one_connection(slack: SlackStandIn) -> None:
    client, before = kept(slack), slack.connections_accepted

    for n in range(5):
        client.chat_postMessage(channel="UBOB", text=f"nudge {n}")

    assert slack.connections_accepted - before == 1
    assert [m.text for m in slack.messages("UBOB")] == [f"nudge {n}" for n in range(5)]


def test_callers_at_once_open_no_more_connections_than_there_are_callers(slack: SlackStandIn) -> None:
    client, before = kept(slack), slack.connections_accepted

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: client.chat_postMessage(channel="UBOB", text=f"nudge {n}"), range(40)))

    assert 1 <= slack.connections_accepted - before <= 4
    assert sorted(m.text for m in slack.messages("UBOB")) == sorted(f"nudge {n}" for n in range(40))


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_connection_slack_dropped_between_calls_is_replaced_and_the_next_post_lands_once(
    slack: SlackStandIn, reset: bool
) -> None:
    client = kept(slack)
    client.chat_postMessage(channel="UBOB", text="first")
    before = slack.connections_accepted

    slack.drop_connections(reset=reset)
    client.chat_postMessage(channel="UBOB", text="second")

    assert slack.connections_accepted - before == 1
    assert [c.error for c in slack.calls("chat.postMessage")] == [None, None]
    assert [m.text for m in slack.messages("UBOB")] == ["first", "second"]


def test_a_reset_after_the_call_was_sent_is_raised_as_slack_sdk_raises_it_and_never_sent_again(
    slack: SlackStandIn,
) -> None:
    raised: list[type[BaseException]] = []
    for post in (stock(slack).chat_postMessage, kept(slack).chat_postMessage, json_post(kept(slack))):
        post(channel="UBOB", text="before")  # the keep-alive client now holds a connection
        slack.fail("chat.postMessage", "connection_reset")
        with pytest.raises(OSError) as error:
            post(channel="UBOB", text="dropped")
        raised.append(type(error.value))
        post(channel="UBOB", text="after")

    assert raised[0] is raised[1] is raised[2]
    assert [c.error for c in slack.calls("chat.postMessage")] == [None, "connection_reset", None] * 3
    assert [m.text for m in slack.messages("UBOB")] == ["before", "after"] * 3


@pytest.mark.parametrize(
    ("error", "status"), [("ratelimited", None), ("internal_error", 500), ("channel_not_found", None)]
)
def test_a_refusal_reaches_the_caller_with_the_same_status_headers_and_error_as_through_slack_sdk(
    slack: SlackStandIn, error: str, status: int | None
) -> None:
    answers = []
    ours = kept(slack)
    for post in (stock(slack).chat_postMessage, kept(slack).chat_postMessage, json_post(ours)):
        slack.fail("chat.postMessage", error, status=status, retry_after=7)
        with pytest.raises(SlackApiError) as refused:
            post(channel="UBOB", text="refused")
        response = refused.value.response
        answers.append((response.status_code, response.get("error"), response.headers.get("Retry-After")))
        post(channel="UBOB", text="then fine")  # the connection survives a refusal

    assert answers[0] == answers[1] == answers[2]
    assert answers[1][0] == (status or (429 if error == "ratelimited" else 200))
    assert [m.text for m in slack.messages("UBOB")] == ["then fine"] * 3


def json_post(client: KeepAliveWebClient) -> Callable[..., SlackResponse]:
    """chat.postMessage the way the paced poster sends it over a kept connection (`call_json`)."""
    return lambda **arguments: client.call_json("chat.postMessage", arguments)


def test_a_json_call_sends_what_api_call_sends_and_answers_alike(slack: SlackStandIn) -> None:
    client = kept(slack)
    client.default_params = {"team_id": "T1"}  # as Bolt sets it for an org-wide install
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Your stand: *grow by half*"}}]

    through_sdk = client.api_call("chat.postMessage", json={"channel": "UBOB", "text": "nudge", "blocks": blocks})
    ours = client.call_json("chat.postMessage", {"channel": "UBOB", "text": "nudge", "blocks": blocks})

    first, second = slack.calls("chat.postMessage")
    assert first.args == second.args and second.args["team_id"] == "T1" and second.args["blocks"] == blocks
    assert first.team_id == second.team_id == slack.team_id  # the client's own token
    assert (ours.status_code, ours["ok"], ours["channel"]) == (through_sdk.status_code, True, through_sdk["channel"])
    assert ours["ts"] != through_sdk["ts"] and len(slack.messages("UBOB")) == 2
    assert slack.connections_accepted == 1  # one kept connection for both ways


def test_the_paced_poster_tries_a_reset_call_again_and_it_lands_once(slack: SlackStandIn) -> None:
    poster = PacedPoster(kept(slack), 20)
    poster.post_message(channel="UBOB", text="first")
    slack.fail("chat.postMessage", "connection_reset")

    poster.post_message(channel="UBOB", text="second")

    assert [c.error for c in slack.calls("chat.postMessage")] == [None, "connection_reset", None]
    assert [m.text for m in slack.messages("UBOB")] == ["first", "second"]


def test_closing_the_client_closes_its_connection_and_the_next_call_opens_another(slack: SlackStandIn) -> None:
    client = kept(slack)
    client.chat_postMessage(channel="UBOB", text="first")
    before = slack.connections_accepted

    client.close()
    client.chat_postMessage(channel="UBOB", text="second")

    assert slack.connections_accepted - before == 1
    assert len(slack.messages("UBOB")) == 2


def test_the_apps_listeners_call_slack_over_kept_connections(slack: SlackStandIn, app: Runtime) -> None:
    slack.open_home("UADA")
    slack.wait_for(lambda: slack.calls("views.publish"))
    # Ada's first Home also owes her welcome DM, which the outbox's sender posts on a connection of its own: counted
    # before, not during, the five below.
    slack.wait_for(lambda: slack.messages("UADA"))
    before, published = slack.connections_accepted, len(slack.calls("views.publish"))

    for n in range(1, 6):
        # One at a time: two Homes published at once would rightly take two connections (it failed once in a full
        # run on a loaded machine, when the second open's publish overlapped the first's).
        slack.open_home("UADA")
        slack.wait_for(lambda: len(slack.calls("views.publish")) >= published + n or None)  # noqa: B023

    assert slack.connections_accepted - before <= 1  # Bolt's client per request, one connection between them
    assert all(call.ok for call in slack.calls("views.publish"))


class _CountingApi(ThreadingHTTPServer):
    """A Web API on loopback that counts the connections it accepts."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.accepted = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        accepted = super().get_request()
        self.accepted += 1
        return accepted


class _TlsApi(_CountingApi):
    """A Web API answering `{"ok": true}` over TLS with HTTP/1.1 keep-alive, counting the connections established
    (the TLS handshake is done as each is accepted)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(_TlsHandler)
        self.socket = context.wrap_socket(self.socket, server_side=True)


class _TlsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_over_tls_as_to_slack_itself_calls_share_one_verified_connection(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cert, key)
    server = _TlsApi(serving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    trusting = ssl.create_default_context(cafile=str(cert))  # the certificate is checked, as Slack's is
    base_url = f"https://localhost:{server.server_address[1]}/api/"
    try:
        client = KeepAliveWebClient(token=support.BOT_TOKEN, base_url=base_url, ssl=trusting, timeout=5)
        answers = [client.api_test()["path"] for _ in range(3)]
        untrusting = KeepAliveWebClient(token=support.BOT_TOKEN, base_url=base_url, timeout=5, retry_handlers=[])
        with pytest.raises(URLError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusting.api_test()
    finally:
        server.shutdown()
        server.server_close()

    assert answers == ["/api/api.test"] * 3
    assert server.accepted == 1  # one kept connection for the three calls (the refused one never completed TLS)


class _ScriptedApi(_CountingApi):
    """A Web API that answers each request with the next bytes of `script`, written as they are (framed however
    they say, or broken), counting the connections accepted; a None closes the connection without an answer."""

    def __init__(self, script: list[bytes | None]) -> None:
        super().__init__(_ScriptedHandler)
        self.script = script


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ScriptedApi

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.script.pop(0)
        if answer is not None:
            self.wfile.write(answer)
            self.wfile.flush()
        if answer is None or b"Connection: close" in answer or b"Content-Length: 99" in answer:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def scripted(script: list[bytes | None]) -> Iterator[_ScriptedApi]:
    server = _ScriptedApi(script)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


OK_JSON = b'{"ok": true, "ts": "1.0"}'
UNTIL_CLOSED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n" + OK_JSON
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n%s\r\n" % (10, OK_JSON[:10])
    + b"%x\r\n%s\r\n0\r\n\r\n" % (len(OK_JSON) - 10, OK_JSON[10:])
)
LATIN_1 = b'HTTP/1.1 200 OK\r\nContent-Type: application/json; charset="ISO-8859-1"\r\nContent-Length: %d\r\n\r\n%s' % (
    len('{"ok": true, "text": "caf\xe9"}'),
    '{"ok": true, "text": "caf\xe9"}'.encode("latin-1"),
)


AFTER_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n" + (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(OK_JSON), OK_JSON)
)


@pytest.mark.parametrize("post", ["api_call", "call_json"])
@pytest.mark.parametrize(
    ("answer", "kept_open"),
    [(UNTIL_CLOSED, False), (CHUNKED, True), (LATIN_1, True), (AFTER_CONTINUE, True)],
    ids=["to-close", "chunked", "latin-1", "after-100-continue"],
)
def test_an_answer_is_read_whole_however_it_is_framed_and_the_connection_kept_only_when_it_may_be(
    post: str, answer: bytes, kept_open: bool
) -> None:
    with scripted([answer, answer]) as server:
        client = KeepAliveWebClient(
            token=support.BOT_TOKEN,
            base_url=f"http://127.0.0.1:{server.server_address[1]}/api/",
            timeout=5,
            retry_handlers=[],
        )

        def call() -> SlackResponse:
            if post == "api_call":
                return client.api_call("chat.postMessage", json={"channel": "UBOB"})
            return client.call_json("chat.postMessage", {"channel": "UBOB"})

        answers = [call().data for _ in range(2)]
        accepted = server.accepted

    assert all(isinstance(data, dict) and data["ok"] is True for data in answers)
    assert answers[0] == answers[1]
    assert accepted == (1 if kept_open else 2)
    if answer is LATIN_1:
        first = answers[0]
        assert isinstance(first, dict) and first["text"] == "caf\xe9"


@pytest.mark.parametrize(
    "answer",
    [
        None,
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n{"ok": tr',
        b"SLACK?\r\n\r\n",
    ],
    ids=["closed-unanswered", "cut-short", "not-http"],
)
def test_a_broken_answer_is_raised_as_slack_sdks_own_client_raises_it_and_the_call_is_not_sent_again(
    answer: bytes | None,
) -> None:
    raised: list[type[BaseException]] = []
    with scripted([answer, answer, answer]) as server:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        ours = KeepAliveWebClient(token=support.BOT_TOKEN, base_url=base_url, timeout=5, retry_handlers=[])
        theirs = WebClient(token=support.BOT_TOKEN, base_url=base_url, timeout=5, retry_handlers=[])
        calls: list[Callable[[], SlackResponse]] = [
            lambda: theirs.chat_postMessage(channel="UBOB", text="hi"),
            lambda: ours.chat_postMessage(channel="UBOB", text="hi"),
            lambda: ours.call_json("chat.postMessage", {"channel": "UBOB", "text": "hi"}),
        ]
        for call in calls:
            with pytest.raises(http.client.HTTPException) as error:
                call()
            raised.append(type(error.value))
        left = len(server.script)

    assert left == 0  # three calls, three requests: none sent twice
    if answer is not None and answer.startswith(b"HTTP"):
        assert raised == [http.client.IncompleteRead] * 3
    elif answer is None:
        assert raised == [http.client.RemoteDisconnected] * 3
    else:  # http.client names it a bad status line; both are HTTPException, which is what a caller can catch
        assert raised[0] is http.client.BadStatusLine and raised[1] is raised[2]
