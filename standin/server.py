"""The stand-in's HTTP side: Slack's Web API, response_url endpoints and file upload URLs on loopback.

One thread runs an asyncio loop that reads and answers every connection (httptools parses the requests), the way
Slack's edge serves many callers without a thread each. Every answer is worked out in memory under the workspace's
lock and written at once, in one write; only a call Slack is made to be slow for (`latency`, a stall) waits, and it
waits on the loop, not in a thread. With a thread a connection (http.server's way), a morning pass over 50 workspaces
kept a hundred-odd threads here taking turns at the interpreter: a post took 0.2 ms to answer at the median and 58 ms
at p99, and waited 1 ms at the median and 172 ms at p99 before it was read, so the app's pacer, which must treat a
slow answer as possibly counted late, saw a Slack slower than Slack is; and it cost 0.42 ms of CPU a post against
0.27 ms this way (answered within 1 ms at p99).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote

import httptools

from .model import JsonDict
from .records import JSON_FIELDS, ApiResult
from .workspace import Workspace

log = logging.getLogger(__name__)

BACKLOG = 256
"""Bursts of concurrent callers must queue, not be refused."""
STOP_SECONDS = 5.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Request:
    """One request, read whole."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lowercased
    body: bytes


@dataclass(slots=True)
class _Reply:
    """An answer to write: a status, a content type, a body and any extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # the connection closes after it (a request the server could not serve)


RESET = object()
"""The connection is reset instead of answered, as a crashed load balancer would."""

Answer = _Reply | object  # a _Reply, or RESET
Later = tuple[float, Callable[[], Answer]]
"""An answer Slack is slow to give: after these seconds, what the callable answers."""


def decode_args(query: str, body: bytes, content_type: str) -> JsonDict:
    """Web API arguments from the query string and a form or JSON body, JSON-string fields parsed."""
    args: JsonDict = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        if content_type.startswith("application/json"):
            parsed = json.loads(body)
            if not isinstance(parsed, dict):
                raise ValueError("JSON body is not an object")
            args.update(parsed)
        else:
            args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for name in JSON_FIELDS:
        value = args.get(name)
        if isinstance(value, str):
            # A malformed field stays a string; the method then reports it as Slack would.
            with contextlib.suppress(json.JSONDecodeError):
                args[name] = json.loads(value)
    return args


def _json(result: ApiResult) -> _Reply:
    return _Reply(result.status, "application/json; charset=utf-8", json.dumps(result.body).encode(), result.headers)


def _text(status: int, text: str, *, close: bool = False) -> _Reply:
    return _Reply(status, "text/plain; charset=utf-8", text.encode(), close=close)


class ApiServer:
    """An HTTP/1.1 server on 127.0.0.1 answering for one workspace: bound when made, serving once `serve_forever`
    runs (in a thread of its own) until `shutdown`."""

    def __init__(self, workspace: Workspace, stopping: threading.Event) -> None:
        self.workspace = workspace
        self.stopping = stopping
        self.connections_accepted = 0
        """TCP connections accepted so far (a client that keeps its connection open makes one for many calls)."""
        self.calls_held = 0
        """Calls read and not answered yet because Slack is made slow for them (`latency`, a stall)."""
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
        self._loop = asyncio.new_event_loop()
        self._open: set[_Connection] = set()
        self._served = threading.Event()  # serve_forever has returned
        self._started = False

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        """Answer callers until `shutdown` (`poll_interval` is http.server's argument, unused: the loop wakes when
        told)."""
        self._started = True
        loop = self._loop
        try:
            asyncio.set_event_loop(loop)
            server = loop.run_until_complete(loop.create_server(lambda: _Connection(self), sock=self._socket))
            loop.run_forever()
            server.close()
            for connection in list(self._open):
                connection.drop(reset=True)  # a stopped Slack answers nothing more, even what it was slow to answer
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
        finally:
            loop.close()
            self._served.set()

    def shutdown(self) -> None:
        """Stop answering: in-flight connections are dropped; returns once `serve_forever` has."""
        if not self._started:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._served.wait(STOP_SECONDS)

    def server_close(self) -> None:
        """Stop listening and drop the connections callers keep open: a stopped Slack answers nothing more."""
        self.shutdown()
        self._socket.close()
        if not self._started and not self._loop.is_closed():
            self._loop.close()

    def drop_connections(self, *, reset: bool = False) -> None:
        """Close the connections callers keep open between calls (with `reset`, abortively: RST, not FIN); returns
        once they are closed, so the caller's next call meets a closed connection."""

        async def drop() -> None:
            for connection in list(self._open):
                connection.drop(reset=reset)
            await asyncio.gather(*(connection.closed for connection in list(self._open)), return_exceptions=True)

        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(drop(), self._loop).result(2.0)

    def route(self, request: _Request) -> Answer | Later:
        """What Slack answers `request`: at once, or after a delay."""
        path, body = request.path, request.body
        if path == "/oauth/v2/authorize":
            return _json(self.workspace.consent(request.query))
        if path.startswith("/api/"):
            return self._web_api(unquote(path[len("/api/") :]), request)
        if path.startswith("/response/"):
            return self._response_url(path[len("/response/") :], body)
        if path.startswith("/upload/v1/"):
            if self.workspace.receive_upload(path[len("/upload/v1/") :], body):
                return _text(200, f"OK - {len(body)}")
            return _text(404, "not_found")
        return _text(404, "not_found")

    def _web_api(self, method: str, request: _Request) -> Answer | Later:
        workspace = self.workspace
        try:
            args = decode_args(request.query, request.body, request.headers.get("content-type", ""))
        except (ValueError, UnicodeDecodeError):
            workspace.record(method, {"body": request.body.decode("utf-8", "replace")}, ok=False, error="invalid_json")
            return _json(ApiResult(200, {"ok": False, "error": "invalid_json"}))
        authorization = request.headers.get("authorization", "")
        if method == "oauth.v2.access":
            return _json(workspace.oauth_access(args, authorization))
        token = args.pop("token", None)
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
        delay, fault = workspace.plan(method)

        def answer() -> Answer:
            if fault is not None and fault.error == "connection_reset":
                workspace.record(method, args, ok=False, error="connection_reset")
                return RESET
            return _json(workspace.fault_answer(method, args, fault) if fault else workspace.call(method, args, token))

        return (delay, answer) if delay > 0 else answer()

    def _response_url(self, key: str, body: bytes) -> _Reply:
        try:
            payload: object = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            payload = body.decode("utf-8", "replace")
        return _json(self.workspace.post_to_response_url(key, payload))

    def held(self, change: int) -> None:
        """One call more (or fewer) held back, told to whoever waits on the stand-in."""
        self.calls_held += change
        self.workspace.touch()

    def opened(self, connection: _Connection) -> None:
        self.connections_accepted += 1
        self._open.add(connection)

    def closed(self, connection: _Connection) -> None:
        self._open.discard(connection)


