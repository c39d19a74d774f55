"""Slash-command ack latency: the real app against a Bolt app that only acks, both served as in production.

Each server runs in its own process under uvicorn + Starlette (`bot.web.create_web_app`), so the only
difference between them is what the `/act` listener does. The load generator and the stand-in for Slack
run here. Each worker sends its next command as soon as the last one is acked (a closed loop), so the
figures are the ack latency at full load, not at a comfortable rate. Exit status 1 means a request failed
or the app did not finish the work it acknowledged; missed targets are only reported.

    .venv/bin/python benchmarks/ack_latency.py --commands 300 --concurrency 20
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import logging
import multiprocessing
import queue
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal
from urllib.parse import urlencode

import uvicorn
from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import text

from bot.app import create_app
from bot.settings import Settings
from bot.standin import SlackStandIn
from bot.web import create_web_app
from storage.db import make_engine, upgrade

Kind = Literal["app", "floor"]

SIGNING_SECRET = "benchmark-signing-secret"
BOT_TOKEN = "xoxb-benchmark-token"
EVENTS_PATH = "/slack/events"
COMMAND = "/act"
# A handful of members in different zones: the warm-up fetches their profiles, later commands hit the cache.
MEMBERS = (
    ("UBENCH1", "Europe/Berlin"),
    ("UBENCH2", "America/New_York"),
    ("UBENCH3", "Asia/Tokyo"),
    ("UBENCH4", "Australia/Sydney"),
    ("UBENCH5", "UTC"),
)
WARMUP = 20
TARGET_P99_MS = 150.0
TARGET_RATIO = 2.0
READY_TIMEOUT = 20.0
REQUEST_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0
REPLIES_TIMEOUT = 60.0


@dataclass(frozen=True)
class SignedCommand:
    """One `/act` as Slack would POST it: a form body and its v0 signature."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Run:
    """What one server's counted requests measured."""

    latencies_ms: list[float]
    failures: list[str]
    wall_seconds: float

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p95 and p99 in milliseconds."""
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[49], cuts[94], cuts[98]


@dataclass(frozen=True)
class Work:
    """Proof that the app did what it acknowledged: replies at the stand-in and rows in the database."""

    replies: int
    refused_replies: int
    users_info_calls: int
    actions_stored: int
    expected: int

    @property
    def complete(self) -> bool:
        """Whether every command led to one reply and one stored action."""
        return self.replies >= self.expected and self.actions_stored == self.expected and not self.refused_replies


# The servers (child processes) ------------------------------------------------------------------------


def floor_app(api_url: str) -> App:
    """The framework's floor: a Bolt app whose `/act` listener only acks."""
    # Bolt's authorization middleware calls auth.test once, on the first request: send it to the stand-in too.
    client = WebClient(token=BOT_TOKEN, base_url=api_url)
    app = App(signing_secret=SIGNING_SECRET, client=client, token_verification_enabled=False)

    @app.command(COMMAND)
    def act(ack: Ack) -> None:
        ack()

    return app


def serve(kind: Kind, port: int, database_url: str, api_url: str) -> None:
    """Child process: serve the app or the floor on 127.0.0.1:`port` until SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format=f"[{kind}] %(levelname)s %(name)s: %(message)s")
    if kind == "app":
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": api_url,
                "DATABASE_URL": database_url,
            }
        )
        runtime = create_app(settings)
        web = create_web_app(runtime.app, runtime.engine, SIGNING_SECRET, runtime.gate)
        close = runtime.close
    else:
        engine = make_engine(database_url)
        web = create_web_app(floor_app(api_url), engine, SIGNING_SECRET)
        close = engine.dispose
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn drains in-flight requests on SIGTERM, then raises the signal again under the handler it found.
    # Ours only asks the server to stop, so that second delivery cannot kill us before `close` finishes the
    # acknowledged work (and a SIGTERM that arrives before uvicorn starts still stops it).
    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    finally:
        close()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(process: multiprocessing.process.BaseProcess, port: int, kind: Kind) -> None:
    """Poll GET /healthz until it answers 200; fail if the child dies or READY_TIMEOUT passes."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise RuntimeError(f"the {kind} server exited with code {process.exitcode} before it was ready")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        finally:
            connection.close()
        time.sleep(0.05)
    raise RuntimeError(f"the {kind} server was not ready within {READY_TIMEOUT:.0f} s")


