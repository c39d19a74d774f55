"""The composition root: the Bolt app wired to the coach, every Slack surface, and the outbox's sender."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.settings import Settings
from handlers import actions, commands, deliveries, errors, events, views, web_client
from handlers.installs import Installs, SignedStates, WorkspacePosters
from handlers.oauth import CoachOAuthFlow, callbacks
from handlers.outbox import OutboxSender
from handlers.posting import PacedPoster, Posters
from handlers.slack_io import NAMED_SECONDS
from handlers.web_client import KeepAliveWebClient
from storage.db import make_engine

# Bolt's threads run each listener to its ack (store, then answer) and the lazy listeners after it.
LISTENER_THREADS = 32

BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "files:write")
"""What Add to Slack asks for: the bot scopes in manifest.yml."""

STATE_SECONDS = 600
"""An install must finish within ten minutes of opening the install page (Slack's codes last as long)."""


@dataclass
class Runtime:
    """The app and what it owns, so `run` can start and stop each part in order."""

    app: App
    coach: Coach
    engine: Engine
    executor: ThreadPoolExecutor
    poster: Posters
    sender: OutboxSender
    stopping: threading.Event = field(default_factory=threading.Event)
    signing_secret: str | None = None
    installs: Installs | None = None
    """Distribution mode's installations (None with a single workspace's token)."""

    def start(self) -> None:
        """Start sending what the outbox holds (including what an earlier run left behind)."""
        # What exists now (modules, the app, its mappers and compiled statements) lives as long as the app: kept out
        # of the collector's full passes, each of which otherwise walks all of it while every request and post waits
        # (~50 ms each, three in a 50-workspace morning pass; ~10 ms frozen). `close` gives it back to the collector.
        gc.freeze()
        self.sender.start()
        self.sender.wake()

    def close(self) -> None:
        """Finish the requests in flight, stop the sender (what it has not sent waits in the database), and
        release the database."""
        self.executor.shutdown(wait=True)
        self.stopping.set()
        self.sender.stop()
        self.engine.dispose()
        gc.unfreeze()  # what `start` froze is collectable again (a process that runs several apps, tests among them)


def register_listeners(
    app: App, coach: Coach, lost: Callable[[str], None] | None = None, *, named_seconds: float = NAMED_SECONDS
) -> None:
    """Wire every Slack surface to the coach; `lost` is called when a workspace uninstalls the app; a command or
    form naming people waits at most `named_seconds` for Slack to say who they are."""
    errors.register(app)
    commands.register(app, coach, named_seconds=named_seconds)
    actions.register(app, coach)
    views.register(app, coach, named_seconds=named_seconds)
    events.register(app, coach, lost)


def paced_poster(settings: Settings, stop: threading.Event | None = None) -> PacedPoster:
    """The workspace's one paced sender, shared by scheduled sends and the outbox (it does its own retrying)."""
    client = KeepAliveWebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10, retry_handlers=[])
    return PacedPoster(client, settings.posts_per_second, stop=stop)


def make_coach(settings: Settings, engine: Engine, clock: Clock) -> Coach:
    """The domain, with the deployment's defaults from the settings."""
    return Coach(
        engine,
        clock,
        default_timezone=settings.default_timezone,
        recap_channel=settings.recap_channel,
        admins=settings.coach_admins,
        retention=timedelta(days=settings.uninstall_retention_days),
    )


def workspace_posters(settings: Settings, engine: Engine, stop: threading.Event | None = None) -> WorkspacePosters:
    """Distribution mode's senders: one paced poster per installed workspace, each with its own token."""
    assert settings.client_id is not None and settings.client_secret is not None
    store = SQLAlchemyInstallationStore(client_id=settings.client_id, engine=engine, logger=logging.getLogger("oauth"))
    rotator = TokenRotator(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        client=KeepAliveWebClient(base_url=settings.api_url, timeout=10),
    )
    return WorkspacePosters(
        store, api_url=settings.api_url, per_second=settings.posts_per_second, stop=stop, rotator=rotator
    )


def _distribution(settings: Settings, coach: Coach, posters: WorkspacePosters, client: WebClient) -> dict[str, Any]:
    """Bolt's arguments for distribution mode: the OAuth flow and the authorize that finds each workspace's token."""
    assert settings.client_id is not None and settings.client_secret is not None and settings.state_secret
    store = posters.store
    installs = Installs(coach, store, posters, settings.api_url)
    states = SignedStates(
        SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=coach.engine), settings.state_secret
    )
    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=store,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        # Slack's consent page lives beside its Web API (https://slack.com/oauth/v2/authorize), or the stand-in's.
        authorization_url=settings.api_url.removesuffix("api/") + "oauth/v2/authorize",
        callback_options=callbacks(installs),
    )
    flow = CoachOAuthFlow(client=client, settings=oauth_settings)
    authorize = InstallationStoreAuthorize(
        installation_store=store,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        logger=logging.getLogger("bolt"),
        # auth.test once per token, not once per request: the ack's three seconds are the member's.
        cache_enabled=True,
        client=client,
    )
    return {"installs": installs, "oauth_flow": flow, "installation_store": store, "authorize": authorize}


_UNUSED_TOKEN_NOTICE = warning_client_prioritized_and_token_skipped()


def _without_the_unused_token_notice(record: logging.LogRecord) -> bool:
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our client (which carries that very
    token), warned at every start that the token "will be unused": true, and nothing an operator could act on."""
    return record.getMessage() != _UNUSED_TOKEN_NOTICE


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    named_seconds: float = NAMED_SECONDS,
) -> Runtime:
    """A Bolt app for `settings`, with no I/O until it handles a request or is started.

    `named_seconds` is how long a command naming people waits for Slack to say who they are before it answers
    "Slack is slow, try again" (`handlers.slack_io.NAMED_SECONDS`): the tests, whose stand-in shares a loaded
    machine with the app, give Slack longer, except where they test the bound itself."""
    engine = engine or make_engine(settings.database_url)
    coach = make_coach(settings, engine, clock or SystemClock())
    client = KeepAliveWebClient(
        token=settings.bot_token or None,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    # Our own pool, so shutdown can wait for the requests in flight and the lazy listeners they started.
    executor = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    stopping = threading.Event()
    poster: Posters
    if settings.distribution:
        poster = posters = workspace_posters(settings, engine, stopping)
        mode: dict[str, Any] = _distribution(settings, coach, posters, client)
    else:
        poster, mode = paced_poster(settings, stopping), {"token_verification_enabled": False}
    installs: Installs | None = mode.pop("installs", None)
    bolt_log = logging.getLogger("bolt")
    bolt_log.addFilter(_without_the_unused_token_notice)  # once: the same function is not added twice
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        # Acknowledged means stored: each listener stores, then acks, and Bolt answers Slack when it returns.
        process_before_response=True,
        listener_executor=executor,
        logger=bolt_log,
        **mode,
    )
    web_client.register(app, client)  # listeners reuse the app client's connections to Slack
    deliveries.register(app, coach)  # retried or replayed deliveries change nothing twice
    register_listeners(app, coach, installs.lost if installs is not None else None, named_seconds=named_seconds)
    sender = OutboxSender(coach, poster)
    coach.on_outbox = sender.wake
    return Runtime(
        app=app,
        coach=coach,
        engine=engine,
        executor=executor,
        poster=poster,
        sender=sender,
        stopping=stopping,
        signing_secret=settings.signing_secret,
        installs=installs,
    )
