"""HTTP mode: Bolt behind Starlette, served by uvicorn.

Why not Bolt's own `app.start()`: it is a development server (one request at a time, no graceful shutdown).
Why not Bolt's Starlette adapter as is: it calls the synchronous `App.dispatch` inside the event loop, so
one slow request would stall every other, and it reads any body in full before anything checks it. Here the
door reads at most `max_body_bytes` within `read_timeout`, verifies the signature before reading the bytes as
text, and each dispatch runs in a worker thread; uvicorn gives us a production server with graceful SIGTERM
handling.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import logging
import socket
import time
from collections.abc import Mapping

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storage.db import database_is_reachable, taking_turns

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Slack's requests are a few kilobytes; anything over 1 MB is refused before it is read in full."""

READ_TIMEOUT = 10.0
"""Seconds a client has to send the whole body: a client trickling bytes must not hold a worker for ever."""

MAX_CLOCK_SKEW = 5 * 60
"""Slack's rule: a request signed more than five minutes from now is refused, so a captured one cannot be replayed
for ever."""


class Refused(Exception):
    """A request the door turns away, with the status and the one line that says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CannotListen(Exception):
    """The address to serve on cannot be had (another program holds the port, or it is not this machine's)."""


def bind(host: str, port: int, *, setting: str) -> socket.socket:
    """A socket bound to `host`:`port`, not yet listening; CannotListen, saying which `setting` chooses another
    address, when it cannot be had.

    Bound before anything else starts, so that a port in use is one line rather than a traceback once the scheduler
    has run. Listening waits for `sock.listen()`: until then a request is refused at once (Slack retries it) rather
    than queued behind a start-up that may outlast its three seconds."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as create_server: a restart can take the port
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(f"port {port} on {host} is already in use; choose another with {setting}") from None
        raise CannotListen(f"can't listen on {host}:{port} ({error.strerror or error})") from None
    return sock


def signature_verifies(secret: bytes, body: bytes, headers: Mapping[str, str], *, now: float) -> bool:
    """Whether `body` carries Slack's v0 signature, made with `secret` within five minutes of `now`.

    Over the bytes as sent: slack_sdk's SignatureVerifier decodes them as UTF-8 first, so a forged body that is
    not UTF-8 would raise there instead of being refused.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    signed = b"v0:" + timestamp.encode() + b":" + body
    expected = b"v0=" + hmac.new(secret, signed, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature.encode("latin-1"))  # header values arrive as latin-1 text


async def read_body(request: Request, *, max_body_bytes: int, read_timeout: float) -> bytes:
    """The body, refused before it is read in full when it is too big, too slow or not a number of bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise Refused(400, "a Content-Length that is not a number")
        if len(declared) > 12 or int(declared) > max_body_bytes:
            raise Refused(413, f"a body declared as {declared[:20]} bytes")
    # Counted as it streams too: a chunked body declares no length, and a declared one may lie.
    body = bytearray()
    try:
        async with asyncio.timeout(read_timeout):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_body_bytes:
                    raise Refused(413, f"a body over {max_body_bytes} bytes")
    except TimeoutError:
        raise Refused(408, f"a body not sent within {read_timeout:g} s ({len(body)} bytes so far)") from None
    except ClientDisconnect:
        raise Refused(400, "a client that left before sending its body") from None
    return bytes(body)


def parse(request: Request, body: bytes) -> BoltRequest:
    """A verified body as Bolt's request; a 400 when it is not a Slack payload."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "a signed body that is not UTF-8") from None
    try:
        bolt_request = BoltRequest(body=text, query=request.url.query, headers=dict(request.headers))
    # Bolt reads the payload's shape as it builds the request: JSON that is not an object fails in many ways.
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        raise Refused(400, "a signed body that is not a Slack payload") from None
    if not isinstance(bolt_request.body, dict):
        raise Refused(400, "a signed body that is not a Slack payload")
    return bolt_request


def _dispatch(app: App, request: BoltRequest) -> BoltResponse:
    # Its transactions take turns with those of the other requests in flight (storage.db.taking_turns).
    with taking_turns():
        return app.dispatch(request)


def refuse(request: Request, refused: Refused) -> Response:
    """The refusal, logged with who sent it."""
    client = request.client.host if request.client else "unknown"
    log.warning("refused %s from %s with %s", refused.reason, client, refused.status)
    # Closing the connection stops uvicorn from reading (and discarding) whatever the client still sends.
    return JSONResponse({"error": refused.reason}, status_code=refused.status, headers={"connection": "close"})


def create_web_app(
    app: App,
    engine: Engine,
    signing_secret: str | None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    read_timeout: float = READ_TIMEOUT,
) -> Starlette:
    """The ASGI app: `POST /slack/events` for everything Slack sends, `GET /healthz` for load balancers, and in
    distribution mode (the app has an OAuth flow) `GET /slack/install` and `GET /slack/oauth_redirect`."""

    secret = signing_secret.encode() if signing_secret else None

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request, max_body_bytes=max_body_bytes, read_timeout=read_timeout)
            # Verify the bytes before reading them as anything, so a forged request is a 401 whatever its body,
            # and a signed but unreadable one is a 400 rather than an exception inside Bolt.
            if secret is not None and not signature_verifies(secret, body, request.headers, now=time.time()):
                raise Refused(401, "a request whose signature or timestamp does not verify")
            bolt_request = parse(request, body)
        except Refused as refused:
            return refuse(request, refused)
        # The listener stores, then acks; Bolt returns the ack once the listener is done (process_before_response).
        # In a worker thread, so that a dispatch waiting on Slack (a member's first profile, people a command names)
        # or on SQLite's writer lock never holds up the other requests. The hop has a price, measured with
        # benchmarks/ack_latency.py (20 concurrent /act, 2 cores): the worker and the event loop hand the interpreter
        # to each other at every wait of a statement, ~0.6 ms of CPU a command (the app 2.2-3.2 ms threaded against
        # 1.6-2.2 dispatched in the loop; one stored row 1.3-1.5 against 0.6). In the loop, dispatches also need
        # turns in the order requests came (one consumer of a FIFO): dispatched where they were read, two of twenty
        # connections were served every other round (63 ms against 32). Either way, a request that may wait before
        # its ack (on Slack, or for a lock a thread holds) would stop every other while it waits. So would one
        # dedicated thread taking the requests in turn (measured: 12% less CPU a command). Most of the hop's price is
        # cold caches, not the switch itself: in process, one stored row's dispatch cost 0.55 ms back to back in one
        # thread and ~1.0 in a thread woken for it, as served.
        bolt_response = await run_in_threadpool(_dispatch, app, bolt_request)
        return to_starlette_response(bolt_response)

    async def healthz(_: Request) -> Response:
        if await run_in_threadpool(database_is_reachable, engine):
            return JSONResponse({"ok": True, "database": "reachable"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    routes = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    flow = app.oauth_flow
    if flow is not None:

        async def install(request: Request) -> Response:
            bolt_request = BoltRequest(body="", query=request.url.query, headers=dict(request.headers))
            return to_starlette_response(await run_in_threadpool(flow.handle_installation, bolt_request))

        async def oauth_redirect(request: Request) -> Response:
            # Bolt checks the state (the cookie against the query, then used once in the store) before anything.
            bolt_request = BoltRequest(body="", query=request.url.query, headers=dict(request.headers))
            return to_starlette_response(await run_in_threadpool(flow.handle_callback, bolt_request))

        routes += [
            Route(flow.install_path, install, methods=["GET"]),
            Route(flow.redirect_uri_path, oauth_redirect, methods=["GET"]),
        ]
    return Starlette(routes=routes)
