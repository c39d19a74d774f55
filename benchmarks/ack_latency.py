"""Slash-command ack latency and the time until the member sees the answer: the app against Bolt's ack-only floor.

Each server runs in its own process under uvicorn + Starlette (`bot.web.create_web_app`), so the only difference
between them is what happens behind the door: the floor's `/act` listener only acks; the stored floor's stores one
row (the action, through SQLAlchemy Core on an engine made as the app makes its own) in a transaction of its own,
then acks with a line of text, as Bolt runs a listener that must store before its ack (process_before_response):
the least that "acknowledged means stored" can cost on this stack; the app, started as
`breakthrough run` starts it (the outbox's sender running), claims the delivery, stores the action in one short
transaction with what Slack must hear afterwards, and acks with the answer itself. The load generator and the
stand-in for Slack run here. Each worker sends its next command as soon as the last one is acked (a closed loop),
so the figures are the latency at full load, not at a comfortable rate: there the latency is the concurrency times
the server's time per request, and the "server CPU ms/req" column says where that comes from. `--rate` offers a
fixed number of commands a second instead (an open loop, each command timed from when it was due), for the
latency below saturation.

The member sees the answer when the ack carries it (its body holds "Action logged"); an ack without it is timed
until the answer reaches the stand-in through the command's response_url instead. Targets, reported as met or
NOT met: the answer's p99 under 150 ms at 20 concurrent on SQLite, and the app's ack p99 at most twice the
floor's. Exit status 1 means a request failed, a member never saw an answer, an acked command was not stored, or
the outbox did not drain (every nudge refresh sent or found moot); missed targets are only reported.

    .venv/bin/python benchmarks/ack_latency.py --commands 300 --concurrency 20
    .venv/bin/python benchmarks/ack_latency.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With `--database` the app runs on a scratch database created on that server and dropped afterwards. With
`--profile FILE` py-spy (if installed) samples the app's server through the counted run and writes collapsed
stacks to FILE (`--profile-what`: wall time of every thread, running threads, or the GIL's holder).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import hmac
import http.client
import itertools
import json
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Literal
from urllib.parse import urlencode

import uvicorn
from scratch import scratch_database, sqlite_database  # beside this script
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.app import create_app
from bot.settings import Settings
from bot.web import create_web_app
from standin import SlackStandIn
from storage.db import make_engine, taking_turns, unit_of_work
from storage.models import Action
from storage.types import table_of

Kind = Literal["app", "floor", "stored floor"]

SIGNING_SECRET = "benchmark-signing-secret"
BOT_TOKEN = "xoxb-benchmark-token"
EVENTS_PATH = "/slack/events"
COMMAND = "/act"
ANSWER = "Action logged"
"""What the member reads in the app's answer to `/act`."""
CHANNEL = "C1"
"""#general at the stand-in, where the app is a member."""
# A handful of members in different zones: the warm-up fetches their profiles, later commands find them stored.
MEMBERS = (
    ("UBENCH1", "Europe/Berlin"),
    ("UBENCH2", "America/New_York"),
    ("UBENCH3", "Asia/Tokyo"),
    ("UBENCH4", "Australia/Sydney"),
    ("UBENCH5", "UTC"),
)
WARMUP = 20
TARGET_ANSWER_P99_MS = 150.0
TARGET_RATIO = 2.0
READY_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
STOP_TIMEOUT = 30.0
ANSWERS_TIMEOUT = 60.0
DRAIN_TIMEOUT = 120.0
POLL_SECONDS = 0.05

PROFILE_FLAGS = {"wall": ["--idle"], "cpu": [], "gil": ["--gil"]}

_serial = itertools.count(1)


@dataclass(frozen=True)
class SignedCommand:
    """A slash command as Slack would POST it: a form body and its v0 signature.

    `label` is the conversation the stand-in files the command's response_url replies under, so a reply that
    comes that way is matched to its command.
    """

    body: bytes
    headers: dict[str, str]
    user_id: str
    label: str


@dataclass(frozen=True)
class Sample:
    """One request: when it was sent (wall clock, to compare with the stand-in's records) and its ack."""

    command: SignedCommand
    sent_at: float
    ack_ms: float
    body: bytes
    error: str | None