_date_cache: list[Any] = [0, ""]


def _date() -> str:
    """The Date header's value, worked out once a second."""
    now = int(asyncio.get_running_loop().time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(usegmt=True)]
    return str(_date_cache[1])


class _Connection(asyncio.Protocol):
    """One caller's connection: its requests parsed as they arrive and answered one after another, in order."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._waiting: deque[tuple[_Request, bool]] = deque()  # read, not answered yet (behind a slow answer)
        self._answering: asyncio.Task[None] | None = None

    # asyncio's side ------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.server.closed(self)
        if self._answering is not None:
            self._answering.cancel()
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._write(_text(400, "upgrades are not served here", close=True), keep_alive=False)
        except httptools.HttpParserError:
            self._write(_text(400, "bad request", close=True), keep_alive=False)

    def drop(self, *, reset: bool) -> None:
        """Close this connection: with `reset`, abortively (RST)."""
        transport = self.transport
        if transport is None:
            return
        if reset:
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    # httptools' callbacks ------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self._headers.get("expect", "").lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        method = self._parser.get_method().decode("latin-1")
        request = _Request(method, path, query, self._headers, b"".join(self._body))
        keep_alive = self._parser.should_keep_alive()
        if self._answering is not None:
            self._waiting.append((request, keep_alive))
            return
        self._answer(request, keep_alive)

    # Answering ------------------------------------------------------------------------------------------
    def _answer(self, request: _Request, keep_alive: bool) -> None:
        """Answer `request` now, or start waiting out Slack's slowness (later requests wait behind it)."""
        answer = self._route(request)
        if isinstance(answer, tuple):
            self._answering = asyncio.ensure_future(self._later(answer, keep_alive))
        else:
            self._finish(answer, keep_alive)

    async def _later(self, later: Later, keep_alive: bool) -> None:
        delay, answer = later
        self.server.held(+1)
        try:
            await asyncio.sleep(delay)
        finally:
            self.server.held(-1)
        self._answering = None
        self._finish(self._guarded(answer), keep_alive)
        while self._waiting and self._answering is None and self.transport is not None:
            self._answer(*self._waiting.popleft())

    def _route(self, request: _Request) -> Answer | Later:
        if request.method not in ("GET", "POST"):
            return _text(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({request.method})", close=True)
        return self._guarded(lambda: self.server.route(request))

    def _guarded(self, work: Callable[[], T]) -> T | _Reply:
        try:
            return work()
        except Exception:
            # http.server's way too: the caller sees the connection end, and the traceback is logged.
            log.exception("Slack stand-in failed to answer a request")
            return _text(500, "internal_error", close=True)

    def _finish(self, answer: Answer, keep_alive: bool) -> None:
        if isinstance(answer, _Reply):
            self._write(answer, keep_alive=keep_alive and not answer.close)
        else:
            self.drop(reset=True)

    def _write(self, reply: _Reply, *, keep_alive: bool) -> None:
        """The answer in one write, as Slack's small answers arrive."""
        transport = self.transport
        if transport is None:
            return
        status = HTTPStatus(reply.status)
        lines = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            "Server: slack-standin",
            f"Date: {_date()}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}",
        ]
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        if not keep_alive:
            lines.append("Connection: close")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body)
        if not keep_alive:
            transport.close()
