"""`breakthrough demo` from the command line: where it listens, its own database, a port in use, a clean stop."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from bot.__main__ import demo, main
from bot.demo import DEFAULT_DATABASE, Demo, is_loopback
from bot.demo_story import tell_story
from standin import View


def _set() -> threading.Event:
    stop = threading.Event()
    stop.set()  # started, then stopped at once: the whole start and stop, without a signal
    return stop


@pytest.mark.e2e  # the stand-in and the served app, in this process
def test_the_demo_listens_on_loopback_with_its_own_database_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO)

    assert demo("127.0.0.1", 0, DEFAULT_DATABASE, False, stop=_set()) == 0

    assert (tmp_path / "demo.db").exists() and not (tmp_path / "breakthrough.db").exists()
    assert "the demo is at http://127.0.0.1:" in caplog.text
    assert "no authentication" not in caplog.text
    assert "stopped cleanly" in caplog.text


@pytest.mark.e2e  # the stand-in and the served app, in this process
def test_a_host_beyond_loopback_is_warned_to_have_no_authentication(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    assert demo("0.0.0.0", 0, f"sqlite:///{tmp_path / 'demo.db'}", False, stop=_set()) == 0

    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and "authentication" in r.getMessage()]
    assert "0.0.0.0" in warning.getMessage()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("demo.example", False)],
)
def test_only_loopback_hosts_count_as_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_port_in_use_stops_the_demo_with_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]

        code = demo("127.0.0.1", port, f"sqlite:///{tmp_path / 'demo.db'}", False, stop=_set())

    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == f"breakthrough: port {port} on 127.0.0.1 is already in use; choose another with --port"


def test_a_database_that_cannot_be_reached_stops_the_demo_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = demo("127.0.0.1", 0, f"sqlite:///{tmp_path / 'missing' / 'demo.db'}", False, stop=_set())

    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("breakthrough: --database (sqlite:///")


@pytest.mark.parametrize(
    ("database", "said"),
    [
        ("demo.db", "breakthrough: --database is malformed: use sqlite:///path.db or postgresql+psycopg://…"),
        (
            "mysql://root@localhost/coach",
            "breakthrough: --database names mysql: only sqlite and postgresql are supported.",
        ),
    ],
)
def test_a_database_that_is_not_a_url_of_ours_stops_the_demo_with_one_line_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database: str, said: str
) -> None:
    monkeypatch.chdir(tmp_path)

    assert demo("127.0.0.1", 0, database, False, stop=_set()) == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == said
    assert list(tmp_path.iterdir()) == []


def test_run_without_slack_tokens_says_so_in_one_line_and_points_to_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SLACK_")]:
        monkeypatch.delenv(name)

    assert main(["run"]) == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "breakthrough demo" in line


def test_the_demo_as_a_process_serves_the_page_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    assert child.stderr is not None
    try:
        url = ""
        for line in child.stderr:
            if "the demo is at " in line:
                url = line.split("the demo is at ", 1)[1].split()[0]
                break
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and "Breakthrough Coach" in page.read().decode()
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read()
        assert child.wait(timeout=20) == 0
    finally:
        child.kill()
    assert "stopped cleanly" in rest
    assert "xoxb-" not in rest


def test_the_story_leaves_the_team_on_day_6_with_requests_in_every_state_and_a_breakthrough_in_wins(
    demo: Demo,
) -> None:
    tell_story(demo)

    assert demo.runtime is not None
    exported = demo.runtime.coach.export(team_id=demo.slack.team_id)
    assert {r["status"] for r in exported["requests"]} >= {
        "open",
        "accepted",
        "declined",
        "countered",
        "done",
        "completed",
        "cancelled",
    }
    assert [p["status"] for p in exported["promises"] if p["user_id"] == "UDAI"] == ["open"]  # and overdue
    assert exported["breakdowns"] and exported["breakthroughs"]
    assert {s["user_id"] for s in exported["stands"]} == {"UADA", "UCAL", "UDAI"}
    assert any("Breakthrough!" in m.text for m in demo.slack.messages("CWINS"))
    demo.slack.open_home("UADA")  # Home was published before (a milestone set on day 1): wait for today's

    def todays_home() -> View | None:
        view = demo.slack.home("UADA")
        return view if view is not None and "*Day 6 of 14*" in json.dumps(view.blocks) else None

    home = demo.slack.wait_for(todays_home)
    # Ada's measure: 40 when declared, 55 recorded on day 5.
    assert "55 of 80 (from 40)" in json.dumps(home.blocks, ensure_ascii=False)
    assert [(a["user_id"], a["toward_stand_id"]) for a in exported["actions"] if a["toward_stand_id"]] == [
        ("UBEA", next(s["id"] for s in exported["stands"] if s["user_id"] == "UADA"))
    ]


@pytest.mark.e2e  # the stand-in and the served app, in this process
def test_a_story_on_a_database_an_earlier_demo_filled_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    assert demo("127.0.0.1", 0, database, True, stop=_set()) == 0
    capsys.readouterr()

    assert demo("127.0.0.1", 0, database, True, stop=_set()) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("breakthrough: --story needs an empty database")

    caplog.set_level(logging.WARNING)
    assert demo("127.0.0.1", 0, database, False, stop=_set()) == 0
    assert "holds what an earlier demo stored" in caplog.text