@dataclass(frozen=True)
class Run:
    """What one server's counted requests measured; `finished` is the perf_counter when the last was acked, and
    the CPU seconds are the server's (all its threads) and this process's (the load and the stand-in)."""

    samples: list[Sample]
    wall_seconds: float
    finished: float
    server_cpu: float
    client_cpu: float

    @property
    def acked(self) -> list[Sample]:
        """The requests answered 200."""
        return [s for s in self.samples if s.error is None]

    @property
    def failures(self) -> list[str]:
        """What went wrong with the others."""
        return [s.error for s in self.samples if s.error is not None]

    @property
    def ack_ms(self) -> list[float]:
        """Ack latencies of the answered requests."""
        return [s.ack_ms for s in self.acked]


@dataclass(frozen=True)
class Answers:
    """When each member saw the answer to their command."""

    ms: list[float]
    in_ack: int
    via_response_url: int
    missing: int


def percentiles(values: Sequence[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and the maximum."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98], max(values)


# The servers (child processes) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """What a server child needs: which server, where, on which database, and the app's pace towards Slack."""

    kind: Kind
    database_url: str
    api_url: str
    posts_per_second: float | None = None


@dataclass(frozen=True)
class Server:
    """A running server child."""

    kind: Kind
    port: int
    pid: int


def floor_app(api_url: str) -> App:
    """The framework's floor: a Bolt app whose `/act` listener only acks."""
    # Bolt's authorization middleware calls auth.test once, on the first request: send it to the stand-in too.
    client = WebClient(token=BOT_TOKEN, base_url=api_url)
    app = App(signing_secret=SIGNING_SECRET, client=client, token_verification_enabled=False)

    @app.command(COMMAND)
    def act(ack: Ack) -> None:
        ack()

    return app


def stored_floor_app(api_url: str, engine: Engine) -> App:
    """The framework's floor for a listener that stores before it acks: one action inserted in a transaction of its
    own (`storage.db.unit_of_work`: on SQLite BEGIN IMMEDIATE behind the writer lock, as the app's), then the ack,
    with Bolt answering once the listener returns. No member, no counts, no delivery record, no Block Kit."""
    client = WebClient(token=BOT_TOKEN, base_url=api_url)
    app = App(
        signing_secret=SIGNING_SECRET, client=client, token_verification_enabled=False, process_before_response=True
    )
    add_action = insert(table_of(Action))

    @app.command(COMMAND)
    def act(ack: Ack, command: dict[str, str], context: BoltContext) -> None:
        row = {
            "team_id": context.team_id,
            "user_id": context.user_id,
            "text": command["text"],
            "local_date": date.today(),
            "created_at": datetime.now(UTC),
            "toward_stand_id": None,
        }
        with taking_turns(), unit_of_work(engine) as session:
            session.connection().execute(add_action, row)
        ack(text=f"{ANSWER}.")

    return app


def app_settings(spec: ServerSpec) -> Settings:
    """The app's settings, as `breakthrough run` would read them from the environment."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": spec.api_url,
        "DATABASE_URL": spec.database_url,
    }
    if spec.posts_per_second is not None:
        env["SLACK_POSTS_PER_SECOND"] = f"{spec.posts_per_second:g}"
    return Settings.from_env(env)


def serve(spec: ServerSpec, port: int) -> None:
    """Child process: serve the app or the floor on 127.0.0.1:`port` until SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format=f"[{spec.kind}] %(levelname)s %(name)s: %(message)s")
    close: Callable[[], None]
    if spec.kind == "app":
        runtime = create_app(app_settings(spec))
        runtime.start()  # the outbox's sender, as `breakthrough run` starts it
        web = create_web_app(runtime.app, runtime.engine, SIGNING_SECRET)

        def close() -> None:
            runtime.stopping.set()  # as `breakthrough run` stops: no new posts, what is unsent stays queued
            runtime.close()

    else:
        engine = make_engine(spec.database_url)
        bolt = floor_app(spec.api_url) if spec.kind == "floor" else stored_floor_app(spec.api_url, engine)
        web = create_web_app(bolt, engine, SIGNING_SECRET)
        close = engine.dispose
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn drains in-flight requests on SIGTERM, then raises the signal again under the handler it found.
    # Ours only asks the server to stop, so that second delivery cannot kill us before `close` has stopped the
    # outbox's sender (and a SIGTERM that arrives before uvicorn starts still stops it).
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
def served(spec: ServerSpec) -> Iterator[Server]:
    """The app or the floor serving in a child process; stopped with SIGTERM when the block ends."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(spec, port), name=f"ack-latency-{spec.kind.replace(' ', '-')}"
    )
    process.start()
    try:
        wait_until_ready(process, port, spec.kind)
        assert process.pid is not None
        yield Server(spec.kind, port, process.pid)
    finally:
        process.terminate()
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            print(f"the {spec.kind} server did not stop within {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
            process.kill()
            process.join(5.0)
        if process.exitcode:
            print(f"the {spec.kind} server exited with code {process.exitcode}", file=sys.stderr)


@contextmanager
def profiled(server: Server, output: Path | None, what: str = "wall") -> Iterator[None]:
    """py-spy sampling `server` while the block runs, collapsed stacks to `output`: every thread's wall time
    (`wall`, idle threads included), only threads running (`cpu`), or only the thread holding the GIL (`gil`)."""
    if output is None:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is not installed (pip install py-spy); running without the profile", file=sys.stderr)
        yield
        return
    recorder = subprocess.Popen(
        [py_spy, "record", "--pid", str(server.pid), "--rate", "200", "--threads", "--nonblocking"]
        + PROFILE_FLAGS[what]
        + ["--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)  # attached before the clock starts
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes what it sampled when interrupted
        _, errors = recorder.communicate(timeout=30)
        if recorder.returncode not in (0, -signal.SIGINT):
            print(f"py-spy exited with {recorder.returncode}: {errors.decode(errors='replace')}", file=sys.stderr)


# The load (this process) ------------------------------------------------------------------------------


def sign(body: bytes, timestamp: str) -> str:
    """Slack's v0 signature of `body` sent at `timestamp`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def signed_command(slack: SlackStandIn, *, command: str, user_id: str, text: str) -> SignedCommand:
    """One signed slash command typed in #general, with a live response_url on the stand-in."""
    n = next(_serial)
    label = f"R{n:07d}"
    # The stand-in has no public way to hand out a response_url without also sending the command.
    response_url = slack._ws.issue_response_url(user_id=user_id, team_id=slack.team_id, channel=label)
    form = {
        "token": slack.verification_token,
        "team_id": slack.team_id,
        "team_domain": "acme",
        "channel_id": CHANNEL,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
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
    return SignedCommand(body, headers, user_id, label)


def acts(slack: SlackStandIn, count: int) -> list[SignedCommand]:
    """`count` signed `/act` commands from the members in turn."""
    return [
        signed_command(slack, command=COMMAND, user_id=MEMBERS[n % len(MEMBERS)][0], text=f"benchmark action {n}")
        for n in range(count)
    ]


def send(connection: http.client.HTTPConnection, command: SignedCommand, due: float | None = None) -> Sample:
    """POST one command on a kept-alive connection and time its ack: from now, or from `due` (a perf_counter)
    when the command was meant to go out then and had to wait for a free connection."""
    started = time.perf_counter() if due is None else due
    sent_at = time.time() - (time.perf_counter() - started)
    try:
        connection.request("POST", EVENTS_PATH, body=command.body, headers=command.headers)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()  # the next request reconnects
        elapsed_ms = (time.perf_counter() - started) * 1000
        return Sample(command, sent_at, elapsed_ms, b"", f"{type(error).__name__}: {error}")
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Sample(command, sent_at, elapsed_ms, body, None if response.status == 200 else f"HTTP {response.status}")


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) the process `pid` has used so far; 0 where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": state is field 3, utime 14 and stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    connections: Sequence[http.client.HTTPConnection],
    commands: Sequence[SignedCommand],
    server: Server,
    rate: float | None = None,
) -> Run:
    """Send `commands` with one worker thread per connection; each worker takes the next command when free.

    Without `rate` each worker sends as soon as its last command is acked (a closed loop: the server's pace sets
    the rate). With it, command i is due at i/`rate` seconds (an open loop); a command that waits for a free
    connection is timed from when it was due, so a slow server's queue counts against it.
    """
    todo: queue.SimpleQueue[tuple[int, SignedCommand]] = queue.SimpleQueue()
    for numbered in enumerate(commands):
        todo.put(numbered)
    samples: list[Sample] = []
    lock = threading.Lock()
    started = 0.0

    def worker(connection: http.client.HTTPConnection) -> None:
        mine: list[Sample] = []
        while True:
            try:
                n, command = todo.get_nowait()
            except queue.Empty:
                break
            if rate is None:
                mine.append(send(connection, command))
                continue
            due = started + n / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            mine.append(send(connection, command, due))
        with lock:
            samples.extend(mine)

    workers = [threading.Thread(target=worker, args=(c,), name=f"load-{i}") for i, c in enumerate(connections)]
    with collector_kept_still():
        server_cpu, client_cpu = process_cpu_seconds(server.pid), time.process_time()
        started = time.perf_counter()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()  # every request is bounded by REQUEST_TIMEOUT
        finished = time.perf_counter()
        server_cpu = process_cpu_seconds(server.pid) - server_cpu
    return Run(samples, finished - started, finished, server_cpu, time.process_time() - client_cpu)


