"""The door: what reaches the app over HTTP is bounded in size and time, unreadable bodies are turned away with
401 or 400 (never 500), and a retried or replayed delivery changes nothing the second time."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import uvicorn
from slack_bolt import BoltRequest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from bot.app import Runtime, create_app
from bot.clock import FixedClock
from bot.web import MAX_BODY_BYTES, create_web_app
from handlers.deliveries import delivery_key
from standin import SlackStandIn
from storage.db import unit_of_work
from storage.deliveries import DONE, prune_deliveries, record_delivery, seen_delivery
from storage.models import Delivery
from tests import support
from tests.conftest import MONDAY
from tests.e2e import export

FORM = "application/x-www-form-urlencoded"
SLOW_READ_TIMEOUT = 0.5


# --- helpers -------------------------------------------------------------------------------------------------------


def _signed(body: bytes, content_type: str = FORM, *, secret: str = support.SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


class _Capture(http.server.ThreadingHTTPServer):
    """A request URL that keeps what Slack sent and acks it with nothing, so a test can replay it byte for byte."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, dict[str, str]]] = []
        capture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                skip = {"host", "content-length", "connection", "accept-encoding", "user-agent"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                capture.requests.append((body, headers))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def _captured(slack: SlackStandIn, send: Callable[[], object]) -> tuple[bytes, dict[str, str]]:
    """The exact signed request the stand-in sends for `send()`, as Slack would deliver it."""
    real = slack.request_url
    capture = _Capture()
    thread = threading.Thread(target=capture.serve_forever, daemon=True)
    thread.start()
    try:
        slack.request_url = f"http://127.0.0.1:{capture.server_address[1]}/slack/events"
        send()
    finally:
        slack.request_url = real
        capture.shutdown()
        capture.server_close()
    [request] = capture.requests
    return request


def _connect(slack: SlackStandIn, headers: dict[str, str]) -> socket.socket:
    """A raw connection to the app with a POST's head sent, and nothing of its body yet."""
    url = urlsplit(str(slack.request_url))
    assert url.hostname is not None and url.port is not None
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    head = [f"POST {url.path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return sock


def _status(sock: socket.socket) -> int:
    """The status of the response on `sock` (the response's head is read, nothing more)."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"the connection closed before a response; got {received!r}")
        received += chunk
    return int(received.split(b" ", 2)[1])


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `check()` holds (for state outside the stand-in, such as the database)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        pause.wait(0.02)


def _deliveries(engine: Engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        return [(k, s) for k, s in session.execute(select(col(Delivery.key), col(Delivery.status)))]


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged, uvicorn's own errors ("Exception in ASGI application") included."""
    caplog.set_level(logging.INFO)
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)
    yield caplog
    uvicorn_errors.removeHandler(caplog.handler)


@contextmanager
def _serving(runtime: Runtime, *, read_timeout: float) -> Iterator[str]:
    """The app under uvicorn with a door of its own (a short read timeout); yields the request URL."""
    web = create_web_app(runtime.app, runtime.engine, runtime.signing_secret, read_timeout=read_timeout)
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _eventually(lambda: server.started or not thread.is_alive())
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def impatient_app(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """The real app behind a door that waits only half a second for a body."""
    runtime = create_app(support.settings_for(slack.api_url, database_url), clock=clock)
    try:
        with _serving(runtime, read_timeout=SLOW_READ_TIMEOUT) as url:
            slack.request_url = url
            yield runtime
    finally:
        runtime.close()


# --- size ----------------------------------------------------------------------------------------------------------


def test_a_body_declared_over_one_megabyte_is_refused_with_413_without_waiting_for_it(
    slack: SlackStandIn, app: Runtime
) -> None:
    sock = _connect(slack, {"Content-Type": FORM, "Content-Length": str(50 * 1024 * 1024)})
    sock.sendall(b"command=%2Fact&text=")  # 50 MB claimed, twenty bytes sent
    started = time.monotonic()

    status = _status(sock)

    assert status == 413
    assert time.monotonic() - started < 2
    sock.close()
    assert export(app)["actions"] == []


def test_a_chunked_body_is_refused_with_413_once_it_passes_one_megabyte(slack: SlackStandIn, app: Runtime) -> None:
    sock = _connect(slack, {"Content-Type": FORM, "Transfer-Encoding": "chunked"})
    piece = b"x" * 64 * 1024
    sent = 0
    # A little past the limit, and never the final chunk: the answer cannot be waiting for the end of the body.
    while sent <= MAX_BODY_BYTES + len(piece):
        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        sent += len(piece)

    assert _status(sock) == 413
    sock.close()


def test_a_body_of_exactly_one_megabyte_is_read_and_checked(slack: SlackStandIn, app: Runtime) -> None:
    body = b"text=" + b"x" * (MAX_BODY_BYTES - 5)

    reply = slack.send_raw(body, _signed(body, secret="not-the-secret"), sign=False)

    assert reply.status == 401  # read in full, then the signature was checked


def test_four_hundred_megabyte_bodies_at_once_leave_the_process_memory_where_it_was(
    slack: SlackStandIn, app: Runtime
) -> None:
    hundred_mb = 100 * 1024 * 1024
    piece = b"x" * 1024 * 1024
    statuses: list[int | str] = []
    sent_in_all: list[int] = []

    def flood(chunked: bool) -> None:
        framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(hundred_mb)}
        sock = _connect(slack, {"Content-Type": FORM, **framing})
        sent = 0
        try:
            while sent < hundred_mb:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except OSError:
            pass  # the app closed the connection: it stopped reading
        sent_in_all.append(sent)
        try:
            statuses.append(_status(sock))
        except (OSError, AssertionError) as error:
            statuses.append(type(error).__name__)
        sock.close()

    before = _rss_bytes()
    floods = [threading.Thread(target=flood, args=(chunked,)) for chunked in (False, False, True, True)]
    for thread in floods:
        thread.start()
    for thread in floods:
        thread.join(timeout=60)
    grown = _rss_bytes() - before

    print(f"RSS {before / 2**20:.0f} MB, {grown / 2**20:+.1f} MB after four 100 MB bodies: {statuses} {sent_in_all}")
    assert all(sent < hundred_mb for sent in sent_in_all), "the app read a 100 MB body to its end"
    assert 413 in statuses
    assert grown < 40 * 2**20
    # Still serving.
    ok = b"ssl_check=1&token=x"
    assert slack.send_raw(ok, _signed(ok), sign=False).status == 200


# --- unreadable bodies -----------------------------------------------------------------------------------------------


def test_a_body_that_is_not_utf8_with_a_bad_signature_gets_401_and_no_traceback(
    slack: SlackStandIn, app: Runtime, logs: pytest.LogCaptureFixture
) -> None:
    body = b"command=%2Fact&text=\xff\xfe\xfd garbage \xc3\x28"

    reply = slack.send_raw(body, _signed(body, secret="not-the-secret"), sign=False)

    assert reply.status == 401
    assert _tracebacks(logs) == []
    assert export(app)["actions"] == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"command=%2Fact&text=\xff\xfe\xfd", FORM),
        (b'{"type": "event_callback", "event": \xc3\x28}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"payload=%5B1%5D", FORM),
        (b"payload=%7Bnot+json", FORM),
    ],
    ids=["form-not-utf8", "json-not-utf8", "json-array", "json-string", "payload-array", "payload-not-json"],
)
def test_a_signed_body_that_cannot_be_read_gets_400_and_no_traceback(
    slack: SlackStandIn, app: Runtime, logs: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    reply = slack.send_raw(body, {"Content-Type": content_type})

    assert reply.status == 400
    assert _tracebacks(logs) == []
    assert _deliveries(app.engine) == []


# --- time ----------------------------------------------------------------------------------------------------------


def test_a_body_trickled_slower_than_the_read_timeout_gets_408_and_frees_the_worker(
    slack: SlackStandIn, impatient_app: Runtime
) -> None:
    sock = _connect(slack, {"Content-Type": FORM, "Content-Length": "1000"})
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.1):  # one byte every tenth of a second, as a slow (or hostile) client would
            try:
                sock.sendall(b"x")
            except OSError:
                return

    trickler = threading.Thread(target=trickle, daemon=True)
    started = time.monotonic()
    trickler.start()

    status = _status(sock)
    waited = time.monotonic() - started
    stop.set()
    trickler.join(timeout=5)
    sock.close()

    assert status == 408
    # Cut short by the timeout: the whole body would take 100 s at this pace. The bound leaves a loaded machine room.
    assert SLOW_READ_TIMEOUT <= waited < 10
    slack.command("UADA", "/act", "Served after the slow one")
    _eventually(lambda: [a["text"] for a in export(impatient_app)["actions"]] == ["Served after the slow one"])


