"""Fixtures: a database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), a set clock,
the stand-in for Slack with a small team, and the real app serving it."""

from __future__ import annotations

import os
import socket
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine

from bot.app import Runtime
from bot.clock import FixedClock
from bot.demo import Demo
from standin import SlackStandIn
from storage.db import make_engine
from tests import support

# Fixtures that start the stand-in for Slack or serve the real app: a test that uses one (directly or through a
# fixture built on it) is end-to-end.
E2E_FIXTURES = frozenset({"slack", "app", "demo", "browser"})


def _launches_a_process(function: types.FunctionType) -> bool:
    """Whether a test runs the program as a process: it uses `subprocess`, or calls a helper of its module that does."""
    module_globals = function.__globals__
    for name in function.__code__.co_names:
        target = module_globals.get(name)
        if target is not None and getattr(target, "__name__", None) == "subprocess":
            return True
        if (
            isinstance(target, types.FunctionType)
            and target.__module__ == function.__module__
            and "subprocess" in target.__code__.co_names
        ):
            return True
    return False


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Workers for `-n auto`: none for the unit tier (starting workers costs more than it saves), else two per core,
    since the end-to-end tests spend most of their time waiting — but one per core on a machine of two cores or
    fewer: there four workers, each running an app, a stand-in and PostgreSQL's share, starved some of them long
    enough that an ack took over Slack's three seconds (3.2–3.7 s, in two of five full runs on such a machine).
    PYTEST_XDIST_AUTO_NUM_WORKERS still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    if config.option.markexpr == "unit":
        return 0
    cores = os.cpu_count() or 1
    return cores if cores <= 2 else 2 * cores


def pytest_configure(config: pytest.Config) -> None:
    """The coverage gate (pyproject.toml) is for the whole suite: a run of part of it reports without failing."""
    part_of_the_suite = (
        config.option.markexpr
        or config.option.keyword
        or config.getoption("lf", False)
        or config.getoption("deselect", None)
        or config.args_source is not pytest.Config.ArgsSource.TESTPATHS
    )
    cov = config.pluginmanager.getplugin("_cov")  # pytest-cov reads the gate from its own options at the end
    if part_of_the_suite and cov is not None and getattr(cov, "options", None) is not None:
        cov.options.cov_fail_under = 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `e2e` (the stand-in, a served app or a process) or `unit` (everything else): `-m unit` is fast."""
    for item in items:
        if item.get_closest_marker("e2e") or item.get_closest_marker("unit"):
            continue
        function = getattr(item, "function", None)
        uses_the_app = bool(E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())))
        launches = isinstance(function, types.FunctionType) and _launches_a_process(function)
        item.add_marker(pytest.mark.e2e if uses_the_app or launches else pytest.mark.unit)


# Monday 23 November 2026, 14:00 UTC: 15:00 in Berlin, 09:00 in New York, 23:00 in Tokyo.
MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str | None]:
    if not os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    url = support.postgres_test_database()
    yield url
    support.drop_postgres_database(url)


@pytest.fixture(params=support.backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path, _postgres_url: str | None
) -> str:
    """A migrated, empty database for this test."""
    if request.param == "sqlite":
        return support.sqlite_copy(_sqlite_template, tmp_path)
    assert _postgres_url is not None
    support.empty_postgres(_postgres_url)
    return _postgres_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """The one clock, set to a Monday afternoon in Europe."""
    return FixedClock(MONDAY)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The stand-in for Slack with a small team: an admin in Berlin, members in New York and Tokyo, a bot."""
    standin = SlackStandIn(
        signing_secret=support.SIGNING_SECRET, bot_token=support.BOT_TOKEN, app_token=support.APP_TOKEN
    )
    standin.start()
    standin.add_user("UADA", name="ada", real_name="Ada Lovelace", tz="Europe/Berlin", is_admin=True)
    standin.add_user("UBOB", name="bob", real_name="Bob Moses", tz="America/New_York")
    standin.add_user("UCY", name="cy", real_name="Cy Twombly", tz="Asia/Tokyo")
    standin.add_user("UHELPER", name="helperbot", is_bot=True)
    standin.add_channel("CGENERAL", name="general")
    standin.add_channel("CWINS", name="wins")
    yield standin
    standin.stop()
    # Every request the app received was acked in time and with valid Block Kit.
    assert [c for c in standin.calls("ack") if not c.ok] == []


@pytest.fixture
def app(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """The real app serving HTTP to the stand-in, which signs every request like Slack."""
    settings = support.settings_for(slack.api_url, database_url)
    with support.serve_http(settings, clock) as (runtime, url):
        slack.request_url = url
        yield runtime


CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright's own browser download cannot work here


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium driven by Playwright, one per test process."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def demo(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[Demo]:
    """`breakthrough demo` in this process: the real app, the stand-in with its team, the page on a free port.

    A test that makes an ack fail on purpose names the errors Slack records for it (indirect parameter).
    """
    expected_failures = list(getattr(request, "param", {}).get("ack_failures", []))
    running = Demo(
        socket.create_server(("127.0.0.1", 0)), support.sqlite_copy(_sqlite_template, tmp_path), start_at=MONDAY
    )
    running.start()
    yield running
    running.stop()
    # Every request the app received was acked in time and with valid Block Kit, but those failed on purpose.
    assert [c.error for c in running.slack.calls("ack") if not c.ok] == expected_failures
