"""The stand-in's HTTP server: one loop answers every connection, so a Slack made slow for one call is slow for that
call alone, answers on a connection come back in order, and what is not HTTP is refused as a server refuses it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient

from standin import SlackStandIn
from tests import support

STALL = 5
"""Long enough that nothing a test waits for could be answered after it by accident."""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(signing_secret=support.SIGNING_SECRET, bot_token=support.BOT_TOKEN) as standin:
        yield standin


def raw(slack: SlackStandIn) -> socket.socket:
    """A plain TCP connection to the stand-in's Web API."""
    parts = urlsplit(slack.api_url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=STALL * 2)


def request(method: str, *, body: bytes = b"", close: bool = False) -> bytes:
    """A Web API call as bytes on the wire, the bot token in the Authorization header."""
    headers = [
        f"POST /api/{method} HTTP/1.1",
        "Host: slack",
        f"Authorization: Bearer {support.BOT_TOKEN}",
        "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}",
    ]
    if close:
        headers.append("Connection: close")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_call_slack_is_slow_for_holds_up_no_other_connection(slack: SlackStandIn) -> None:
    slack.stall("chat.postMessage", STALL)
    stalled = WebClient(token=support.BOT_TOKEN, base_url=slack.api_url, timeout=STALL * 2, retry_handlers=[])
    quick = WebClient(token=support.BOT_TOKEN, base_url=slack.api_url)
    with ThreadPoolExecutor(max_workers=1) as pool:
        posting: Future[object] = pool.submit(stalled.chat_postMessage, channel="C1", text="slow")
        slack.wait_for(lambda: slack.calls_held or None)

        assert quick.auth_test()["ok"] is True
        assert not posting.done()  # still held back while the other connection was answered
        slack.drop_connections(reset=True)  # rather than wait the stall out
        with pytest.raises(OSError):
            posting.result()


def test_answers_on_one_connection_come_back_in_the_order_asked(slack: SlackStandIn) -> None:
    slack.stall("chat.postMessage", 0.2)
    post = json.dumps({"channel": "C1", "text": "first"}).encode()
    with raw(slack) as connection:
        # Both requests at once: the second, quick to answer, must still come after the first, slow one.
        connection.sendall(request("chat.postMessage", body=post) + request("auth.test", close=True))
        answers = read_all(connection).split(b"HTTP/1.1 200 OK")[1:]

    assert len(answers) == 2
    assert b'"ts"' in answers[0] and b'"user_id"' in answers[1]


def test_a_connection_is_kept_for_the_next_call_unless_the_caller_says_close(slack: SlackStandIn) -> None:
    with raw(slack) as connection:
        connection.sendall(request("auth.test"))
        first = connection.recv(65536)
        connection.sendall(request("auth.test", close=True))
        rest = read_all(connection)

    assert first.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" not in first
    assert rest.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in rest
    assert slack.connections_accepted == 1


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
        (b"PUT /api/auth.test HTTP/1.1\r\nHost: slack\r\nContent-Length: 0\r\n\r\n", b"501"),
    ],
)
def test_what_is_not_a_web_api_call_is_refused_and_the_connection_closed(
    slack: SlackStandIn, sent: bytes, status: bytes
) -> None:
    with raw(slack) as connection:
        connection.sendall(sent)
        answer = read_all(connection)

    assert answer.startswith(b"HTTP/1.1 " + status)
    assert slack.calls() == []


def test_stopping_slack_resets_a_call_it_is_slow_to_answer(slack: SlackStandIn) -> None:
    slack.stall("chat.postMessage", STALL)
    post = json.dumps({"channel": "C1", "text": "never answered"}).encode()
    with raw(slack) as connection:
        connection.sendall(request("chat.postMessage", body=post))
        slack.wait_for(lambda: slack.calls_held or None)
        stopper = threading.Thread(target=slack.stop)
        stopper.start()

        with pytest.raises(ConnectionResetError):
            read_all(connection)
        stopper.join()
    assert slack.calls("chat.postMessage") == []
