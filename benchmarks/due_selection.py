"""Due selection: who is due for a nudge among 100,000 participants in 400 zones, against "under 100 ms".

Makes 100,000 participants with active stands spread over 400 IANA zones (every n-th of the sorted
Area/Location names, so the same zones every run), with nudge times from 05:00 to 11:45, some on weekends,
some paused, some whose program has ended, about one in ten already nudged this local day (plus a few stale
and a few live claims) and a few days of earlier nudges, bulk-inserted into a temporary SQLite database.
Then times `Nudges.due(now)` (best and median of the runs, after one warm-up), and its parts: the zone
query (`participant_zones`), the wall clocks (`clocks_at`), the selection query (`due_nudges`, executed and
fetched) and turning its rows into `DueNudge`s. With `--database-url` it runs on that database instead
(PostgreSQL) in a scratch schema that is dropped afterwards; there the tables are ANALYZEd after the bulk
load, as autovacuum would have done in production (SQLite is left as the app leaves it: never analyzed).
Exit status 1 means the selection disagreed with the expected due set; a missed target is only reported.

    .venv/bin/python benchmarks/due_selection.py
    .venv/bin/python benchmarks/due_selection.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from scratch import scratch_schema, sqlite_database  # beside this script
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.engine import make_url

from bot.clock import FixedClock
from bot.coach import Coach
from bot.coach.nudges import CLAIM_TIMEOUT, Nudges
from bot.coach.rules import PROGRAM_DAYS
from storage import claims, schedule
from storage.db import make_engine, unit_of_work
from storage.models import ClaimStatus, Member, Nudge, Stand, StandStatus
from storage.schedule import DueNudge

T = TypeVar("T")

TEAMS = ("TBENCH1", "TBENCH2", "TBENCH3", "TBENCH4")
DEFAULT_TZ = "UTC"
# A Tuesday: it is Tuesday or Wednesday in every zone, except west of UTC-12 where nobody lives.
NOW = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
NUDGE_TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(5, 12) for m in (0, 15, 30, 45))
TARGET_MS = 100.0
SEED = 20261117
CHUNK = 10_000


def bench_zones(count: int) -> list[str]:
    """`count` distinct IANA zones, evenly spaced through the sorted Area/Location names: the same every run."""
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "SystemV/"))
    )
    if count > len(names):
        raise ValueError(f"only {len(names)} zones are available, not {count}")
    return [names[i * len(names) // count] for i in range(count)]


# The data -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """What was made, and who the selection should find."""

    participants: int
    zones: int
    already_nudged: int
    nudge_rows: int
    expected: frozenset[tuple[str, str, date]]


def local_date_in(zone: str, now: datetime) -> tuple[date, str]:
    """The local date and HH:MM in `zone` at `now`."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return local.date(), f"{local:%H:%M}"


