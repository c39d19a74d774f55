"""Nudge fan-out: one nudge pass to 10,000 participants due at the same minute, at the pace Slack allows.

Makes the participants directly in a temporary SQLite database (members in Europe/Berlin with a 09:00 nudge
and a stand whose program starts today), then runs one `nudge_pass` as the scheduler would, at 09:00 Berlin
on a Tuesday, posting through `paced_poster(settings)` to the stand-in for Slack. The stand-in runs in its own
process, so that its work shares neither the GIL nor the memory with the pass: it answers each Web API call
after `--latency` seconds and, unless `--unlimited`, allows `--rate` chat.postMessage a second across the
workspace (429 with Retry-After beyond it). The app is told the same rate (SLACK_POSTS_PER_SECOND); with
`--unlimited` the stand-in has no limit and the app is allowed 1000 a second.

The default is the fan-out at a Slack limit of 20 posts a second with SLACK_POSTS_PER_SECOND=20. Targets: at
least 95% of `--rate` posts a second (or 150 a second `--unlimited`), 0 duplicates, 0 lost, at most a handful
(5) of 429s, and under 250 MB of resident memory for this process through the pass. Exit status 1 means the
pass or the stand-in failed, a participant got two nudges, or one got none; missed targets are only reported.
With `--database-url` it runs on that database instead (PostgreSQL) in a scratch schema that is dropped
afterwards.

    .venv/bin/python benchmarks/nudge_fanout.py --participants 2000     # 100 s; the default 10000 takes ~8 min
    .venv/bin/python benchmarks/nudge_fanout.py --unlimited
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from zoneinfo import ZoneInfo

from scratch import scratch_schema, sqlite_database  # beside this script
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from bot.app import paced_poster
from bot.clock import FixedClock
from bot.coach import Coach
from bot.coach.nudges import Nudges
from bot.settings import Settings
from handlers.jobs import PassReport, nudge_pass
from standin import SlackStandIn
from storage.db import make_engine, unit_of_work
from storage.models import Member, Nudge, Stand, StandStatus

TEAM = "TBENCH"
BOT_TOKEN = "xoxb-benchmark-token"
ZONE = "Europe/Berlin"
NUDGE_TIME = "09:00"
# 09:00 in Berlin on a Tuesday: every participant's nudge time, on a weekday.
LOCAL_NOW = datetime(2026, 11, 17, 9, 0, tzinfo=ZoneInfo(ZONE))
UNLIMITED_RATE = 1000.0
TARGET_SHARE = 0.95
TARGET_MOST_429S = 5  # "a handful": the pacer's margin should leave Slack nothing to refuse
TARGET_UNLIMITED = 150.0
TARGET_RSS_MB = 250.0
RSS_SAMPLE_SECONDS = 0.05
READY_TIMEOUT = 60.0
REPORT_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
CHUNK = 10_000


def participant_ids(count: int) -> list[str]:
    """The participants' user IDs, the same in the database and at the stand-in."""
    return [f"U{n:08d}" for n in range(count)]


# The stand-in for Slack (a child process) --------------------------------------------------------------


@dataclass(frozen=True)
class SlackReport:
    """What the stand-in saw of chat.postMessage."""

    posted: dict[str, int]  # successful posts per channel argument (the member's ID)
    ratelimited: int
    other_errors: dict[str, int]
    cpu_seconds: float  # the stand-in's CPU time while it served the pass


def serve_slack(link: Connection, users: list[str], latency: float, rate: float | None, serve_for: float) -> None:
    """Child process: the stand-in with `users`, answering until the parent says stop (or `serve_for` passes)."""
    logging.basicConfig(level=logging.ERROR, format="[stand-in] %(levelname)s %(name)s: %(message)s")
    with SlackStandIn(bot_token=BOT_TOKEN, team_id=TEAM) as slack:
        for user in users:
            slack.add_user(user, tz=ZONE)
        slack.latency = latency
        slack.rate_limit(rate)
        link.send(slack.api_url)
        ready = cpu_seconds()
        link.poll(serve_for)  # the parent's "stop", or the deadline
        served = cpu_seconds() - ready
        posts = slack.calls("chat.postMessage")
        link.send(
            SlackReport(
                posted=dict(Counter(str(call.args.get("channel")) for call in posts if call.ok)),
                ratelimited=sum(1 for call in posts if call.error == "ratelimited"),
                other_errors=dict(
                    Counter(str(call.error) for call in posts if not call.ok and call.error != "ratelimited")
                ),
                cpu_seconds=served,
            )
        )


@contextmanager
def slack_process(users: list[str], latency: float, rate: float | None, serve_for: float) -> Iterator[SlackLink]:
    """The stand-in serving in a child process; yields its link, and always stops the process."""
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve_slack, args=(theirs, users, latency, rate, serve_for), name="nudge-fanout-slack"
    )
    process.start()
    theirs.close()
    try:
        if not ours.poll(READY_TIMEOUT):
            raise RuntimeError(f"the stand-in was not ready within {READY_TIMEOUT:.0f} s")
        yield SlackLink(str(ours.recv()), ours, process)
    finally:
        # After its report the stand-in only closes its servers; without one (something failed here) it is ended.
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            process.terminate()
            process.join(STOP_TIMEOUT)
        if process.is_alive():
            print("the stand-in did not stop; killing it", file=sys.stderr)
            process.kill()
            process.join(STOP_TIMEOUT)
        ours.close()


