"""Workspaces that uninstalled the app: their data is kept for the retention window, so a reinstall within it finds
everything as it was, and deleted once the window has passed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.coach.values import Context
from storage import installations


def left(team_id: str, *, retention: timedelta, ctx: Context, session: Session) -> None:
    """The app was uninstalled from `team_id` (or its token revoked): its data goes after `retention`; at once
    with no window at all."""
    if retention <= timedelta(0):
        installations.purge_workspace(team_id=team_id, session=session)
        return
    installations.record_departure(team_id=team_id, left_at=ctx.now, purge_after=ctx.now + retention, session=session)


def returned(team_id: str, *, session: Session) -> bool:
    """The workspace installed the app again: keep its data. Whether it had left."""
    return installations.forget_departure(team_id=team_id, session=session)


def has_left(team_id: str, *, session: Session) -> bool:
    """Whether the workspace uninstalled the app and has not come back."""
    return installations.departed(team_id=team_id, session=session)


def purge_due(*, ctx: Context, session: Session) -> dict[str, dict[str, int]]:
    """Delete the data of every workspace whose window has passed; rows deleted per table, per workspace."""
    return {
        team_id: installations.purge_workspace(team_id=team_id, session=session)
        for team_id in installations.due_purges(now=ctx.now, session=session)
    }
