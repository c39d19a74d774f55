"""A workspace's settings: where and when its recap goes, and whether it shows the team's integrity."""

from __future__ import annotations

from sqlmodel import Session

from bot.coach.values import Context, MemberId
from storage import claims, queries
from storage.models import Workspace


def ensure(team_id: str, *, ctx: Context, session: Session) -> Workspace:
    """The workspace's settings row, made with the defaults the first time one is changed."""
    workspace = queries.get_workspace(team_id=team_id, session=session)
    if workspace is None:
        workspace = Workspace(team_id=team_id, created_at=ctx.now)
        session.add(workspace)
    return workspace


def recap_channel(team_id: str, *, ctx: Context, session: Session) -> str | None:
    """Where recaps and celebrations go: the channel set with `/coach recap here`, else RECAP_CHANNEL."""
    workspace = queries.get_workspace(team_id=team_id, session=session)
    return (workspace.recap_channel_id if workspace else None) or ctx.default_recap_channel


def set_recap_channel(who: MemberId, channel_id: str, *, ctx: Context, session: Session) -> None:
    """Send recaps and celebrations to `channel_id` from now on, in the zone of the admin who chose it."""
    team_id, user_id = who
    workspace = ensure(team_id, ctx=ctx, session=session)
    workspace.recap_channel_id, workspace.recap_set_by = channel_id, user_id
    admin = queries.get_member(team_id=team_id, user_id=user_id, session=session)
    if admin is not None and admin.tz:
        workspace.timezone = admin.tz
    session.add(workspace)
    # A recap that failed for want of a channel gets another chance now that there is one.
    claims.release_failed_recaps(team_id=team_id, session=session)


def set_recap_schedule(team_id: str, weekday: int, at: str, *, ctx: Context, session: Session) -> None:
    """Post the weekly recap on `weekday` (Monday is 0) at `at` (HH:MM) in the workspace's zone."""
    workspace = ensure(team_id, ctx=ctx, session=session)
    workspace.recap_weekday, workspace.recap_time = weekday, at
    session.add(workspace)


def set_recap_integrity(team_id: str, *, shown: bool, ctx: Context, session: Session) -> None:
    """Show the team's integrity in the weekly recap (from five promises ended in the week), or never."""
    workspace = ensure(team_id, ctx=ctx, session=session)
    workspace.recap_integrity = shown
    session.add(workspace)
