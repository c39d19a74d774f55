"""What the outbox sends as files: a member's data as JSON, and the week as a picture (into the recap's thread, or
to a member's DM). Both are read and drawn when they are sent, so they show what is stored then."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from bot.coach import Coach, MemberId
from bot.coach.owed import Claimed
from bot.coach.recaps import Recaps
from handlers.charts import draw_week
from handlers.posting import PacedPoster


def send_export(coach: Coach, poster: PacedPoster, who: MemberId, *, channel: str) -> None:
    """Everything kept about the member, as a JSON file in their DM (`channel`, where its line is)."""
    document = coach.export(team_id=who.team_id, user_id=who.user_id)
    poster.call(
        "files.upload_v2",
        attempts=1,
        channel=channel,
        content=json.dumps(document, indent=2, ensure_ascii=False),
        filename="breakthrough-coach-export.json",
        title="Your Breakthrough Coach data",
    )


def send_chart(coach: Coach, poster: PacedPoster, item: Claimed) -> bool:
    """The week's chart: the team's into the recap's thread (an item without a member), or a member's own week so
    far into their DM (after its line: `handlers.outbox`). False when there is nothing to draw (no practice, no
    target, no measured stand)."""
    payload = item.payload
    if item.user_id is None:
        week = date.fromisoformat(str(payload["week"]))
        picture = Recaps(coach).picture(item.team_id, week, ZoneInfo(str(payload["zone"])))
        title = f"The week of {week:%d %b}: practice and stands"
        thread_ts: str | None = str(payload["thread_ts"])
    else:
        picture = coach.week_picture(MemberId(item.team_id, item.user_id))
        title = "Your week so far"
        thread_ts = None
    if picture.empty:
        return False
    chart = draw_week(picture, title=title)
    poster.call(
        "files.upload_v2",
        attempts=1,
        channel=str(payload["channel"]),
        thread_ts=thread_ts,
        content=chart.png,
        filename=chart.filename,
        title=chart.title,
        alt_txt=chart.alt,
    )
    return True
