"""The leader's view: every active stand of the workspace side by side, for admins and whoever chose the recap
channel (`/coach team`, and a section of their App Home)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session

from bot.coach import measures
from bot.coach.rules import Practice, local_today, member_zone, program_day, week_of
from bot.coach.trajectory import Trajectory
from bot.coach.values import CoachRefusal, Context, MemberId, TeamStand
from storage import queries
from storage.models import Stand

LEADERS_ONLY = (
    "The team's view is for workspace admins and owners (or members in COACH_ADMINS), and whoever chose the "
    "recap channel."
)


def may_see(who: MemberId, *, admins: frozenset[str], session: Session) -> bool:
    """Whether the member leads here: a Slack admin or owner, listed in COACH_ADMINS, or the recap channel's chooser."""
    member = queries.get_member(team_id=who.team_id, user_id=who.user_id, session=session)
    workspace = queries.get_workspace(team_id=who.team_id, session=session)
    return (
        bool(member and member.is_admin)
        or who.user_id in admins
        or (workspace is not None and workspace.recap_set_by == who.user_id)
    )


def team(who: MemberId, *, admins: frozenset[str], ctx: Context, session: Session) -> list[TeamStand]:
    """Every active stand of the member's workspace, most followed first; refused to anyone who does not lead."""
    if not may_see(who, admins=admins, session=session):
        raise CoachRefusal(LEADERS_ONLY)
    return stands_side_by_side(who.team_id, ctx=ctx, session=session)


def stands_side_by_side(team_id: str, *, ctx: Context, session: Session) -> list[TeamStand]:
    """The workspace's active stands with what a lead reads of each, in a handful of queries however many."""
    rows = queries.active_stands_with_followers(team_id=team_id, session=session)
    if not rows:
        return []
    owners = {stand.user_id for stand, _, _ in rows}
    zones = queries.member_zones(team_id=team_id, user_ids=owners, session=session)
    today = {owner: local_today(ctx.now, member_zone(zones.get(owner), ctx.default_timezone)) for owner in owners}
    mondays = {owner: week_of(day)[0] for owner, day in today.items()}
    counts = queries.practice_by_member_day(
        team_id=team_id, first=min(mondays.values()), last=max(today.values()), user_ids=owners, session=session
    )
    week: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (owner, day), done in counts.items():
        if mondays[owner] <= day <= today[owner]:
            week[owner] = [a + b for a, b in zip(week[owner], done, strict=True)]
    breakdowns = queries.open_breakdowns_by_member(team_id=team_id, user_ids=owners, session=session)
    due_dates = queries.open_due_dates_by_member(
        team_id=team_id, user_ids=owners, before=max(today.values()), session=session
    )
    trajectories = _trajectories([stand for stand, _, _ in rows], today, session=session)
    given = queries.contributions(
        team_id=team_id,
        stand_ids=[stand.id for stand, _, _ in rows if stand.id],
        first=min(mondays.values()),
        last=max(today.values()),
        session=session,
    )
    return [
        TeamStand(
            stand=stand,
            day=program_day(stand.program_started_on, today[stand.user_id]),
            trajectory=trajectories.get(stand.id or 0),
            week=Practice(*week[stand.user_id]),
            open_breakdowns=breakdowns.get(stand.user_id, 0),
            overdue=sum(1 for due in due_dates.get(stand.user_id, []) if due < today[stand.user_id]),
            first_follower=first,
            followers=followers,
            from_followers=Practice(*given.get(stand.id or 0, (0, 0, 0))),
        )
        for stand, followers, first in rows
    ]


def _trajectories(stands: list[Stand], today: dict[str, date], *, session: Session) -> dict[int, Trajectory]:
    """Each measured stand's trajectory on its owner's today (a workspace spans a day or two of dates at most)."""
    by_day: dict[date, list[Stand]] = defaultdict(list)
    for stand in stands:
        by_day[today[stand.user_id]].append(stand)
    found: dict[int, Trajectory] = {}
    for day, group in by_day.items():
        found.update(measures.trajectories(group, today=day, session=session))
    return found