@dataclass(frozen=True)
class SlackLink:
    """The running stand-in: where its Web API is, and how to end it."""

    api_url: str
    link: Connection
    process: multiprocessing.process.BaseProcess

    def stop(self) -> SlackReport:
        """Ask the stand-in to stop and return what it saw."""
        self.link.send("stop")
        if not self.link.poll(REPORT_TIMEOUT):
            raise RuntimeError(f"the stand-in sent no report within {REPORT_TIMEOUT:.0f} s")
        report = self.link.recv()
        assert isinstance(report, SlackReport)
        return report


# The data -----------------------------------------------------------------------------------------------


def populate(engine: Engine, users: Sequence[str], today: date, created: datetime) -> None:
    """Members nudged at 09:00 Berlin time, each with a stand whose 14-day program starts today."""
    members = [
        {"team_id": TEAM, "user_id": user, "name": user.lower(), "tz": ZONE, "nudge_time": NUDGE_TIME}
        | {"created_at": created, "profile_fetched_at": created}
        for user in users
    ]
    stands = [
        {
            "team_id": TEAM,
            "user_id": user,
            "text": f"Grow region {n} by 50% before spring",
            "status": StandStatus.ACTIVE,
            "program_started_on": today,
            "created_at": created,
        }
        for n, user in enumerate(users)
    ]
    with unit_of_work(engine) as session:
        for model, rows in ((Member, members), (Stand, stands)):
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(model), rows[start : start + CHUNK])


def nudge_statuses(engine: Engine) -> dict[str, int]:
    """How many nudges the database holds in each status."""
    with engine.connect() as connection:
        rows = connection.execute(select(col(Nudge.status), func.count()).group_by(col(Nudge.status)))
        return {str(status): int(count) for status, count in rows}


# Memory -------------------------------------------------------------------------------------------------


