"""The records of a stand-in workspace (members, channels, triggers, faults…), the errors Slack answers with, and
the checks of a message reply, shared by every family of Web API methods."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from . import blockkit
from .model import JsonDict, Message

log = logging.getLogger(__name__)

TRIGGER_TTL = 3.0
MAX_MESSAGE_TEXT = 40_000
MAX_MODAL_STACK = 3
JSON_FIELDS = ("blocks", "view", "files", "attachments", "metadata")


class WallClock(Protocol):
    """Anything that tells the current instant as an aware datetime (the project's Clock fits)."""

    def now(self) -> datetime: ...


class SlackError(Exception):
    """A Web API error answer: `{"ok": false, "error": ...}` plus any extra fields."""

    def __init__(self, error: str, *, status: int = 200, extra: JsonDict | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}


@dataclass(frozen=True)
class ApiResult:
    """An HTTP answer from the stand-in."""

    status: int
    body: JsonDict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class User:
    """A workspace member as users.info describes them."""

    id: str
    team_id: str
    name: str
    real_name: str
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False


@dataclass
class Channel:
    """A public or private channel."""

    id: str
    team_id: str
    name: str
    is_private: bool = False
    bot_is_member: bool = True


@dataclass
class Trigger:
    """A trigger_id handed to the app in a payload."""

    user_id: str
    team_id: str
    issued_at: float
    used: bool = False


class MessageRef(NamedTuple):
    """Where a message lives: public messages by channel and ts, ephemerals also by their flag."""

    channel: str
    ts: str
    ephemeral: bool


@dataclass
class ResponseUrl:
    """A response_url handed to the app, and the message its replace_original or delete_original acts on."""

    user_id: str
    team_id: str
    channel: str
    source: MessageRef | None = None
    # A command has no original message: replace_original there means the URL's latest reply.
    follows_replies: bool = False


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    alt_txt: str = ""  # an image's description for screen readers


@dataclass
class Fault:
    """An injected failure waiting for its next `times` calls."""

    error: str
    times: int
    retry_after: int
    status: int | None


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, holding at most `capacity`."""

    rate: float
    capacity: float
    tokens: float
    last: float

    def take(self, now: float) -> bool:
        """Spend a token if one has accrued by `now`."""
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def reply_problems(reply: JsonDict) -> list[str]:
    """Why Slack would refuse a message reply: [error, "[ERROR] detail", ...], or [] if it is fine."""
    if reply.get("delete_original") in (True, "true"):
        return []
    blocks = reply.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, list):
            return ["invalid_blocks_format"]
        problems = blockkit.validate_blocks(blocks, surface="message")
        if problems:
            return ["invalid_blocks", *[f"[ERROR] {p}" for p in problems]]
    if not reply.get("text") and not blocks:
        return ["no_text"]
    if len(str(reply.get("text") or "")) > MAX_MESSAGE_TEXT:
        return ["msg_too_long"]
    return []


def invalid(blocks: list[Any], surface: blockkit.Surface, *, error: str) -> None:
    """Raise Slack's error with its response_metadata when blocks are invalid."""
    problems = blockkit.validate_blocks(blocks, surface=surface)
    if problems:
        log.warning("Slack stand-in rejected blocks: %s", "; ".join(problems))
        raise SlackError(error, extra={"errors": problems, **response_metadata([f"[ERROR] {p}" for p in problems])})


def index_of(pool: list[Message], message: Message) -> int:
    """Where `message` itself (not an equal one) sits in `pool`."""
    return next(i for i, m in enumerate(pool) if m is message)


def response_metadata(messages: list[str]) -> JsonDict:
    """Slack's `response_metadata` for the detail lines of an error, or nothing when there are none."""
    return {"response_metadata": {"messages": messages}} if messages else {}
