"""A WebClient that keeps its connections to Slack open between calls (HTTP/1.1 keep-alive).

slack_sdk's WebClient sends every call through `urllib.request.urlopen`, which opens a TCP (and TLS) connection,
sends `Connection: close` and drops it after the answer: at twenty posts a second per workspace, connecting costs
more CPU, on both sides, than the call itself. slack_sdk has no hook for a session or a connection pool (its
constructor takes `ssl`, `proxy`, `timeout` and retry handlers only), so this subclass replaces the one method that
opens the connection, `_perform_urllib_http_request_internal`, and keeps everything above it as slack_sdk wrote it:
the request is the same `urllib.request.Request`, the answer the same `{"status", "headers", "body"}` for 2xx and
the same `HTTPError` otherwise, so Retry-After, retry handlers, errors and parsing behave as before.

Each kept connection is a socket of our own: the request goes out in one write, and the answer is read with
httptools (uvicorn's C parser for HTTP/1.1, already among our dependencies). http.client built the request a header
at a time and parsed the answer's headers with the email package: a chat.postMessage through `call_json` to the
stand-in in another process cost 0.48 ms of CPU (median) that way and 0.28 ms this way, and a morning pass over
50 workspaces x 200 members went from 1.80 to 1.37 ms of the app's CPU a post (19.9 s -> 15.5 s), on a slow
machine. What the caller sees is what urlopen gave: the status, an `http.client.HTTPMessage` of the headers, the
body, and the same exceptions (`RemoteDisconnected`, `IncompleteRead`, a reset, a timeout; an answer that is not
HTTP at all raises `http.client.HTTPException`, of which http.client's own `BadStatusLine` is one).

Never a second copy of a call: a call is sent again on a fresh connection only when the kept one was found closed
before anything was sent, or when sending failed part-way (the request never reached Slack whole, so Slack cannot
have acted on it). Once the whole request is sent, whatever goes wrong is raised exactly as urlopen raises it.
"""

from __future__ import annotations

import functools
import http.client
import io
import json
import logging
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

import httptools
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

# A connection idle longer than this is closed rather than reused: servers close idle ones on their own schedule
# (tens of seconds at Slack's edge), and one that closes just as we send would cost the call a failure.
IDLE_SECONDS = 15.0
# Idle connections kept per client (and its twins): as many as a morning pass posts with at once
# (`handlers.fanout.SENDERS`), so a burst's connections serve the next burst instead of being closed and opened again
# (measured: ~7% of the pass's CPU, and more of the stand-in's, at 50 workspaces). Beyond it the extras are closed.
MAX_IDLE = 128

Origin = tuple[str, str, int]


