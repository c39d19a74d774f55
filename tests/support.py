"""Test support: the real app served on loopback, and a database per test on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import uvicorn
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import Runtime, create_app

__all__ = ["Runtime"]
from bot.clock import Clock
from bot.settings import Settings
from bot.web import create_web_app
from storage.db import make_engine, upgrade


def at(text: str) -> datetime:
    """An instant written as ISO 8601 (`Z` for UTC), as the tests set the clock."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def breakthrough(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`breakthrough <args>` (as `python -m bot`) run to its end in a child process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def breakthrough_started(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`breakthrough <args>` started in a child process, to run beside others; its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


SIGNING_SECRET = "test-signing-secret"
NAMED_SECONDS = 30.0
"""How long the apps the tests serve wait for the stand-in to say who a command names: the stand-in answers at once,
but it shares a loaded machine (several test workers on two cores) with the app, and a test that is not about a
slow Slack must not be told "Slack is slow". Tests of the bound itself serve the app as deployed
(`handlers.slack_io.NAMED_SECONDS`)."""
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"

TABLES = (
    "followers",
    "renegotiations",
    "requests",
    "breakthroughs",
    "stands",
    "stand_drafts",
    "shares",
    "actions",
    "promises",
    "breakdowns",
    "nudges",
    "recaps",
    "follow_ups",
    "pauses",
    "members",
    "workspaces",
    "outbox",
    "deliveries",
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
    "workspace_departures",
)


def backends() -> list[str]:
    """SQLite always; PostgreSQL as well when TEST_DATABASE_URL points at a server."""
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


def postgres_test_database() -> str:
    """A fresh database for this test process on the TEST_DATABASE_URL server, migrated to head."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"breakthrough_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_postgres_database(url: str) -> None:
    """Remove a database made by postgres_test_database."""
    parsed = make_url(url)
    admin = create_engine(make_url(os.environ["TEST_DATABASE_URL"]), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def empty_postgres(url: str) -> None:
    """Remove every row, so each test starts from an empty (already migrated) database."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def sqlite_template(directory: Path) -> Path:
    """A migrated SQLite file to copy for each test (migrating once is much faster than per test)."""
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """A fresh migrated SQLite database for one test."""
    path = directory / "coach.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def settings_for(api_url: str, database_url: str, **overrides: str) -> Settings:
    """Settings as the environment would give them, pointed at the stand-in and the test database."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        # The stand-in takes posts as fast as they come; Slack's own pace (5 a second by default) is tested where it
        # matters, with the pace set there. At 5 a second, a test's few DMs would spend most of its time waiting.
        "SLACK_POSTS_PER_SECOND": "50",
        **overrides,
    }
    return Settings.from_env(env)


class AppServer:
    """The real app under uvicorn on an ephemeral loopback port, in a background thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        config = uvicorn.Config(
            create_web_app(runtime.app, runtime.engine, runtime.signing_secret),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> str:
        """Start serving (and the outbox's sender); returns the base URL."""
        self.runtime.start()
        self.thread.start()
        ready = threading.Event()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            ready.wait(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop serving, finish the work in flight, release the database."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.close()


@contextmanager
def serve_http(
    settings: Settings, clock: Clock, *, named_seconds: float = NAMED_SECONDS
) -> Iterator[tuple[Runtime, str]]:
    """The app serving HTTP; yields the runtime and the request URL for Slack."""
    server = AppServer(create_app(settings, clock=clock, named_seconds=named_seconds))
    base = server.start()
    try:
        yield server.runtime, f"{base}/slack/events"
    finally:
        server.stop()


@contextmanager
def serve_socket_mode(settings: Settings, clock: Clock) -> Iterator[Runtime]:
    """The app connected to the stand-in over Socket Mode."""
    runtime = create_app(settings, clock=clock, named_seconds=NAMED_SECONDS)
    runtime.start()
    handler = SocketModeHandler(runtime.app, settings.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        yield runtime
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        runtime.close()
