"""Slack's Socket Mode endpoint: the websocket apps.connections.open points to, and envelope delivery."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from .model import JsonDict
from .workspace import Workspace

log = logging.getLogger(__name__)


class NoAck(Exception):
    """The app did not acknowledge an envelope in time."""


class SocketLink:
    """A websocket server speaking Slack's Socket Mode protocol to the app."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._cond = workspace.cond
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, JsonDict] = {}
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start listening on an ephemeral loopback port; returns the ws:// base URL."""
        self._server = serve(
            self._serve_connection,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            # Frequent pings wake slack_sdk's builtin client from its 3 s blocking recv, so its close() is quick.
            ping_interval=0.2,
            ping_timeout=20,
            close_timeout=2,
            logger=log,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="standin-socket-mode", daemon=True)
        self._thread.start()
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    def stop(self) -> None:
        """Close every connection (1001 going away) and stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._workspace.touch()

    @property
    def connection_count(self) -> int:
        """How many Socket Mode connections are open."""
        with self._cond:
            return len(self._connections)

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        if parts.path.rstrip("/") != "/link" or not self._workspace.redeem_ticket(ticket):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        return None

    def _serve_connection(self, connection: ServerConnection) -> None:
        with self._cond:
            count = len(self._connections) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-standin", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._workspace.app_id},
        }
        try:
            connection.send(json.dumps(hello))
            with self._cond:
                self._connections.append(connection)
            self._workspace.touch()
            for raw in connection:
                self._receive(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if connection in self._connections:
                    self._connections.remove(connection)
            self._workspace.touch()

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Socket Mode stand-in got a non-JSON frame: %r", raw)
            return
        if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
            with self._cond:
                self._acks[message["envelope_id"]] = message
            self._workspace.touch()
        else:
            log.warning("Socket Mode stand-in got an unexpected message: %r", message)

    def deliver(self, envelope: JsonDict, *, timeout: float) -> JsonDict:
        """Send an envelope on the newest connection and wait for the app's ack message."""
        with self._cond:
            if not self._connections:
                raise AssertionError("no Socket Mode connection is open; is the app's SocketModeHandler running?")
            connection = self._connections[-1]
        envelope_id = str(envelope["envelope_id"])
        connection.send(json.dumps(envelope))
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoAck(envelope_id)
                self._cond.wait(remaining)
            return self._acks.pop(envelope_id)

    def disconnect(self) -> None:
        """Ask the app to reconnect the way Slack does (a disconnect message), then close the socket."""
        with self._cond:
            connections = list(self._connections)
        if not connections:
            raise AssertionError("no Socket Mode connection to close")
        connection = connections[-1]
        farewell = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-standin"}}
        with contextlib.suppress(ConnectionClosed):
            connection.send(json.dumps(farewell))
        connection.close()
        # Return only once the connection no longer counts, so socket_connections means live ones.
        deadline = time.monotonic() + 5
        with self._cond:
            while connection in self._connections:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("the closed Socket Mode connection did not go away within 5 s")
                self._cond.wait(remaining)