@contextmanager
def collector_kept_still() -> Iterator[None]:
    """This process's objects kept out of the garbage collector's passes while the block runs.

    The load shares this process with the stand-in, whose records grow with every command: one full collection of
    them paused all twenty load threads for 100-150 ms once a run, adding that to every ack in flight. The app, timed
    last, carried the most, and its p99 rose by 40-90 ms that came from here, not from the server (as `timeit`
    turns the collector off while it times)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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


def answers(slack: SlackStandIn, run: Run, answer: str) -> Answers:
    """When each member saw their answer: at the ack when its body carries `answer`, otherwise when the
    command's response_url post reached the stand-in (waited for, at most ANSWERS_TIMEOUT)."""
    marker = answer.encode()
    in_ack = [s for s in run.acked if marker in s.body]
    later = [s for s in run.acked if marker not in s.body]

    def replied(sample: Sample) -> float | None:
        for message in slack.ephemerals(sample.command.user_id):
            if message.channel == sample.command.label and message.response_url_posted:
                return float(message.ts)
        return None

    if later:
        with contextlib.suppress(AssertionError):  # what never came is counted as missing below
            slack.wait_for(lambda: all(replied(s) is not None for s in later), timeout=ANSWERS_TIMEOUT)
    ms = [s.ack_ms for s in in_ack]
    via_response_url = 0
    for sample in later:
        at = replied(sample)
        if at is not None:
            ms.append((at - sample.sent_at) * 1000)
            via_response_url += 1
    return Answers(ms, len(in_ack), via_response_url, len(later) - via_response_url)


