"""Starting up: a database or a Slack that cannot be reached, a token Slack refuses and a port in use are each one
clear line, not a traceback; and the log never carries a response_url, the credential Slack puts in every command
and action."""

from __future__ import annotations

import http.server
import io
import logging
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import _configure_logging, _SecretFilter
from bot.app import create_app
from bot.settings import Settings
from standin import SlackStandIn
from tests import support

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "xoxb-startup-test-token"
SIGNING_SECRET = "startup-test-signing-secret"

UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:1/x"  # port 1: refused at once


def breakthrough(
    *args: str, database_url: str, cwd: Path, port: int = 0, api_url: str = "http://127.0.0.1:1/api/"
) -> subprocess.CompletedProcess[str]:
    """The real CLI (`python -m bot …`) of this checkout, with nothing from the caller's Slack or database setup."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_LEVEL"))}
    env = {
        **keep,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,  # by default refused at once, and not reached when the database is checked first
        "DATABASE_URL": database_url,
        "PORT": str(port),
    }
    return support.breakthrough(*args, env=env, cwd=cwd)


@pytest.mark.parametrize("command", ["run", "nudge", "recap", "export"])
def test_an_unreachable_database_at_start_is_one_line_naming_database_url_without_the_password(
    command: str, tmp_path: Path
) -> None:
    result = breakthrough(command, database_url=UNREACHABLE_POSTGRES, cwd=tmp_path)

    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("breakthrough: DATABASE_URL (postgresql+psycopg://nobody:***@127.0.0.1:1/x)")
    assert "s3cret-pw" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "export"])
def test_a_sqlite_file_in_a_missing_directory_is_one_line_naming_database_url(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "coach.db"

    result = breakthrough(command, database_url=f"sqlite:///{missing}", cwd=tmp_path)

    assert result.returncode == 2
    assert (
        result.stderr
        == f"breakthrough: DATABASE_URL (sqlite:///{missing}) can't be reached: unable to open database file\n"
    )
    assert not missing.parent.exists()


def test_a_reachable_database_starts_as_before(tmp_path: Path) -> None:
    result = breakthrough("export", database_url=f"sqlite:///{tmp_path / 'coach.db'}", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("{")


def test_slack_out_of_reach_at_start_is_one_line_naming_where_it_was_looked_for(tmp_path: Path) -> None:
    result = breakthrough("run", database_url=f"sqlite:///{tmp_path / 'coach.db'}", cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "breakthrough: Slack can't be reached at http://127.0.0.1:1/api/ ("
    ), result.stderr


def test_a_slack_api_url_that_is_not_slacks_is_one_line_saying_what_answered(tmp_path: Path) -> None:
    class NotSlack(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_error(404)  # an HTML page, as any web server that is not Slack's Web API answers

        def log_message(self, *_: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotSlack) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        try:
            result = breakthrough("run", database_url=f"sqlite:///{tmp_path / 'coach.db'}", cwd=tmp_path, api_url=url)
        finally:
            server.shutdown()

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"breakthrough: {url} answered HTTP 404, not as Slack's Web API does; check SLACK_API_URL (or try again if "
        "Slack is having trouble)."
    )


def test_a_port_in_use_at_start_is_one_line_before_anything_has_started(tmp_path: Path) -> None:
    database = tmp_path / "coach.db"
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]

        result = breakthrough("run", database_url=f"sqlite:///{database}", cwd=tmp_path, port=port)

    assert result.returncode == 2
    # The one line and nothing else: no migration, scheduler or Slack logged a line before it.
    assert result.stderr == f"breakthrough: port {port} on 0.0.0.0 is already in use; choose another with PORT\n"


@pytest.mark.parametrize(
    ("bot_token", "app_token", "refused"),
    [
        ("xoxb-not-this-apps", "", "SLACK_BOT_TOKEN"),
        (support.BOT_TOKEN, "xapp-not-this-apps", "SLACK_APP_TOKEN"),  # Socket Mode
    ],
)
def test_a_token_slack_refuses_is_one_line_naming_it(
    tmp_path: Path, slack: SlackStandIn, bot_token: str, app_token: str, refused: str
) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_LEVEL"))}
    env = {
        **keep,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}",
        "PORT": "0",
    }
    env |= {"SLACK_APP_TOKEN": app_token} if app_token else {"SLACK_SIGNING_SECRET": SIGNING_SECRET}

    result = support.breakthrough("run", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"breakthrough: {refused} was refused by Slack (invalid_auth)."


def test_the_bot_token_in_the_environment_brings_no_notice_that_it_is_unused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)  # as `breakthrough run` has it, from the environment or .env
    caplog.set_level(logging.INFO, logger="bolt")

    runtime = create_app(support.settings_for("http://127.0.0.1:1/api/", f"sqlite:///{tmp_path / 'coach.db'}"))
    runtime.close()

    assert [record.getMessage() for record in caplog.records if record.name == "bolt"] == []


# The log filter

RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234567890/Zx9SecretPart"
SECRET_PART = "Zx9SecretPart"
FORM_BODY = (
    "token=abc&team_id=T0001&command=%2Fact&text=wrote+the+plan"
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0001%2F1234567890%2FZx9SecretPart"
    "&trigger_id=1.2.3"
)
JSON_BODY = (
    '{"type":"block_actions","response_url":"https:\\/\\/hooks.slack.com\\/actions\\/T0001\\/1234567890\\/'
    'Zx9SecretPart","trigger_id":"1.2.3"}'
)
PAYLOAD_BODY = (  # an interactivity body: JSON with escaped slashes, then form-encoded
    "payload=%7B%22type%22%3A%22block_actions%22%2C%22response_url%22%3A%22https%3A%5C%2F%5C%2Fhooks.slack.com"
    "%5C%2Factions%5C%2FT0001%5C%2F1234567890%5C%2FZx9SecretPart%22%2C%22trigger_id%22%3A%221.2.3%22%7D"
)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The app's own logging set up at DEBUG, its handler writing to a buffer; the root logger restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()  # set aside, not closed: basicConfig(force=True) would close pytest's own
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "LOG_LEVEL": "DEBUG"}
    )
    _configure_logging(settings)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("body", [RESPONSE_URL, FORM_BODY, JSON_BODY, PAYLOAD_BODY])
def test_a_response_url_in_a_debug_body_is_redacted_in_message_and_args(body: str, debug_log: io.StringIO) -> None:
    logging.getLogger("slack_bolt.App").debug("Received the following request - body: %s", body)
    logging.getLogger("slack_sdk.webhook.client").debug(f"Sending a request - url: {body}, body: {{}}")

    logged = debug_log.getvalue()
    assert len(logged.splitlines()) == 2
    assert SECRET_PART not in logged
    assert "hooks.slack.com" not in logged.replace("[redacted hooks.slack.com URL]", "")
    assert logged.count("[redacted hooks.slack.com URL]") == 2


def test_the_rest_of_a_body_is_kept_around_the_redacted_url(debug_log: io.StringIO) -> None:
    logging.getLogger("slack_bolt.App").debug("body: %s", FORM_BODY)

    logged = debug_log.getvalue()
    assert "command=%2Fact&text=wrote+the+plan&response_url=[redacted hooks.slack.com URL]&trigger_id=1.2.3" in logged


def test_a_response_url_in_an_exception_is_redacted(debug_log: io.StringIO) -> None:
    try:
        raise RuntimeError(f"posting to {RESPONSE_URL} failed")
    except RuntimeError:
        logging.getLogger("handlers").exception("reply failed")

    logged = debug_log.getvalue()
    assert "RuntimeError: posting to [redacted hooks.slack.com URL] failed" in logged
    assert SECRET_PART not in logged


def test_tokens_and_the_signing_secret_are_still_redacted(debug_log: io.StringIO) -> None:
    logging.getLogger("slack_sdk").debug("headers: %s", {"Authorization": f"Bearer {BOT_TOKEN}", "s": SIGNING_SECRET})

    logged = debug_log.getvalue()
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged
    assert logged.count("[redacted]") == 2


def test_the_filter_on_its_own_leaves_other_lines_untouched() -> None:
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "posted to %s", ("https://slack.com/api/",), None)

    assert _SecretFilter([BOT_TOKEN]).filter(record)
    assert record.getMessage() == "posted to https://slack.com/api/"
