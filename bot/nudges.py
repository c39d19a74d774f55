"""The daily nudge: who is due at this instant, what their nudge says, and the claim that makes it once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from bot.coach import Coach, Progress
from bot.rules import PROGRAM_DAYS, member_zone
from storage import claims
from storage.claims import DueNudge, ZoneNow
from storage.db import unit_of_work
from storage.models import ClaimStatus, Member, Nudge, Promise, Request

CLAIM_TIMEOUT = timedelta(minutes=10)
"""A claim older than this belongs to a sender that died: another instance may take it over."""


@dataclass(frozen=True, slots=True)
class Theme:
    """One of the ten steps, as the theme of a program day."""

    title: str
    prompt: str


THEMES = (
    Theme("Decide where you are going", "Read your stand aloud. Is it still big enough to need other people?"),
    Theme("Share your goals broadly", "Who hasn't heard your stand yet? Tell two people today, in your own words."),
    Theme("Take time rather than make time", "Block one hour today for the stand before the day fills it for you."),
    Theme("Change your conversations", "Steer one routine conversation today toward what you're out to achieve."),
    Theme("Align your context for success", "Notice one thing around you that says 'impossible' — and change it."),
    Theme("Enrol evangelists", "Invite someone to take your stand on as their own, not just to help."),
    Theme("Find what and whom you need to know", "Name one thing you don't know yet and one person who does."),
    Theme("Open the floodgates to ideas", "Ask three people: what would you do if this were your stand?"),
    Theme("Get into action", "Pick the action you've been putting off and take its first step before noon."),
    Theme("Make at least five requests a week", "Count this week's requests. Who could you ask for something today?"),
)


def theme_for(day: int) -> Theme:
    """The theme of program day `day` (1-based): the ten steps in order, then again from the top."""
    return THEMES[(day - 1) % len(THEMES)]


def clocks_at(zones: Sequence[str], now: datetime, default_tz: str) -> list[ZoneNow]:
    """What the wall clock reads in each zone at `now`."""
    out = []
    for name in zones:
        local = now.astimezone(member_zone(name, default_tz))
        today = local.date()
        out.append(
            ZoneNow(
                tz=name,
                local_date=today,
                hhmm=f"{local:%H:%M}",
                weekend=today.weekday() >= 5,
                earliest_start=today - timedelta(days=PROGRAM_DAYS - 1),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class NudgeContent:
    """Everything one morning's nudge shows."""

    team_id: str
    user_id: str
    local_date: date
    progress: Progress
    theme: Theme
    promises_due: Sequence[Promise]
    requests_due: Sequence[Request]


class Nudges:
    """The nudge pass's decisions and records; it sends nothing itself."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    @property
    def engine(self) -> Engine:
        return self.coach.engine

    def due(self, now: datetime) -> list[DueNudge]:
        """Everyone whose local nudge time has come today and who has had no nudge this local day."""
        default = self.coach.default_timezone
        with unit_of_work(self.engine) as session:
            zones = claims.participant_zones(default_tz=default, session=session)
            return claims.due_nudges(
                zones=clocks_at(zones, now, default),
                default_tz=default,
                stale_before=now - CLAIM_TIMEOUT,
                session=session,
            )

    def claim(self, due: DueNudge, now: datetime) -> bool:
        """Claim one nudge; only one instance (or one taker of a stale claim) gets True."""
        with unit_of_work(self.engine) as session:
            return claims.claim(
                Nudge, claims.nudge_key(due), now=now, stale_before=now - CLAIM_TIMEOUT, session=session
            )

    def content(self, due: DueNudge) -> NudgeContent:
        """What the member's nudge shows today."""
        progress = self.coach.progress(due.team_id, due.user_id, on=due.local_date)
        with unit_of_work(self.engine) as session:
            promises, requests = claims.promises_due(
                team_id=due.team_id, user_id=due.user_id, on=due.local_date, session=session
            )
        return NudgeContent(
            team_id=due.team_id,
            user_id=due.user_id,
            local_date=due.local_date,
            progress=progress,
            theme=theme_for(progress.day or 1),
            promises_due=promises,
            requests_due=requests,
        )

    def sent(self, due: DueNudge, channel_id: str, ts: str) -> None:
        """The nudge went out: remember where, so the day's logging can update it in place."""
        with unit_of_work(self.engine) as session:
            claims.finish(
                Nudge,
                claims.nudge_key(due),
                status=ClaimStatus.SENT,
                channel_id=channel_id,
                message_ts=ts,
                session=session,
            )

    def gone(self, due: DueNudge, reason: str) -> None:
        """Slack says the member is gone: fail this nudge for good and pause their program."""
        with unit_of_work(self.engine) as session:
            claims.finish(Nudge, claims.nudge_key(due), status=ClaimStatus.FAILED, session=session)
            member = session.get(Member, (due.team_id, due.user_id))
            if member is not None:
                member.paused, member.paused_reason = True, reason[:64]
                session.add(member)

    def todays(self, team_id: str, user_id: str) -> tuple[str, str] | None:
        """Where the member's nudge of today is, to update it in place as they log practice."""
        today = self.coach.today(team_id, user_id)
        with unit_of_work(self.engine) as session:
            nudge = claims.todays_nudge(team_id=team_id, user_id=user_id, local_date=today, session=session)
            if nudge is None or not nudge.channel_id or not nudge.message_ts:
                return None
            return nudge.channel_id, nudge.message_ts