def rss_mb() -> float:
    """This process's resident memory now, in MB, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def rss_sampled() -> Iterator[list[float]]:
    """Samples of this process's resident memory (MB) every RSS_SAMPLE_SECONDS while the block runs."""
    samples = [rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(RSS_SAMPLE_SECONDS):
            samples.append(rss_mb())

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        done.set()
        sampler.join()
        samples.append(rss_mb())


def cpu_seconds() -> float:
    """User and system CPU time this process has used so far, all threads together."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_rss_mb() -> float:
    """The most resident memory this process ever had, in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The measurement ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one pass did, as the app reported it, as the stand-in saw it and as the database holds it."""

    participants: int
    report: PassReport
    wall_seconds: float
    cpu_seconds: float
    slack: SlackReport
    statuses: dict[str, int]
    rss_before_mb: float
    rss_peak_mb: float
    rss_after_mb: float
    max_rss_mb: float
    pacer: tuple[int, float, float]  # the poster's burst, window (s) and margin (s)

    @property
    def rate(self) -> float:
        """Nudges sent per second of the pass."""
        return self.report.sent / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def duplicates(self) -> int:
        """Posts beyond the first to the same participant."""
        return sum(count - 1 for count in self.slack.posted.values() if count > 1)

    def lost(self, users: Sequence[str]) -> int:
        """Participants the stand-in never saw a successful post for."""
        return sum(1 for user in users if self.slack.posted.get(user, 0) == 0)


def fan_out(url: str, users: list[str], rate: float, limit: float | None, latency: float) -> Outcome:
    """Populate, start the stand-in, run one pass at 09:00 Berlin, and gather what every side saw."""
    now = LOCAL_NOW.astimezone(UTC)
    engine = make_engine(url)
    try:
        populate(engine, users, LOCAL_NOW.date(), now.replace(year=now.year - 1))
        # Generous, yet bounded: the stand-in stops by itself if this process never tells it to.
        serve_for = len(users) / rate * 3 + 600
        with slack_process(users, latency, limit, serve_for) as slack:
            settings = Settings.from_env(
                {
                    "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_API_URL": slack.api_url,
                    "DATABASE_URL": url,
                    "SLACK_POSTS_PER_SECOND": f"{rate:g}",
                },
                need_slack=True,
                serving=False,
            )
            nudges = Nudges(Coach(engine, FixedClock(now), default_timezone=settings.default_timezone))
            poster = paced_poster(settings)
            before = rss_mb()
            with rss_sampled() as samples:
                started, cpu_started = time.perf_counter(), cpu_seconds()
                try:
                    report = nudge_pass(nudges, poster, now)
                finally:
                    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
                    seen = slack.stop()
        statuses = nudge_statuses(engine)
    finally:
        engine.dispose()
    return Outcome(
        participants=len(users),
        report=report,
        wall_seconds=wall,
        cpu_seconds=cpu,
        slack=seen,
        statuses=statuses,
        rss_before_mb=before,
        rss_peak_mb=max(samples),
        rss_after_mb=samples[-1],
        max_rss_mb=max_rss_mb(),
        pacer=(poster.burst, poster.window, poster.margin),
    )


def verdict(met: bool) -> str:
    """How a target reads in the report."""
    return "met" if met else "NOT met"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pass and report; 1 if a participant got two nudges or none, or a side failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=10_000, help="participants due (default 10000)")
    parser.add_argument("--rate", type=float, default=20.0, help="posts a second Slack allows (default 20)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds Slack takes to answer (default 0.05)")
    parser.add_argument(
        "--unlimited", action="store_true", help=f"no limit at Slack; the app may post {UNLIMITED_RATE:g} a second"
    )
    parser.add_argument("--database-url", help="run on this database (PostgreSQL) in a scratch schema")
    args = parser.parse_args(argv)
    if args.participants < 1 or not 0 < args.rate <= 10_000 or args.latency < 0:
        parser.error("--participants must be at least 1, --rate in (0, 10000] and --latency at least 0")

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rate, limit = (UNLIMITED_RATE, None) if args.unlimited else (args.rate, args.rate)
    users = participant_ids(args.participants)
    database = (
        scratch_schema(args.database_url, "fanout-bench") if args.database_url else sqlite_database("fanout-bench")
    )
    with database as url:
        outcome = fan_out(url, users, rate, limit, args.latency)

    report, seen, pacer = outcome.report, outcome.slack, outcome.pacer
    backend = make_url(url).get_backend_name()
    where = "no limit at Slack" if limit is None else f"Slack allows {limit:g}/s"
    print(
        f"nudge fan-out on {backend}: {outcome.participants:,} participants due at {LOCAL_NOW:%H:%M} {ZONE}; "
        f"{where}, answers in {args.latency * 1000:.0f} ms; SLACK_POSTS_PER_SECOND={rate:g}"
    )
    print(
        f"pacer: at most {pacer[0]} posts in any {pacer[1]:.3f} s (margin {pacer[2]:g} s), "
        f"{pacer[0] / pacer[1]:.2f} posts/s on average"
    )
    print(f"pass: sent {report.sent:,}, skipped {report.skipped:,}, failed {report.failed:,}")
    print(f"wall time: {outcome.wall_seconds:.1f} s; achieved {outcome.rate:.1f} posts/s")
    print(
        f"CPU through the pass: app {outcome.cpu_seconds:.1f} s ({outcome.cpu_seconds / outcome.wall_seconds:.0%} "
        f"of one core), stand-in {seen.cpu_seconds:.1f} s ({seen.cpu_seconds / outcome.wall_seconds:.0%})"
    )
    if limit is None:
        print(f"target at least {TARGET_UNLIMITED:.0f}/s: {verdict(outcome.rate >= TARGET_UNLIMITED)}")
    else:
        share = outcome.rate / limit
        target = TARGET_SHARE * limit
        print(
            f"target at least {TARGET_SHARE:.0%} of {limit:g}/s ({target:g}/s): {verdict(share >= TARGET_SHARE)} "
            f"({share:.1%})"
        )
    others = ", ".join(f"{error} x{count}" for error, count in sorted(seen.other_errors.items())) or "none"
    print(
        f"429s seen at the stand-in: {seen.ratelimited:,} (target at most {TARGET_MOST_429S}: "
        f"{verdict(seen.ratelimited <= TARGET_MOST_429S)}); other refusals: {others}"
    )
    lost = outcome.lost(users)
    print(f"duplicates: {outcome.duplicates:,} (target 0: {verdict(outcome.duplicates == 0)})")
    print(f"lost: {lost:,} (target 0: {verdict(lost == 0)})")
    statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(outcome.statuses.items())) or "none"
    print(f"nudges table: {statuses}")
    print(
        f"resident memory: {outcome.rss_before_mb:.0f} MB before the pass, peak {outcome.rss_peak_mb:.0f} MB "
        f"(ru_maxrss {outcome.max_rss_mb:.0f} MB), {outcome.rss_after_mb:.0f} MB after"
    )
    peak = max(outcome.rss_peak_mb, outcome.max_rss_mb)
    print(f"target peak under {TARGET_RSS_MB:.0f} MB: {verdict(peak < TARGET_RSS_MB)} ({peak:.0f} MB)")

    problems = []
    if outcome.duplicates:
        problems.append(f"{outcome.duplicates} duplicate nudges")
    if lost:
        problems.append(f"{lost} participants got no nudge")
    if outcome.statuses.get("sent", 0) != outcome.participants or sum(outcome.statuses.values()) != len(users):
        problems.append(f"the nudges table should hold {outcome.participants} sent nudges, not {statuses}")
    if report.sent != outcome.participants:
        problems.append(f"the pass reported {report.sent} sent of {outcome.participants}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