class _Answer:
    """Slack's answer to one request, read whole: what urlopen's response gave the caller, and whether the
    connection must close after it. Its `on_*` methods are httptools' callbacks."""

    __slots__ = (
        "_framed",
        "_headers",
        "_parser",
        "body",
        "charset",
        "done",
        "fields",
        "reason",
        "status",
        "will_close",
    )

    def __init__(self) -> None:
        self.status = 0
        self.reason = ""
        self.fields: list[tuple[str, str]] = []
        self.charset: str | None = None
        """The charset its Content-Type names, lowercased, as `email.message.Message.get_content_charset` reads it."""
        self.body = bytearray()
        self.done = False
        self.will_close = True
        self._framed = False  # a length or chunks say where the body ends; otherwise the server closing does
        self._headers: http.client.HTTPMessage | None = None
        self._parser = httptools.HttpResponseParser(self)

    @property
    def headers(self) -> http.client.HTTPMessage:
        """The headers as urlopen's response holds them (built when asked: most calls only need `header`)."""
        if self._headers is None:
            self._headers = http.client.HTTPMessage()
            for name, value in self.fields:
                self._headers[name] = value
        return self._headers

    def header(self, name: str) -> str | None:
        """The first header of that name (any case), as `HTTPMessage.get` finds it."""
        wanted = name.lower()
        return next((value for field, value in self.fields if field.lower() == wanted), None)

    def feed(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise http.client.HTTPException(f"Slack's answer could not be read: {error}") from error

    def ended(self) -> None:
        """The server closed the connection: the answer is whole if nothing but that was to end it."""
        if not self.status:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if self._framed:
            raise http.client.IncompleteRead(bytes(self.body))
        self.done = True

    def on_status(self, reason: bytes) -> None:
        self.reason = reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        # Asked now: after the message the parser has moved on and answers for the next one.
        self.will_close = not self._parser.should_keep_alive()
        for name, value in self.fields:
            lowered = name.lower()
            if lowered == "content-length" or (lowered == "transfer-encoding" and "chunked" in value.lower()):
                self._framed = True
            elif lowered == "content-type" and self.charset is None:
                self.charset = _charset(value)

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:
            # An interim answer (100 Continue): skipped, as http.client skips it; the real one follows.
            self.status, self.reason, self.fields, self.charset, self._framed = 0, "", [], None, False
            return
        self.done = True


def _charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type value, unquoted and lowercased ("application/json; charset=utf-8")."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or None
    return None


class _Connection:
    """One HTTP/1.1 connection to an origin, kept open between calls."""

    def __init__(self, origin: Origin, *, timeout: float, context: ssl.SSLContext | None) -> None:
        scheme, host, port = origin
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the request goes out in one write anyway
            if scheme == "https":
                if context is None:
                    context = ssl.create_default_context()
                    context.set_alpn_protocols(["http/1.1"])
                sock = context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.sock: socket.socket | None = sock

    def send(self, target: str, headers: dict[str, str], body: bytes | None) -> None:
        """Write the request whole: the request line, the headers, the body."""
        if self.sock is None:
            raise ConnectionError("the connection is closed")
        payload = body or b""
        lines = [f"POST {target} HTTP/1.1"]
        given = {name.lower() for name in headers}
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise ValueError(f"Invalid header {name!r}")  # as http.client refuses one
            lines.append(f"{name}: {value}")
        # What http.client adds unless given: no compressed answers, and the body's length.
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")
        if "content-length" not in given:
            lines.append(f"Content-Length: {len(payload)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)

    def receive(self) -> _Answer:
        """Read the answer whole."""
        if self.sock is None:
            raise ConnectionError("the connection is closed")
        answer = _Answer()
        while not answer.done:
            data = self.sock.recv(65536)
            if data:
                answer.feed(data)
            else:
                answer.ended()
        return answer

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class _Connections:
    """Idle connections by origin (scheme, host, port), newest last; shared by the threads that use one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[_Connection, float]]] = {}

    def take(self, origin: Origin) -> _Connection | None:
        """A kept connection to `origin` that is still open, or None."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection, since = idle.pop()
            if now - since < IDLE_SECONDS and _still_open(connection):
                return connection
            connection.close()

    def give_back(self, origin: Origin, connection: _Connection) -> None:
        """Keep `connection` for the next call (or close it when enough are kept)."""
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE:
                idle.append((connection, time.monotonic()))
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for kept in idle.values():
            for connection, _ in kept:
                connection.close()


class _Route(NamedTuple):
    """Where a call goes: the connection's origin, the request target, and the Host header."""

    origin: Origin
    target: str
    host: str


def _route_of(url: str) -> _Route | None:
    """The route to an http(s) URL; None for anything else (the call then goes slack_sdk's own way)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Route((scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80)), target, parts.netloc)


_method_route = functools.lru_cache(maxsize=256)(_route_of)
"""`_route_of`, remembered for `call_json`'s URLs (a method's, no query): a pass posts to one thousands of times."""


def _still_open(connection: _Connection) -> bool:
    # An idle connection has nothing to read: readable means the server closed it (EOF or a reset) or sent
    # something unasked; either way it is not used. (A TLS record arriving late makes us open a new one: harmless.)
    sock = connection.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # no limit on descriptor numbers, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def register(app: App, client: KeepAliveWebClient) -> None:
    """Listeners call Slack over `client`'s kept connections: Bolt gives each request a WebClient of its own."""
    app.middleware(KeepConnections(client))


class KeepConnections(Middleware):
    """Bolt's global middleware that hands each request's listeners a client on the kept connections.

    After Bolt's authorization, so the request's client already carries the workspace's token. A `Middleware`
    rather than a decorated function, whose arguments Bolt would build from the payload at every request."""

    def __init__(self, client: KeepAliveWebClient) -> None:
        self._client = client

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        """Swap the request's client for its twin on the kept connections."""
        given = req.context.client
        if given is not None and not isinstance(given, KeepAliveWebClient):
            req.context["client"] = self._client.twin(given)
        next()
        return None


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient, with its connections to the Web API kept open and reused between calls.

    Thread-safe as WebClient is: each call takes an idle connection (or opens one) and gives it back after reading
    the whole answer. With a proxy (given, or from the environment) every call goes slack_sdk's own way.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = _Connections()
        # A client dropped without close() (a throwaway for one install, a token refreshed) still closes its sockets.
        weakref.finalize(self, self._connections.close)

    def close(self) -> None:
        """Close the kept connections (a later call opens a new one)."""
        self._connections.close()

    def twin(self, other: WebClient) -> KeepAliveWebClient:
        """A client with `other`'s token and settings that calls over this client's kept connections (the token
        travels with each request, so one connection serves every token)."""
        twin = KeepAliveWebClient(
            token=other.token,
            base_url=other.base_url,
            timeout=other.timeout,
            ssl=other.ssl,
            proxy=other.proxy,
            headers=dict(other.headers),
            logger=other.logger,
            retry_handlers=other.retry_handlers,
        )
        twin.default_params = dict(other.default_params)  # team_id, for an org-wide install
        twin._connections = self._connections  # closed with this client (its twins then open new ones)
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> KeepAliveWebClient:
        # Bolt deep-copies a request, its client included, for each lazy listener: the copy shares the connections
        # (a lock and open sockets cannot be copied, and need not be).
        return self.twin(self)

    def call_json(self, method: str, arguments: dict[str, Any]) -> SlackResponse:
        """`api_call(method, json=arguments)`: the same request, and the same answer (a validated SlackResponse, or
        SlackApiError), without slack_sdk's shaping of every call on the way (joining the URL, copying and merging
        arguments and headers three times over, a urllib Request, its retry bookkeeping): 0.22-0.26 ms of CPU a call
        that way, 0.15 this one (chat.postMessage to the stand-in in another process, on a quick machine, before the
        connection read its answers with httptools), and a morning pass over 50 x 200 spent 7.2 s of CPU instead of
        8.3. With retry handlers or a proxy it is `api_call` itself."""
        if self.retry_handlers or self.proxy is not None or not self.base_url.endswith("/"):
            return self.api_call(method, json=arguments)
        url = self.base_url + method
        route = _method_route(url)
        if route is None:
            return self.api_call(method, json=arguments)
        payload = {**self.default_params, **arguments}  # team_id, for an org-wide install, unless given
        token = payload.pop("token", None) or self.token
        headers = {**self.headers, "Content-Type": "application/json;charset=utf-8"}  # User-Agent among them
        if token:
            headers["Authorization"] = f"Bearer {token}"
        answer, raw = self._exchange(route, headers, json.dumps(payload).encode())
        try:
            data = json.loads(raw.decode(answer.charset or "utf-8"))
        except ValueError:
            data = {"ok": False, "error": f"Received a response in a non-JSON format: {raw[:100]!r}"}
        found = dict(answer.fields)
        retry_after = answer.header("Retry-After") if answer.status == 429 else None
        if retry_after is not None:
            found.setdefault("Retry-After", retry_after)
            found.setdefault("retry-after", retry_after)
        result = SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": headers, "data": {}, "params": {}, "files": None, "json": payload},
            data=data,
            headers=found,
            status_code=answer.status,
        )
        result.validate()  # type: ignore[no-untyped-call]  # SlackApiError unless Slack said ok
        return result

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        route = _route_of(url)
        if self.proxy is not None or route is None:
            return super()._perform_urllib_http_request_internal(url, req)
        headers = {name: str(value) for name, value in req.header_items()}
        response, raw = self._exchange(route, headers, req.data if isinstance(req.data, bytes) else None)
        return self._answer(url, response, raw)

    def _exchange(self, route: _Route, headers: dict[str, str], body: bytes | None) -> tuple[_Answer, bytes]:
        """POST `body` along `route` over a kept connection: Slack's answer, read whole."""
        origin, target = route.origin, route.target
        headers.setdefault("Host", route.host)

        connection = self._connections.take(origin)
        reused = connection is not None
        while True:
            try:
                if connection is None:
                    connection = _Connection(origin, timeout=self.timeout, context=self.ssl)
                connection.send(target, headers, body)
            except OSError as error:
                if connection is not None:
                    connection.close()
                connection = None
                if reused:
                    # The kept connection was closed under us while sending: Slack has not got the whole request,
                    # so it cannot have acted on it. Once, on a new connection.
                    log.debug("a kept connection to %s was closed; sending again on a new one", origin[1])
                    reused = False
                    continue
                raise URLError(error) from error  # as urlopen reports a failure to connect or send
            break
        try:
            answer = connection.receive()
        except BaseException:
            # After the whole request went out: raised as urlopen raises it (RemoteDisconnected, a reset, a
            # timeout), never sent again here; the caller's retry rules decide, as before.
            connection.close()
            raise
        if answer.will_close:
            connection.close()
        else:
            self._connections.give_back(origin, connection)
        return answer, bytes(answer.body)

    def _answer(self, url: str, response: _Answer, raw: bytes) -> dict[str, Any]:
        headers = response.headers
        if not 200 <= response.status < 300:
            # urlopen raises for anything else; slack_sdk's caller reads status, headers and body from the error.
            raise HTTPError(url, response.status, response.reason, headers, io.BytesIO(raw))
        if headers.get_content_type() == "application/gzip":  # admin.analytics.getFile
            return {"status": response.status, "headers": headers, "body": raw}
        decoded = raw.decode(response.charset or "utf-8")
        if self._logger.level <= logging.DEBUG:
            self._logger.debug(
                f"Received the following response - status: {response.status}, headers: {dict(headers)}, "
                f"body: {decoded}"
            )
        return {"status": response.status, "headers": headers, "body": decoded}