# What the app stored and sent -------------------------------------------------------------------------


def reader(database_url: str) -> AbstractContextManager[Callable[[str], list[tuple[object, ...]]]]:
    """Plain queries against the app's database, outside the app's engine: on SQLite the app's write transactions
    start BEGIN IMMEDIATE, and a reader must not take the write lock from the server it is watching."""

    @contextmanager
    def opened() -> Iterator[Callable[[str], list[tuple[object, ...]]]]:
        engine = create_engine(database_url, poolclass=NullPool)

        def query(sql: str) -> list[tuple[object, ...]]:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]

        try:
            yield query
        finally:
            engine.dispose()

    return opened()


def count(query: Callable[[str], list[tuple[object, ...]]], sql: str) -> int:
    """The single number a COUNT query answers."""
    value = query(sql)[0][0]
    assert isinstance(value, int)
    return value


def outbox_left(query: Callable[[str], list[tuple[object, ...]]]) -> dict[str, int]:
    """Outbox items still held, by status (empty once the sender has sent or settled everything)."""
    left: dict[str, int] = {}
    for status, n in query("SELECT status, count(*) FROM outbox GROUP BY status"):
        assert isinstance(n, int)
        left[str(status)] = n
    return left


def wait_for_drain(query: Callable[[str], list[tuple[object, ...]]], since: float, timeout: float) -> float | None:
    """Seconds from `since` (a perf_counter) until the outbox held nothing, or None if it still held items after
    `timeout`."""
    deadline = time.perf_counter() + timeout
    while outbox_left(query):
        if time.perf_counter() > deadline:
            return None
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - since


