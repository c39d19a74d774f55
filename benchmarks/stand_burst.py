"""A burst of `/stand`: 1,000 members each take a new stand in #general at 20 concurrent.

The app serves in its own process exactly as in `ack_latency.py` (uvicorn + Starlette, the outbox's sender
running); the load and the stand-in for Slack run here. Each of the 1,000 members is someone the coach has not met
(so each ack first asks Slack for their zone, for at most a moment), unless `--known-members` stores them first;
#general is a channel the app is in, so each stand owes an announcement there.

Printed: the ack latency, with the two targets — every ack within Slack's 3 s (the maximum, and how many took
longer: target 0), and all 1,000 stored at their ack (the stands counted in the database right after the last
ack: target 1,000) — then how long the outbox took to post the 1,000 announcements at the configured pace
(SLACK_POSTS_PER_SECOND, `--posts-per-second`), which they share with everything else the burst owes (members new
to the coach each get a welcome DM: 2,000 posts in all). Exit status 1 means a request failed, an ack did not carry the
answer, a stand was not stored at its ack, or an announcement was lost, doubled or left in the outbox; a missed
3 s target is only reported.

    .venv/bin/python benchmarks/stand_burst.py                       # ~7 minutes at the default 5 posts/s
    .venv/bin/python benchmarks/stand_burst.py --posts-per-second 50
    .venv/bin/python benchmarks/stand_burst.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ack_latency import (  # beside this script
    BOT_TOKEN,
    CHANNEL,
    DRAIN_TIMEOUT,
    HEADER,
    SIGNING_SECRET,
    Run,
    ServerSpec,
    SignedCommand,
    app_settings,
    count,
    database_name,
    kept_alive,
    load,
    machine,
    outbox_left,
    profiled,
    reader,
    reconnect,
    row,
    served,
    signed_command,
    verdict,
    wait_for_drain,
)
from scratch import scratch_database, sqlite_database  # beside this script
from sqlalchemy import create_engine, insert
from sqlalchemy.pool import NullPool

from standin import SlackStandIn
from storage.models import Member

COMMAND = "/stand"
ANSWER = "Your stand is declared"
"""What the member reads in the app's answer to `/stand`."""
ZONE = "Europe/Berlin"
WARMUP = 20
ACK_DEADLINE_MS = 3000.0
"""Slack shows the member an error when an ack takes longer than 3 seconds."""
ANNOUNCE_SLACK_SECONDS = 60.0
"""How much longer than the configured pace allows the announcements may take before the run gives up on them."""


def members(prefix: str, count: int) -> list[str]:
    """`count` distinct member IDs."""
    return [f"{prefix}{n:05d}" for n in range(count)]


def stands(slack: SlackStandIn, user_ids: Sequence[str]) -> list[SignedCommand]:
    """One signed `/stand` per member, each with an outcome of its own."""
    return [
        signed_command(slack, command=COMMAND, user_id=user_id, text=f"Grow the choir to 40 voices ({user_id})")
        for user_id in user_ids
    ]


def store_members(database_url: str, user_ids: Sequence[str], team_id: str) -> None:
    """Make the members known to the coach, their zone fetched just now (so no ack asks Slack for it)."""
    now = datetime.now(UTC)
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(Member),
                [
                    {
                        "team_id": team_id,
                        "user_id": u,
                        "name": u,
                        "tz": ZONE,
                        "profile_fetched_at": now,
                        "created_at": now,
                    }
                    for u in user_ids
                ],
            )
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Announcements:
    """The announcements of the burst's stands, as the stand-in received them."""

    posted: int
    duplicates: int
    missing: int
    refused: int
    first_at: float | None  # wall clock
    last_at: float | None


def announcements(slack: SlackStandIn, user_ids: Sequence[str]) -> Announcements:
    """Who of `user_ids` had their stand announced in #general, how often, and when the first and last went out."""
    wanted = set(user_ids)
    per_member: Counter[str] = Counter()
    times: list[float] = []
    refused = 0
    for call in slack.calls("chat.postMessage"):
        if call.args.get("channel") != CHANNEL:
            continue
        owner = next((u for u in _mentioned(str(call.args.get("text", ""))) if u in wanted), None)
        if owner is None:
            continue
        if not call.ok:
            refused += 1
            continue
        per_member[owner] += 1
        times.append(call.at)
    return Announcements(
        posted=sum(per_member.values()),
        duplicates=sum(n - 1 for n in per_member.values() if n > 1),
        missing=len(wanted - set(per_member)),
        refused=refused,
        first_at=min(times) if times else None,
        last_at=max(times) if times else None,
    )


