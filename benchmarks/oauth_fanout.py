"""Morning fan-out across installed workspaces: one nudge pass over `--workspaces` workspaces of `--members` members
each, every workspace installed with its own bot token, Slack limiting each workspace to `--rate` posts a second.

The target (issue 13): the pass over every workspace takes no longer than the slowest single workspace would alone,
within 15%, because workspaces are paced side by side (Slack's limits are per workspace); 0 duplicates, 0 lost, and
every post made with the token of the workspace it went to.

How: two runs, each on a fresh scratch database and a fresh stand-in for Slack in its own process (so its work
shares neither the GIL nor the memory with the pass). The first has one workspace installed, the second all of
them; both run one `nudge_pass` at 09:00 Berlin with the app's own per-workspace senders (`workspace_posters`,
SLACK_POSTS_PER_SECOND = `--rate`). Every workspace is the same size, so one alone stands for the slowest alone.
Beside the app's CPU through the pass it reports the stand-in's: on a small machine both share its cores, so the
two together bound how fast the pass can go. Exit status 1 means a member got two nudges or none, a post went out
with another workspace's token, or a side failed; a missed time target is only reported.

    .venv/bin/python benchmarks/oauth_fanout.py                           # 50 x 200 at 20/s
    .venv/bin/python benchmarks/oauth_fanout.py --workspaces 10 --members 100
    .venv/bin/python benchmarks/oauth_fanout.py --latency 0.15              # Slack as far as from Europe
"""

from __future__ import annotations

import argparse
import gc
import logging
import multiprocessing
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from zoneinfo import ZoneInfo

from nudge_fanout import cpu_seconds, verdict  # beside this script
from scratch import scratch_schema, sqlite_database
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

from bot.app import workspace_posters
from bot.clock import FixedClock
from bot.coach import Coach
from bot.coach.nudges import Nudges
from bot.settings import Settings
from handlers.jobs import PassReport, nudge_pass
from standin import SlackStandIn
from storage.db import make_engine, unit_of_work
from storage.models import Member, Stand, StandStatus

ZONE = "Europe/Berlin"
LOCAL_NOW = datetime(2026, 11, 17, 9, 0, tzinfo=ZoneInfo(ZONE))  # a Tuesday, everyone's nudge time
CLIENT_ID, CLIENT_SECRET, STATE_SECRET = "1111.2222", "benchmark-client-secret", "benchmark-state-secret-0123"
TARGET_SLOWER = 1.15
RUSAGE = resource.RUSAGE_SELF  # the pass's CPU: every thread of this process
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0


def team_ids(count: int) -> list[str]:
    return [f"T{n:04d}" for n in range(count)]


def member_ids(team: str, count: int) -> list[str]:
    return [f"U{team[1:]}{n:05d}" for n in range(count)]


# The stand-in for Slack (a child process) --------------------------------------------------------------


@dataclass(frozen=True)
class SlackReport:
    """What the stand-in saw of chat.postMessage."""

    posted: dict[str, int]  # successful posts per member
    wrong_token: int  # posts made with a token of another workspace than the member's
    ratelimited: int
    other_errors: dict[str, int]
    cpu_seconds: float  # the stand-in's own CPU through the pass: on a small machine it competes with the app


def serve_slack(
    link: Connection, teams: list[str], members: int, rate: float, latency: float, serve_for: float
) -> None:
    """Child process: the stand-in with every workspace's members and a token each, until the parent says stop."""
    logging.basicConfig(level=logging.ERROR, format="[stand-in] %(levelname)s %(name)s: %(message)s")
    with SlackStandIn() as slack:
        tokens = {}
        for team in teams:
            for user in member_ids(team, members):
                slack.add_user(user, team_id=team, tz=ZONE)
            tokens[team] = slack.oauth.grant(team)
        slack.rate_limit(rate)
        slack.latency = latency
        link.send((slack.api_url, tokens))
        if link.poll(serve_for):
            link.recv()  # "start": the pass begins
        cpu_started = cpu_seconds()
        link.poll(serve_for)
        posts = slack.calls("chat.postMessage")
        ok = [call for call in posts if call.ok]
        link.send(
            SlackReport(
                posted=dict(Counter(str(call.args.get("channel")) for call in ok)),
                wrong_token=sum(1 for call in ok if call.team_id != f"T{str(call.args.get('channel'))[1:5]}"),
                ratelimited=sum(1 for call in posts if call.error == "ratelimited"),
                other_errors=dict(
                    Counter(str(call.error) for call in posts if not call.ok and call.error != "ratelimited")
                ),
                cpu_seconds=cpu_seconds() - cpu_started,
            )
        )


