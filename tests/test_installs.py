"""Distribution mode's parts on their own: its settings, the signed OAuth states, the pages, sending workspaces side
by side, dropping what is owed to a workspace without a token, the retention window, and the log filter."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, Table
from sqlmodel import col, select

from bot.__main__ import _configure_logging
from bot.clock import FixedClock
from bot.coach import Coach, MemberId
from bot.settings import Settings, SettingsError
from handlers import outbox as ox
from handlers.fanout import in_groups, side_by_side
from handlers.installs import SignedStates, WorkspacePosters
from handlers.oauth import install_page, refused_page
from handlers.outbox import OutboxSender
from handlers.posting import PacedPoster
from storage.db import unit_of_work
from storage.installations import bots, installations, oauth_states
from storage.models import Outbox, OutboxStatus

OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "client-secret-xyz", "SLACK_STATE_SECRET": "s" * 20}


# Settings --------------------------------------------------------------------------------------------------


def test_the_three_oauth_settings_make_distribution_mode_without_a_bot_token() -> None:
    settings = Settings.from_env({**OAUTH, "SLACK_SIGNING_SECRET": "sign"})

    assert settings.distribution and settings.bot_token == ""
    assert settings.uninstall_retention_days == 30


@pytest.mark.parametrize("left_out", sorted(OAUTH))
def test_a_partial_set_of_oauth_settings_is_one_line_naming_what_is_missing(left_out: str) -> None:
    env = {k: v for k, v in OAUTH.items() if k != left_out}

    with pytest.raises(SettingsError, match=f"^{left_out} is missing") as raised:
        Settings.from_env({**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sign"})
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_STATE_SECRET": "short"}, "SLACK_STATE_SECRET"),
        ({"UNINSTALL_RETENTION_DAYS": "-1"}, "UNINSTALL_RETENTION_DAYS"),
        ({"UNINSTALL_RETENTION_DAYS": "a month"}, "UNINSTALL_RETENTION_DAYS"),
    ],
)
def test_distribution_mode_refuses_what_it_cannot_serve(extra: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=f"^{named}"):
        Settings.from_env({**OAUTH, "SLACK_SIGNING_SECRET": "sign", **extra})


def test_a_retention_of_zero_days_is_allowed_and_a_single_workspace_needs_no_oauth_settings() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "UNINSTALL_RETENTION_DAYS": "0"}
    )

    assert not settings.distribution and settings.uninstall_retention_days == 0


def test_the_client_and_state_secrets_never_reach_a_log_line() -> None:
    settings = Settings.from_env({**OAUTH, "SLACK_SIGNING_SECRET": "sign"})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        _configure_logging(settings)
        [handler] = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        logging.getLogger("oauth").warning("exchanging with %s and %s", OAUTH["SLACK_CLIENT_SECRET"], "s" * 20)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert OAUTH["SLACK_CLIENT_SECRET"] not in buffer.getvalue() and "s" * 20 not in buffer.getvalue()
    assert buffer.getvalue().count("[redacted]") == 2


# The store's tables ----------------------------------------------------------------------------------------


def _columns(table: Table) -> dict[str, tuple[str, bool]]:
    return {c.name: (type(c.type).__name__, bool(c.nullable)) for c in table.columns}


def test_the_migrated_tables_are_the_ones_slack_sdks_stores_read_and_write(engine: Engine) -> None:
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)

    assert _columns(installations) == _columns(store.installations)
    assert _columns(bots) == _columns(store.bots)
    assert _columns(oauth_states) == _columns(states.oauth_states)


# Signed states ------------------------------------------------------------------------------------------------


class MemoryStates(OAuthStateStore):
    def __init__(self) -> None:
        self.issued: set[str] = set()
        self.asked: list[str] = []

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger("test")

    def issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = f"nonce-{len(self.issued)}"
        self.issued.add(nonce)
        return nonce

    def consume(self, state: str) -> bool:
        self.asked.append(state)
        if state in self.issued:
            self.issued.discard(state)
            return True
        return False


def test_a_state_is_good_once_and_a_forged_one_is_refused_before_the_store_is_asked() -> None:
    inner = MemoryStates()
    states = SignedStates(inner, "the-state-secret-0123")
    state = states.issue()

    assert states.consume(state) is True
    assert states.consume(state) is False  # used
    assert states.consume("nonce-0.forged-signature") is False
    assert states.consume("") is False
    assert SignedStates(inner, "another-secret-0123456").consume(states.issue()) is False
    assert inner.asked == ["nonce-0", "nonce-0"]


# Pages --------------------------------------------------------------------------------------------------------


def test_the_install_page_links_to_slacks_consent_page_escaped() -> None:
    page = install_page("https://slack.com/oauth/v2/authorize?state=a&client_id=1.2&scope=commands")

    assert 'href="https://slack.com/oauth/v2/authorize?state=a&amp;client_id=1.2&amp;scope=commands"' in page
    assert "Add to Slack" in page


def test_a_refused_install_says_why_and_how_to_start_again() -> None:
    assert "already used" in refused_page("invalid_state") and 'href="/slack/install"' in refused_page("x")
    assert "<script>" not in refused_page("<script>")


# Workspaces side by side -------------------------------------------------------------------------------------


class Item:
    def __init__(self, team_id: str, n: int) -> None:
        self.team_id, self.n = team_id, n


class OnePace:
    per_second = 20.0

    def for_team(self, team_id: str) -> None:
        return None  # no poster to ask how many to keep in flight: the pass's own number


def test_a_workspace_held_up_does_not_hold_up_the_others() -> None:
    others_done = threading.Event()
    sent: list[tuple[str, int]] = []
    items = [Item("TSLOW", n) for n in range(40)] + [Item("TFAST", n) for n in range(40)]

    def send(item: Item) -> str:
        if item.team_id == "TSLOW" and not others_done.wait(timeout=10):
            return "failed"  # held for ever: the other workspace never finished
        sent.append((item.team_id, item.n))
        if len([s for s in sent if s[0] == "TFAST"]) == 40:
            others_done.set()
        return "sent"

    outcomes = side_by_side(OnePace(), items, send, name="test")  # type: ignore[arg-type]

    assert outcomes.count("sent") == 80
    assert [n for team, n in sent if team == "TFAST"] and sent.index(("TFAST", 39)) < sent.index(("TSLOW", 0)) + 40


def test_side_by_side_with_nothing_due_sends_nothing() -> None:
    assert side_by_side(OnePace(), [], lambda item: "sent", name="test") == []  # type: ignore[arg-type]


# Nothing owed to a workspace without a token --------------------------------------------------------------


class NotInstalled:
    per_second = 5.0

    def for_team(self, team_id: str) -> PacedPoster | None:
        return None

    def refused(self, team_id: str, code: str) -> bool:
        return False


@pytest.fixture
def coach(engine: Engine, clock: FixedClock) -> Coach:
    return Coach(engine, clock, retention=timedelta(days=30))


@pytest.fixture
def sender(coach: Coach) -> Iterator[OutboxSender]:
    built = OutboxSender(coach, NotInstalled())
    yield built
    built.stop()


def test_what_is_owed_to_a_workspace_without_a_token_is_dropped_not_retried(coach: Coach, sender: OutboxSender) -> None:
    with coach.transaction():
        coach.tell(ox.dm(MemberId("TGONE", "UANN"), "hello"))

    report = sender.drain()

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    with unit_of_work(coach.engine, read_only=True) as session:
        [row] = session.exec(select(Outbox).order_by(col(Outbox.id)))
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "not_installed")
    assert sender.drain().failed == 0  # never tried again


# The retention window -------------------------------------------------------------------------------------------


def test_a_retention_of_zero_deletes_a_workspaces_data_when_it_leaves(engine: Engine, clock: FixedClock) -> None:
    coach = Coach(engine, clock, retention=timedelta(0))
    coach.log_action(MemberId("TGONE", "UANN"), "Called the bank")
    coach.log_action(MemberId("TSTAYS", "UBOB"), "Wrote the plan")

    coach.workspace_left("TGONE")

    assert coach.export(team_id="TGONE")["actions"] == []
    assert [a["text"] for a in coach.export(team_id="TSTAYS")["actions"]] == ["Wrote the plan"]
    assert not coach.has_left("TGONE")


def test_leaving_twice_keeps_the_first_date_and_returning_ends_the_window(coach: Coach, clock: FixedClock) -> None:
    coach.log_action(MemberId("TGONE", "UANN"), "Called the bank")
    coach.workspace_left("TGONE")
    clock.set(clock.now() + timedelta(days=20))
    coach.workspace_left("TGONE")  # app_uninstalled, then tokens_revoked

    assert coach.purge_departed(clock.now() + timedelta(days=9)) == {}
    assert coach.purge_departed(clock.now() + timedelta(days=11)) == {"TGONE": {"members": 1, "actions": 1}}
    coach.log_action(MemberId("TBACK", "UBOB"), "Wrote the plan")
    coach.workspace_left("TBACK")
    assert coach.workspace_returned("TBACK") is True
    assert coach.purge_departed(datetime(2030, 1, 1, tzinfo=UTC)) == {}


# Token rotation when Slack cannot be reached -----------------------------------------------------------------


class OneInstallation:
    def __init__(self, installation: Installation) -> None:
        self.installation = installation
        self.saved: list[Installation] = []

    def find_installation(self, **_: Any) -> Installation:
        return self.installation

    def save(self, installation: Installation) -> None:
        self.saved.append(installation)


class Unreachable:
    def __init__(self) -> None:
        self.tries = 0

    def perform_token_rotation(self, **_: Any) -> Installation | None:
        self.tries += 1
        raise ConnectionRefusedError("Slack is down")


def test_a_token_that_could_not_be_refreshed_is_used_and_tried_again_only_at_the_next_recheck() -> None:
    expiring = Installation(
        app_id="A1",
        team_id="TACME",
        user_id="UANN",
        bot_token="xoxe.xoxb-1-old",
        bot_refresh_token="xoxe-1-refresh",
        bot_token_expires_in=600,
    )
    rotator = Unreachable()
    posters = WorkspacePosters(
        OneInstallation(expiring),  # type: ignore[arg-type]
        api_url="http://127.0.0.1:9/api/",
        per_second=5,
        rotator=rotator,  # type: ignore[arg-type]
    )

    first, second = posters.for_team("TACME"), posters.for_team("TACME")

    assert first is not None and first is second and first.client.token == "xoxe.xoxb-1-old"
    assert rotator.tries == 1


def test_every_table_of_members_records_carries_the_workspace_so_a_purge_reaches_it() -> None:
    from sqlmodel import SQLModel

    assert [table.name for table in SQLModel.metadata.sorted_tables if "team_id" not in table.c] == []


def test_workspaces_first_chunks_are_claimed_a_few_workspaces_at_a_time() -> None:
    chunks = [["a"] * 20, ["b"] * 20, ["c"] * 5, ["d"] * 20, ["e"] * 30]

    groups = in_groups(chunks, most=45)

    assert [[chunk[0] for chunk in group] for group in groups] == [["a", "b", "c"], ["d"], ["e"]]
    assert in_groups([], most=45) == []
