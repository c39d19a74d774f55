"""chat.postMessage, chat.update and chat.postEphemeral as Slack answers them."""

from __future__ import annotations

from . import blockkit
from .model import JsonDict, Message, json_copy
from .records import MAX_MESSAGE_TEXT, SlackError, invalid
from .state import WorkspaceState


class ChatApi(WorkspaceState):
    """The chat.* methods: messages posted, updated and shown to one member."""

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
            "blocks": json_copy(message.blocks),
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
