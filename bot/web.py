"""HTTP mode: Bolt behind Starlette, served by uvicorn.

Why not Bolt's own `app.start()`: it is a development server (one request at a time, no graceful shutdown).
Why not Bolt's Starlette adapter as is: it calls the synchronous `App.dispatch` inside the event loop, so
one slow request would stall every other. Here each dispatch runs in a worker thread, and uvicorn gives us
a production server with graceful SIGTERM handling.
"""

from __future__ import annotations

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.gate import WorkGate
from storage.db import database_is_reachable


def create_web_app(app: App, engine: Engine, signing_secret: str | None, gate: WorkGate | None = None) -> Starlette:
    """The ASGI app: `POST /slack/events` for everything Slack sends, `GET /healthz` for load balancers."""

    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Verify before parsing, so a forged request is a 401 whatever its body, and a signed but
        # unparseable one is a 400 rather than an exception inside Bolt.
        if verifier is not None and not verifier.is_valid_request(body, dict(request.headers)):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            bolt_request = to_bolt_request(request, body)
        except ValueError:
            return JSONResponse({"error": "the payload is not valid JSON"}, status_code=400)
        bolt_response = await run_in_threadpool(dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    def dispatch(bolt_request: BoltRequest) -> BoltResponse:
        # Bolt returns as soon as the listener acks; until then, the work of other requests waits (WorkGate).
        if gate is None:
            return app.dispatch(bolt_request)
        with gate.awaiting_ack():
            return app.dispatch(bolt_request)

    async def healthz(_: Request) -> Response:
        if await run_in_threadpool(database_is_reachable, engine):
            return JSONResponse({"ok": True, "database": "reachable"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
