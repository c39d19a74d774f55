"""`breakthrough run` as a process: settings checked at start, health, clean shutdown, no secrets in logs."""

from __future__ import annotations

import gc
import http.client
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from bot.clock import FixedClock
from standin import SlackStandIn
from tests import support
from tests.e2e import last_ephemeral

ROOT = Path(__file__).resolve().parent.parent


def _env(**values: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT", "HOST"))}
    return {**keep, **values}


_breakthrough = support.breakthrough


class Running:
    """`breakthrough run` in a child process, with its stderr read line by line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=cwd, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stderr is not None
        stderr = self.process.stderr

        def pump() -> None:
            for line in stderr:
                self.lines.put(line)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for_line(self, fragment: str, timeout: float = 20.0) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if fragment in line:
                return line

    def rest_of_log(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return "".join(self.seen)


@pytest.fixture
def running(slack: SlackStandIn, tmp_path: Path) -> Iterator[tuple[Running, int, Path]]:
    db = tmp_path / "run.db"
    env = _env(
        SLACK_BOT_TOKEN=support.BOT_TOKEN,
        SLACK_SIGNING_SECRET=support.SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=f"sqlite:///{db}",
        HOST="127.0.0.1",
        PORT="0",
        LOG_LEVEL="DEBUG",
    )
    child = Running(env, tmp_path)
    line = child.wait_for_line("listening for Slack")
    port = int(line.rsplit(":", 1)[1].split("/")[0])
    slack.request_url = f"http://127.0.0.1:{port}/slack/events"
    yield child, port, db
    if child.process.poll() is None:
        child.process.kill()
        child.process.wait(timeout=10)


def test_run_migrates_serves_health_and_stops_cleanly_on_sigterm_without_losing_an_acked_action(
    slack: SlackStandIn, running: tuple[Running, int, Path]
) -> None:
    child, port, db = running
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/healthz")
    health = connection.getresponse()
    assert health.status == 200 and json.loads(health.read())["ok"] is True

    # The work after the ack is slow (Slack stalls on users.info); SIGTERM arrives right after the ack.
    slack.stall("users.info", 1.5)
    reply = slack.command("UADA", "/act", "Acknowledged before the shutdown")
    assert reply.status == 200
    child.process.send_signal(signal.SIGTERM)

    assert child.process.wait(timeout=20) == 0
    last_ephemeral(slack, "UADA", "Action logged")
    with sqlite3.connect(db) as stored:
        assert stored.execute("SELECT text FROM actions").fetchall() == [("Acknowledged before the shutdown",)]
    log = child.rest_of_log()
    assert "stopped cleanly" in log
    assert support.BOT_TOKEN not in log and support.SIGNING_SECRET not in log


@pytest.mark.parametrize(
    ("unset", "overrides", "named"),
    [
        ("SLACK_BOT_TOKEN", {}, "SLACK_BOT_TOKEN"),
        (None, {"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ("SLACK_SIGNING_SECRET", {}, "SLACK_SIGNING_SECRET"),
        (None, {"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        (None, {"PORT": "eighty"}, "PORT"),
        (None, {"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        (None, {"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE"),
        (None, {"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
    ],
)
def test_a_missing_or_malformed_setting_stops_the_program_with_one_line_naming_it(
    tmp_path: Path, unset: str | None, overrides: dict[str, str], named: str
) -> None:
    base = {
        "SLACK_BOT_TOKEN": support.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": support.SIGNING_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    env = _env(**{**base, **overrides})
    env.pop(unset or "", None)

    result = _breakthrough("run", env=env, cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0]
    assert support.BOT_TOKEN not in result.stderr


def test_settings_come_from_a_dotenv_file_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={support.BOT_TOKEN}\nPORT=eighty\n")
    env = _env(SLACK_SIGNING_SECRET=support.SIGNING_SECRET)

    from_file = _breakthrough("run", env=env, cwd=tmp_path)
    # The token came from .env (no complaint about it), and so did the malformed PORT.
    assert from_file.returncode == 2 and "PORT" in from_file.stderr and "TOKEN" not in from_file.stderr

    overridden = _breakthrough(
        "export", env={**env, "PORT": "3000", "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}, cwd=tmp_path
    )
    assert overridden.returncode == 0, overridden.stderr
    assert json.loads(overridden.stdout)["stands"] == []


def test_export_prints_the_contracts_document(slack: SlackStandIn, app: support.Runtime, database_url: str) -> None:
    slack.command("UADA", "/act", "Exported action")
    last_ephemeral(slack, "UADA", "Action logged")

    result = _breakthrough("export", "--team", "T1", env=_env(DATABASE_URL=database_url), cwd=ROOT)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [a["text"] for a in document["actions"]] == ["Exported action"]
    assert {"team_id", "user_id", "created_at", "text"} <= set(document["actions"][0])
    other = _breakthrough("export", "--team", "T9", env=_env(DATABASE_URL=database_url), cwd=ROOT)
    assert json.loads(other.stdout)["actions"] == []


def test_healthz_is_503_when_the_database_cannot_be_reached(slack: SlackStandIn, clock: FixedClock) -> None:
    settings = support.settings_for(slack.api_url, "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    with support.serve_http(settings, clock) as (_, url):
        base = url.removesuffix("/slack/events").removeprefix("http://")
        host, port = base.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 503
        assert json.loads(response.read())["ok"] is False


def test_a_started_app_keeps_what_it_holds_out_of_the_collectors_full_passes_until_it_closes(
    slack: SlackStandIn, database_url: str, clock: FixedClock
) -> None:
    runtime = create_app(support.settings_for(slack.api_url, database_url), clock=clock)

    runtime.start()
    frozen = gc.get_freeze_count()
    runtime.close()

    assert frozen > 10_000  # the modules, the app and its mappers: not walked by every full collection
    assert gc.get_freeze_count() == 0  # collectable again once the app is closed
