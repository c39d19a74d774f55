"""The scheduler wiring: APScheduler ticks, the database decides what is due.

Jobs have fixed IDs and `replace_existing`, and coalesce missed runs: the scheduler holds no truth, so a tick
missed while the app was down is simply the next tick, which works out from the database what is still due
(today's nudges not yet sent go out late the same local day; a day that ended is not nudged).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.coach import Coach
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from bot.coach.recaps import Recaps
from handlers.jobs import daily_pass, recap_pass
from handlers.posting import Posters
from storage import outbox
from storage.db import unit_of_work
from storage.deliveries import prune_deliveries

log = logging.getLogger(__name__)

TICK_SECONDS = 60


DELIVERIES_KEPT = timedelta(days=1)
"""Slack retries an event within minutes and a signed request is stale after five: a day is plenty."""
FAILED_KEPT = timedelta(days=7)
"""A message Slack refused for good stays visible to the operator (in the export, the logs) for a week."""


def housekeeping(coach: Coach, now: datetime) -> None:
    """Forget deliveries too old to be retried, and outbox items Slack refused long ago; delete the data of
    workspaces that uninstalled the app longer ago than the retention window."""
    with unit_of_work(coach.engine) as session:
        pruned = prune_deliveries(before=now - DELIVERIES_KEPT, session=session)
        # The outbox keeps wall-clock time (see handlers.outbox).
        failed = outbox.prune_failed(before=datetime.now(UTC) - FAILED_KEPT, session=session)
    if pruned or failed:
        log.info("housekeeping: forgot %s deliveries and %s failed outbox items", pruned, failed)
    for team_id, rows in coach.purge_departed(now).items():
        log.info("purged workspace %s, uninstalled past the retention window: %s rows", team_id, sum(rows.values()))


def start_scheduler(coach: Coach, clock: Clock, poster: Posters) -> BackgroundScheduler:
    """Start the ticks; the caller shuts the scheduler down (waiting for a pass in progress) when it stops."""
    nudges, follow_ups, recaps = Nudges(coach), FollowUps(coach), Recaps(coach)

    def nudge_tick() -> None:
        daily_pass(nudges, follow_ups, poster, clock.now())

    def recap_tick() -> None:
        recap_pass(recaps, poster, clock.now())

    def housekeeping_tick() -> None:
        housekeeping(coach, clock.now())

    scheduler = BackgroundScheduler(timezone=UTC)
    for job_id, name, tick in (
        ("nudges", "daily nudges and follow-ups", nudge_tick),
        ("recaps", "weekly recaps", recap_tick),
        ("housekeeping", "forget old deliveries and failed outbox items, purge departed workspaces", housekeeping_tick),
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
    log.info("scheduler started: nudges, recaps and housekeeping every %s s", TICK_SECONDS)
    return scheduler
