"""The composition root: the Bolt app wired to the coach and every Slack surface."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.settings import Settings
from handlers import actions, commands, errors, events, views
from handlers.errors import Guard
from handlers.gate import WorkGate
from storage.db import make_engine

# Bolt's listener threads only parse and ack; the work after each ack runs on a few work threads (see Guard).
LISTENER_THREADS = 32
WORK_THREADS = 4


@dataclass
class Runtime:
    """The app and what it owns, so `run` can shut each part down in order."""

    app: App
    coach: Coach
    engine: Engine
    executor: ThreadPoolExecutor
    work: ThreadPoolExecutor
    gate: WorkGate
    signing_secret: str | None = None

    def close(self) -> None:
        """Finish every acknowledged piece of work, then release the database."""
        self.executor.shutdown(wait=True)  # acks in flight, which may still hand work on
        self.work.shutdown(wait=True)
        self.engine.dispose()


def register_listeners(app: App, coach: Coach, gate: WorkGate, work: Executor) -> None:
    """Wire every Slack surface to the coach."""
    guard = Guard(gate, work)
    errors.register(app)
    commands.register(app, coach, guard)
    actions.register(app, coach, guard)
    views.register(app, coach, guard)
    events.register(app, coach, guard)


def create_app(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> Runtime:
    """A Bolt app for `settings`, with no I/O until it handles a request."""
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
    # Our own pools, so shutdown can wait for them: an acknowledged action is never lost.
    executor = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=not settings.socket_mode,
        listener_executor=executor,
        logger=logging.getLogger("bolt"),
    )
    gate = WorkGate()
    work = ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="work")
    register_listeners(app, coach, gate, work)
    return Runtime(
        app=app,
        coach=coach,
        engine=engine,
        executor=executor,
        work=work,
        gate=gate,
        signing_secret=settings.signing_secret,
    )