@dataclass(frozen=True)
class Work:
    """Proof that the app did what it acknowledged: rows stored, deliveries recorded, the outbox drained."""

    acked: int
    stored: int
    deliveries_done: int
    drained_after: float | None
    outbox: dict[str, int]
    users_info_calls: int
    response_url_posts: int

    @property
    def complete(self) -> bool:
        """Whether every acked command is stored, once, and nothing is left in the outbox."""
        return self.stored == self.acked and self.drained_after is not None and not self.outbox


def check_work(database_url: str, slack: SlackStandIn, acked: int, since: float) -> Work:
    """Wait for the outbox to drain, then count what the app stored for `acked` acknowledged `/act`s."""
    with reader(database_url) as query:
        drained_after = wait_for_drain(query, since, DRAIN_TIMEOUT)
        return Work(
            acked=acked,
            stored=count(query, "SELECT count(*) FROM actions"),
            deliveries_done=count(query, "SELECT count(*) FROM deliveries WHERE status = 'done'"),
            drained_after=drained_after,
            outbox=outbox_left(query),
            users_info_calls=len(slack.calls("users.info")),
            response_url_posts=len(slack.calls("response_url")),
        )


# Measuring --------------------------------------------------------------------------------------------


def warmed(warm_up: Run, run: Run) -> Run:
    """The counted run, with the warm-up's failed requests added: any failed request fails the benchmark."""
    failed = [s for s in warm_up.samples if s.error is not None]
    return replace(run, samples=failed + run.samples)


def measure_floor(slack: SlackStandIn, commands: int, concurrency: int, rate: float | None = None) -> Run:
    """Warm up the floor, then time `commands` acks."""
    with (
        tempfile.TemporaryDirectory(prefix="ack-latency-floor-") as directory,
        served(ServerSpec("floor", f"sqlite:///{directory}/floor.db", slack.api_url)) as server,
        kept_alive(server.port, concurrency) as connections,
    ):
        warm_up = load(connections, acts(slack, WARMUP), server)
        return warmed(warm_up, load(connections, acts(slack, commands), server, rate))


def measure_stored_floor(
    slack: SlackStandIn, database_url: str, commands: int, concurrency: int, rate: float | None = None
) -> tuple[Run, int]:
    """Warm up the stored floor, time `commands` acks, and count the actions it stored."""
    with (
        served(ServerSpec("stored floor", database_url, slack.api_url)) as server,
        kept_alive(server.port, concurrency) as connections,
    ):
        warm_up = load(connections, acts(slack, WARMUP), server)
        run = warmed(warm_up, load(connections, acts(slack, commands), server, rate))
    with reader(database_url) as query:
        return run, count(query, "SELECT count(*) FROM actions")


def measure_app(
    slack: SlackStandIn,
    database_url: str,
    commands: int,
    concurrency: int,
    profile: Path | None = None,
    profile_what: str = "wall",
    rate: float | None = None,
) -> tuple[Run, Answers, Work]:
    """Warm up the app and let its outbox drain, time `commands` acks and answers, then check its work."""
    with served(ServerSpec("app", database_url, slack.api_url)) as server:
        with kept_alive(server.port, concurrency) as connections:
            warm_up = load(connections, acts(slack, WARMUP), server)
            # Let the warm-up's work (first profiles, nudge refreshes) finish before the clock starts.
            with reader(database_url) as query:
                wait_for_drain(query, time.perf_counter(), DRAIN_TIMEOUT)
            signed = acts(slack, commands)
            reconnect(connections)
            with profiled(server, profile, profile_what):
                run = warmed(warm_up, load(connections, signed, server, rate))
        found = answers(slack, run, ANSWER)
        work = check_work(database_url, slack, len(warm_up.acked) + len(run.acked), run.finished)
    return run, found, work


# The report -------------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    """How a target reads in the report."""
    return "met" if met else "NOT met"


def database_name(database_url: str) -> str:
    """The database's kind, for the report."""
    return "PostgreSQL" if make_url(database_url).get_backend_name() == "postgresql" else "SQLite"


