"""The morning nudge, as Block Kit: day N of 14, the stand, today's practice, one-click logging, the theme."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.nudges import NudgeContent
from bot.rules import PROGRAM_DAYS
from handlers.blocks import SECTION_LIMIT, clip, esc, person, tally, week_tally
from handlers.ids import Action


def build_nudge(content: NudgeContent) -> tuple[str, list[dict[str, Any]]]:
    """The DM a participant gets at their nudge time; rebuilt as they log practice that day."""
    progress = content.progress
    stand = progress.stand
    day = progress.day or PROGRAM_DAYS
    headline = f"Good morning — *day {day} of {PROGRAM_DAYS}*."
    stand_line = f"Your stand: _{esc(clip(stand.text, 1500))}_" if stand else ""
    today = f"*Today:* {tally(progress.today_practice)}"
    if progress.today_practice.met():
        today += " — full practice. Beautiful."
    blocks: list[Any] = [
        SectionBlock(
            block_id="nudge-head", text=MarkdownTextObject(text=clip(f"{headline}\n{stand_line}", SECTION_LIMIT))
        ),
        SectionBlock(
            block_id="nudge-today", text=MarkdownTextObject(text=f"{today}\n{week_tally(progress.week_practice)}")
        ),
        ActionsBlock(
            block_id="nudge-log",
            elements=[
                ButtonElement(text="Log a share", action_id=Action.OPEN_SHARE),
                ButtonElement(text="Log an action", action_id=Action.OPEN_ACT),
                ButtonElement(text="Make a request", action_id=Action.OPEN_REQUEST),
            ],
        ),
        SectionBlock(
            block_id="nudge-theme",
            text=MarkdownTextObject(text=f":compass: *{content.theme.title}.* {content.theme.prompt}"),
        ),
    ]
    due = [f"• your promise: _{esc(clip(p.text, 300))}_" for p in content.promises_due] + [
        f"• for {person(r.user_id)}: _{esc(clip(r.text, 300))}_" for r in content.requests_due
    ]
    if due:
        shown = "\n".join(due[:10]) + (f"\n…and {len(due) - 10} more" if len(due) > 10 else "")
        blocks.append(
            SectionBlock(
                block_id="nudge-due", text=MarkdownTextObject(text=clip(f"*Due today*\n{shown}", SECTION_LIMIT))
            )
        )
    blocks.append(
        ContextBlock(
            block_id="nudge-foot",
            elements=[MarkdownTextObject(text="`/coach pause` any time · `/coach nudge HH:MM` to move this nudge")],
        )
    )
    text = f"Day {day} of {PROGRAM_DAYS}: {tally(progress.today_practice)}"
    return text, [b.to_dict() for b in blocks]
