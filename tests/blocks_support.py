"""In-memory records and small readers for the pure tests of the Block Kit builders (tests/test_blocks_*.py).

Nothing here opens an app, the stand-in or a database: the records are model objects built in memory, and the
readers look into the plain dicts the builders return.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from bot.coach import Progress, Status
from bot.coach.nudges import NudgeContent, Theme
from bot.coach.rules import Practice
from storage.models import Breakdown, Breakthrough, Promise, PromiseStatus, Request, RequestStatus, Stand

TODAY = date(2026, 12, 2)
NOON = datetime(2026, 12, 2, 12, tzinfo=UTC)

Blocks = list[dict[str, Any]]


def stand(text: str = "Sign 3 new schools by Friday", **changes: Any) -> Stand:
    fields: dict[str, Any] = {
        "id": 1,
        "team_id": "T1",
        "user_id": "UADA",
        "text": text,
        "due_on": date(2026, 12, 31),
        "program_started_on": TODAY,
        "channel_id": "CGENERAL",
        "created_at": NOON,
    }
    return Stand(**(fields | changes))


def request(status: RequestStatus = RequestStatus.OPEN, text: str = "a review of the deck", **changes: Any) -> Request:
    fields: dict[str, Any] = {
        "id": 7,
        "team_id": "T1",
        "user_id": "UADA",
        "recipient_id": "UBEN",
        "text": text,
        "due_on": date(2026, 12, 4),
        "status": status,
        "promise_status": PromiseStatus.OPEN if status == RequestStatus.ACCEPTED else None,
        "local_date": TODAY,
        "created_at": NOON,
        "updated_at": NOON,
    }
    return Request(**(fields | changes))


def promise(text: str = "call the council", **changes: Any) -> Promise:
    fields: dict[str, Any] = {
        "id": 3,
        "team_id": "T1",
        "user_id": "UADA",
        "text": text,
        "due_on": TODAY,
        "created_at": NOON,
        "updated_at": NOON,
    }
    return Promise(**(fields | changes))


def breakdown(text: str = "the venue fell through", **changes: Any) -> Breakdown:
    fields: dict[str, Any] = {"id": 4, "team_id": "T1", "user_id": "UADA", "text": text, "created_at": NOON}
    return Breakdown(**(fields | changes))


def breakthrough(text: str = "all three schools signed") -> Breakthrough:
    return Breakthrough(id=5, team_id="T1", user_id="UADA", text=text, stand_id=1, created_at=NOON)


def progress(
    *, with_stand: Stand | None = None, day: int | None = 3, today: Practice | None = None, week: Practice | None = None
) -> Progress:
    return Progress(
        today=TODAY,
        stand=with_stand,
        day=day,
        today_practice=today or Practice(shares=1, actions=2, requests=0),
        week_practice=week or Practice(shares=4, actions=5, requests=3),
    )


def status(**changes: Any) -> Status:
    fields: dict[str, Any] = {
        "user_id": "UADA",
        "progress": progress(with_stand=stand()),
        "followers": [],
        "made": [],
        "received": [],
        "promises": [],
        "nudge_time": "08:30",
        "weekends": False,
        "paused": False,
    }
    return Status(**(fields | changes))


def nudge_content(**changes: Any) -> NudgeContent:
    fields: dict[str, Any] = {
        "team_id": "T1",
        "user_id": "UADA",
        "local_date": TODAY,
        "progress": progress(with_stand=stand()),
        "theme": Theme(title="Share your goals broadly", prompt="Tell two people today."),
        "promises_due": [],
        "requests_due": [],
    }
    return NudgeContent(**(fields | changes))


def walk(blocks: Any) -> Iterator[dict[str, Any]]:
    """Every dict in blocks or a view, however deep."""
    if isinstance(blocks, dict):
        yield blocks
        for value in blocks.values():
            yield from walk(value)
    elif isinstance(blocks, list):
        for item in blocks:
            yield from walk(item)


def button_labels(blocks: Any) -> list[str]:
    """The labels of every button, in order."""
    return [str(b["text"]["text"]) for b in walk(blocks) if b.get("type") == "button"]


def action_ids(blocks: Any) -> list[str]:
    """The action IDs of every button, in order."""
    return [str(b["action_id"]) for b in walk(blocks) if b.get("type") == "button"]


def section_texts(blocks: Blocks) -> list[str]:
    """The mrkdwn text of each top-level section."""
    return [str(b["text"]["text"]) for b in blocks if b["type"] == "section"]


def all_text(blocks: Any) -> str:
    """Every text string in blocks or a view, joined: to look for words wherever they are shown."""
    return "\n".join(str(b["text"]) for b in walk(blocks) if isinstance(b.get("text"), str))


def block(blocks: Blocks, block_id: str) -> dict[str, Any]:
    """The block with `block_id`."""
    found = [b for b in blocks if b.get("block_id") == block_id]
    assert len(found) == 1, f"{len(found)} blocks with the id {block_id!r}"
    return found[0]