def populate(
    engine: Engine, participants: int, zones: Sequence[str], history_days: int, now: datetime, *, steady: bool
) -> Population:
    """Participants spread over `zones`, bulk-inserted; returns what the due selection should find.

    By default this is the morning after downtime: one in ten of those whose nudge time has come was nudged,
    the rest are due. `steady` is a tick of a scheduler that has run all day: everyone whose nudge time came
    before this minute was nudged, so only this minute's are due (plus the odd stale claim).
    """
    rng = random.Random(SEED)
    created = now - timedelta(days=60)
    stale_before = now - CLAIM_TIMEOUT
    clock = {zone: local_date_in(zone, now) for zone in zones}
    members: list[dict[str, Any]] = []
    stands: list[dict[str, Any]] = []
    nudges: list[dict[str, Any]] = []
    expected: set[tuple[str, str, date]] = set()
    already = 0
    for n in range(participants):
        team, user = TEAMS[n % len(TEAMS)], f"U{n:08d}"
        zone = zones[n % len(zones)]
        today, hhmm = clock[zone]
        nudge_time = rng.choice(NUDGE_TIMES)
        weekends = rng.random() < 0.2
        paused = rng.random() < 0.03
        # Most programs are running; some ended a few days ago (a stand stays active after its 14 days).
        started = today - timedelta(days=rng.randrange(PROGRAM_DAYS + 4))
        members.append(
            {
                "team_id": team,
                "user_id": user,
                "name": f"Participant {n}",
                "tz": zone,
                "nudge_time": nudge_time,
                "weekends": weekends,
                "paused": paused,
                "created_at": created,
            }
        )
        stands.append(
            {
                "team_id": team,
                "user_id": user,
                "text": f"Grow region {n} by 50% before spring",
                "status": StandStatus.ACTIVE,
                "program_started_on": started,
                "created_at": created,
            }
        )
        for back in range(1, history_days + 1):
            nudges.append(
                _nudge(team, user, today - timedelta(days=back), ClaimStatus.SENT, now - timedelta(days=back))
            )
        due_by_rules = (
            not paused
            and nudge_time <= hhmm
            and (weekends or today.weekday() < 5)
            and today - timedelta(days=PROGRAM_DAYS - 1) <= started <= today
        )
        if not due_by_rules:
            continue
        roll = rng.random()
        if steady and nudge_time < hhmm:  # the scheduler has ticked all day: an earlier nudge time was served
            nudges.append(_nudge(team, user, today, ClaimStatus.SENT, now - timedelta(minutes=rng.randrange(1, 60))))
            already += 1
        elif roll < 0.10:  # sent (or failed for good) earlier this local day
            status = ClaimStatus.SENT if roll < 0.09 else ClaimStatus.FAILED
            nudges.append(_nudge(team, user, today, status, now - timedelta(minutes=rng.randrange(1, 180))))
            already += 1
        elif roll < 0.11:  # a live claim: another instance is sending it right now
            nudges.append(_nudge(team, user, today, ClaimStatus.CLAIMED, now - timedelta(minutes=2)))
            already += 1
        elif roll < 0.115:  # a stale claim: its sender died; due again
            nudges.append(_nudge(team, user, today, ClaimStatus.CLAIMED, stale_before - timedelta(minutes=5)))
            expected.add((team, user, today))
        else:
            expected.add((team, user, today))
    with unit_of_work(engine) as session:
        for model, rows in ((Member, members), (Stand, stands), (Nudge, nudges)):
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(model), rows[start : start + CHUNK])
    return Population(participants, len(zones), already, len(nudges), frozenset(expected))


def _nudge(team: str, user: str, on: date, status: ClaimStatus, at: datetime) -> dict[str, Any]:
    return {
        "team_id": team,
        "user_id": user,
        "local_date": on,
        "status": status,
        "channel_id": f"D{user}" if status == ClaimStatus.SENT else None,
        "message_ts": f"{at.timestamp():.6f}" if status == ClaimStatus.SENT else None,
        "claimed_at": at,
        "created_at": at,
    }


# The databases --------------------------------------------------------------------------------------------


def analyze(engine: Engine) -> None:
    """Planner statistics, as PostgreSQL's autovacuum would have gathered them by the next morning."""
    with engine.connect() as connection:
        connection.execute(text("ANALYZE members, stands, nudges"))
        connection.commit()


# The measurement ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    """One selection taken apart, in seconds."""

    unscheduled: float
    selection: float
    driver: float
    stale: float

    @property
    def total(self) -> float:
        """The queries of `Nudges.due` together."""
        return self.unscheduled + self.selection + self.stale