HEADER = (
    f"{'':14}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}{'failed':>8}"
    f"{'server CPU ms/req':>19}{'load CPU ms/req':>17}"
)


def row(name: str, values: Sequence[float], failed: int, run: Run | None = None) -> str:
    """One line of the latency table; with the run, its rate and the CPU each request cost either side."""
    if len(values) < 2:
        return f"{name:14}{'—':>9}{'—':>9}{'—':>9}{'—':>9}{'':>8}{failed:>8}"
    p50, p95, p99, top = percentiles(values)
    line = f"{name:14}{p50:9.1f}{p95:9.1f}{p99:9.1f}{top:9.1f}"
    if run is None:
        return f"{line}{'':>8}{failed:>8}"
    n = len(run.samples)
    return (
        f"{line}{len(values) / run.wall_seconds:8.0f}{failed:>8}"
        f"{1000 * run.server_cpu / n:19.2f}{1000 * run.client_cpu / n:17.2f}"
    )


def machine(before: tuple[float, float, float]) -> str:
    """The cores and the load average around the run: other work on the machine shares the cores."""
    after = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} cores; 1-min load average {before[0]:.2f} before the run, {after[0]:.2f} after "
        "(anything else running shares these cores with the load, the stand-in and the server)"
    )


def where_the_ratio_comes_from(floor: Run, app: Run) -> str:
    """In a closed loop the server is never idle, so an ack waits for the commands queued ahead of it: the ratio of
    the latencies follows the ratio of the server CPU each command costs, and the target becomes a CPU budget."""
    floor_ms = 1000 * floor.server_cpu / max(1, len(floor.samples))
    app_ms = 1000 * app.server_cpu / max(1, len(app.samples))
    return (
        f"  where the ratio comes from: the app's server spends {app_ms:.2f} ms of CPU a command and the floor's "
        f"{floor_ms:.2f} ({app_ms / max(floor_ms, 1e-9):.1f}x); with every connection sending as soon as it is acked, "
        f"each ack waits for the commands ahead of it, so within {TARGET_RATIO:.0f}x of the floor asks for about "
        f"{TARGET_RATIO * floor_ms:.2f} ms of CPU a command or less on this machine"
    )


def stored_floor_line(floor: Run, stored: Run, app: Run) -> str:
    """Where the stored floor sits between the floor and the app: the part of the ratio any listener that stores
    before its ack pays, whatever it stores."""
    floor_p99, stored_p99, app_p99 = (percentiles(run.ack_ms)[2] for run in (floor, stored, app))
    return (
        f"  the stored floor (one row stored, then the ack) is at {stored_p99 / floor_p99:.2f}x the floor's p99 with "
        f"{1000 * stored.server_cpu / max(1, len(stored.samples)):.2f} ms of CPU a command: storing anything before "
        f"the ack takes that much of the {TARGET_RATIO:.0f}x here; the app's p99 is {app_p99 / stored_p99:.2f}x the "
        "stored floor's"
    )


