"""The Slack client's page and its JSON API: what a member sees (channels, the app's DM and Home, modals) and what
they do (type, click, submit, close), played against the stand-in exactly as Slack's own client would."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..model import AppReply, JsonDict, Message
from ..standin import SlackStandIn

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PAGE_SIZE = 50
"""Messages drawn when a conversation opens; earlier ones come a page at a time as the member scrolls up."""
LONG_POLL_SECONDS = 10.0
STOP_CHECK_SECONDS = 0.2
QUIET_SECONDS = 0.05
SETTLE_SECONDS = 0.3


class ClockControls(Protocol):
    """The demo's clock, as the page's clock buttons move it; each move returns one line saying what ran."""

    def now(self) -> datetime: ...

    def next_morning(self, zone: str) -> str: ...

    def plus_day(self) -> str: ...

    def next_recap(self) -> str: ...


class Refusal(Exception):
    """A request from the page that cannot be done, answered 400 with its reason."""


def create_page(
    slack: SlackStandIn,
    *,
    commands: Sequence[str],
    clock: ClockControls,
    stopping: threading.Event | None = None,
    app_name: str = "Breakthrough Coach",
) -> Starlette:
    """The Slack client for the stand-in's workspace as an ASGI app; set `stopping` before shutting it down, so
    the pages' long polls end at once."""
    client = Client(slack, tuple(commands), clock, app_name, stopping or threading.Event())
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    async def index(request: Request) -> Response:
        return templates.TemplateResponse(request, "index.html", {"app_name": app_name})

    def route(path: str, name: str, method: str = "GET") -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                given = await request.json() if method == "POST" else dict(request.query_params)
                if not isinstance(given, dict):
                    raise Refusal("the body must be a JSON object")
                body = {**given, **request.path_params}
                result = await run_in_threadpool(getattr(client, name), body)
            except ValueError:
                return JSONResponse({"error": "the body is not JSON"}, status_code=400)
            except Refusal as refusal:
                return JSONResponse({"error": str(refusal)}, status_code=400)
            return result if isinstance(result, Response) else JSONResponse(result)

        return Route(path, endpoint, methods=[method])

    return Starlette(
        routes=[
            Route("/", index),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
            route("/api/workspace", "workspace"),
            route("/api/messages", "messages"),
            route("/api/thread", "thread"),
            route("/api/views", "views"),
            route("/api/changes", "changes"),
            route("/files/{file_id}", "download"),
            route("/api/send", "send", "POST"),
            route("/api/press", "press", "POST"),
            route("/api/submit", "submit", "POST"),
            route("/api/close", "close", "POST"),
            route("/api/home", "home", "POST"),
            route("/api/clock", "move_clock", "POST"),
        ]
    )