@dataclass(frozen=True)
class Sql:
    """A statement as the driver received it."""

    statement: str
    parameters: Any


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Seconds `action` took, and what it returned."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@contextmanager
def driver_statements(engine: Engine) -> Iterator[list[Sql]]:
    """Every statement the engine sends to the driver while the block runs."""
    sent: list[Sql] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append(Sql(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def due_in_parts(nudges: Nudges, now: datetime) -> tuple[Parts, list[DueNudge]]:
    """What `Nudges.due` queries, each query timed; then the schedule query's SQL alone on the driver."""
    engine = nudges.engine
    with unit_of_work(engine) as session:
        unscheduled_s, _ = timed(lambda: schedule.unscheduled(session=session))
        with driver_statements(engine) as sent:
            selection_s, _ = timed(lambda: schedule.due_by_schedule(now=now, session=session))
        [sql] = sent
        # The very SQL and parameters, executed and fetched on the DBAPI cursor: the database's share alone.
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            driver_s, _ = timed(lambda: cursor.execute(sql.statement, sql.parameters).fetchall())
        finally:
            cursor.close()
        stale_s, _ = timed(lambda: claims.stale_claims(stale_before=now - CLAIM_TIMEOUT, session=session))
    return Parts(unscheduled_s, selection_s, driver_s, stale_s), nudges.due(now)


def selection_sql(nudges: Nudges, now: datetime) -> Sql:
    """The schedule query `Nudges.due` sends at `now`."""
    with driver_statements(nudges.engine) as sent, unit_of_work(nudges.engine) as session:
        schedule.due_by_schedule(now=now, session=session)
    return sent[-1]


def query_plan(nudges: Nudges, now: datetime) -> list[str]:
    """The database's plan for the selection statement (PostgreSQL: as executed, with row counts)."""
    sql = selection_sql(nudges, now)
    with nudges.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if nudges.engine.dialect.name == "sqlite":
                rows = cursor.execute("EXPLAIN QUERY PLAN " + sql.statement, sql.parameters).fetchall()
                return [f"{'  ' * (parent > 0)}{detail}" for _, parent, _, detail in rows]
            rows = cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql.statement, sql.parameters)
            return [str(line) for (line,) in rows.fetchall()]
        finally:
            cursor.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Populate, time the selection, report; 1 if the selection found other participants than expected."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000, help="participants (default 100000)")
    parser.add_argument("--zones", type=int, default=400, help="distinct IANA zones (default 400)")
    parser.add_argument("--history-days", type=int, default=3, help="earlier days of nudges per member (default 3)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up (default 5)")
    parser.add_argument("--database-url", help="run on this database (PostgreSQL) in a scratch schema")
    parser.add_argument(
        "--steady", action="store_true", help="a tick in a day of ticks: only this minute's nudges are due"
    )
    parser.add_argument("--plan", action="store_true", help="print the database's plan for the selection query")
    args = parser.parse_args(argv)
    if args.participants < 1 or args.zones < 1 or args.runs < 1 or args.history_days < 0:
        parser.error("--participants, --zones and --runs must be at least 1, --history-days at least 0")

    zones = bench_zones(args.zones)
    database = scratch_schema(args.database_url, "due-bench") if args.database_url else sqlite_database("due-bench")
    with database as url:
        engine = make_engine(url)
        try:
            made_s, population = timed(
                lambda: populate(engine, args.participants, zones, args.history_days, NOW, steady=args.steady)
            )
            if engine.dialect.name == "postgresql":
                analyze(engine)
            nudges = Nudges(Coach(engine, FixedClock(NOW), default_timezone=DEFAULT_TZ))
            # Warm-up: connections, statement caches, pages in memory; and the one-off scheduling of every member
            # (they were inserted without a next nudge, as after the migration that added it).
            warmup_s, _ = timed(lambda: nudges.due(NOW))
            whole = [timed(lambda: nudges.due(NOW)) for _ in range(args.runs)]
            parts = [due_in_parts(nudges, NOW) for _ in range(args.runs)]
            explained = query_plan(nudges, NOW) if args.plan else []
        finally:
            engine.dispose()

    backend = make_url(url).get_backend_name()
    due = whole[-1][1]
    found = {(d.team_id, d.user_id, d.local_date) for d in due}
    scenario = "a steady tick" if args.steady else "catching up"
    print(
        f"due selection on {backend}, {scenario}: {population.participants:,} participants in {population.zones} "
        f"zones, {population.already_nudged:,} already nudged today, {population.nudge_rows:,} nudge rows "
        f"(made in {made_s:.1f} s); at {NOW.isoformat()}"
    )
    print(
        f"due: {len(due):,} (expected {len(population.expected):,}); {args.runs} runs after a warm-up that "
        f"scheduled every member once ({warmup_s * 1000:.0f} ms)"
    )
    print(f"{'':26}{'best ms':>9}{'median ms':>11}")
    rows: list[tuple[str, list[float]]] = [
        ("Nudges.due", [s for s, _ in whole]),
        ("  unscheduled", [p.unscheduled for p, _ in parts]),
        ("  due_by_schedule", [p.selection for p, _ in parts]),
        ("    its SQL on the driver", [p.driver for p, _ in parts]),
        ("    the rest (SQLAlchemy)", [p.selection - p.driver for p, _ in parts]),
        ("  stale_claims", [p.stale for p, _ in parts]),
        ("  the queries together", [p.total for p, _ in parts]),
    ]
    for name, values in rows:
        print(f"{name:26}{min(values) * 1000:9.1f}{statistics.median(values) * 1000:11.1f}")
    median_ms = statistics.median(s for s, _ in whole) * 1000
    verdict = "met" if median_ms < TARGET_MS else "NOT met"
    print(f"target under {TARGET_MS:.0f} ms: {verdict} (median {median_ms:.1f} ms)")
    for line in explained:
        print(f"plan: {line}")

    problems = []
    if found != population.expected:
        missing, extra = population.expected - found, found - population.expected
        problems.append(f"the selection missed {len(missing)} due participants and found {len(extra)} not due")
    if any(len(d) != len(due) for _, d in whole) or any(len(d) != len(due) for _, d in parts):
        problems.append("the runs disagreed on how many were due")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