def report(
    floor: Run,
    stored: Run,
    app: Run,
    found: Answers,
    work: Work,
    *,
    database: str,
    commands: int,
    concurrency: int,
    rate: float | None = None,
) -> None:
    """Print the percentiles, the ratios, the targets and the proof of work."""
    pace = "each connection sending as soon as it is acked" if rate is None else f"offered at {rate:g} commands/s"
    print(
        f"{COMMAND} on {database}: ack latency and time until the member sees the answer, "
        f"{commands} commands on {concurrency} connections ({pace}), after {WARMUP} warm-up each"
    )
    print(HEADER)
    print(row("floor ack", floor.ack_ms, len(floor.failures), floor))
    print(row("stored floor", stored.ack_ms, len(stored.failures), stored))
    print(row("app ack", app.ack_ms, len(app.failures), app))
    print(row("app answer", found.ms, found.missing))
    print(
        f"  answers: {found.in_ack} in the ack itself, {found.via_response_url} through the response_url, "
        f"{found.missing} never seen"
    )
    for name, run in (("floor", floor), ("stored floor", stored), ("app", app)):
        for failure in sorted(set(run.failures)):
            print(f"  {name} failure: {failure} (x{run.failures.count(failure)})")
    if len(floor.ack_ms) >= 2 and len(app.ack_ms) >= 2:
        ratios = [a / f for a, f in zip(percentiles(app.ack_ms), percentiles(floor.ack_ms), strict=True)]
        print(f"{'app/floor ack':14}" + "".join(f"{r:8.2f}x" for r in ratios))
        ratio_p99 = ratios[2]
        print(
            f"target app ack p99 <= {TARGET_RATIO:.0f}x floor p99: {verdict(ratio_p99 <= TARGET_RATIO)} "
            f"({ratio_p99:.2f}x: {percentiles(app.ack_ms)[2]:.1f} ms against {percentiles(floor.ack_ms)[2]:.1f} ms)"
        )
        if rate is None:
            print(where_the_ratio_comes_from(floor, app))
        if len(stored.ack_ms) >= 2:
            print(stored_floor_line(floor, stored, app))
    if len(found.ms) >= 2:
        answer_p99 = percentiles(found.ms)[2]
        met = answer_p99 < TARGET_ANSWER_P99_MS and not found.missing
        offered = f"{concurrency} concurrent" if rate is None else f"{rate:g} commands/s offered"
        print(
            f"target answer p99 < {TARGET_ANSWER_P99_MS:.0f} ms at {offered}: {verdict(met)} "
            f"({answer_p99:.1f} ms; the target is set for SQLite at 20 concurrent)"
        )
    drained = (
        f"the outbox drained {work.drained_after:.2f} s after the last ack"
        if work.drained_after is not None
        else f"the outbox did NOT drain within {DRAIN_TIMEOUT:.0f} s"
    )
    print(
        f"app work: {work.stored} actions stored for {work.acked} acked commands ({WARMUP} warm-up + {commands}), "
        f"{work.deliveries_done} deliveries answered; {drained} (left: {json.dumps(work.outbox)}); "
        f"{work.users_info_calls} users.info calls for {len(MEMBERS)} members, {work.response_url_posts} "
        "response_url posts"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the floor, the stored floor, then the app; 1 if a request failed, an answer never came, or the work
    is incomplete."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=300, help="counted commands per server (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument(
        "--database",
        help="a PostgreSQL server to run the app on, as a URL naming any database there; the app gets a scratch "
        "database of its own, dropped afterwards (default: a temporary SQLite file)",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy's collapsed stacks of the app's counted run here")
    parser.add_argument(
        "--profile-what",
        choices=sorted(PROFILE_FLAGS),
        default="wall",
        help="what py-spy samples: every thread's wall time (default), running threads, or the GIL's holder",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="offer this many commands a second instead of a closed loop (the latency at a load below saturation)",
    )
    args = parser.parse_args(argv)
    if args.commands < 2 or args.concurrency < 1 or (args.rate is not None and args.rate <= 0):
        parser.error("--commands must be at least 2, --concurrency at least 1 and --rate above 0")

    logging.basicConfig(level=logging.WARNING)
    load_before = os.getloadavg()
    database = scratch_database(args.database, "ack_latency") if args.database else sqlite_database("ack-latency")
    stored_database = (
        scratch_database(args.database, "ack_latency_stored")
        if args.database
        else sqlite_database("ack-latency-stored")
    )
    with (
        database as database_url,
        stored_database as stored_url,
        SlackStandIn(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN) as slack,
    ):
        for user_id, zone in MEMBERS:
            slack.add_user(user_id, tz=zone)
        floor = measure_floor(slack, args.commands, args.concurrency, args.rate)
        stored, stored_actions = measure_stored_floor(slack, stored_url, args.commands, args.concurrency, args.rate)
        app, found, work = measure_app(
            slack, database_url, args.commands, args.concurrency, args.profile, args.profile_what, args.rate
        )
    report(
        floor,
        stored,
        app,
        found,
        work,
        database=database_name(database_url),
        commands=args.commands,
        concurrency=args.concurrency,
        rate=args.rate,
    )
    print(machine(load_before))
    if floor.failures or stored.failures or app.failures or found.missing:
        return 1
    if stored_actions != len(stored.acked) + WARMUP:
        print(
            f"the stored floor stored {stored_actions} actions for {len(stored.acked) + WARMUP} acks", file=sys.stderr
        )
        return 1
    if not work.complete:
        print("the app did not finish the work it acknowledged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
