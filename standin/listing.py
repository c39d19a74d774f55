"""What a Slack client reads and does beside the app: the directory, a conversation a page at a time, a thread,
a member's own messages and Slackbot's notices, and a wait for anything new."""

from __future__ import annotations

import re

from .model import Message, UploadedFile
from .records import Channel, SlackError, User
from .state import WorkspaceState

SLACKBOT = "USLACKBOT"
_MENTION = re.compile(r"(?<![\w<])([@#])([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


class ListingApi(WorkspaceState):
    """Reads and writes of the Slack client itself (not the Web API the app calls)."""

    def members(self) -> list[User]:
        """Every member of the default workspace who is a person, in the order they were added."""
        with self.cond:
            return [u for u in self._users.values() if not u.is_bot and u.team_id == self.team_id and not u.deleted]

    def channels(self) -> list[Channel]:
        """The public channels of the default workspace, by name."""
        with self.cond:
            found = [c for c in self._channels.values() if c.team_id == self.team_id and not c.is_private]
            return sorted(found, key=lambda c: c.name)

    def conversation_page(
        self, channel: str, viewer: str, *, before: str | None = None, limit: int = 50
    ) -> tuple[list[Message], bool]:
        """The latest `limit` top-level messages the viewer sees in a conversation before `before`, oldest first,
        and whether there are earlier ones."""
        with self.cond:
            conversation = self.conversation_of(channel)
            seen = [
                m
                for m in [*self._messages.get(conversation, []), *self._ephemerals.get(viewer, [])]
                if m.channel == conversation and (m.thread_ts is None or m.thread_ts == m.ts)
            ]
        seen.sort(key=lambda m: _ts_key(m.ts))
        if before is not None:
            seen = [m for m in seen if _ts_key(m.ts) < _ts_key(before)]
        return seen[-limit:], len(seen) > limit

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        """The replies in a thread, oldest first (the parent not included)."""
        with self.cond:
            pool = self._messages.get(self.conversation_of(channel), [])
            return [m for m in pool if m.thread_ts == thread_ts and m.ts != thread_ts]

    def reply_counts(self, channel: str) -> dict[str, int]:
        """How many replies each thread in a conversation holds, by its parent's ts."""
        counts: dict[str, int] = {}
        with self.cond:
            for m in self._messages.get(self.conversation_of(channel), []):
                if m.thread_ts and m.thread_ts != m.ts:
                    counts[m.thread_ts] = counts.get(m.thread_ts, 0) + 1
        return counts

    def message_at(self, channel: str, ts: str, viewer: str) -> Message | None:
        """The message at `ts` in a conversation as the viewer sees it: a public one, or one only they see."""
        with self.cond:
            conversation = self.conversation_of(channel)
            return self._find_message(conversation, ts) or self._find_message(conversation, ts, ephemeral_for=viewer)

    def escape_typed(self, typed: str) -> str:
        """A command's text as Slack sends it with `should_escape`: `&<>` escaped, `@name` and `#channel` of this
        workspace made into `<@U…|name>` and `<#C…|name>`."""
        text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        with self.cond:
            people = {u.name: u.id for u in self.members()}
            rooms = {c.name: c.id for c in self.channels()}

        def linked(match: re.Match[str]) -> str:
            sigil, name = match.group(1), match.group(2)
            found = (people if sigil == "@" else rooms).get(name)
            return f"<{sigil}{found}|{name}>" if found else match.group(0)

        return _MENTION.sub(linked, text)

    def file(self, file_id: str) -> UploadedFile | None:
        """An uploaded file by its ID."""
        with self.cond:
            return next((f for f in self._files if f.file_id == file_id), None)

    def post_as_member(self, user_id: str, channel: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A message a member typed into a conversation."""
        with self.cond:
            if user_id not in self._users:
                raise SlackError("user_not_found")
            conversation = self._postable_conversation(channel)
            message = Message(
                channel=conversation, ts=self.next_ts(), text=text, blocks=[], thread_ts=thread_ts, author=user_id
            )
            return self._store_message(message)

    def notify(self, user_id: str, channel: str, text: str) -> Message:
        """A notice from Slackbot that only this member sees, such as an unknown command's answer."""
        with self.cond:
            message = Message(
                channel=self.conversation_of(channel),
                ts=self.next_ts(),
                text=text,
                blocks=[],
                ephemeral=True,
                user=user_id,
                author=SLACKBOT,
            )
            return self._store_message(message)

    def wait_for_change(self, since: int, timeout: float) -> int:
        """The state's version once it differs from `since`, or after `timeout` seconds."""
        with self.cond:
            self.cond.wait_for(lambda: self.version != since, timeout)
            return self.version


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