def _mentioned(text: str) -> list[str]:
    """The user IDs mentioned as <@U…> in a message's text."""
    return [part.split(">", 1)[0].split("|", 1)[0] for part in text.split("<@")[1:]]


@dataclass(frozen=True)
class Burst:
    """What the burst measured."""

    run: Run
    answered_in_ack: int
    stored_at_last_ack: int
    stored_in_the_end: int
    announced: Announcements
    started_at: float  # wall clock, the first command sent
    drained_after: float | None
    outbox: dict[str, int]
    placed: int  # stands that know where their announcement is
    users_info_calls: int
    owed: dict[str, int]  # what the outbox held right after the last ack, by kind (all of it shares the pace)
    waited: float  # seconds the run gave the announcements and the outbox, from the last ack


def measure(
    slack: SlackStandIn,
    database_url: str,
    *,
    commands: int,
    concurrency: int,
    posts_per_second: float | None,
    known_members: bool,
    profile: Path | None,
) -> Burst:
    """Warm up, send the burst, count the stands at once, then wait for every announcement."""
    warm_ids, burst_ids = members("UWARM", WARMUP), members("UBURST", commands)
    for user_id in warm_ids + burst_ids:
        slack.add_user(user_id, tz=ZONE)
    if known_members:
        store_members(database_url, warm_ids + burst_ids, slack.team_id)
    spec = ServerSpec("app", database_url, slack.api_url, posts_per_second)
    rate = app_settings(spec).posts_per_second
    with served(spec) as server, kept_alive(server.port, concurrency) as connections, reader(database_url) as query:
        load(connections, stands(slack, warm_ids), server)
        wait_for_drain(query, time.perf_counter(), DRAIN_TIMEOUT)  # the warm-up's announcements are out
        users_info_before = len(slack.calls("users.info"))
        signed = stands(slack, burst_ids)
        reconnect(connections)
        with profiled(server, profile):
            run = load(connections, signed, server)
        # Right after the last ack: every acked stand must already be in the database.
        stored_at_last_ack = count(query, "SELECT count(*) FROM stands WHERE user_id LIKE 'UBURST%'")
        started_at = min(s.sent_at for s in run.samples)
        # Every post the burst owes shares the workspace's pace: the announcements, and the welcome DM each member
        # new to the coach gets with their first command. The wait allows for all of them.
        owed: dict[str, int] = {}
        for kind, n in query("SELECT kind, count(*) FROM outbox GROUP BY kind"):
            assert isinstance(n, int)
            owed[str(kind)] = n
        waited = max(DRAIN_TIMEOUT, sum(owed.values()) / rate + ANNOUNCE_SLACK_SECONDS)
        with contextlib.suppress(AssertionError):  # what never came is reported as missing
            slack.wait_for(lambda: announcements(slack, burst_ids).missing == 0, timeout=waited)
        drained_after = wait_for_drain(query, run.finished, waited)
        return Burst(
            run=run,
            answered_in_ack=sum(1 for s in run.acked if ANSWER.encode() in s.body),
            stored_at_last_ack=stored_at_last_ack,
            stored_in_the_end=count(query, "SELECT count(*) FROM stands WHERE user_id LIKE 'UBURST%'"),
            announced=announcements(slack, burst_ids),
            started_at=started_at,
            drained_after=drained_after,
            outbox=outbox_left(query),
            placed=count(query, "SELECT count(*) FROM stands WHERE user_id LIKE 'UBURST%' AND message_ts IS NOT NULL"),
            users_info_calls=len(slack.calls("users.info")) - users_info_before,
            owed=owed,
            waited=waited,
        )