@contextmanager
def slack_process(
    teams: list[str], members: int, rate: float, latency: float
) -> Iterator[tuple[str, dict[str, str], Connection]]:
    """The stand-in serving in a child process: its API URL, each workspace's token, and the link to stop it."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    serve_for = len(teams) * members / rate * 3 + 600  # bounded: it stops by itself if never told to
    process = context.Process(target=serve_slack, args=(theirs, teams, members, rate, latency, serve_for), name="slack")
    process.start()
    theirs.close()
    try:
        if not ours.poll(READY_TIMEOUT):
            raise RuntimeError(f"the stand-in was not ready within {READY_TIMEOUT:.0f} s")
        api_url, tokens = ours.recv()
        yield api_url, tokens, ours
    finally:
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            process.terminate()
            process.join(STOP_TIMEOUT)
        ours.close()


# The data -----------------------------------------------------------------------------------------------


def populate(engine: Engine, teams: list[str], members: int, tokens: dict[str, str], created: datetime) -> None:
    """Each workspace installed (its token in the installation store) with members whose program starts today."""
    rows = [(team, user) for team in teams for user in member_ids(team, members)]
    # Each member's next nudge is this morning's, as the coach keeps it (worked out when they declared their stand,
    # moved on at each nudge): the pass reads the schedule, as every morning does. (Left unset, the pass would
    # first work out 10,000 schedules, as only the first pass after the column's migration does: 0.26 s here.)
    profile = {
        "tz": ZONE,
        "nudge_time": "09:00",
        "created_at": created,
        "profile_fetched_at": created,
        "next_nudge_at": LOCAL_NOW.astimezone(UTC),
    }
    stand = {"status": StandStatus.ACTIVE, "program_started_on": LOCAL_NOW.date(), "created_at": created}
    with unit_of_work(engine) as session:
        session.execute(insert(Member), [{"team_id": t, "user_id": u, "name": u.lower(), **profile} for t, u in rows])
        session.execute(insert(Stand), [{"team_id": t, "user_id": u, "text": "Grow by half", **stand} for t, u in rows])
    store = workspace_posters(settings_for("http://unused/api/", str(engine.url)), engine).store
    for team in teams:
        store.save(
            Installation(app_id="A1", team_id=team, bot_token=tokens[team], bot_user_id="UBOT", user_id="UADMIN")
        )


def settings_for(api_url: str, url: str, rate: float = 20.0) -> Settings:
    return Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_STATE_SECRET": STATE_SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": url,
            "SLACK_POSTS_PER_SECOND": f"{rate:g}",
        },
        serving=False,
    )


@dataclass(frozen=True)
class Run:
    """One pass: what the app reported, how long it took, and what Slack saw."""

    members: int
    report: PassReport
    wall_seconds: float
    cpu_seconds: float
    slack: SlackReport
    machine_busy_seconds: float | None  # every core's busy time through the pass (the database server's too)
    kernel_seconds: float  # of cpu_seconds, what the kernel spent for the app (syscalls, switching threads)
    switches: int  # times the app's threads were switched out (waiting for the GIL, Slack's answers, the database)

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.slack.posted.values() if count > 1)

    def lost(self, everyone: Sequence[str]) -> int:
        return sum(1 for user in everyone if self.slack.posted.get(user, 0) == 0)


def fan_out(database: str | None, teams: list[str], members: int, rate: float, latency: float) -> tuple[Run, list[str]]:
    """One nudge pass over `teams` on a fresh database and a fresh stand-in."""
    now = LOCAL_NOW.astimezone(UTC)
    scratch = scratch_schema(database, "oauth-bench") if database else sqlite_database("oauth-bench")
    with scratch as url, slack_process(teams, members, rate, latency) as (api_url, tokens, link):
        engine = make_engine(url, pool_size=20)
        try:
            populate(engine, teams, members, tokens, now - timedelta(days=365))
            settings = settings_for(api_url, url, rate)
            nudges = Nudges(Coach(engine, FixedClock(now)))
            posters = workspace_posters(settings, engine)
            gc.freeze()  # as a served app has done since its start (bot.app.Runtime.start)
            link.send("start")
            started, usage_started, busy_started = time.perf_counter(), resource.getrusage(RUSAGE), machine_busy()
            report = nudge_pass(nudges, posters, now)
            wall, usage, busy_ended = time.perf_counter() - started, resource.getrusage(RUSAGE), machine_busy()
            gc.unfreeze()
            link.send("stop")
            if not link.poll(120):
                raise RuntimeError("the stand-in sent no report")
            seen = link.recv()
        finally:
            engine.dispose()
    everyone = [user for team in teams for user in member_ids(team, members)]
    busy = busy_ended - busy_started if busy_started is not None and busy_ended is not None else None
    kernel = usage.ru_stime - usage_started.ru_stime
    cpu = usage.ru_utime - usage_started.ru_utime + kernel
    switches = usage.ru_nvcsw + usage.ru_nivcsw - usage_started.ru_nvcsw - usage_started.ru_nivcsw
    return Run(len(everyone), report, wall, cpu, seen, busy, kernel, switches), everyone


def machine_busy() -> float | None:
    """Seconds every core of the machine has spent busy since boot (Linux's /proc/stat), None where unknown."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(value) for value in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def describe(name: str, run: Run, everyone: list[str]) -> None:
    report, seen = run.report, run.slack
    others = ", ".join(f"{error} x{count}" for error, count in sorted(seen.other_errors.items())) or "none"
    print(
        f"{name}: {run.members:,} members; sent {report.sent:,}, skipped {report.skipped:,}, failed {report.failed:,} "
        f"in {run.wall_seconds:.1f} s ({report.sent / run.wall_seconds:.1f} posts/s); app CPU {run.cpu_seconds:.1f} s, "
        f"Slack's {seen.cpu_seconds:.1f} s; "
        f"429s {seen.ratelimited:,}; other refusals: {others}; duplicates {run.duplicates}; "
        f"lost {run.lost(everyone)}; wrong token {seen.wrong_token}"
    )


def cpu_bound(run: Run, limit: float) -> str:
    """The least time the pass could take on this machine for the CPU it and the stand-in spent: on a small machine
    the two share the cores, and past this bound no scheduling of the posts helps, only less CPU a post."""
    cores = len(os.sched_getaffinity(0))
    posts = max(1, run.report.sent)
    both = run.cpu_seconds + run.slack.cpu_seconds
    bound = both / cores
    beyond = f", beyond the target's {limit:.1f} s" if bound > limit else f", within the target's {limit:.1f} s"
    busy = ""
    if run.machine_busy_seconds is not None:
        busy = (
            f"; the machine's cores were busy {run.machine_busy_seconds / (cores * run.wall_seconds):.0%} of the pass "
            f"({run.machine_busy_seconds:.1f} s, the database server's and anything else's included)"
        )
    return (
        f"CPU here: {1000 * run.cpu_seconds / posts:.2f} ms of the app's a post "
        f"({run.kernel_seconds / max(run.cpu_seconds, 1e-9):.0%} in the kernel; its threads switched out "
        f"{run.switches / posts:.1f} times a post) and "
        f"{1000 * run.slack.cpu_seconds / posts:.2f} ms of Slack's (the stand-in), {both:.1f} s together: "
        f"on {cores} cores the pass cannot take less than "
        f"{bound:.1f} s on this machine{beyond}{busy}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one workspace alone, then all of them; report; 1 if a member got two nudges or none, or a wrong token."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspaces", type=int, default=50, help="workspaces installed (default 50)")
    parser.add_argument("--members", type=int, default=200, help="members due in each (default 200)")
    parser.add_argument("--rate", type=float, default=20.0, help="posts a second Slack allows each workspace (20)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds Slack takes to answer each call (default 0: loopback)"
    )
    parser.add_argument("--database-url", help="run on this database (PostgreSQL) in scratch schemas")
    args = parser.parse_args(argv)
    if args.workspaces < 1 or args.members < 1 or not 0 < args.rate <= 1000:
        parser.error("--workspaces and --members must be at least 1, --rate in (0, 1000]")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    teams = team_ids(args.workspaces)
    alone, alone_members = fan_out(args.database_url, teams[:1], args.members, args.rate, args.latency)
    together, everyone = fan_out(args.database_url, teams, args.members, args.rate, args.latency)

    backend = make_url(args.database_url or "sqlite://").get_backend_name()
    print(
        f"OAuth fan-out on {backend}: {args.workspaces} workspaces x {args.members} members, each on its own token; "
        f"Slack allows {args.rate:g} posts/s per workspace and answers in {1000 * args.latency:g} ms; "
        f"SLACK_POSTS_PER_SECOND={args.rate:g}"
    )
    describe("one workspace alone", alone, alone_members)
    describe(f"all {args.workspaces} workspaces", together, everyone)
    ratio = together.wall_seconds / alone.wall_seconds
    print(
        f"target: all workspaces within {TARGET_SLOWER:.0%} of one alone ({alone.wall_seconds * TARGET_SLOWER:.1f} s): "
        f"{verdict(ratio <= TARGET_SLOWER)} ({together.wall_seconds:.1f} s, {ratio:.2f}x)"
    )
    print(cpu_bound(together, alone.wall_seconds * TARGET_SLOWER))
    lost = together.lost(everyone) + alone.lost(alone_members)
    duplicates = together.duplicates + alone.duplicates
    wrong = together.slack.wrong_token + alone.slack.wrong_token
    print(f"duplicates: {duplicates} (target 0: {verdict(duplicates == 0)})")
    print(f"lost: {lost} (target 0: {verdict(lost == 0)})")
    print(f"posts with another workspace's token: {wrong} (target 0: {verdict(wrong == 0)})")
    return 1 if lost or duplicates or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
