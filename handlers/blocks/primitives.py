"""The primitives every Block Kit builder is made of: members' words escaped and clipped, people and dates as
members read them, and sections, context lines and buttons kept within Slack's limits.

Builders compose slack_sdk's block models from these and `dump` them to the dicts a message or view carries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from storage.models import FORGOTTEN_USER

Blocks = list[dict[str, Any]]

SECTION_LIMIT = 3000
CONTEXT_LIMIT = 2000
QUOTE_LIMIT = 2500  # room for the words around a member's text inside one 3,000-character section

# A person or a channel as Slack wrote it into what a member typed (`<@U1|ana>`, `<#C1|general>`): kept live.
_KEEP = re.compile(r"<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+)(?:\|([^<>]*))?>")
# The end of a cut that would leave half an entity or an unclosed <…> behind.
_TORN_MARKUP = re.compile(r"&[a-z]{0,3}$|<[^<>]*$")


def esc(text: str) -> str:
    """A member's words as mrkdwn that shows them as typed: the one place they are escaped for Slack.

    `&`, `<` and `>` are escaped, so no @channel, @here, @everyone, user group, date or link is ever made of
    them; a typed `&lt;!channel&gt;` shows as those very characters. A person or a channel Slack itself
    linked stays a live mention. Clip before escaping, never after, so an entity is not cut in half.
    """
    out, last = [], 0
    for match in _KEEP.finditer(text):
        target, label = match.group(1), match.group(2)
        out.append(_escape(text[last : match.start()]))
        out.append(f"<{target}>" if label is None else f"<{target}|{_escape(label)}>")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A member's words clipped to `limit` characters, then escaped for Slack."""
    return esc(clip(text, limit))


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_markup(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` characters without leaving half an entity or mention at the cut."""
    if len(text) <= limit:
        return text
    return _TORN_MARKUP.sub("", text[: limit - 1]).rstrip() + "…"


def person(user_id: str | None) -> str:
    """A mention of someone, or a kind placeholder for someone who asked to be forgotten."""
    if not user_id or user_id == FORGOTTEN_USER:
        return "a former member"
    return f"<@{user_id}>"


def when(due_on: date | None) -> str:
    """A due date as members read it."""
    return f"by {due_on:%a %-d %b %Y}" if due_on else "no date set"


def day(on: date | None) -> str:
    """A date as members read it, without the "by"."""
    return f"{on:%a %-d %b %Y}" if on else "no date"


def dump(blocks: Sequence[Block]) -> Blocks:
    """Blocks as the dicts a message or view carries."""
    return [b.to_dict() for b in blocks]


def section(text: str, *, block_id: str | None = None, accessory: Any = None) -> SectionBlock:
    """A mrkdwn section, clipped to Slack's 3,000-character limit."""
    return SectionBlock(
        text=MarkdownTextObject(text=clip_markup(text, SECTION_LIMIT)), block_id=block_id, accessory=accessory
    )


def context(text: str) -> ContextBlock:
    """A small mrkdwn context line, clipped to 2,000 characters."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip_markup(text, CONTEXT_LIMIT))])


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> ButtonElement:
    """A button; `value` travels back with the click, `style` is "primary" or "danger"."""
    return ButtonElement(text=text, action_id=action_id, value=value or None, style=style)


def buttons(block_id: str, elements: Sequence[ButtonElement]) -> ActionsBlock:
    """A row of buttons (an actions block) under `block_id`."""
    return ActionsBlock(block_id=block_id, elements=list(elements))


def plural(count: int, one: str, many: str | None = None) -> str:
    """A count in words: "1 action", "2 actions", "1,200 shares"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def listing(title: str, lines: Sequence[str], empty: str, limit: int = 15) -> str:
    """A titled bullet list that fits one section: as many lines as fit, then how many more there are."""
    if not lines:
        return f"*{title}*\n_{empty}_"
    out = f"*{title}*"
    for shown, line in enumerate(lines):
        more = f"\n…and {len(lines) - shown} more"
        bullet = f"\n• {line}"
        if shown == limit or len(out) + len(bullet) + len(more) > SECTION_LIMIT:
            return out + more
        out += bullet
    return out
