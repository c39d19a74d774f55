"""Any workspace can install the app: Add to Slack through the real redirect flow, each workspace on its own token,
and an uninstall honoured (nothing more sent, the data kept for the retention window, then purged).

Two workspaces — Acme (Ann, an admin in Berlin, and Al) and Beta (Bea, an admin in Berlin, and Bo) — install the app
served in distribution mode from the stand-in for Slack, which gives each its own bot token and answers each call
only for the workspace whose token it carries.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import Runtime
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from bot.coach.recaps import Recaps
from bot.scheduler import housekeeping
from bot.settings import Settings
from handlers.installs import WorkspacePosters
from handlers.jobs import daily_pass, recap_pass
from handlers.posting import PacedPoster
from standin import SlackStandIn
from standin.installing import Page
from storage.db import unit_of_work
from storage.installations import installations
from storage.models import Nudge
from tests import support
from tests.e2e import drained, export, seen

CLIENT_ID, CLIENT_SECRET, STATE_SECRET = "1111.2222", "client-secret-for-tests", "state-secret-for-tests-0123"
ACME, BETA = "TACME", "TBETA"
MEMBERS = {ACME: ("UANN", "UAL"), BETA: ("UBEA", "UBO")}
CHANNELS = {ACME: "CACME", BETA: "CBETA"}
TUESDAY_MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
NEXT_MONDAY_MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # the recap's time: Monday 09:00 in Berlin


def distribution_settings(api_url: str, database_url: str, **overrides: str) -> Settings:
    """Settings of a deployment any workspace can install: no bot token, the three OAuth settings."""
    return Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_STATE_SECRET": STATE_SECRET,
            "SLACK_SIGNING_SECRET": support.SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            **overrides,
        }
    )


@dataclass(frozen=True)
class Deployment:
    """The app served in distribution mode, and the base URL of its pages."""

    app: Runtime
    base: str


@pytest.fixture
def served(slack: SlackStandIn, database_url: str, clock: FixedClock) -> Iterator[Deployment]:
    """The app served in distribution mode. Slack knows its client ID, secret and redirect URL."""
    for team, (admin, member) in MEMBERS.items():
        slack.add_user(admin, team_id=team, name=admin.lower(), tz="Europe/Berlin", is_admin=True)
        slack.add_user(member, team_id=team, name=member.lower(), tz="Europe/Berlin")
        slack.add_channel(CHANNELS[team], team_id=team, name="general")
    with support.serve_http(distribution_settings(slack.api_url, database_url), clock) as (runtime, url):
        slack.request_url = url
        root = url.removesuffix("/slack/events")
        slack.oauth.app(CLIENT_ID, CLIENT_SECRET, redirect_url=f"{root}/slack/oauth_redirect")
        yield Deployment(runtime, root)


def install(slack: SlackStandIn, served: Deployment, team: str) -> Page:
    """The team's admin installs the app from the Add to Slack page."""
    return slack.oauth.install(f"{served.base}/slack/install", team_id=team, user_id=MEMBERS[team][0])


def morning(app: Runtime, now: datetime) -> None:
    """The daily pass, as the scheduler runs it, with the app's own per-workspace senders."""
    daily_pass(Nudges(app.coach), FollowUps(app.coach), app.poster, now)


def posts_to(slack: SlackStandIn, channel: str) -> list[str | None]:
    """The workspace whose token made each chat.postMessage to `channel`."""
    return [c.team_id for c in slack.calls("chat.postMessage") if c.args.get("channel") == channel and c.ok]


def test_the_install_page_offers_add_to_slack_and_the_redirect_welcomes_the_installer(
    slack: SlackStandIn, served: Deployment
) -> None:
    page = install(slack, served, ACME)

    assert page.status == 200
    assert "Breakthrough Coach is installed" in page.text and "/stand" in page.text
    [authorize] = slack.calls("oauth.v2.authorize")
    assert authorize.args["client_id"] == CLIENT_ID
    assert set(authorize.args["scope"].split(",")) >= {"commands", "chat:write", "users:read"}
    welcome = slack.wait_for(lambda: slack.messages("UANN"))[-1]
    assert "/stand" in seen(welcome) and "/coach recap here" in seen(welcome)
    assert posts_to(slack, "UANN") == [ACME]  # with Acme's own token