@contextmanager
def served(kind: Kind, database_url: str, api_url: str) -> Iterator[int]:
    """The app or the floor serving in a child process; yields its port, and stops it with SIGTERM."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(kind, port, database_url, api_url), name=f"ack-latency-{kind}"
    )
    process.start()
    try:
        wait_until_ready(process, port, kind)
        yield port
    finally:
        process.terminate()
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            print(f"the {kind} server did not stop within {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
            process.kill()
            process.join(5.0)
        if process.exitcode:
            print(f"the {kind} server exited with code {process.exitcode}", file=sys.stderr)


# The load (this process) ------------------------------------------------------------------------------


def sign(body: bytes, timestamp: str) -> str:
    """Slack's v0 signature of `body` sent at `timestamp`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def signed_commands(slack: SlackStandIn, count: int, start: int) -> list[SignedCommand]:
    """`count` signed `/act` commands from the members in turn, each with a live response_url on the stand-in."""
    commands = []
    for n in range(start, start + count):
        user_id, _ = MEMBERS[n % len(MEMBERS)]
        # The stand-in has no public way to hand out a response_url without also sending the command.
        response_url = slack._ws.issue_response_url(user_id=user_id, team_id=slack.team_id, channel="C1")
        form = {
            "token": slack.verification_token,
            "team_id": slack.team_id,
            "team_domain": "acme",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": COMMAND,
            "text": f"benchmark action {n}",
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{n}.benchmark.trigger",
        }
        body = urlencode(form).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(body, timestamp),
        }
        commands.append(SignedCommand(body, headers))
    return commands