class Client:
    """What the page asks of the workspace, one method per endpoint; each runs in a worker thread."""

    def __init__(
        self,
        slack: SlackStandIn,
        commands: tuple[str, ...],
        clock: ClockControls,
        app_name: str,
        stopping: threading.Event,
    ) -> None:
        self.slack = slack
        self.stopping = stopping
        self.ws = slack.workspace
        self.commands = commands
        self.clock = clock
        self.app_name = app_name

    def _member(self, body: JsonDict) -> str:
        user_id = str(body.get("as") or "")
        if not any(m.id == user_id for m in self.ws.members()):
            raise Refusal(f"no member {user_id!r}")
        return user_id

    def workspace(self, body: JsonDict) -> JsonDict:
        """The directory, the channels, the commands and the clock as the member reads it."""
        members = self.ws.members()
        viewer = next((m for m in members if m.id == body.get("as")), members[0])
        now = self.clock.now().astimezone(ZoneInfo(viewer.tz))
        return {
            "app": {"id": self.ws.bot_user_id, "name": self.app_name},
            "members": [
                {"id": m.id, "name": m.name, "real_name": m.real_name, "tz": m.tz, "is_admin": m.is_admin}
                for m in members
            ],
            "channels": [{"id": c.id, "name": c.name} for c in self.ws.channels()],
            "commands": list(self.commands),
            "clock": {"iso": now.isoformat(), "text": f"{now:%a %-d %b %Y, %H:%M} {now.tzname()}", "zone": viewer.tz},
            "version": self.ws.version,
        }

    def messages(self, body: JsonDict) -> JsonDict:
        """A page of a conversation, latest last, and whether there is more before it."""
        viewer = self._member(body)
        channel = str(body.get("conversation") or "")
        found, more = self.ws.conversation_page(channel, viewer, before=body.get("before") or None, limit=PAGE_SIZE)
        counts = self.ws.reply_counts(channel)
        return {"messages": [self._message(m, counts.get(m.ts, 0)) for m in found], "more": more}

    def thread(self, body: JsonDict) -> JsonDict:
        """A thread's parent and its replies."""
        viewer = self._member(body)
        channel, ts = str(body.get("conversation") or ""), str(body.get("ts") or "")
        parent = self.ws.message_at(channel, ts, viewer)
        if parent is None:
            raise Refusal("no such message")
        replies = self.ws.replies(channel, ts)
        return {"parent": self._message(parent, len(replies)), "replies": [self._message(m, 0) for m in replies]}

    def _message(self, message: Message, replies: int) -> JsonDict:
        files = [self.ws.file(f) for f in message.files]
        return {
            "ts": message.ts,
            "channel": message.channel,
            "text": message.text,
            "blocks": message.blocks,
            "author": message.author or self.ws.bot_user_id,
            "ephemeral": message.ephemeral,
            "edited": message.updates > 0,
            "replies": replies,
            "files": [
                {
                    "id": f.file_id,
                    "name": f.filename,
                    "title": f.title,
                    "alt": f.alt_txt,
                    "image": _is_image(f.filename),
                }
                for f in files
                if f is not None
            ],
        }

    def views(self, body: JsonDict) -> JsonDict:
        """The member's modal stack (top last) and their Home tab."""
        viewer = self._member(body)
        home = self.ws.home(viewer)
        return {"modals": [v.raw for v in self.ws.open_views(viewer)], "home": home.raw if home else None}

    def changes(self, body: JsonDict) -> JsonDict:
        """Waits (a long poll) until anything changed since the version the page holds."""
        since = int(str(body.get("since") or "0"))
        deadline = time.monotonic() + LONG_POLL_SECONDS
        version = since
        while version == since and not self.stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            version = self.ws.wait_for_change(since, min(left, STOP_CHECK_SECONDS))
        # What the app does comes in bursts (an ack, its Web API calls, the outbox's posts): answered after a moment's
        # quiet, the page redraws once for the burst rather than once for each call in it.
        settled_by = time.monotonic() + SETTLE_SECONDS
        while version != since and (left := settled_by - time.monotonic()) > 0:
            newer = self.ws.wait_for_change(version, min(left, QUIET_SECONDS))
            if newer == version:
                break
            version = newer
        return {"version": version}

    def download(self, body: JsonDict) -> Response:
        """An uploaded file's bytes, as a download."""
        found = self.ws.file(str(body.get("file_id") or ""))
        if found is None:
            return Response("no such file", status_code=404)
        safe = re.sub(r"[^\w.-]", "_", found.filename) or "file"
        if _is_image(found.filename):  # shown in the page, as Slack shows an uploaded image
            return Response(
                found.content, media_type="image/png", headers={"content-disposition": f'inline; filename="{safe}"'}
            )
        disposition = f'attachment; filename="{safe}"'
        return Response(
            found.content, media_type="application/octet-stream", headers={"content-disposition": disposition}
        )

    def send(self, body: JsonDict) -> JsonDict:
        """What the member typed into the message box: a slash command, or a message."""
        viewer = self._member(body)
        channel, typed = str(body.get("conversation") or ""), str(body.get("text") or "").strip()
        if not typed:
            raise Refusal("nothing to send")
        if not typed.startswith("/"):
            self.ws.post_as_member(viewer, channel, self.ws.escape_typed(typed), thread_ts=body.get("thread_ts"))
            return {"ok": True}
        command, _, rest = typed.partition(" ")
        if command not in self.commands:
            self.ws.notify(
                viewer,
                channel,
                f"`{command}` is not a valid command. In Slack, all messages that start "
                'with the "/" character are interpreted as commands.',
            )
            return {"ok": False}
        reply = self.slack.command(viewer, command, self.ws.escape_typed(rest.strip()), channel=channel)
        return self._answered(viewer, channel, command, reply)

    def _answered(self, viewer: str, channel: str, what: str, reply: AppReply) -> JsonDict:
        """What the app's ack means to the member: Slack shows a failure when there was no timely 200."""
        if reply.status == 200:
            errors = reply.body.get("errors") if isinstance(reply.body, dict) else None
            return {"ok": True, "errors": errors if isinstance(errors, dict) else None}
        error = "operation_timeout" if reply.status == 0 else "dispatch_failed"
        self.ws.notify(viewer, channel, f'{what} failed with the error "{error}"')
        return {"ok": False, "error": error}

    def press(self, body: JsonDict) -> JsonDict:
        """A button clicked in a message or a view."""
        viewer = self._member(body)
        block_id, action_id = str(body.get("block_id")), str(body.get("action_id"))
        where: Any
        if body.get("view_id"):
            where = self._view(viewer, str(body["view_id"]))
        else:
            where = self.ws.message_at(str(body.get("conversation")), str(body.get("ts")), viewer)
            if where is None:
                raise Refusal("that message is gone")
        reply = self.slack.press(viewer, where, block_id, action_id)
        return self._answered(viewer, str(body.get("conversation") or f"D{viewer}"), "This button", reply)

    def submit(self, body: JsonDict) -> JsonDict:
        """A modal submitted with the values the member gave, in Slack's `state.values` shape."""
        viewer = self._member(body)
        view = self._view(viewer, str(body.get("view_id")))
        state = body.get("state")
        if not isinstance(state, dict):
            raise Refusal("state must be an object")
        reply = self.slack.submit(viewer, view, state=state)
        return self._answered(viewer, f"D{viewer}", "This form", reply)

    def close(self, body: JsonDict) -> JsonDict:
        """The top modal closed with its close button."""
        viewer = self._member(body)
        self.slack.close_view(viewer, self._view(viewer, str(body.get("view_id"))))
        return {"ok": True}

    def home(self, body: JsonDict) -> JsonDict:
        """The member opened the app's Home tab."""
        viewer = self._member(body)
        return self._answered(viewer, f"D{viewer}", "Home", self.slack.open_home(viewer))

    def move_clock(self, body: JsonDict) -> JsonDict:
        """A clock button: the next morning in the member's zone, a day on, or the next recap."""
        viewer = next(m for m in self.ws.members() if m.id == self._member(body))
        move = body.get("move")
        if move == "next_morning":
            said = self.clock.next_morning(viewer.tz)
        elif move == "plus_day":
            said = self.clock.plus_day()
        elif move == "next_recap":
            said = self.clock.next_recap()
        else:
            raise Refusal(f"no clock move {move!r}")
        return {"ok": True, "said": said}

    def _view(self, viewer: str, view_id: str) -> Any:
        try:
            owner, view = self.ws.current_view(view_id)
        except AssertionError:
            raise Refusal("that view is not open any more") from None
        if owner != viewer:
            raise Refusal("that view is someone else's")
        return view


def _is_image(filename: str) -> bool:
    """Whether an uploaded file is a picture the page shows (the app uploads PNG charts)."""
    return filename.lower().endswith(".png")