def test_a_forged_state_is_refused_with_a_clear_page_and_installs_nothing(
    slack: SlackStandIn, served: Deployment
) -> None:
    page = slack.oauth.install(f"{served.base}/slack/install", team_id=ACME, user_id="UANN", state="forged-state")

    assert page.status in (400, 401)
    assert "The install did not finish" in page.text and "/slack/install" in page.text
    assert slack.calls("oauth.v2.access") == []
    with unit_of_work(served.app.engine, read_only=True) as session:
        assert session.execute(select(installations.c.team_id)).all() == []


def test_a_used_state_is_refused_the_second_time(slack: SlackStandIn, served: Deployment) -> None:
    first = install(slack, served, ACME)

    again = slack.oauth.open(first.url)

    assert first.status == 200
    assert again.status in (400, 401) and "The install did not finish" in again.text
    assert len([c for c in slack.calls("oauth.v2.access") if c.ok]) == 1


def test_each_workspace_gets_its_nudges_and_recap_with_its_own_token_and_sees_none_of_the_others(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    install(slack, served, ACME)
    install(slack, served, BETA)
    for team, (admin, member) in MEMBERS.items():
        slack.command(admin, "/coach", "recap here", channel=CHANNELS[team])
        slack.command(member, "/stand", f"Ship the {team} launch by 2026-12-31", channel=CHANNELS[team])
    drained(slack, app)

    clock.set(TUESDAY_MORNING)
    morning(app, clock.now())
    clock.set(NEXT_MONDAY_MORNING)
    recap_pass(Recaps(app.coach), app.poster, clock.now())

    for team, (_, member) in MEMBERS.items():
        nudges = [m for m in slack.messages(member) if "of 14" in seen(m)]
        assert len(nudges) == 1
        assert set(posts_to(slack, member)) == {team}
        recap = [m for m in slack.messages(CHANNELS[team]) if "Weekly recap" in m.text]
        assert recap and f"{team} launch" in "".join(seen(m) for m in recap)
        assert set(posts_to(slack, CHANNELS[team])) == {team}
        other = BETA if team == ACME else ACME
        assert all(f"{other} launch" not in seen(m) for m in recap)
        assert {s["team_id"] for s in export(app, team_id=team)["stands"]} == {team}


def test_an_uninstalled_workspace_gets_nothing_more_while_the_other_goes_on(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    for team, (_, member) in MEMBERS.items():
        install(slack, served, team)
        slack.command(member, "/stand", f"Ship the {team} launch by 2026-12-31", channel=CHANNELS[team])
    drained(slack, app)
    calls_before = len(slack.calls())

    slack.oauth.uninstall(BETA)
    clock.set(TUESDAY_MORNING)
    morning(app, clock.now())
    drained(slack, app)

    assert [m for m in slack.messages("UAL") if "of 14" in seen(m)]
    after = slack.calls()[calls_before:]
    assert [c.method for c in after if c.team_id == BETA or c.args.get("channel") in MEMBERS[BETA]] == []
    assert app.coach.has_left(BETA) and not app.coach.has_left(ACME)
    assert export(app, team_id=BETA)["stands"]  # kept, for the retention window


def test_an_uninstalled_workspaces_data_is_kept_through_the_window_and_purged_after_it(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    for team, (_, member) in MEMBERS.items():
        install(slack, served, team)
        slack.command(member, "/stand", f"Ship the {team} launch by 2026-12-31", channel=CHANNELS[team])
    drained(slack, app)
    slack.oauth.uninstall(BETA)
    left_at = clock.now()

    housekeeping(app.coach, left_at + timedelta(days=29))
    kept = export(app, team_id=BETA)
    housekeeping(app.coach, left_at + timedelta(days=30, minutes=1))

    assert kept["stands"] and kept["members"]
    assert all(rows == [] for rows in export(app, team_id=BETA).values())
    assert export(app, team_id=ACME)["stands"]
    assert not app.coach.has_left(BETA)  # nothing left to remember of it


def test_a_reinstall_within_the_window_finds_the_stands_and_is_never_purged(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    install(slack, served, BETA)
    slack.command("UBO", "/stand", "Ship the Beta launch by 2026-12-31", channel=CHANNELS[BETA])
    drained(slack, app)
    slack.oauth.uninstall(BETA)
    clock.set(clock.now() + timedelta(days=10))

    page = install(slack, served, BETA)
    slack.command("UBO", "/coach", "status", channel=CHANNELS[BETA])

    assert page.status == 200
    assert "Ship the Beta launch" in seen(slack.wait_for(lambda: slack.ephemerals("UBO"))[-1])
    housekeeping(app.coach, clock.now() + timedelta(days=60))
    assert [s["text"] for s in export(app, team_id=BETA)["stands"]] == ["Ship the Beta launch"]


def test_a_workspace_whose_token_slack_refuses_is_dropped_once_and_never_retried(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    for team, (_, member) in MEMBERS.items():
        install(slack, served, team)
        slack.command(member, "/stand", f"Ship the {team} launch by 2026-12-31", channel=CHANNELS[team])
    drained(slack, app)
    slack.oauth.revoke_tokens_silently(BETA)  # no event reaches the app: it learns from Slack's refusal

    clock.set(TUESDAY_MORNING)
    morning(app, clock.now())
    refused = [c for c in slack.calls("chat.postMessage") if c.error == "token_revoked"]
    clock.set(TUESDAY_MORNING + timedelta(minutes=30))  # past the claims' timeout: a retry would come now
    morning(app, clock.now())

    assert len(refused) == 1
    assert len([c for c in slack.calls("chat.postMessage") if c.error == "token_revoked"]) == 1
    assert app.coach.has_left(BETA)
    assert [m for m in slack.messages("UAL") if "of 14" in seen(m)]


def test_tokens_revoked_for_the_bot_counts_as_leaving(slack: SlackStandIn, served: Deployment) -> None:
    app = served.app
    install(slack, served, ACME)

    slack.oauth.revoke_tokens(ACME)

    assert app.coach.has_left(ACME)
    with unit_of_work(app.engine, read_only=True) as session:
        assert session.execute(select(installations.c.team_id)).all() == []


def test_with_token_rotation_a_token_close_to_expiring_is_refreshed_before_the_morning_sends(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    slack.oauth.app(CLIENT_ID, CLIENT_SECRET, rotation=True)
    install(slack, served, ACME)
    first = slack.oauth.token_of(ACME)
    slack.command("UAL", "/stand", "Ship the TACME launch by 2026-12-31", channel=CHANNELS[ACME])
    drained(slack, app)
    # Eleven hours later: the token has an hour left, within the two hours in which the app refreshes it.
    with unit_of_work(app.engine) as session:
        soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
        session.execute(update(installations).values(bot_token_expires_at=soon))
    assert isinstance(app.poster, WorkspacePosters)
    app.poster.forget(ACME)  # as a minute later, when the cached lookup is checked again

    clock.set(TUESDAY_MORNING)
    morning(app, clock.now())

    refreshed = [c for c in slack.calls("oauth.v2.access") if c.ok and c.args.get("grant_type") == "refresh_token"]
    assert len(refreshed) == 1 and slack.oauth.token_of(ACME) != first
    assert [m for m in slack.messages("UAL") if "of 14" in seen(m)]
    with unit_of_work(app.engine, read_only=True) as session:
        stored = session.execute(select(installations.c.bot_token).order_by(installations.c.id.desc())).first()
    assert stored is not None and stored[0] == slack.oauth.token_of(ACME)


def test_with_token_rotation_a_refresh_token_slack_no_longer_knows_means_the_workspace_is_gone(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = served.app
    slack.oauth.app(CLIENT_ID, CLIENT_SECRET, rotation=True)
    install(slack, served, ACME)
    slack.command("UAL", "/stand", "Ship the TACME launch by 2026-12-31", channel=CHANNELS[ACME])
    drained(slack, app)
    slack.oauth.revoke_tokens_silently(ACME)
    with unit_of_work(app.engine) as session:
        soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
        session.execute(update(installations).values(bot_token_expires_at=soon))
    assert isinstance(app.poster, WorkspacePosters)
    app.poster.forget(ACME)

    clock.set(TUESDAY_MORNING)
    morning(app, clock.now())
    morning(app, clock.now() + timedelta(minutes=30))

    assert len([c for c in slack.calls("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]) == 1
    assert [
        c for c in slack.calls("chat.postMessage") if c.args.get("channel") == "UAL" and "of 14" in str(c.args)
    ] == []
    assert app.coach.has_left(ACME)


def both_installed_with_stands(slack: SlackStandIn, served: Deployment) -> Runtime:
    """Both workspaces installed, every member in a program (a stand declared in their channel), all told."""
    for team, members in MEMBERS.items():
        install(slack, served, team)
        for member in members:
            slack.command(member, "/stand", f"Ship the {team} launch by 2026-12-31", channel=CHANNELS[team])
    drained(slack, served.app)
    return served.app


class UninstalledMidway:
    """The app's senders, with the workspace uninstalled (as the event does it) once the pass has begun there."""

    def __init__(self, app: Runtime, team: str) -> None:
        assert isinstance(app.poster, WorkspacePosters) and app.installs is not None
        self.posters, self.installs, self.team = app.poster, app.installs, team
        self.per_second = self.posters.per_second
        self.asked = 0

    def for_team(self, team_id: str) -> PacedPoster | None:
        if team_id == self.team:
            self.asked += 1
            if self.asked == 2:  # its first members claimed with every workspace's (asked once), about to be sent
                self.installs.lost(team_id)
        return self.posters.for_team(team_id)

    def refused(self, team_id: str, code: str) -> bool:
        return self.posters.refused(team_id, code)


def test_a_pass_already_running_skips_a_workspace_uninstalled_during_it(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = both_installed_with_stands(slack, served)
    calls_before = len(slack.calls())

    clock.set(TUESDAY_MORNING)
    report = daily_pass(Nudges(app.coach), FollowUps(app.coach), UninstalledMidway(app, BETA), clock.now())

    after = slack.calls()[calls_before:]
    assert [c for c in after if c.method == "chat.postMessage" and c.args.get("channel") in MEMBERS[BETA]] == []
    assert all([m for m in slack.messages(member) if "of 14" in seen(m)] for member in MEMBERS[ACME])
    assert (report.sent, report.skipped) == (2, 2)


def test_run_in_distribution_mode_serves_the_install_pages_and_installs_from_a_process(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    for team, (admin, _) in MEMBERS.items():
        slack.add_user(admin, team_id=team, name=admin.lower(), tz="Europe/Berlin", is_admin=True)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT", "HOST"))}
    env = {
        **keep,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_STATE_SECRET": STATE_SECRET,
        "SLACK_SIGNING_SECRET": support.SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "HOST": "127.0.0.1",
        "PORT": "0",
        "LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        log = []
        for line in process.stderr:
            log.append(line)
            if "listening for Slack" in line:
                break
        base = log[-1].rsplit(" ", 1)[1].strip().removesuffix("/slack/events")
        slack.request_url = f"{base}/slack/events"
        slack.oauth.app(CLIENT_ID, CLIENT_SECRET, redirect_url=f"{base}/slack/oauth_redirect")

        page = slack.oauth.install(f"{base}/slack/install", team_id=ACME, user_id="UANN")

        assert page.status == 200 and "Breakthrough Coach is installed" in page.text
        assert slack.wait_for(lambda: slack.messages("UANN"))
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=20)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    everything = "".join(log) + rest
    assert "distribution mode" in everything
    for secret in (CLIENT_SECRET, STATE_SECRET, support.SIGNING_SECRET, str(slack.oauth.token_of(ACME))):
        assert secret not in everything


class ClaimsAtFirstPost:
    """The app's senders, noting how many of today's nudges were claimed when the pass made its first post."""

    def __init__(self, app: Runtime) -> None:
        assert isinstance(app.poster, WorkspacePosters)
        self.posters, self.engine = app.poster, app.engine
        self.per_second = self.posters.per_second
        self.claimed_at_first_post: int | None = None
        self._lock = threading.Lock()

    def for_team(self, team_id: str) -> Any:
        poster = self.posters.for_team(team_id)
        return None if poster is None else _Noting(poster, self)

    def refused(self, team_id: str, code: str) -> bool:
        return self.posters.refused(team_id, code)

    def note(self) -> None:
        with self._lock:
            if self.claimed_at_first_post is None:
                with unit_of_work(self.engine, read_only=True) as session:
                    self.claimed_at_first_post = session.execute(select(func.count()).select_from(Nudge)).scalar_one()


class _Noting:
    def __init__(self, poster: PacedPoster, watch: ClaimsAtFirstPost) -> None:
        self.poster, self.watch = poster, watch

    def __getattr__(self, name: str) -> Any:
        return getattr(self.poster, name)

    def post_message(self, **arguments: Any) -> Any:
        self.watch.note()
        return self.poster.post_message(**arguments)


def test_a_pass_claims_the_first_members_of_every_workspace_before_its_first_post(
    slack: SlackStandIn, served: Deployment, clock: FixedClock
) -> None:
    app = both_installed_with_stands(slack, served)

    clock.set(TUESDAY_MORNING)
    watch = ClaimsAtFirstPost(app)
    report = daily_pass(Nudges(app.coach), FollowUps(app.coach), watch, clock.now())

    # Every workspace's first second of nudges was claimed in one go, so no workspace waits for another's claim.
    assert watch.claimed_at_first_post == sum(len(members) for members in MEMBERS.values())
    assert report.sent == 4
    assert all(len([m for m in slack.messages(member) if "of 14" in seen(m)]) == 1 for member in MEMBERS[ACME])
