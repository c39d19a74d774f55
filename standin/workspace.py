"""Slack's state and Web API semantics for one stand-in workspace, independent of HTTP."""

from __future__ import annotations

import copy
import dataclasses
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from . import blockkit
from .model import Call, JsonDict, Message, UploadedFile, View

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


class Workspace:
    """Everything Slack knows about one app's workspace; every method is safe to call from any thread."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str,
        team_id: str,
        team_domain: str,
        app_id: str,
        bot_user_id: str,
        bot_id: str,
        clock: WallClock | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.clock = clock
        # One lock for all state, reentrant because locked methods record calls and draw timestamps.
        self.cond = threading.Condition(threading.RLock())
        self.version = 0
        self.http_base = ""
        self.ws_base = ""
        self.latency = 0.0
        self._calls: list[Call] = []
        self._users: dict[str, User] = {}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: dict[str, list[Message]] = {}
        self._stacks: dict[str, list[View]] = {}
        self._homes: dict[str, View] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._uploads: dict[str, Upload] = {}
        self._upload_tokens: dict[str, str] = {}
        self._files: list[UploadedFile] = []
        self._tickets: set[str] = set()
        self._faults: dict[str, Fault] = {}
        self._stalls: dict[str, float] = {}
        self._bucket: Bucket | None = None
        self._last_ts_us = 0
        self._serial = 0
        self._methods: dict[str, Callable[[JsonDict], JsonDict]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }
        self.add_user(bot_user_id, name="bot", real_name="Bot", is_bot=True)
        self.add_channel("C1", name="general")

    def now(self) -> float:
        """Seconds since the epoch by the stand-in's clock."""
        return self.clock.now().timestamp() if self.clock is not None else time.time()

    def next_ts(self) -> str:
        """A Slack message timestamp, unique and increasing across the workspace."""
        with self.cond:
            self._last_ts_us = max(int(self.now() * 1_000_000), self._last_ts_us + 1)
            return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A Slack-shaped object ID such as V0000000A1B."""
        with self.cond:
            self._serial += 1
            return f"{prefix}{self._serial:010X}"

    def touch(self) -> None:
        """Wake everyone waiting in wait_for: something was recorded."""
        with self.cond:
            self.version += 1
            self.cond.notify_all()

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Add a member to the directory."""
        ZoneInfo(tz)  # fail here, not in users.info, on a misspelt zone
        display = name or user_id.lower()
        with self.cond:
            self._users[user_id] = User(
                id=user_id,
                team_id=team_id or self.team_id,
                name=display,
                real_name=real_name or display,
                tz=tz,
                is_admin=is_admin,
                is_owner=is_owner,
                is_bot=is_bot,
                deleted=deleted,
            )

    def set_user(self, user_id: str, **changes: Any) -> None:
        """Change fields of an existing member, e.g. tz or deleted."""
        allowed = {f.name for f in dataclasses.fields(User)} - {"id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown user fields {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "tz" in changes:
            ZoneInfo(changes["tz"])
        with self.cond:
            if user_id not in self._users:
                raise KeyError(f"no user {user_id}; known: {sorted(self._users)}")
            self._users[user_id] = dataclasses.replace(self._users[user_id], **changes)

    def user(self, user_id: str) -> User | None:
        """The member with that ID, if any."""
        with self.cond:
            return self._users.get(user_id)

    def add_channel(
        self,
        channel_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> None:
        """Add a channel to the workspace."""
        with self.cond:
            self._channels[channel_id] = Channel(
                id=channel_id,
                team_id=team_id or self.team_id,
                name=name or channel_id.lower(),
                is_private=is_private,
                bot_is_member=bot_is_member,
            )

    def channel_name(self, channel_id: str) -> str:
        """The name Slack puts in payloads for a conversation; DMs are "directmessage"."""
        with self.cond:
            if channel_id in self._channels:
                return self._channels[channel_id].name
            if self._dm_user(channel_id) is not None:
                return "directmessage"
            known = sorted(self._channels) + [f"D{u}" for u in sorted(self._users)]
            raise AssertionError(f"no conversation {channel_id}; known: {known}")

    def _dm_user(self, channel_id: str) -> User | None:
        if channel_id.startswith("D"):
            return self._users.get(channel_id[1:])
        return None

    def conversation_of(self, channel_or_user: str) -> str:
        """The conversation ID a test means: a user ID stands for the bot's DM with them."""
        with self.cond:
            if channel_or_user in self._users:
                return f"D{channel_or_user}"
            return channel_or_user

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, in order."""
        with self.cond:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[Message]:
        """Public messages in a conversation, oldest first."""
        with self.cond:
            return list(self._messages.get(self.conversation_of(channel), []))

    def conversations_with_messages(self) -> dict[str, int]:
        """How many public messages each conversation holds."""
        with self.cond:
            return {channel: len(found) for channel, found in self._messages.items() if found}

    def ephemerals(self, user_id: str) -> list[Message]:
        """Everything only this user saw, oldest first."""
        with self.cond:
            return list(self._ephemerals.get(user_id, []))

    def open_views(self, user_id: str) -> list[View]:
        """The user's modal stack, top last."""
        with self.cond:
            return list(self._stacks.get(user_id, []))

    def home(self, user_id: str) -> View | None:
        """The user's published Home tab."""
        with self.cond:
            return self._homes.get(user_id)

    def files(self, channel: str | None = None) -> list[UploadedFile]:
        """Uploaded files, all of them or those shared to one conversation."""
        with self.cond:
            if channel is None:
                return list(self._files)
            conversation = self.conversation_of(channel)
            return [f for f in self._files if f.channel == conversation]

    def current_message(self, message: Message) -> Message:
        """The latest version of a message a test holds."""
        with self.cond:
            pool = (
                self._ephemerals.get(message.user or "", [])
                if message.ephemeral
                else self._messages.get(message.channel, [])
            )
            for candidate in pool:
                if candidate.ts == message.ts:
                    return candidate
            raise AssertionError(f"message {message.ts} in {message.channel} is gone (deleted)")

    def current_view(self, view_id: str) -> tuple[str, View]:
        """The latest version of a view, with the user who has it open."""
        with self.cond:
            for user_id, stack in self._stacks.items():
                for view in stack:
                    if view.id == view_id:
                        return user_id, view
            for user_id, view in self._homes.items():
                if view.id == view_id:
                    return user_id, view
            raise AssertionError(f"view {view_id} is not open any more")

    def record(self, method: str, args: JsonDict, *, ok: bool, error: str | None = None) -> None:
        """Append a Call and wake waiters."""
        with self.cond:
            self._calls.append(Call(method=method, args=args, at=self.now(), ok=ok, error=error))
            self.touch()

    def _store_message(self, message: Message) -> Message:
        if message.ephemeral:
            self._ephemerals.setdefault(message.user or "", []).append(message)
        else:
            self._messages.setdefault(message.channel, []).append(message)
        self.touch()
        return message

    def _replace_message(self, old: Message, **changes: Any) -> Message:
        new = dataclasses.replace(old, updates=old.updates + 1, history=(*old.history, old), **changes)
        pool = self._pool_of(old)
        pool[_index_of(pool, old)] = new
        self.touch()
        return new

    def _pool_of(self, message: Message) -> list[Message]:
        return self._ephemerals[message.user or ""] if message.ephemeral else self._messages[message.channel]

    def _find_message(self, channel: str, ts: str, *, ephemeral_for: str | None = None) -> Message | None:
        pool = self._ephemerals.get(ephemeral_for, []) if ephemeral_for else self._messages.get(channel, [])
        return next((m for m in pool if m.ts == ts and m.channel == channel), None)

    def fail(self, method: str, error: str, *, times: int, retry_after: int, status: int | None) -> None:
        """Make the next `times` calls of `method` fail with `error`."""
        with self.cond:
            if times <= 0:
                self._faults.pop(method, None)
            else:
                self._faults[method] = Fault(error=error, times=times, retry_after=retry_after, status=status)

    def stall(self, method: str, seconds: float) -> None:
        """Make calls of `method` wait `seconds` before Slack acts on them (0 clears)."""
        with self.cond:
            if seconds > 0:
                self._stalls[method] = seconds
            else:
                self._stalls.pop(method, None)

    def rate_limit(self, per_second: float | None) -> None:
        """Limit chat.postMessage across the workspace (None lifts the limit)."""
        with self.cond:
            if per_second is None:
                self._bucket = None
            else:
                capacity = max(1.0, per_second)
                self._bucket = Bucket(per_second, capacity, capacity, time.monotonic())

    def plan(self, method: str) -> tuple[float, Fault | None]:
        """How long to hold a call before acting on it, and the fault it meets, if any."""
        with self.cond:
            delay = self.latency + self._stalls.get(method, 0.0)
            fault = self._faults.get(method)
            if fault is None:
                return delay, None
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[method]
            return delay, fault

    def fault_answer(self, method: str, args: JsonDict, fault: Fault) -> ApiResult:
        """The answer an injected fault gives, recorded like any call."""
        self.record(method, args, ok=False, error=fault.error)
        if fault.error == "ratelimited":
            return ApiResult(
                fault.status or 429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        return ApiResult(fault.status or 200, {"ok": False, "error": fault.error})

    def call(self, method: str, args: JsonDict, token: str | None) -> ApiResult:
        """Answer one Web API call the way Slack would, and record it."""
        headers: dict[str, str] = {}
        status = 200
        try:
            if method == "files.upload":
                raise SlackError("method_deprecated")
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            self._authenticate(method, token)
            if method == "chat.postMessage" and not self._take_post_token():
                raise SlackError("ratelimited", status=429)
            with self.cond:
                body = {"ok": True, **handler(args)}
            self.record(method, args, ok=True)
        except SlackError as e:
            body = {"ok": False, "error": e.error, **e.extra}
            status = e.status
            if e.error == "ratelimited":
                headers["Retry-After"] = "1"
            self.record(method, args, ok=False, error=e.error)
        return ApiResult(status, body, headers)

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        wanted, other = (
            (self.app_token, self.bot_token) if method == "apps.connections.open" else (self.bot_token, self.app_token)
        )
        if method == "api.test" or token == wanted:
            return
        raise SlackError("not_allowed_token_type" if token == other else "invalid_auth")

    def _take_post_token(self) -> bool:
        with self.cond:
            return self._bucket is None or self._bucket.take(time.monotonic())

    def _api_test(self, args: JsonDict) -> JsonDict:
        return {"args": args} if args else {}

    def _auth_test(self, args: JsonDict) -> JsonDict:
        bot = self._users[self.bot_user_id]
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": bot.name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: JsonDict) -> JsonDict:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self.user_object(user)}

    def user_object(self, user: User) -> JsonDict:
        """A user as users.info returns it, with the zone offset as of now."""
        local = datetime.fromtimestamp(self.now(), ZoneInfo(user.tz))
        offset = local.utcoffset()
        return {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": local.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {"real_name": user.real_name, "display_name": user.name, "team": user.team_id},
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(self.now()),
        }

    def _postable_conversation(self, raw: object) -> str:
        """The conversation chat.postMessage would post to for a `channel` argument, or the error it gives."""
        if not isinstance(raw, str) or not raw:
            raise SlackError("channel_not_found")
        if raw.startswith("#"):
            named = next((c for c in self._channels.values() if c.name == raw[1:]), None)
            raw = named.id if named else raw
        dm_user = self._users.get(raw) or self._dm_user(raw)
        if dm_user is not None:
            if dm_user.is_bot:
                raise SlackError("cannot_dm_bot")
            return f"D{dm_user.id}"
        channel = self._channels.get(raw)
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.is_private and not channel.bot_is_member:
            raise SlackError("not_in_channel")
        return channel.id

    def _existing_conversation(self, raw: object) -> str:
        """A conversation named by its ID (as chat.update insists; a user ID is not a conversation)."""
        if isinstance(raw, str) and (raw in self._channels or self._dm_user(raw) is not None):
            return raw
        raise SlackError("channel_not_found")

    def _content(self, args: JsonDict, *, required: bool) -> tuple[str | None, list[JsonDict] | None]:
        """The text and blocks of a message argument set, checked as Slack checks them."""
        text = args.get("text")
        blocks = args.get("blocks")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        if required and not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            invalid(blocks, "message", error="invalid_blocks")
            blocks = blockkit.with_ids(blocks)
        return text, blocks

    def message_object(self, message: Message) -> JsonDict:
        """A message as Slack puts it in API answers and interaction payloads."""
        obj: JsonDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
            "blocks": copy.deepcopy(message.blocks),
        }
        if message.thread_ts:
            obj["thread_ts"] = message.thread_ts
        if message.files:
            obj["files"] = [{"id": f} for f in message.files]
        if message.updates:
            obj["edited"] = {"user": self.bot_user_id, "ts": message.ts}
        return obj

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        channel = self._postable_conversation(args.get("channel"))
        text, blocks = self._content(args, required=True)
        thread_ts = args.get("thread_ts")
        message = self._store_message(
            Message(
                channel=channel,
                ts=self.next_ts(),
                text=text or "",
                blocks=blocks or [],
                thread_ts=str(thread_ts) if thread_ts else None,
            )
        )
        return {"channel": channel, "ts": message.ts, "message": self.message_object(message)}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        channel = self._existing_conversation(args.get("channel"))
        old = self._find_message(channel, str(args.get("ts", "")))
        if old is None:
            raise SlackError("message_not_found")
        text, blocks = self._content(args, required=True)
        new = self._replace_message(
            old,
            text=old.text if text is None else text,
            blocks=old.blocks if blocks is None else blocks,
        )
        return {"channel": channel, "ts": new.ts, "text": new.text, "message": self.message_object(new)}

    def _chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        channel = self._postable_conversation(args.get("channel"))
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        dm_user = self._dm_user(channel)
        if dm_user is not None and dm_user.id != user.id:
            raise SlackError("user_not_in_channel")
        text, blocks = self._content(args, required=True)
        thread_ts = args.get("thread_ts")
        message = self._store_message(
            Message(
                channel=channel,
                ts=self.next_ts(),
                text=text or "",
                blocks=blocks or [],
                thread_ts=str(thread_ts) if thread_ts else None,
                ephemeral=True,
                user=user.id,
            )
        )
        return {"message_ts": message.ts}

    def issue_trigger(self, user_id: str, team_id: str) -> str:
        """A fresh trigger_id for a payload, good for one views.open/push within 3 seconds."""
        with self.cond:
            trigger_id = f"{self._serial + 1}.{int(self.now())}.{secrets.token_hex(16)}"
            self._serial += 1
            self._triggers[trigger_id] = Trigger(user_id=user_id, team_id=team_id, issued_at=self.now())
            return trigger_id

    def _redeem_trigger(self, trigger_id: object) -> Trigger:
        trigger = self._triggers.get(str(trigger_id)) if trigger_id else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.now() - trigger.issued_at > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def issue_response_url(
        self,
        *,
        user_id: str,
        team_id: str,
        channel: str,
        source: MessageRef | None = None,
        follows_replies: bool = False,
    ) -> str:
        """A fresh response_url on the stand-in, tied to the user, the channel and any source message."""
        with self.cond:
            key = secrets.token_urlsafe(18)
            self._response_urls[key] = ResponseUrl(
                user_id=user_id, team_id=team_id, channel=channel, source=source, follows_replies=follows_replies
            )
            return f"{self.http_base}/response/{key}"

    def _view_from(self, args: JsonDict, *, kind: str | None = None) -> JsonDict:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", extra=_metadata(["[ERROR] missing required field: view"]))
        if kind is not None and view.get("type") != kind:
            raise SlackError(
                "invalid_arguments", extra=_metadata([f"[ERROR] must be a {kind} view [json-pointer:/view/type]"])
            )
        problems = blockkit.validate_view(view)
        if problems:
            log.warning("Slack stand-in rejected a view: %s", "; ".join(problems))
            raise SlackError("invalid_arguments", extra=_metadata([f"[ERROR] {p}" for p in problems]))
        return view

    def build_view(
        self, view: JsonDict, *, view_id: str | None = None, root_id: str | None = None, previous: str | None = None
    ) -> View:
        """A stored view from a valid view argument: IDs, hash and initial state filled in as Slack does."""
        new_id = view_id or self.next_id("V")
        blocks = blockkit.with_ids(list(view.get("blocks", [])))
        raw: JsonDict = {
            "id": new_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": blockkit.initial_state(blocks)},
            "hash": f"{int(self.now())}.{secrets.token_hex(4)}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root_id or new_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        title = raw["title"]
        return View(
            id=new_id,
            type=str(raw["type"]),
            callback_id=str(raw["callback_id"]),
            title=str(title.get("text", "")) if isinstance(title, dict) else "",
            blocks=blocks,
            private_metadata=str(raw["private_metadata"]),
            raw=raw,
        )

    def _check_external_id(self, view: JsonDict, *, except_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for existing in self._all_views():
            if existing.raw.get("external_id") == external_id and existing.id != except_id:
                raise SlackError("duplicate_external_id")

    def _all_views(self) -> list[View]:
        return [v for stack in self._stacks.values() for v in stack] + list(self._homes.values())

    def _views_open(self, args: JsonDict) -> JsonDict:
        trigger = self._redeem_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        view = self._view_from(args, kind="modal")
        self._check_external_id(view)
        stored = self.build_view(view)
        self._stacks[trigger.user_id] = [stored]
        self.touch()
        return {"view": copy.deepcopy(stored.raw)}

    def _views_push(self, args: JsonDict) -> JsonDict:
        trigger = self._redeem_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        view = self._view_from(args, kind="modal")
        stack = self._stacks.setdefault(trigger.user_id, [])
        if len(stack) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        self._check_external_id(view)
        stored = self.build_view(
            view,
            root_id=stack[0].id if stack else None,
            previous=stack[-1].id if stack else None,
        )
        stack.append(stored)
        self.touch()
        return {"view": copy.deepcopy(stored.raw)}

    def _views_update(self, args: JsonDict) -> JsonDict:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments", extra=_metadata(["[ERROR] either view_id or external_id is required"])
            )
        existing = next(
            (v for v in self._all_views() if (v.id == view_id if view_id else v.raw.get("external_id") == external_id)),
            None,
        )
        if existing is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != existing.raw["hash"]:
            raise SlackError("hash_conflict")
        view = self._view_from(args, kind=existing.type)
        self._check_external_id(view, except_id=existing.id)
        self.replace_view(existing, view)
        return {"view": copy.deepcopy(self._find_view(existing.id).raw)}

    def replace_view(self, existing: View, view: JsonDict) -> View:
        """Swap a stored view's content for `view`, keeping its ID and place."""
        with self.cond:
            new = self.build_view(
                view,
                view_id=existing.id,
                root_id=existing.raw.get("root_view_id"),
                previous=existing.raw.get("previous_view_id"),
            )
            for stack in self._stacks.values():
                for index, candidate in enumerate(stack):
                    if candidate.id == existing.id:
                        stack[index] = new
            for user_id, home in list(self._homes.items()):
                if home.id == existing.id:
                    self._homes[user_id] = new
            self.touch()
            return new

    def _find_view(self, view_id: str) -> View:
        return next(v for v in self._all_views() if v.id == view_id)

    def _views_publish(self, args: JsonDict) -> JsonDict:
        user = self._users.get(str(args.get("user_id", "")))
        if user is None:
            raise SlackError("user_not_found")
        view = self._view_from(args, kind="home")
        existing = self._homes.get(user.id)
        if existing is not None and args.get("hash") and args["hash"] != existing.raw["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, except_id=existing.id if existing else None)
        self._homes[user.id] = self.build_view(view, view_id=existing.id if existing else None)
        self.touch()
        return {"view": copy.deepcopy(self._homes[user.id].raw)}

    def push_view(self, user_id: str, view: JsonDict) -> View:
        """Push a view on the user's stack (a `push` response_action)."""
        with self.cond:
            stack = self._stacks.setdefault(user_id, [])
            stored = self.build_view(
                view, root_id=stack[0].id if stack else None, previous=stack[-1].id if stack else None
            )
            stack.append(stored)
            self.touch()
            return stored

    def close_views(self, user_id: str, *, all_views: bool) -> None:
        """Close the top modal, or the whole stack."""
        with self.cond:
            stack = self._stacks.get(user_id, [])
            if all_views:
                stack.clear()
            elif stack:
                stack.pop()
            self.touch()

    def _files_get_upload_url(self, args: JsonDict) -> JsonDict:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length is None or not str(length).isdigit():
            raise SlackError("invalid_arguments", extra=_metadata(["[ERROR] filename and length are required"]))
        file_id = self.next_id("F")
        key = secrets.token_urlsafe(18)
        self._uploads[file_id] = Upload(file_id=file_id, filename=str(filename), length=int(str(length)))
        self._upload_tokens[key] = file_id
        return {"upload_url": f"{self.http_base}/upload/v1/{key}", "file_id": file_id}

    def receive_upload(self, key: str, content: bytes) -> bool:
        """Store the bytes posted to an upload URL; False when the URL is unknown."""
        with self.cond:
            file_id = self._upload_tokens.get(key)
            if file_id is None:
                return False
            self._uploads[file_id].content = content
        self.record("upload", {"file_id": file_id, "bytes": len(content)}, ok=True)
        return True

    def _files_complete_upload(self, args: JsonDict) -> JsonDict:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", extra=_metadata(["[ERROR] files must be a JSON array"]))
        targets: list[str | None] = []
        if args.get("channel_id"):
            targets.append(self._postable_conversation(args["channel_id"]))
        for raw in str(args.get("channels") or "").split(","):
            if raw.strip():
                targets.append(self._postable_conversation(raw.strip()))
        uploads: list[tuple[Upload, str]] = []
        for entry in files:
            upload = self._uploads.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            uploads.append((upload, str(entry.get("title") or upload.filename)))
        for target in targets or [None]:
            for upload, title in uploads:
                assert upload.content is not None
                self._files.append(UploadedFile(upload.file_id, upload.filename, title, upload.content, target))
            if target is not None:
                thread_ts = args.get("thread_ts")
                self._store_message(
                    Message(
                        channel=target,
                        ts=self.next_ts(),
                        text=str(args.get("initial_comment") or ""),
                        blocks=[],
                        thread_ts=str(thread_ts) if thread_ts else None,
                        files=tuple(u.file_id for u, _ in uploads),
                    )
                )
        for upload, _ in uploads:
            self._uploads.pop(upload.file_id, None)
        self.touch()
        return {"files": [{"id": u.file_id, "title": t, "name": u.filename, "size": u.length} for u, t in uploads]}

    def _apps_connections_open(self, args: JsonDict) -> JsonDict:
        ticket = secrets.token_urlsafe(18)
        self._tickets.add(ticket)
        return {"url": f"{self.ws_base}/link/?ticket={ticket}&app_id={self.app_id}"}

    def redeem_ticket(self, ticket: str) -> bool:
        """True once for each ticket apps.connections.open issued."""
        with self.cond:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return True
            return False

    def show_reply(
        self,
        *,
        user_id: str,
        channel: str,
        reply: JsonDict,
        via_response_url: bool,
        source: MessageRef | None = None,
    ) -> Message | None:
        """Show a message reply (an ack body or a response_url post) the way Slack would; None if it deletes."""
        with self.cond:
            original = self._source_message(source)
            if reply.get("delete_original") in (True, "true") and original is not None:
                pool = self._pool_of(original)
                del pool[_index_of(pool, original)]
                self.touch()
                return None
            text = str(reply.get("text") or "")
            blocks = blockkit.with_ids(reply["blocks"]) if isinstance(reply.get("blocks"), list) else []
            if reply.get("replace_original") in (True, "true") and original is not None:
                return self._replace_message(original, text=text, blocks=blocks, response_url_posted=via_response_url)
            thread_ts = reply.get("thread_ts")
            return self._store_message(
                Message(
                    channel=channel,
                    ts=self.next_ts(),
                    text=text,
                    blocks=blocks,
                    thread_ts=str(thread_ts) if thread_ts else None,
                    ephemeral=reply.get("response_type") != "in_channel",
                    user=None if reply.get("response_type") == "in_channel" else user_id,
                    response_url_posted=via_response_url,
                )
            )

    def _source_message(self, source: MessageRef | None) -> Message | None:
        if source is None:
            return None
        channel, ts, ephemeral = source
        if ephemeral:
            return next(
                (m for pool in self._ephemerals.values() for m in pool if m.ts == ts and m.channel == channel), None
            )
        return self._find_message(channel, ts)

    def post_to_response_url(self, key: str, body: object) -> ApiResult:
        """Answer a POST to a response_url the way Slack's hooks endpoint does."""
        with self.cond:
            target = self._response_urls.get(key)
            args = body if isinstance(body, dict) else {"body": body}
            if target is None:
                self.record("response_url", args, ok=False, error="no_service")
                return ApiResult(404, {"ok": False, "error": "no_service"})
            if not isinstance(body, dict):
                self.record("response_url", args, ok=False, error="invalid_payload")
                return ApiResult(400, {"ok": False, "error": "invalid_payload"})
            problems = reply_problems(body)
            if problems:
                error = problems[0]
                self.record("response_url", body, ok=False, error=error)
                log.warning("Slack stand-in rejected a response_url post: %s", "; ".join(problems[1:]))
                return ApiResult(400, {"ok": False, "error": error, **_metadata(problems[1:])})
            message = self.show_reply(
                user_id=target.user_id, channel=target.channel, reply=body, via_response_url=True, source=target.source
            )
            if message is not None and target.follows_replies:
                target.source = MessageRef(message.channel, message.ts, message.ephemeral)
            self.record("response_url", body, ok=True)
            return ApiResult(200, {"ok": True})

    def show_ack(self, response_url: str, ack: JsonDict) -> None:
        """Show a command's ack body to the user, or record why Slack would refuse it."""
        with self.cond:
            target = self._response_urls[response_url.rsplit("/", 1)[-1]]
            problems = reply_problems(ack)
            if problems:
                log.warning("Slack stand-in rejected an ack: %s", "; ".join(problems))
                self.record("ack", ack, ok=False, error=problems[0])
                return
            message = self.show_reply(user_id=target.user_id, channel=target.channel, reply=ack, via_response_url=False)
            if message is not None:
                target.source = MessageRef(message.channel, message.ts, message.ephemeral)


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
        raise SlackError(error, extra={"errors": problems, **_metadata([f"[ERROR] {p}" for p in problems])})


def _index_of(pool: list[Message], message: Message) -> int:
    return next(i for i, m in enumerate(pool) if m is message)


def _metadata(messages: list[str]) -> JsonDict:
    return {"response_metadata": {"messages": messages}} if messages else {}
