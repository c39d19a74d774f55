"""Weekly recap build time: summarize a large team's week and build its Block Kit, against "under 1 second".

Makes a workspace of 1,000 participants with a week of practice (about 40,000 shares, actions and requests,
plus stands, joins, breakthroughs, breakdowns and promises) in a temporary SQLite database, then times
`summarize_week` + `build_weekly_recap` together, each run in a fresh unit of work. With `--database-url`
it runs on that database instead (PostgreSQL), inside a scratch schema that is dropped afterwards. Exit
status 1 means the recap was not valid Block Kit; a missed target is only reported.

    .venv/bin/python benchmarks/recap_build.py
    .venv/bin/python benchmarks/recap_build.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scratch import scratch_schema, sqlite_database  # beside this script
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from bot.coach.weeks import WeekSummary, summarize_week
from handlers.blocks.recaps import build_weekly_recap
from standin import validate_blocks
from storage.db import make_engine, unit_of_work
from storage.models import (
    Action,
    Breakdown,
    Breakthrough,
    Follower,
    Member,
    Promise,
    PromiseStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
)

TEAM = "TBENCH"
ZONE = ZoneInfo("Europe/Berlin")
WEEK = date(2026, 11, 16)
TARGET_SECONDS = 1.0
SEED = 20261116


# The data -------------------------------------------------------------------------------------------------


def _moment(on: date, rng: random.Random) -> datetime:
    return datetime(on.year, on.month, on.day, 7, tzinfo=UTC) + timedelta(minutes=rng.randrange(12 * 60))


def populate(engine: Engine, participants: int) -> int:
    """A week of a big team's practice, bulk-inserted; returns how many practice rows were made."""
    rng = random.Random(SEED)
    users = [f"U{n:08d}" for n in range(participants)]
    created = datetime(2026, 10, 1, tzinfo=UTC)
    rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in (Member, Share, Action, Request, Promise)}
    for index, user in enumerate(users):
        weekends = index % 5 == 0
        rows[Member].append({"team_id": TEAM, "user_id": user, "weekends": weekends, "created_at": created})
        for offset in range(7):
            on = WEEK + timedelta(days=offset)
            if offset >= 5 and not weekends and rng.random() > 0.3:
                continue
            at = _moment(on, rng)
            common = {"team_id": TEAM, "user_id": user, "local_date": on, "created_at": at}
            for _ in range(rng.choice((1, 2, 2, 3, 3))):
                rows[Share].append({**common, "told_user_id": rng.choice(users), "text": "told them about it"})
            for _ in range(rng.choice((1, 2, 2, 3, 3))):
                rows[Action].append({**common, "text": "called a prospective partner"})
            for _ in range(rng.choice((1, 2, 2, 3, 3))):
                status = rng.choice(list(RequestStatus))
                rows[Request].append(
                    {
                        **common,
                        "recipient_id": rng.choice(users),
                        "text": "an introduction to your buyer",
                        "status": status,
                        "offered": rng.random() < 0.05,
                        "updated_at": at,
                    }
                )
        rows[Promise].append(
            {
                "team_id": TEAM,
                "user_id": user,
                "text": "send the proposal",
                "status": rng.choice(list(PromiseStatus)),
                "created_at": created,
                "updated_at": _moment(WEEK + timedelta(days=rng.randrange(7)), rng),
            }
        )
    with unit_of_work(engine) as session:
        for model, items in rows.items():
            session.execute(insert(model), items)
        stands = [
            {
                "team_id": TEAM,
                "user_id": user,
                "text": f"Grow region {index} by 50% before spring",
                "status": "active",
                "program_started_on": WEEK,
                "created_at": _moment(WEEK + timedelta(days=rng.randrange(-14, 7)), rng),
            }
            for index, user in enumerate(users)
        ]
        session.execute(insert(Stand), stands)
        stand_ids = list(session.execute(text("SELECT id FROM stands WHERE team_id = :team"), {"team": TEAM}).scalars())
        session.execute(
            insert(Follower),
            [
                {"team_id": TEAM, "stand_id": stand_id, "user_id": rng.choice(users), "created_at": _moment(WEEK, rng)}
                for stand_id in rng.sample(stand_ids, len(stand_ids) // 2)
            ],
        )
        for model, count in ((Breakthrough, participants // 20), (Breakdown, participants // 10)):
            session.execute(
                insert(model),
                [
                    {
                        "team_id": TEAM,
                        "user_id": rng.choice(users),
                        "text": "Signed the partner we were told would never sign",
                        "created_at": _moment(WEEK + timedelta(days=rng.randrange(7)), rng),
                    }
                    for _ in range(count)
                ],
            )
    return sum(len(rows[model]) for model in (Share, Action, Request))


# The databases --------------------------------------------------------------------------------------------


# The measurement ------------------------------------------------------------------------------------------


def recap_once(engine: Engine) -> tuple[float, float, WeekSummary, Any]:
    """One summarize + build, timed separately."""
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        summary = summarize_week(session, team_id=TEAM, week_start=WEEK, zone=ZONE)
    summarized = time.perf_counter()
    built = build_weekly_recap(summary)
    return summarized - started, time.perf_counter() - summarized, summary, built


def main(argv: Sequence[str] | None = None) -> int:
    """Populate, time the recap, report; 1 if the recap is not valid Block Kit."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000, help="members practising that week (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument("--database-url", help="run on this database (PostgreSQL) in a scratch schema")
    args = parser.parse_args(argv)
    if args.participants < 1 or args.runs < 1:
        parser.error("--participants and --runs must be at least 1")

    database = scratch_schema(args.database_url, "recap-bench") if args.database_url else sqlite_database("recap-bench")
    with database as url:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            practice_rows = populate(engine, args.participants)
            populated = time.perf_counter() - started
            runs = [recap_once(engine) for _ in range(args.runs)]
        finally:
            engine.dispose()

    backend = make_url(url).get_backend_name()
    totals = [s + b for s, b, _, _ in runs]
    _, _, summary, (_, blocks, replies) = runs[-1]
    print(
        f"weekly recap on {backend}: {len(summary.participants):,} participants, {practice_rows:,} practice rows "
        f"(made in {populated:.1f} s), {args.runs} runs"
    )
    print(f"{'':22}{'best ms':>9}{'median ms':>11}")
    for name, values in (
        ("summarize_week", [s for s, _, _, _ in runs]),
        ("build_weekly_recap", [b for _, b, _, _ in runs]),
        ("both", totals),
    ):
        print(f"{name:22}{min(values) * 1000:9.1f}{statistics.median(values) * 1000:11.1f}")
    verdict = "met" if statistics.median(totals) < TARGET_SECONDS else "NOT met"
    print(f"target under {TARGET_SECONDS:.0f} second: {verdict} (median {statistics.median(totals) * 1000:.0f} ms)")
    largest = max((len(reply) for _, reply in replies), default=0)
    print(f"message: {len(blocks)} blocks; thread: {len(replies)} replies of up to {largest} blocks")

    problems = validate_blocks(blocks, surface="message") + [
        problem for _, reply in replies for problem in validate_blocks(reply, surface="message")
    ]
    for problem in problems:
        print(f"invalid Block Kit: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