def report(burst: Burst, *, database: str, commands: int, concurrency: int, rate: float, known: bool) -> None:
    """Print the acks, the two targets, the announcements and the proof of work."""
    who = "members the coach already knows" if known else "members new to the coach"
    print(
        f"{COMMAND} burst on {database}: {commands} commands from {commands} {who}, at {concurrency} concurrent, "
        f"in #general (the app is a member), SLACK_POSTS_PER_SECOND={rate:g}; after {WARMUP} warm-up stands"
    )
    run = burst.run
    print(HEADER)
    print(row("stand ack", run.ack_ms, len(run.failures), run))
    for failure in sorted(set(run.failures)):
        print(f"  failure: {failure} (x{run.failures.count(failure)})")
    late = sum(1 for ms in run.ack_ms if ms > ACK_DEADLINE_MS)
    top = max(run.ack_ms, default=float("nan"))
    print(
        f"target every ack within 3 s: {verdict(late == 0 and not run.failures)} "
        f"(max {top:.0f} ms; {late} over 3 s; {len(run.failures)} failed)"
    )
    print(
        f"target all {commands} stored at their ack: {verdict(burst.stored_at_last_ack == commands)} "
        f"({burst.stored_at_last_ack} stands in the database right after the last ack; "
        f"{burst.answered_in_ack} of {len(run.acked)} acks carry the answer)"
    )
    owed = sum(burst.owed.values())
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(burst.owed.items()))
    print(
        f"owed right after the last ack: {owed} outbox items ({kinds or 'none'}), sharing the pace: "
        f"{owed / rate:.0f} s at {rate:g}/s"
    )
    announced = burst.announced
    if announced.first_at is not None and announced.last_at is not None:
        span = announced.last_at - announced.first_at
        pace = (announced.posted - 1) / span if span > 0 else float("nan")
        last = announced.last_at - burst.started_at
        print(
            f"announcements: {announced.posted} posted in #general, the last {last:.1f} s after the burst began "
            f"({span:.1f} s from the first post, "
            f"{pace:.2f} announcements/s, each waiting its turn in #general's lane beside the other posts); "
            f"{announced.duplicates} duplicates, {announced.missing} missing, {announced.refused} refused"
        )
    else:
        print(f"announcements: none of {commands} arrived")
    drained = (
        f"drained {burst.drained_after:.1f} s after the last ack"
        if burst.drained_after is not None
        else f"did NOT drain within {burst.waited:.0f} s"
    )
    print(
        f"outbox: {drained} (left: {burst.outbox or 'nothing'}); {burst.placed} of {commands} stands know where "
        f"their announcement is; {burst.stored_in_the_end} stands stored in the end; "
        f"{burst.users_info_calls} users.info calls during the burst"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Send the burst; 1 if a request failed or what was acknowledged was not stored and announced exactly once."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=1000, help="stands in the burst (default 1000)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument(
        "--posts-per-second", type=float, help="SLACK_POSTS_PER_SECOND for the app (default: the app's own default)"
    )
    parser.add_argument(
        "--known-members", action="store_true", help="store the members first, so no ack asks Slack for a zone"
    )
    parser.add_argument(
        "--database",
        help="a PostgreSQL server to run the app on, as a URL naming any database there; the app gets a scratch "
        "database of its own, dropped afterwards (default: a temporary SQLite file)",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy's collapsed stacks of the burst here")
    args = parser.parse_args(argv)
    if args.commands < 2 or args.concurrency < 1:
        parser.error("--commands must be at least 2 and --concurrency at least 1")

    logging.basicConfig(level=logging.WARNING)
    load_before = os.getloadavg()
    database = scratch_database(args.database, "stand_burst") if args.database else sqlite_database("stand-burst")
    with database as database_url, SlackStandIn(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN) as slack:
        burst = measure(
            slack,
            database_url,
            commands=args.commands,
            concurrency=args.concurrency,
            posts_per_second=args.posts_per_second,
            known_members=args.known_members,
            profile=args.profile,
        )
        rate = app_settings(ServerSpec("app", database_url, slack.api_url, args.posts_per_second)).posts_per_second
    report(
        burst,
        database=database_name(database_url),
        commands=args.commands,
        concurrency=args.concurrency,
        rate=rate,
        known=args.known_members,
    )
    print(machine(load_before))
    announced = burst.announced
    if burst.run.failures or burst.answered_in_ack != args.commands or burst.stored_at_last_ack != args.commands:
        return 1
    if announced.missing or announced.duplicates or burst.outbox or burst.drained_after is None:
        print("the app did not announce every stand it acknowledged exactly once", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
