"""Crash: 100 commands acked, `kill -9`, restart — every acknowledged command stored, every message it owed Slack
sent exactly once by the next process.

`breakthrough run` (`python -m bot run` of this checkout) runs as a process of its own against the stand-in for
Slack, which runs here and refuses every chat.postMessage and chat.update with a 500 so that the outbox holds
everything owed. `--commands` members each take a stand with `/stand <outcome>` in one of `--channels` channels,
`--concurrency` at a time; each ack must carry its answer ("Your stand is declared: …"). Once the outbox's sender
holds no claim and has nothing due within half a second (read from the database), the process is killed with
SIGKILL. The database is then read directly: every acked stand must be there, with its announcement owed. Slack
takes posts again, a new process starts on the same database, and each announcement must reach its channel exactly
once, with the outbox empty at the end.

Targets: stored = acked (100 of 100), and sent exactly once after the restart for every stored stand (0
duplicates, 0 lost). Exit status 1 when a target is missed or a process fails. With `--database` it runs on that
PostgreSQL server in a scratch schema, dropped afterwards.

    .venv/bin/python benchmarks/crash.py
    .venv/bin/python benchmarks/crash.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scratch import scratch_schema, sqlite_database  # beside this script
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from standin import AppReply, SlackStandIn
from standin.process import AppProcess
from storage import outbox
from storage.db import make_engine, unit_of_work
from storage.models import Outbox, OutboxStatus, Stand

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "crash-benchmark-signing-secret"
BOT_TOKEN = "xoxb-crash-benchmark-token"
LISTENING = re.compile(r"listening for Slack on (http://\S+)")
POSTS = ("chat.postMessage", "chat.update")
QUIET_MARGIN = timedelta(milliseconds=500)


def verdict(met: bool) -> str:
    """How a target reads in the report."""
    return "met" if met else "NOT met"


@contextmanager
def app_process(slack: SlackStandIn, database_url: str, posts_per_second: float, cwd: Path) -> Iterator[AppProcess]:
    """A started app the stand-in sends its requests to; killed on the way out if still running."""
    app = AppProcess(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "SLACK_POSTS_PER_SECOND": f"{posts_per_second:g}",
        },
        cwd,
    )
    try:
        slack.request_url = app.url()
        yield app
    finally:
        app.kill()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll the database until `predicate()`, every 10 ms; the seconds it took."""
    started, tick = time.monotonic(), threading.Event()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not within {timeout:g} s")
        tick.wait(0.01)
    return time.monotonic() - started


def nothing_in_flight(engine: Engine) -> bool:
    """No outbox item claimed, and none the sender could claim within QUIET_MARGIN (every next attempt is later)."""
    with unit_of_work(engine, read_only=True) as session:
        found = outbox.counts(session=session)
        soon = outbox.due(now=datetime.now(UTC) + QUIET_MARGIN, limit=1, session=session)
    return not found.get(OutboxStatus.CLAIMED) and not soon


def outbox_empty(engine: Engine) -> bool:
    """Whether everything owed was sent (a sent item is deleted; a failed one stays)."""
    with unit_of_work(engine, read_only=True) as session:
        return not outbox.counts(session=session)


def stored_stands(engine: Engine) -> dict[str, Stand]:
    """The stands the database holds, by their words."""
    with unit_of_work(engine, read_only=True) as session:
        return {stand.text: stand for stand in session.scalars(select(Stand))}


def owed(engine: Engine) -> list[Outbox]:
    """Every outbox item."""
    with unit_of_work(engine, read_only=True) as session:
        return list(session.scalars(select(Outbox)))


def outcome(user: str) -> str:
    """The stand `user` takes: unique, so each announcement names whose it is."""
    return f"Ship the crash-proof release for {user}"


