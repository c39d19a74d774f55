"""The scheduler wiring: APScheduler ticks, the database decides what is due.

Jobs have fixed IDs and `replace_existing`, and coalesce missed runs: the scheduler holds no truth, so a tick
missed while the app was down is simply the next tick, which works out from the database what is still due
(today's nudges not yet sent go out late the same local day; a day that ended is not nudged).
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.coach import Coach
from bot.follow_ups import FollowUps
from bot.nudges import Nudges
from bot.recaps import Recaps
from handlers.jobs import daily_pass, recap_pass
from handlers.posting import PacedPoster

log = logging.getLogger(__name__)

TICK_SECONDS = 60


def start_scheduler(coach: Coach, clock: Clock, poster: PacedPoster) -> BackgroundScheduler:
    """Start the ticks; the caller shuts the scheduler down (waiting for a pass in progress) when it stops."""
    nudges, follow_ups, recaps = Nudges(coach), FollowUps(coach), Recaps(coach)

    def nudge_tick() -> None:
        daily_pass(nudges, follow_ups, poster, clock.now())

    def recap_tick() -> None:
        recap_pass(recaps, poster, clock.now())

    scheduler = BackgroundScheduler(timezone=UTC)
    for job_id, name, tick in (
        ("nudges", "daily nudges and follow-ups", nudge_tick),
        ("recaps", "weekly recaps", recap_tick),
    ):
        scheduler.add_job(
            tick,
            IntervalTrigger(seconds=TICK_SECONDS),
            id=job_id,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=TICK_SECONDS,
            next_run_time=clock.now(),
        )
    scheduler.start()
    log.info("scheduler started: nudges and recaps every %s s", TICK_SECONDS)
    return scheduler
