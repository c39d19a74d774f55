"""What every family of the stand-in's Web API methods shares: one workspace's members, channels, messages,
views, files and recorded calls, behind one lock, and how a conversation is named and found."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from .model import Call, JsonDict, Message, UploadedFile, View
from .records import (
    Bucket,
    Channel,
    Fault,
    ResponseUrl,
    SlackError,
    Trigger,
    Upload,
    User,
    WallClock,
    index_of,
)

_calling = threading.local()


class WorkspaceState:
    """Everything Slack knows about one app's workspace, which the families of Web API methods build on and
    `Workspace` joins; every method is safe to call from any thread."""

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
        self._rate: float | None = None
        self._buckets: dict[str, Bucket] = {}
        self._last_ts_us = 0
        self._serial = 0
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

    @property
    def calling_team(self) -> str | None:
        """The workspace whose token the call being answered (in this thread) carries."""
        return getattr(_calling, "team", None)

    @calling_team.setter
    def calling_team(self, team_id: str | None) -> None:
        _calling.team = team_id

    def record(self, method: str, args: JsonDict, *, ok: bool, error: str | None = None) -> None:
        """Append a Call (with the workspace whose token made it) and wake waiters."""
        with self.cond:
            self._calls.append(
                Call(method=method, args=args, at=self.now(), ok=ok, error=error, team_id=self.calling_team)
            )
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
        pool[index_of(pool, old)] = new
        self.touch()
        return new

    def _pool_of(self, message: Message) -> list[Message]:
        return self._ephemerals[message.user or ""] if message.ephemeral else self._messages[message.channel]

    def _find_message(self, channel: str, ts: str, *, ephemeral_for: str | None = None) -> Message | None:
        pool = self._ephemerals.get(ephemeral_for, []) if ephemeral_for else self._messages.get(channel, [])
        return next((m for m in pool if m.ts == ts and m.channel == channel), None)

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
