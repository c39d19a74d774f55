"""A WebClient that keeps its connections to Slack open between calls (HTTP/1.1 keep-alive).

slack_sdk's WebClient sends every call through `urllib.request.urlopen`, which opens a TCP (and TLS) connection,
sends `Connection: close` and drops it after the answer: at twenty posts a second per workspace, connecting costs
more CPU, on both sides, than the call itself. slack_sdk has no hook for a session or a connection pool (its
constructor takes `ssl`, `proxy`, `timeout` and retry handlers only), so this subclass replaces the one method that
opens the connection, `_perform_urllib_http_request_internal`, and keeps everything above it as slack_sdk wrote it:
the request is the same `urllib.request.Request`, the answer the same `{"status", "headers", "body"}` for 2xx and
the same `HTTPError` otherwise, so Retry-After, retry handlers, errors and parsing behave as before.

Never a second copy of a call: a call is sent again on a fresh connection only when the kept one was found closed
before anything was sent, or when sending failed part-way (the request never reached Slack whole, so Slack cannot
have acted on it). Once the whole request is sent, whatever goes wrong is raised exactly as urlopen raises it.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import select
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import SplitResult, urlsplit
from urllib.request import Request

from slack_bolt import App, BoltContext
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


class _Connections:
    """Idle connections by origin (scheme, host, port), newest last; shared by the threads that use one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[http.client.HTTPConnection, float]]] = {}

    def take(self, origin: Origin) -> http.client.HTTPConnection | None:
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

    def give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
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


def _still_open(connection: http.client.HTTPConnection) -> bool:
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

    @app.middleware
    def keep_connections(context: BoltContext, next_: Callable[[], None]) -> None:
        # After Bolt's authorization, so the request's client already carries the workspace's token.
        given = context.client
        if given is not None and not isinstance(given, KeepAliveWebClient):
            context["client"] = client.twin(given)
        next_()


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
        that way, 0.15 this one (chat.postMessage to the stand-in in another process), and a morning pass over
        50 x 200 spends 7.2 s of CPU instead of 8.3. With retry handlers or a proxy it is `api_call` itself."""
        if self.retry_handlers or self.proxy is not None or not self.base_url.endswith("/"):
            return self.api_call(method, json=arguments)
        url = self.base_url + method
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return self.api_call(method, json=arguments)
        payload = {**self.default_params, **arguments}  # team_id, for an org-wide install, unless given
        token = payload.pop("token", None) or self.token
        headers = {**self.headers, "Content-Type": "application/json;charset=utf-8"}  # User-Agent among them
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response, raw = self._exchange(parts, headers, json.dumps(payload).encode())
        answer = response.headers
        charset = answer.get_content_charset() or "utf-8"
        try:
            data = json.loads(raw.decode(charset))
        except ValueError:
            data = {"ok": False, "error": f"Received a response in a non-JSON format: {raw[:100]!r}"}
        found = dict(answer.items())
        if response.status == 429 and "Retry-After" in answer:
            found.setdefault("Retry-After", answer["Retry-After"])
            found.setdefault("retry-after", answer["Retry-After"])
        result = SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": headers, "data": {}, "params": {}, "files": None, "json": payload},
            data=data,
            headers=found,
            status_code=response.status,
        )
        result.validate()  # type: ignore[no-untyped-call]  # SlackApiError unless Slack said ok
        return result

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return super()._perform_urllib_http_request_internal(url, req)
        headers = {name: str(value) for name, value in req.header_items()}
        response, raw = self._exchange(parts, headers, req.data if isinstance(req.data, bytes) else None)
        return self._answer(url, response, raw)

    def _exchange(
        self, parts: SplitResult, headers: dict[str, str], body: bytes | None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """POST `body` to `parts` over a kept connection: Slack's answer, read whole."""
        scheme = parts.scheme.lower()
        assert parts.hostname is not None
        origin: Origin = (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers.setdefault("Host", parts.netloc)

        connection = self._connections.take(origin)
        reused = connection is not None
        while True:
            if connection is None:
                connection = self._connect(origin)
            try:
                connection.request("POST", target, body=body, headers=headers)
            except OSError as error:
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
            response = connection.getresponse()
            raw = response.read()
        except BaseException:
            # After the whole request went out: raised as urlopen raises it (RemoteDisconnected, a reset, a
            # timeout), never sent again here; the caller's retry rules decide, as before.
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._connections.give_back(origin, connection)
        return response, raw

    def _connect(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.ssl)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _answer(self, url: str, response: http.client.HTTPResponse, raw: bytes) -> dict[str, Any]:
        headers = response.headers
        if not 200 <= response.status < 300:
            # urlopen raises for anything else; slack_sdk's caller reads status, headers and body from the error.
            raise HTTPError(url, response.status, response.reason, headers, io.BytesIO(raw))
        if headers.get_content_type() == "application/gzip":  # admin.analytics.getFile
            return {"status": response.status, "headers": headers, "body": raw}
        charset = headers.get_content_charset() or "utf-8"
        decoded = raw.decode(charset)
        if self._logger.level <= logging.DEBUG:
            self._logger.debug(
                f"Received the following response - status: {response.status}, headers: {dict(headers)}, "
                f"body: {decoded}"
            )
        return {"status": response.status, "headers": headers, "body": decoded}
