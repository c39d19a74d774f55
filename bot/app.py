"""The composition root: the Bolt app wired to the coach, every Slack surface, and the outbox's sender."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.settings import Settings
from handlers import actions, commands, deliveries, errors, events, views
from handlers.outbox import OutboxSender
from handlers.posting import PacedPoster
from storage.db import make_engine

# Bolt's threads run each listener to its ack (store, then answer) and the lazy listeners after it.
LISTENER_THREADS = 32


@dataclass
class Runtime:
    """The app and what it owns, so `run` can start and stop each part in order."""

    app: App
    coach: Coach
    engine: Engine
    executor: ThreadPoolExecutor
    poster: PacedPoster
    sender: OutboxSender
    stopping: threading.Event = field(default_factory=threading.Event)
    signing_secret: str | None = None

    def start(self) -> None:
        """Start sending what the outbox holds (including what an earlier run left behind)."""
        self.sender.start()
        self.sender.wake()

    def close(self) -> None:
        """Finish the requests in flight, stop the sender (what it has not sent waits in the database), and
        release the database."""
        self.executor.shutdown(wait=True)
        self.stopping.set()
        self.sender.stop()
        self.engine.dispose()


def register_listeners(app: App, coach: Coach) -> None:
    """Wire every Slack surface to the coach."""
    errors.register(app)
    commands.register(app, coach)
    actions.register(app, coach)
    views.register(app, coach)
    events.register(app, coach)


def paced_poster(settings: Settings, stop: threading.Event | None = None) -> PacedPoster:
    """The workspace's one paced sender, shared by scheduled sends and the outbox (it does its own retrying)."""
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10, retry_handlers=[])
    return PacedPoster(client, settings.posts_per_second, stop=stop)


def create_app(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> Runtime:
    """A Bolt app for `settings`, with no I/O until it handles a request or is started."""
    engine = engine or make_engine(settings.database_url)
    coach = Coach(
        engine,
        clock or SystemClock(),
        default_timezone=settings.default_timezone,
        recap_channel=settings.recap_channel,
        admins=settings.coach_admins,
    )
    client = WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    # Our own pool, so shutdown can wait for the requests in flight and the lazy listeners they started.
    executor = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=not settings.socket_mode,
        # Acknowledged means stored: each listener stores, then acks, and Bolt answers Slack when it returns.
        process_before_response=True,
        listener_executor=executor,
        logger=logging.getLogger("bolt"),
    )
    deliveries.register(app, coach)  # retried or replayed deliveries change nothing twice
    register_listeners(app, coach)
    stopping = threading.Event()
    poster = paced_poster(settings, stopping)
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
    )
