"""Helpers for end-to-end tests: read what the stand-in for Slack received, and what the database holds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.app import Runtime, paced_poster
from bot.clock import FixedClock
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from handlers.jobs import PassReport, daily_pass, nudge_pass
from standin import Message, SlackStandIn, View
from storage import outbox
from storage.db import unit_of_work
from storage.models import OutboxStatus
from tests import support
from tests.support import at

T = TypeVar("T")


def texts_of(blocks: list[dict[str, Any]] | None) -> str:
    """All visible text of some blocks, joined: what a person would read."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)


def seen(message: Message | View) -> str:
    """What a person sees of a message or view."""
    text = getattr(message, "text", "") or ""
    return f"{text}\n{texts_of(message.blocks)}"


def buttons(message: Message | View) -> list[str]:
    """The visible texts of the buttons on a message or view."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append(node["text"]["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    return found


def last_ephemeral(slack: SlackStandIn, user: str, containing: str = "") -> Message:
    """Wait for an ephemeral reply to `user` that contains `containing`."""

    def find() -> Message | None:
        for message in reversed(slack.ephemerals(user)):
            if containing in seen(message):
                return message
        return None

    return slack.wait_for(find)


def dm(slack: SlackStandIn, user: str, containing: str = "") -> Message:
    """Wait for a DM to `user` containing `containing`; the latest version of it."""

    def find() -> Message | None:
        for message in reversed(slack.messages(user)):
            if containing in seen(message):
                return message
        return None

    return slack.wait_for(find)


def export(runtime: Runtime, **scope: str) -> dict[str, list[dict[str, Any]]]:
    """What the database holds, as the export document."""
    return runtime.coach.export(**scope)


def body(reply: Any) -> dict[str, Any]:
    """An ack body as a dict."""
    if isinstance(reply.body, dict):
        return reply.body
    return json.loads(reply.body or "{}")  # type: ignore[no-any-return]


def drained(slack: SlackStandIn, runtime: Runtime) -> None:
    """Wait until the outbox has sent everything it owes Slack (or given it up)."""

    def empty() -> bool | None:
        with unit_of_work(runtime.engine, read_only=True) as session:
            found = outbox.counts(session=session)
        return not (found.get(OutboxStatus.PENDING) or found.get(OutboxStatus.CLAIMED)) or None

    eventually(empty)


def eventually(predicate: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Wait until `predicate()`, which reads the app's database rather than the stand-in, is truthy (a bound, like
    the stand-in's `wait_for`, not a pause)."""
    deadline, tick = time.monotonic() + timeout, threading.Event()
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        tick.wait(0.01)


def modal_answer(slack: SlackStandIn, user: str, containing: str = "") -> View:
    """Wait for the member's open modal to show the answer to its submission, containing `containing`."""

    def find() -> View | None:
        views = slack.open_views(user)
        return views[-1] if views and containing in seen(views[-1]) else None

    return slack.wait_for(find)


def run_pass(slack: SlackStandIn, app: Runtime, now: datetime) -> PassReport:
    """The daily job's pass (each member's morning message) as the scheduler runs it at `now`."""
    poster = paced_poster(support.settings_for(slack.api_url, "sqlite://"))
    return daily_pass(Nudges(app.coach), FollowUps(app.coach), poster, now)


def nudge_on(slack: SlackStandIn, app: Runtime, clock: FixedClock, instant: str) -> Message:
    """Ada's nudge of the day, from a nudge pass at `instant`: exactly one new DM."""
    drained(slack, app)  # what earlier commands owe her (a welcome, a reply) is out before counting
    clock.set(at(instant))
    before = len(slack.messages("UADA"))
    nudge_pass(Nudges(app.coach), paced_poster(support.settings_for(slack.api_url, "sqlite://")), clock.now())
    assert len(slack.messages("UADA")) == before + 1
    return slack.messages("UADA")[-1]


def a_stand_declared_on_monday(slack: SlackStandIn, clock: FixedClock) -> None:
    """Ada (Berlin) declares her stand on Monday 23 November 2026 at 08:00, before her nudge."""
    clock.set(at("2026-11-23T07:00:00Z"))  # Monday, 08:00 in Berlin
    slack.command("UADA", "/stand", "Sign 10 new partners", channel="CGENERAL")
    last_ephemeral(slack, "UADA", "Your stand is declared")