# --- replays -------------------------------------------------------------------------------------------------------


def test_the_same_signed_command_sent_three_times_stores_one_action_and_gets_the_same_answer(
    slack: SlackStandIn, app: Runtime, logs: pytest.LogCaptureFixture
) -> None:
    body, headers = _captured(slack, lambda: slack.command("UADA", "/act", "Called the venue"))

    replies = [slack.send_raw(body, headers, sign=False) for _ in range(3)]

    assert [r.status for r in replies] == [200, 200, 200]
    assert replies[1].body == replies[0].body and replies[2].body == replies[0].body
    _eventually(lambda: bool(export(app)["actions"]))
    assert [a["text"] for a in export(app)["actions"]] == ["Called the venue"]
    assert len([r for r in logs.records if "answered a replayed delivery" in r.getMessage()]) == 2
    assert [status for _, status in _deliveries(app.engine)] == [DONE]


def test_an_event_redelivered_with_a_retry_number_is_handled_once(
    slack: SlackStandIn, app: Runtime, logs: pytest.LogCaptureFixture
) -> None:
    body, headers = _captured(slack, lambda: slack.open_home("UADA"))
    content_type = {"Content-Type": headers["Content-Type"]}

    first = slack.send_raw(body, content_type)  # Slack signs each attempt afresh
    retries = [
        slack.send_raw(body, {**content_type, "X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
        for n in (1, 2)
    ]

    assert [first.status, *(r.status for r in retries)] == [200, 200, 200]
    slack.wait_for(lambda: slack.home("UADA"))
    assert len(slack.calls("views.publish")) == 1
    assert len([r for r in logs.records if "replayed delivery" in r.getMessage()]) == 2
    event_id = json.loads(body)["event_id"]
    assert _deliveries(app.engine) == [(f"event:{event_id}", DONE)]


def test_two_copies_of_a_command_at_the_same_moment_store_one_action_and_get_one_answer(
    slack: SlackStandIn, app: Runtime
) -> None:
    body, headers = _captured(slack, lambda: slack.command("UADA", "/act", "Booked the room"))
    together = threading.Barrier(2)
    replies: list[Any] = []

    def deliver() -> None:
        together.wait()
        replies.append(slack.send_raw(body, headers, sign=False))

    copies = [threading.Thread(target=deliver) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join(timeout=30)

    # Both are in flight together: the one that stores second finds the first's record at its own ack, rolls
    # back and answers as the first did.
    assert [r.status for r in replies] == [200, 200]
    assert replies[0].body == replies[1].body and "Action logged" in json.dumps(replies[0].body)
    assert [a["text"] for a in export(app)["actions"]] == ["Booked the room"]
    key = delivery_key(BoltRequest(body=body.decode(), headers=dict[str, str | Sequence[str]](headers)))
    assert _deliveries(app.engine) == [(key, DONE)]


def test_a_refused_command_is_not_remembered_and_its_replay_is_refused_again(slack: SlackStandIn, app: Runtime) -> None:
    body, headers = _captured(slack, lambda: slack.command("UADA", "/promise", "Ship it by 2026-13-45"))

    first, again = (slack.send_raw(body, headers, sign=False) for _ in range(2))

    assert first.status == again.status == 200 and first.body == again.body
    assert "date" in json.dumps(first.body)
    assert export(app)["promises"] == [] and _deliveries(app.engine) == []


def test_slacks_checks_of_the_endpoint_pass_through_and_are_not_remembered(slack: SlackStandIn, app: Runtime) -> None:
    challenge = json.dumps({"type": "url_verification", "token": "t", "challenge": "c-123"}).encode()
    ssl_check = urlencode({"ssl_check": "1", "token": "t"}).encode()

    verified = slack.send_raw(challenge, {"Content-Type": "application/json"})
    checked = slack.send_raw(ssl_check, {"Content-Type": FORM})

    assert verified.status == 200 and "c-123" in json.dumps(verified.body)
    assert checked.status == 200
    assert _deliveries(app.engine) == []


# --- storage -------------------------------------------------------------------------------------------------------


def _record(engine: Engine, key: str, *, at: Any, answer: str = '{"text": "Action logged"}') -> bool:
    with unit_of_work(engine) as session:
        return record_delivery(key=key, team_id="T1", user_id="UADA", response=answer, now=at, session=session)


def test_a_delivery_is_recorded_once_with_its_answer(engine: Engine) -> None:
    assert _record(engine, "k1", at=MONDAY) is True
    assert _record(engine, "k1", at=MONDAY + timedelta(seconds=5), answer="another") is False

    with unit_of_work(engine) as session:
        seen = seen_delivery(key="k1", session=session)
    assert seen is not None and seen.status == DONE and seen.response == '{"text": "Action logged"}'


def test_a_record_rolled_back_with_its_change_leaves_the_delivery_free_to_be_handled(engine: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        record_delivery(key="k1", team_id="T1", user_id="UADA", response="{}", now=MONDAY, session=session)
        raise RuntimeError("the change failed")

    assert _record(engine, "k1", at=MONDAY) is True


def test_pruning_forgets_deliveries_taken_in_before_the_cut_and_counts_them(engine: Engine) -> None:
    for n, hours_ago in enumerate((30, 25, 1)):
        _record(engine, f"k{n}", at=MONDAY - timedelta(hours=hours_ago))

    with unit_of_work(engine) as session:
        pruned = prune_deliveries(before=MONDAY - timedelta(days=1), session=session)

    assert pruned == 2
    with unit_of_work(engine) as session:
        left = session.execute(select(func.count()).select_from(Delivery)).scalar_one()
    assert left == 1


def test_many_deliveries_of_one_key_at_once_leave_exactly_one_record(engine: Engine) -> None:
    start = threading.Barrier(8)
    won: list[bool] = []

    def deliver() -> None:
        start.wait()
        won.append(_record(engine, "k1", at=MONDAY))

    deliveries = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in deliveries:
        thread.start()
    for thread in deliveries:
        thread.join(timeout=30)

    assert sorted(won) == [False] * 7 + [True]


# --- keys ----------------------------------------------------------------------------------------------------------


def _http(
    body: dict[str, Any], *, timestamp: str = "1700000000", signature: str = "v0=aa", **headers: str
) -> BoltRequest:
    return BoltRequest(
        body=json.dumps(body),
        headers={
            "content-type": "application/json",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
            **headers,
        },
    )


def test_an_event_is_known_by_its_event_id_however_often_and_however_signed_it_comes() -> None:
    event = {"type": "event_callback", "event_id": "Ev42", "event": {"type": "app_home_opened"}}

    first = delivery_key(_http(event))
    retry = delivery_key(_http(event, timestamp="1700000009", signature="v0=bb", **{"x-slack-retry-num": "1"}))
    over_socket = delivery_key(BoltRequest(body=event, mode="socket_mode"))

    assert first == retry == over_socket == "event:Ev42"


def test_a_command_is_known_by_its_signed_request_over_http_and_by_its_payload_over_socket_mode() -> None:
    command = {"command": "/act", "text": "x", "team_id": "T1", "user_id": "UADA", "trigger_id": "t1"}

    assert delivery_key(_http(command)) == delivery_key(_http(command))
    assert delivery_key(_http(command)) != delivery_key(_http(command, signature="v0=bb"))
    over_socket = delivery_key(BoltRequest(body=command, mode="socket_mode"))
    assert over_socket == delivery_key(BoltRequest(body=dict(reversed(command.items())), mode="socket_mode"))
    assert over_socket != delivery_key(BoltRequest(body={**command, "trigger_id": "t2"}, mode="socket_mode"))


def test_slacks_checks_of_the_endpoint_have_no_key() -> None:
    assert delivery_key(_http({"type": "url_verification", "challenge": "c"})) is None
    assert delivery_key(BoltRequest(body="ssl_check=1&token=t", headers={"content-type": FORM})) is None
