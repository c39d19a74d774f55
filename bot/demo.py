"""`breakthrough demo`: the real app, with the project's stand-in for Slack as its Slack, a seeded team and a
Slack-like page in the browser, all in one process.

The app is wired exactly as `run` wires it (the same listeners, outbox sender, scheduler and job code) and sees only
what it would see in production: SLACK_API_URL pointing at a Slack, and signed requests coming in over HTTP.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from starlette.types import ASGIApp

from bot.app import Runtime, create_app
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from bot.coach.recaps import Recaps
from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.web import create_web_app
from handlers.ids import Command
from handlers.jobs import daily_pass, recap_pass
from standin import SlackStandIn
from standin.web import create_page
from storage.db import upgrade

log = logging.getLogger("breakthrough.demo")

DEFAULT_DATABASE = "sqlite:///demo.db"
GENERAL, WINS = "C1", "CWINS"  # the stand-in's workspace starts with #general as C1
ACK_DEADLINE = 3.0
"""Slack's: a request not acked within 3 seconds is shown to the member as failed."""


@dataclass(frozen=True, slots=True)
class DemoMember:
    """A member of the demo's team."""

    user_id: str
    name: str
    real_name: str
    tz: str
    is_admin: bool = False


TEAM = (
    DemoMember("UADA", "ada", "Ada Okafor", "Europe/Berlin", is_admin=True),
    DemoMember("UBEA", "bea", "Bea Lindqvist", "Europe/London"),
    DemoMember("UCAL", "cal", "Cal Rivera", "America/New_York"),
    DemoMember("UDAI", "dai", "Dai Tanaka", "Asia/Tokyo"),
)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def seed(slack: SlackStandIn) -> None:
    """The demo's workspace: its team in four zones (one an admin), #general and #wins."""
    for member in TEAM:
        slack.add_user(
            member.user_id, name=member.name, real_name=member.real_name, tz=member.tz, is_admin=member.is_admin
        )
    slack.add_channel(WINS, name="wins")


class DemoClock:
    """The demo's one clock, moved by the page's buttons; each move runs the scheduler's passes at the new time."""

    def __init__(self, clock: FixedClock, runtime: Runtime, team_id: str) -> None:
        self.clock = clock
        self.runtime = runtime
        self.team_id = team_id
        self._moving = threading.Lock()

    def now(self) -> datetime:
        """The simulated instant."""
        return self.clock.now()

    def next_morning(self, zone: str) -> str:
        """To the next 09:00 in `zone`."""
        local = self.clock.now().astimezone(ZoneInfo(zone))
        morning = datetime.combine(local.date(), time(9), tzinfo=ZoneInfo(zone))
        if morning <= local:
            morning = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=ZoneInfo(zone))
        return self.move_to(morning)

    def plus_day(self) -> str:
        """A day on."""
        return self.move_to(self.clock.now() + timedelta(days=1))

    def next_recap(self) -> str:
        """To the workspace's next recap time."""
        return self.move_to(Recaps(self.runtime.coach).next_recap_at(self.team_id, self.clock.now()))

    def move_to(self, at: datetime) -> str:
        """Set the clock to `at`, then run what the scheduler runs there: the morning pass and the recap pass."""
        with self._moving:
            self.clock.set(at.astimezone(UTC))
            coach, poster = self.runtime.coach, self.runtime.poster
            morning = daily_pass(Nudges(coach), FollowUps(coach), poster, at)
            recap = recap_pass(Recaps(coach), poster, at)
            self.runtime.sender.wake()  # what the passes owe besides their own posts (a requester told) goes now
        said = f"{at:%a %-d %b %H:%M %Z}: {morning.sent} morning messages, {recap.sent} recaps"
        log.info("clock moved to %s", said)
        return said


class Served:
    """An ASGI app under uvicorn on a socket already bound, in a background thread."""

    def __init__(self, app: ASGIApp, sock: socket.socket, name: str) -> None:
        self.sock = sock
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.sock.getsockname()[1])

    def start(self) -> None:
        """Serve, and return once uvicorn listens."""
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


class Demo:
    """The stand-in, the app serving it, the scheduler and the page, started and stopped together."""

    def __init__(self, sock: socket.socket, database_url: str, *, start_at: datetime | None = None) -> None:
        self.sock = sock
        self.database_url = database_url
        self.clock = FixedClock((start_at or datetime.now(UTC)).replace(second=0, microsecond=0))
        self.slack = SlackStandIn(
            signing_secret=secrets.token_hex(16),
            bot_token=f"xoxb-demo-{secrets.token_hex(12)}",
            app_token=f"xapp-demo-{secrets.token_hex(12)}",
            clock=self.clock,
        )
        self.slack.ack_timeout = ACK_DEADLINE
        seed(self.slack)
        self.settings: Settings | None = None
        self.runtime: Runtime | None = None
        self.controls: DemoClock | None = None
        self._app_server: Served | None = None
        self._page: Served | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """Where the page is."""
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    def start(self) -> Demo:
        """Migrate the database, start Slack's stand-in, the app and its scheduler, then the page."""
        upgrade(self.database_url)
        self.slack.start()
        self.settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": self.slack.workspace.bot_token,
                "SLACK_SIGNING_SECRET": self.slack.signing_secret,
                "SLACK_API_URL": self.slack.api_url,
                "DATABASE_URL": self.database_url,
                "RECAP_CHANNEL": WINS,
                # The stand-in limits no one: the pace Slack asks of a real workspace would only slow the story.
                "SLACK_POSTS_PER_SECOND": "100",
            }
        )
        self.runtime = runtime = create_app(self.settings, clock=self.clock)
        web = create_web_app(runtime.app, runtime.engine, runtime.signing_secret)
        self._app_server = Served(web, socket.create_server(("127.0.0.1", 0)), "demo-app")
        self._app_server.start()
        self.slack.request_url = f"http://127.0.0.1:{self._app_server.port}/slack/events"
        runtime.start()
        self._scheduler = start_scheduler(runtime.coach, self.clock, runtime.poster)
        self.controls = DemoClock(self.clock, runtime, self.slack.team_id)
        page = create_page(
            self.slack, commands=[c.value for c in Command], clock=self.controls, stopping=self._stopping
        )
        self._page = Served(page, self.sock, "demo-page")
        self._page.start()
        return self

    def holds_history(self) -> bool:
        """Whether the database already holds what a team did (an earlier demo's, on the same file)."""
        assert self.runtime is not None
        stored = self.runtime.coach.export(team_id=self.slack.team_id)
        return any(stored[kind] for kind in ("stands", "shares", "actions", "requests", "promises"))

    def stop(self) -> None:
        """Stop the page, the scheduler, the app and the stand-in, in that order."""
        self._stopping.set()
        if self._page is not None:
            self._page.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        if self.runtime is not None:
            self.runtime.stopping.set()
        if self._app_server is not None:
            self._app_server.stop()
        if self.runtime is not None:
            self.runtime.close()
        self.slack.stop()
