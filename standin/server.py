"""The stand-in's HTTP side: Slack's Web API, response_url endpoints and file upload URLs on loopback."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from .model import JsonDict
from .records import JSON_FIELDS, ApiResult
from .workspace import Workspace

log = logging.getLogger(__name__)


class ApiServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 answering for one workspace."""

    daemon_threads = True
    # Bursts of concurrent callers must queue, not be refused.
    request_queue_size = 256

    def __init__(self, workspace: Workspace, stopping: threading.Event) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.workspace = workspace
        self.stopping = stopping
        self.connections_accepted = 0
        """TCP connections accepted so far (a client that keeps its connection open makes one for many calls)."""
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Condition()  # notified as each connection closes

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.connections_accepted += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
            self._open_lock.notify_all()
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening and drop the connections callers keep open: a stopped Slack answers nothing more."""
        super().server_close()
        self.drop_connections()

    def drop_connections(self, *, reset: bool = False) -> None:
        """Close the connections callers keep open between calls (with `reset`, abortively: RST, not FIN)."""
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):
                if reset:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.shutdown(socket.SHUT_RDWR)
        # Return once each handler has closed its side, so the caller's next call meets a closed connection.
        with self._open_lock:
            self._open_lock.wait_for(lambda: self._open.isdisjoint(still_open), timeout=2.0)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.server_address[1]}"


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


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"
    # An answer goes out in one write, as Slack's small answers arrive: written unbuffered, the status line and headers
    # went in one segment and the body in another, so every caller read each answer twice. (http.server flushes the
    # buffer once the request is handled.) And no wait for a delayed ACK on a kept connection should a write split.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _route(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/oauth/v2/authorize":
            self._send_json(self.server.workspace.consent(query))
        elif path.startswith("/api/"):
            self._web_api(unquote(path[len("/api/") :]), query, body)
        elif path.startswith("/response/"):
            self._response_url(path[len("/response/") :], body)
        elif path.startswith("/upload/v1/"):
            if self.server.workspace.receive_upload(path[len("/upload/v1/") :], body):
                self._send_text(200, f"OK - {len(body)}")
            else:
                self._send_text(404, "not_found")
        else:
            self._send_text(404, "not_found")

    def _web_api(self, method: str, query: str, body: bytes) -> None:
        workspace = self.server.workspace
        content_type = self.headers.get("Content-Type") or ""
        try:
            args = decode_args(query, body, content_type)
        except (ValueError, UnicodeDecodeError):
            workspace.record(method, {"body": body.decode("utf-8", "replace")}, ok=False, error="invalid_json")
            self._send_json(ApiResult(200, {"ok": False, "error": "invalid_json"}))
            return
        authorization = self.headers.get("Authorization") or ""
        if method == "oauth.v2.access":
            self._send_json(workspace.oauth_access(args, authorization))
            return
        token = args.pop("token", None)
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
        delay, fault = workspace.plan(method)
        if delay > 0 and self.server.stopping.wait(delay):
            self._reset()
            return
        if fault is not None and fault.error == "connection_reset":
            workspace.record(method, args, ok=False, error="connection_reset")
            self._reset()
            return
        result = workspace.fault_answer(method, args, fault) if fault else workspace.call(method, args, token)
        self._send_json(result)

    def _response_url(self, key: str, body: bytes) -> None:
        try:
            payload: object = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            payload = body.decode("utf-8", "replace")
        self._send_json(self.server.workspace.post_to_response_url(key, payload))

    def _reset(self) -> None:
        # Linger 0 makes close() send RST: the caller sees "connection reset", not an empty answer.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _send_json(self, result: ApiResult) -> None:
        data = json.dumps(result.body).encode("utf-8")
        self.send_response(result.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in result.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