@dataclass
class Outcome:
    """What one run found."""

    backend: str
    commands: int
    acked: list[str]
    ack_seconds: list[float]
    acked_seconds: float
    quiet_seconds: float
    attempts_at_kill: int
    claimed_at_kill: int
    stored: int
    owed_at_kill: int
    restart_listening_seconds: float
    restart_sent_seconds: float
    sent: Counter[str]
    left_in_outbox: int
    nudges_sent: int
    clean_stop: int

    def exactly_once(self, expected: Sequence[str]) -> int:
        """How many of `expected` were announced exactly once."""
        return sum(1 for text in expected if self.sent[text] == 1)

    def duplicates(self) -> int:
        """Announcements beyond the first of each."""
        return sum(count - 1 for count in self.sent.values() if count > 1)

    def lost(self, expected: Sequence[str]) -> int:
        """Stored stands never announced."""
        return sum(1 for text in expected if not self.sent[text])


def run(database_url: str, commands: int, channels: int, concurrency: int, posts_per_second: float) -> Outcome:
    """Ack `commands` stands, kill -9, restart, and count what reached Slack."""
    slack = SlackStandIn(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    slack.start()
    engine = make_engine(database_url)
    channel_ids = [f"CCRASH{c:02d}" for c in range(channels)]
    for channel in channel_ids:
        slack.add_channel(channel, name=channel.lower())
    users = [f"UCRASH{i:04d}" for i in range(commands)]
    for user in users:
        slack.add_user(user, name=user.lower(), tz="UTC")
    where = {user: channel_ids[i % channels] for i, user in enumerate(users)}
    try:
        with tempfile.TemporaryDirectory(prefix="crash-bench-") as directory:  # no `.env` file is read there
            cwd = Path(directory)
            for method in POSTS:
                slack.fail(method, "internal_error", status=500, times=1_000_000)
            with app_process(slack, database_url, posts_per_second, cwd) as first:
                ack_seconds: list[float] = []

                def take_stand(user: str) -> AppReply:
                    started = time.monotonic()
                    reply = slack.command(user, "/stand", outcome(user), channel=where[user])
                    ack_seconds.append(time.monotonic() - started)
                    return reply

                started = time.monotonic()
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    replies = dict(zip(users, pool.map(take_stand, users), strict=True))
                acked_seconds = time.monotonic() - started
                acked = [user for user, reply in replies.items() if answered(reply, user)]
                quiet_seconds = wait_until(lambda: nothing_in_flight(engine), 60, "the sender kept a claim")
                first.kill()
            items = owed(engine)
            attempts_at_kill = sum(item.attempts for item in items)
            claimed_at_kill = sum(1 for item in items if item.status == OutboxStatus.CLAIMED)
            stands = stored_stands(engine)
            stand_ids = {stand.id for stand in stands.values()}
            owed_at_kill = sum(
                1
                for item in items
                if item.ref_kind == "announcement" and item.ref_id in stand_ids and item.status == OutboxStatus.PENDING
            )
            stored = sum(1 for user in acked if outcome(user) in stands)

            for method in POSTS:
                slack.fail(method, times=0)
            with app_process(slack, database_url, posts_per_second, cwd) as second:
                listening = time.monotonic() - second.started
                wait_until(lambda: outbox_empty(engine), 300, "the outbox was not emptied")
                sent_after = time.monotonic() - second.started
                clean_stop = second.stop()
        sent: Counter[str] = Counter()
        for call in slack.calls("chat.postMessage"):
            if call.ok and call.args.get("channel") in channel_ids:
                sent[str(call.args.get("text")).partition(" takes a stand: ")[2]] += 1
        nudges = sum(
            1 for call in slack.calls("chat.postMessage") if call.ok and call.args.get("channel") not in channel_ids
        )
        with unit_of_work(engine, read_only=True) as session:
            left = sum(outbox.counts(session=session).values())
        return Outcome(
            backend=make_url(database_url).get_backend_name(),
            commands=commands,
            acked=acked,
            ack_seconds=ack_seconds,
            acked_seconds=acked_seconds,
            quiet_seconds=quiet_seconds,
            attempts_at_kill=attempts_at_kill,
            claimed_at_kill=claimed_at_kill,
            stored=stored,
            owed_at_kill=owed_at_kill,
            restart_listening_seconds=listening,
            restart_sent_seconds=sent_after,
            sent=sent,
            left_in_outbox=left,
            nudges_sent=nudges,
            clean_stop=clean_stop,
        )
    finally:
        engine.dispose()
        slack.stop()


def answered(reply: AppReply, user: str) -> bool:
    """Whether the ack carried the member's answer: their stand, declared."""
    text = reply.body.get("text") if isinstance(reply.body, dict) else reply.body
    return reply.status == 200 and str(text).startswith("Your stand is declared") and outcome(user) in str(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run once and report; 1 when a target is missed or a process failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=100, help="commands acked before the kill (default 100)")
    parser.add_argument("--channels", type=int, default=5, help="channels the stands are taken in (default 5)")
    parser.add_argument("--concurrency", type=int, default=20, help="commands in flight at once (default 20)")
    parser.add_argument(
        "--posts-per-second", type=float, default=50.0, help="the app's SLACK_POSTS_PER_SECOND (default 50)"
    )
    parser.add_argument(
        "--database", "--database-url", dest="database", help="run on this PostgreSQL server, in a scratch schema"
    )
    args = parser.parse_args(argv)
    if args.commands < 1 or args.channels < 1 or args.concurrency < 1 or not args.posts_per_second > 0:
        parser.error("--commands, --channels and --concurrency must be at least 1, --posts-per-second positive")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    database = scratch_schema(args.database, "crash_bench") if args.database else sqlite_database("crash-bench")
    with database as url:
        found = run(url, args.commands, args.channels, args.concurrency, args.posts_per_second)

    n = found.commands
    expected = [outcome(user) for user in found.acked]
    p50 = statistics.median(found.ack_seconds) * 1000
    p99 = statistics.quantiles(found.ack_seconds, n=100, method="inclusive")[98] * 1000 if n > 1 else p50
    print(
        f"crash on {found.backend}: {n} /stand in {args.channels} channels, {args.concurrency} at a time, while "
        f"Slack answers every post with a 500; kill -9; restart with Slack taking posts "
        f"(SLACK_POSTS_PER_SECOND={args.posts_per_second:g})"
    )
    print(
        f"acked with the answer: {len(found.acked)} of {n} in {found.acked_seconds:.1f} s "
        f"(ack p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(found.ack_seconds) * 1000:.0f} ms)"
    )
    print(
        f"killed {found.quiet_seconds:.2f} s after the last ack, the sender holding {found.claimed_at_kill} claims "
        f"({found.attempts_at_kill} refused attempts by then)"
    )
    stored_met = found.stored == len(found.acked) == n
    print(f"stored: {found.stored} of {len(found.acked)} (target {n}: {verdict(stored_met)})")
    print(f"owed at the kill: {found.owed_at_kill} announcements pending in the outbox")
    once, duplicates, lost = found.exactly_once(expected), found.duplicates(), found.lost(expected)
    once_met = once == len(expected) == n and duplicates == 0 and lost == 0 and found.left_in_outbox == 0
    print(
        f"sent exactly once after restart: {once} of {len(expected)}, duplicates {duplicates}, lost {lost} "
        f"({verdict(once_met)})"
    )
    print(
        f"restart: listening after {found.restart_listening_seconds:.1f} s, outbox empty after "
        f"{found.restart_sent_seconds:.1f} s ({found.left_in_outbox} items left); {found.nudges_sent} nudge DMs "
        f"the scheduler sent meanwhile are not counted; clean stop exit {found.clean_stop}"
    )
    problems = []
    if not stored_met:
        problems.append("an acked command was not stored (or a command was not acked)")
    if not once_met:
        problems.append("an owed announcement was lost, duplicated, or left in the outbox")
    if found.clean_stop != 0:
        problems.append(f"the restarted app exited {found.clean_stop} on SIGTERM")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
