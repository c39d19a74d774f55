"""Settings, read once from the environment and `.env` (the environment wins), then immutable."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line that names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment."""

    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    database_url: str = field(default="sqlite:///breakthrough.db", repr=False)
    host: str = "0.0.0.0"
    port: int = 3000
    recap_channel: str | None = None
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    coach_admins: frozenset[str] = frozenset()
    posts_per_second: float = 5.0
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    state_secret: str | None = field(default=None, repr=False)
    uninstall_retention_days: int = 30

    @property
    def socket_mode(self) -> bool:
        """Whether `run` connects over Socket Mode rather than listening for HTTP."""
        return self.app_token is not None

    @property
    def distribution(self) -> bool:
        """Whether any workspace can install the app (Add to Slack), each on its own token."""
        return self.client_id is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, need_slack: bool = True, serving: bool = True) -> Settings:
        """Settings from a mapping of variables; raises SettingsError naming the first bad one."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        client_id, client_secret, state_secret = _oauth_credentials(get)
        distribution = client_id is not None
        bot_token, app_token, signing_secret = _slack_tokens(
            get, need_slack=need_slack and not distribution, serving=serving
        )
        if need_slack and distribution:
            _check_distribution(app_token, signing_secret, serving=serving)
        # Checked in this order, so the first bad one is named.
        return cls(
            bot_token=bot_token or "",
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=_api_url(get),
            database_url=_database_url(get),
            host=get("HOST") or "0.0.0.0",
            port=_port(get),
            default_timezone=_zone(get),
            log_level=_log_level(get),
            recap_channel=_recap_channel(get),
            coach_admins=_admins(get),
            posts_per_second=_posts_per_second(get),
            client_id=client_id,
            client_secret=client_secret,
            state_secret=state_secret,
            uninstall_retention_days=_retention_days(get),
        )


Get = Callable[[str], str | None]


def _slack_tokens(get: Get, *, need_slack: bool, serving: bool) -> tuple[str | None, str | None, str | None]:
    bot_token, app_token, signing_secret = get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN"), get("SLACK_SIGNING_SECRET")
    if not need_slack:
        return bot_token, app_token, signing_secret
    if bot_token is None:
        raise SettingsError("SLACK_BOT_TOKEN is missing: set it to the app's bot token (xoxb-…).")
    if not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN is malformed: a bot token starts with xoxb-.")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-.")
    if serving and app_token is None and signing_secret is None:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is missing: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)."
        )
    return bot_token, app_token, signing_secret


OAUTH_SETTINGS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")


def _oauth_credentials(get: Get) -> tuple[str | None, str | None, str | None]:
    """The three settings of distribution mode: all three, or none."""
    client_id, client_secret, state_secret = (get(name) for name in OAUTH_SETTINGS)
    given = [name for name in OAUTH_SETTINGS if get(name) is not None]
    if given and len(given) < len(OAUTH_SETTINGS):
        missing = next(name for name in OAUTH_SETTINGS if name not in given)
        raise SettingsError(
            f"{missing} is missing: distribution mode needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
            "SLACK_STATE_SECRET together (or none of them for a single workspace)."
        )
    if state_secret is not None and len(state_secret) < 16:
        raise SettingsError("SLACK_STATE_SECRET is malformed: use a random string of at least 16 characters.")
    return client_id, client_secret, state_secret


def _check_distribution(app_token: str | None, signing_secret: str | None, *, serving: bool) -> None:
    if app_token is not None:
        raise SettingsError(
            "SLACK_APP_TOKEN is set in distribution mode: Add to Slack needs HTTP mode, so unset SLACK_APP_TOKEN."
        )
    if serving and signing_secret is None:
        raise SettingsError("SLACK_SIGNING_SECRET is missing: distribution mode serves HTTP and needs it.")


def _retention_days(get: Get) -> int:
    days_text = get("UNINSTALL_RETENTION_DAYS") or "30"
    if not (days_text.isascii() and days_text.isdigit()) or int(days_text) > 36500:
        raise SettingsError(
            f"UNINSTALL_RETENTION_DAYS is malformed: {days_text!r} is not a number of days (0 deletes at once)."
        )
    return int(days_text)


def _api_url(get: Get) -> str:
    api_url = get("SLACK_API_URL") or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError("SLACK_API_URL is malformed: it must be an http(s) URL such as https://slack.com/api/.")
    return api_url if api_url.endswith("/") else api_url + "/"


def _database_url(get: Get) -> str:
    return checked_database_url(get("DATABASE_URL") or "sqlite:///breakthrough.db")


def checked_database_url(database_url: str, name: str = "DATABASE_URL") -> str:
    """`database_url` if it is a SQLAlchemy URL of SQLite or PostgreSQL; otherwise a SettingsError naming `name`
    (the setting, or the option it came from)."""
    try:
        backend = make_url(database_url).get_backend_name()
    except ArgumentError:
        raise SettingsError(f"{name} is malformed: use sqlite:///path.db or postgresql+psycopg://…") from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(f"{name} names {backend}: only sqlite and postgresql are supported.")
    return database_url


def _port(get: Get) -> int:
    port_text = get("PORT") or "3000"
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise SettingsError(f"PORT is malformed: {port_text!r} is not a port number (0 picks a free one).")
    return int(port_text)


def _zone(get: Get) -> str:
    zone = get("DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"DEFAULT_TIMEZONE is malformed: {zone!r} is not an IANA zone such as Europe/Berlin."
        ) from None
    return zone


def _log_level(get: Get) -> str:
    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(log_level), int):
        raise SettingsError(f"LOG_LEVEL is malformed: {log_level!r} is not DEBUG, INFO, WARNING or ERROR.")
    return log_level


def _recap_channel(get: Get) -> str | None:
    recap_channel = get("RECAP_CHANNEL")
    if recap_channel is not None and recap_channel[0] not in "CG":
        raise SettingsError(f"RECAP_CHANNEL is malformed: {recap_channel!r} is not a channel ID such as C0123ABC.")
    return recap_channel


def _admins(get: Get) -> frozenset[str]:
    admins = frozenset(a.strip() for a in (get("COACH_ADMINS") or "").split(",") if a.strip())
    if any(a[0] not in "UW" for a in admins):
        raise SettingsError("COACH_ADMINS is malformed: list member IDs such as U0123ABC, separated by commas.")
    return admins


def _posts_per_second(get: Get) -> float:
    rate_text = get("SLACK_POSTS_PER_SECOND") or "5"
    try:
        posts_per_second = float(rate_text)
    except ValueError:
        posts_per_second = 0.0
    if not 0 < posts_per_second <= 10000:
        raise SettingsError(f"SLACK_POSTS_PER_SECOND is malformed: {rate_text!r} is not a positive number of posts.")
    return posts_per_second


def load_settings(*, need_slack: bool = True, serving: bool = True, env_file: Path = Path(".env")) -> Settings:
    """Settings from `.env` in the working directory overlaid by the process environment."""
    merged: dict[str, str] = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    merged.update(os.environ)
    return Settings.from_env(merged, need_slack=need_slack, serving=serving)
