"""What a member reads of their own account: `/coach status` and App Home, with the integrity ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.coach import measures, practice, team
from bot.coach.rules import (
    STREAK_LOOKBACK,
    LedgerEntry,
    Practice,
    ledger,
    local_today,
    member_zone,
    paused_days,
    program_day,
    streaks,
    week_of,
)
from bot.coach.values import Context, FollowedStand, MemberId, Status
from storage import queries
from storage.models import Member, Promise, PromiseStatus, Renegotiation, Request


def status(who: MemberId, *, ctx: Context, session: Session, admins: frozenset[str] = frozenset()) -> Status:
    """The member's stand, program day, practice, requests both ways and promises due."""
    team_id, user_id = who
    # Read only: a member the coach has not met yet reads as one with the default settings.
    member = queries.get_member(team_id=team_id, user_id=user_id, session=session) or Member(
        team_id=team_id, user_id=user_id, created_at=ctx.now
    )
    progress = practice.progress(who, ctx=ctx, session=session)
    stand, today = progress.stand, progress.today
    since = today - STREAK_LOOKBACK
    zone = member_zone(member.tz, ctx.default_timezone)
    counts = queries.practice_by_member_day(team_id=team_id, first=since, last=today, user_id=user_id, session=session)
    full_days = {day for (_, day), done in counts.items() if Practice(*done).met()}
    pauses = queries.pauses_between(
        team_id=team_id,
        start=datetime.combine(since, time(), tzinfo=zone),
        end=datetime.combine(today + timedelta(days=1), time(), tzinfo=zone),
        user_id=user_id,
        session=session,
    )
    paused = paused_days(pauses.get(user_id, []), zone, first=since, last=today)
    streak, best = streaks(full_days, today, weekends=member.weekends, since=since, paused=paused)
    account = account_entries(
        queries.member_promises(team_id=team_id, user_id=user_id, session=session),
        queries.promised_requests(team_id=team_id, user_id=user_id, session=session),
        queries.agreed_renegotiations(team_id=team_id, user_id=user_id, session=session),
        zone,
    )
    followers = queries.follower_ids(team_id=team_id, stand_id=stand.id, session=session) if stand and stand.id else []
    milestones = queries.milestones(team_id=team_id, stand_id=stand.id, session=session) if stand and stand.id else []
    given = (
        queries.contributions(
            team_id=team_id, stand_ids=[stand.id], first=week_of(today)[0], last=today, session=session
        ).get(stand.id)
        if stand and stand.id
        else None
    )
    return Status(
        user_id=user_id,
        streak=streak,
        best_streak=best,
        ledger=ledger(account),
        progress=progress,
        followers=followers,
        made=queries.requests_made(team_id=team_id, user_id=user_id, session=session),
        received=queries.requests_received(team_id=team_id, user_id=user_id, session=session),
        promises=queries.open_promises(team_id=team_id, user_id=user_id, session=session),
        nudge_time=member.nudge_time,
        weekends=member.weekends,
        paused=member.paused,
        following=following(who, ctx=ctx, session=session),
        trajectory=measures.trajectory(stand, today=today, session=session),
        milestones=milestones,
        from_followers=Practice(*given) if given else Practice(),
        # A lead's App Home carries the team's stands too.
        team=team.stands_side_by_side(team_id, ctx=ctx, session=session)
        if team.may_see(who, admins=admins, session=session)
        else None,
    )


def following(who: MemberId, *, ctx: Context, session: Session) -> list[FollowedStand]:
    """The active stands the member follows, each with its program day in its owner's zone."""
    team_id, user_id = who
    found = []
    for stand, owner_tz in queries.stands_followed(team_id=team_id, user_id=user_id, session=session):
        assert stand.id is not None
        day = program_day(stand.program_started_on, local_today(ctx.now, member_zone(owner_tz, ctx.default_timezone)))
        found.append(FollowedStand(stand.id, stand.user_id, stand.text, day))
    return found


def account_entries(
    promises: Sequence[Promise], requests: Sequence[Request], agreed: Sequence[Renegotiation], zone: ZoneInfo
) -> list[LedgerEntry]:
    """The integrity ledger's entries: own promises, accepted requests, and each new date agreed with a requester
    (which ends the promise as renegotiated — in time when asked for on or before the old date)."""
    entries: list[LedgerEntry] = []
    for promise in promises:
        settled = None if promise.status == PromiseStatus.OPEN else local_today(promise.updated_at, zone)
        entries.append((str(promise.status), promise.due_on, settled))
    for request in requests:
        status_ = str(request.promise_status)
        settled = request.done_on if status_ == PromiseStatus.KEPT else local_today(request.updated_at, zone)
        entries.append((status_, request.due_on, None if status_ == PromiseStatus.OPEN else settled))
    entries += [(PromiseStatus.RENEGOTIATED, asked.old_due_on, asked.asked_on) for asked in agreed]
    return entries
