"""Members: who the coach has met, their local day, their settings and pauses, and when their next nudge is due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from bot.coach.rules import PROFILE_MAX_AGE, local_today, member_zone, next_nudge
from bot.coach.values import Context, MemberId, NotFound, Profile
from storage import queries, schedule
from storage.models import Member, Stand
from storage.queries import MemberFacts, Row

T = TypeVar("T")


def held(session: Session, row: T) -> T:
    """Keep `row` alive for the unit of work: the session holds what it loaded only weakly, so a use case that reads
    the member three times would otherwise ask the database three times."""
    if row is not None:
        session.info.setdefault("held", []).append(row)
    return row


def one(model: type[Row], row_id: int, *, team_id: str, what: str, session: Session) -> Row:
    """One row of this workspace, or a kind NotFound naming `what` it is."""
    row = queries.get_scoped(model, row_id, team_id=team_id, session=session)
    if row is None:
        raise NotFound(f"I couldn't find that {what} in this workspace.")
    return row


def ensure(who: MemberId, *, ctx: Context, session: Session) -> Member:
    """The member, created with the default settings the first time the coach meets them."""
    team_id, user_id = who
    member = queries.ensure_member(team_id=team_id, user_id=user_id, now=ctx.now, session=session)
    _forget_facts(who, session)  # the object is the truth from now on (`facts`)
    return held(session, member)


def meet(who: MemberId, *, ctx: Context, session: Session) -> None:
    """Make sure the coach has met the member (a row with the default settings), without loading them as an object
    when they are known already."""
    if facts(who, session=session) is None:
        ensure(who, ctx=ctx, session=session)


def facts(who: MemberId, *, session: Session) -> MemberFacts | None:
    """The member's zone, profile age and welcome, read once a unit of work: from the member object when this unit
    loaded it (perhaps changed it), else from the database as a plain row (`queries.member_facts`), kept for the
    unit. Every command reads them before its ack, most several times."""
    member = session.identity_map.get(identity_key(Member, (who.team_id, who.user_id)))
    if member is not None:
        return MemberFacts(member.tz, member.profile_fetched_at, member.welcomed_at)
    known: dict[MemberId, MemberFacts] = session.info.setdefault("member_facts", {})
    found = known.get(who)
    if found is None:
        found = queries.member_facts(team_id=who.team_id, user_id=who.user_id, session=session)
        if found is not None:
            known[who] = found
    return found


def _forget_facts(who: MemberId, session: Session) -> None:
    session.info.get("member_facts", {}).pop(who, None)


def today(who: MemberId, *, ctx: Context, session: Session) -> date:
    """The member's local date at `ctx.now`, by their stored zone (or the default zone)."""
    known = facts(who, session=session)
    return local_today(ctx.now, member_zone(known.tz if known else None, ctx.default_timezone))


def needs_profile(member: Member | MemberFacts | None, *, ctx: Context) -> bool:
    """Whether Slack should be asked again about this member (never asked, or asked over a day ago)."""
    if member is None or member.profile_fetched_at is None:
        return True
    return ctx.now - member.profile_fetched_at > PROFILE_MAX_AGE


def remember_profile(who: MemberId, profile: Profile, *, ctx: Context, session: Session) -> Member:
    """Store what Slack said about a person, creating them if new."""
    member = ensure(who, ctx=ctx, session=session)
    member.name = profile.name[:255]
    member.tz = profile.tz
    member.is_admin = profile.is_admin
    member.is_bot = profile.is_bot
    member.profile_fetched_at = ctx.now
    session.add(member)
    session.flush()
    reschedule_nudge(who, ctx=ctx, session=session)  # the zone may have changed
    return member


def reschedule_nudge(who: MemberId, *, ctx: Context, session: Session, done_through: date | None = None) -> None:
    """Work out the member's next nudge instant again, after anything it depends on changed.

    Call it whenever the zone, nudge time, weekends, the active stand or its program change: the nudge pass
    reads only this schedule.
    """
    team_id, user_id = who
    member = queries.get_member(team_id=team_id, user_id=user_id, session=session)
    if member is None:
        return
    stand = queries.active_stand(team_id=team_id, user_id=user_id, session=session)
    # A nudge just claimed is the latest there is; only otherwise ask which day was nudged last.
    if done_through is None and stand is not None:
        done_through = schedule.last_nudged_on(team_id=team_id, user_id=user_id, session=session)
    schedule_next_nudge(member, stand, ctx=ctx, session=session, done_through=done_through)


def schedule_next_nudge(
    member: Member, stand: Stand | None, *, ctx: Context, session: Session, done_through: date | None
) -> None:
    """Set the member's next nudge instant from what the caller already read."""
    member.next_nudge_at = next_nudge_at(member, stand, ctx=ctx, done_through=done_through)
    session.add(member)


def next_nudge_at(member: Member, stand: Stand | None, *, ctx: Context, done_through: date | None) -> datetime | None:
    """The member's next nudge instant (None without an active stand, NEVER when the program has no day left)."""
    if stand is None:
        return None
    return (
        next_nudge(
            now=ctx.now,
            zone=member_zone(member.tz, ctx.default_timezone),
            nudge_time=member.nudge_time,
            weekends=member.weekends,
            program_started_on=stand.program_started_on,
            done_through=done_through,
        )
        or schedule.NEVER
    )


def set_option(who: MemberId, *, ctx: Context, session: Session, **options: Any) -> Member:
    """Change the member's own coaching settings (nudge_time, weekends, paused)."""
    allowed = {"nudge_time", "weekends", "paused"}
    if not options.keys() <= allowed:
        raise ValueError(f"unknown member options: {sorted(options.keys() - allowed)}")
    member = ensure(who, ctx=ctx, session=session)
    for name, value in options.items():
        if name == "paused":
            mark_paused(member, paused=value, ctx=ctx, session=session)
        else:
            setattr(member, name, value)
    session.add(member)
    session.flush()
    reschedule_nudge(who, ctx=ctx, session=session)
    return member


def pause_gone(who: MemberId, reason: str, *, ctx: Context, session: Session) -> None:
    """Pause someone Slack says is gone (a member row is made if they had none), so nothing more is sent to them."""
    member = ensure(who, ctx=ctx, session=session)
    if not member.paused:
        mark_paused(member, paused=True, reason=reason[:64], ctx=ctx, session=session)


def mark_paused(member: Member, *, paused: bool, ctx: Context, session: Session, reason: str | None = None) -> None:
    """Pause or resume the member, opening or closing their pause."""
    if paused:
        pause = queries.open_pause(
            team_id=member.team_id, user_id=member.user_id, at=ctx.now, reason=reason, session=session
        )
        member.paused, member.paused_reason = True, pause.reason
    else:
        queries.close_pause(team_id=member.team_id, user_id=member.user_id, at=ctx.now, session=session)
        member.paused, member.paused_reason = False, None
    session.add(member)


def welcome(who: MemberId, *, ctx: Context, session: Session) -> bool:
    """Whether the member is met for the first time now (their first command, or App Home): true exactly once."""
    known = facts(who, session=session)
    if known is not None and known.welcomed_at is not None:
        return False
    member = ensure(who, ctx=ctx, session=session)
    welcomed = queries.mark_welcomed(team_id=who.team_id, user_id=who.user_id, now=ctx.now, session=session)
    session.refresh(member)
    return welcomed