def send(connection: http.client.HTTPConnection, command: SignedCommand) -> tuple[float, str | None]:
    """POST one command on a kept-alive connection; the milliseconds until the ack, and what went wrong if any."""
    started = time.perf_counter()
    try:
        connection.request("POST", EVENTS_PATH, body=command.body, headers=command.headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()  # the next request reconnects
        return (time.perf_counter() - started) * 1000, f"{type(error).__name__}: {error}"
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, None if response.status == 200 else f"HTTP {response.status}"


def load(connections: Sequence[http.client.HTTPConnection], commands: Sequence[SignedCommand]) -> Run:
    """Send `commands` with one worker thread per connection; each worker takes the next command when free."""
    todo: queue.SimpleQueue[SignedCommand] = queue.SimpleQueue()
    for command in commands:
        todo.put(command)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(connection: http.client.HTTPConnection) -> None:
        mine: list[tuple[float, str | None]] = []
        for _ in range(len(commands)):
            try:
                command = todo.get_nowait()
            except queue.Empty:
                break
            mine.append(send(connection, command))
        with lock:
            latencies.extend(ms for ms, error in mine if error is None)
            failures.extend(error for _, error in mine if error is not None)

    workers = [threading.Thread(target=worker, args=(c,), name=f"load-{i}") for i, c in enumerate(connections)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()  # every request is bounded by REQUEST_TIMEOUT
    return Run(latencies, failures, time.perf_counter() - started)


@contextmanager
def kept_alive(port: int, count: int) -> Iterator[list[http.client.HTTPConnection]]:
    """`count` connected HTTP/1.1 connections to the server, so no measured request pays for a handshake."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT) for _ in range(count)]
    try:
        reconnect(connections)
        yield connections
    finally:
        for connection in connections:
            connection.close()


def reconnect(connections: Sequence[http.client.HTTPConnection]) -> None:
    """Open each connection afresh: uvicorn closes one that idled past its keep-alive timeout (5 s)."""
    for connection in connections:
        connection.close()
        connection.connect()


def warmed(warm_up: Run, run: Run) -> Run:
    """The counted run, with the warm-up's failures added: any failed request fails the benchmark."""
    return Run(run.latencies_ms, [f"warm-up {f}" for f in warm_up.failures] + run.failures, run.wall_seconds)


def replies(slack: SlackStandIn) -> int:
    """response_url posts the stand-in accepted."""
    return sum(1 for call in slack.calls("response_url") if call.ok)


def wait_for_replies(slack: SlackStandIn, count: int) -> bool:
    """Wait (at most REPLIES_TIMEOUT) until the stand-in has accepted `count` response_url posts."""
    try:
        slack.wait_for(lambda: replies(slack) >= count, timeout=REPLIES_TIMEOUT)
    except AssertionError:
        print(f"only {replies(slack)} of {count} replies arrived within {REPLIES_TIMEOUT:.0f} s", file=sys.stderr)
        return False
    return True


def measure_floor(slack: SlackStandIn, directory: Path, commands: int, concurrency: int) -> Run:
    """Warm up the floor, then time `commands` acks."""
    with (
        served("floor", f"sqlite:///{directory / 'floor.db'}", slack.api_url) as port,
        kept_alive(port, concurrency) as connections,
    ):
        warm_up = load(connections, signed_commands(slack, WARMUP, 0))
        return warmed(warm_up, load(connections, signed_commands(slack, commands, WARMUP)))


def measure_app(slack: SlackStandIn, directory: Path, commands: int, concurrency: int) -> tuple[Run, Work]:
    """Warm up the app, time `commands` acks, then wait for its replies and count what it stored."""
    database_url = f"sqlite:///{directory / 'coach.db'}"
    upgrade(database_url)
    already = replies(slack)
    expected = WARMUP + commands
    with served("app", database_url, slack.api_url) as port:
        with kept_alive(port, concurrency) as connections:
            warm_up = load(connections, signed_commands(slack, WARMUP, 0))
            # Let the warm-up's work (users.info, the first writes) finish before the clock starts.
            if not warm_up.failures:
                wait_for_replies(slack, already + WARMUP)
            reconnect(connections)
            run = warmed(warm_up, load(connections, signed_commands(slack, commands, WARMUP)))
        if not run.failures:
            wait_for_replies(slack, already + expected)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM actions")).scalar_one()
    finally:
        engine.dispose()
    work = Work(
        replies=replies(slack) - already,
        refused_replies=sum(1 for call in slack.calls("response_url") if not call.ok),
        users_info_calls=len(slack.calls("users.info")),
        actions_stored=int(stored),
        expected=expected,
    )
    return run, work


# The report -------------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    """How a target reads in the report."""
    return "met" if met else "NOT met"


def report(floor: Run, app: Run, work: Work, commands: int, concurrency: int) -> None:
    """Print the percentiles, the ratios, the targets and the proof of work."""
    print(f"ack latency of {COMMAND}: {commands} commands at {concurrency} concurrent, after {WARMUP} warm-up each")
    print(f"{'':10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'failed':>8}")
    rows: list[tuple[str, Run]] = [("floor", floor), ("app", app)]
    for name, run in rows:
        if len(run.latencies_ms) < 2:
            print(f"{name:10}{'—':>9}{'—':>9}{'—':>9}{'':>9}{len(run.failures):>8}")
            continue
        p50, p95, p99 = run.percentiles()
        rate = len(run.latencies_ms) / run.wall_seconds
        print(f"{name:10}{p50:9.1f}{p95:9.1f}{p99:9.1f}{rate:9.0f}{len(run.failures):>8}")
    for name, run in rows:
        for failure in sorted(set(run.failures)):
            print(f"  {name} failure: {failure} (x{run.failures.count(failure)})")
    if len(floor.latencies_ms) >= 2 and len(app.latencies_ms) >= 2:
        ratios = [a / f for a, f in zip(app.percentiles(), floor.percentiles(), strict=True)]
        print(f"{'app/floor':10}" + "".join(f"{r:8.2f}x" for r in ratios))
        app_p99, ratio_p99 = app.percentiles()[2], ratios[2]
        print(f"target app p99 < {TARGET_P99_MS:.0f} ms: {verdict(app_p99 < TARGET_P99_MS)} ({app_p99:.1f} ms)")
        print(
            f"target app p99 <= {TARGET_RATIO:.0f}x floor p99: {verdict(ratio_p99 <= TARGET_RATIO)} ({ratio_p99:.2f}x)"
        )
    print(
        f"app work: {work.replies} replies at the stand-in ({work.refused_replies} refused), "
        f"{work.actions_stored} actions stored (expected {work.expected} = {WARMUP} warm-up + {commands}), "
        f"{work.users_info_calls} users.info calls for {len(MEMBERS)} members"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the floor, then the app; 1 if any request failed or the app's work is incomplete."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=300, help="counted commands per server (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent connections (default 20)")
    args = parser.parse_args(argv)
    if args.commands < 2 or args.concurrency < 1:
        parser.error("--commands must be at least 2 and --concurrency at least 1")

    logging.basicConfig(level=logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="ack-latency-") as directory,
        SlackStandIn(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN) as slack,
    ):
        for user_id, zone in MEMBERS:
            slack.add_user(user_id, tz=zone)
        floor = measure_floor(slack, Path(directory), args.commands, args.concurrency)
        app, work = measure_app(slack, Path(directory), args.commands, args.concurrency)
    report(floor, app, work, args.commands, args.concurrency)
    if floor.failures or app.failures:
        return 1
    if not work.complete:
        print("the app did not finish the work it acknowledged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
