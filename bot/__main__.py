"""`breakthrough` (also `python -m bot`): run the app, try it in the browser, or export what it stores."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from types import FrameType

import uvicorn
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.app import Runtime, create_app, make_coach, paced_poster, workspace_posters
from bot.clock import Clock, FixedClock, SystemClock
from bot.coach import Coach
from bot.coach.follow_ups import FollowUps
from bot.coach.nudges import Nudges
from bot.coach.recaps import Recaps
from bot.demo import DEFAULT_DATABASE, Demo, is_loopback
from bot.demo_story import tell_story
from bot.scheduler import start_scheduler
from bot.settings import Settings, SettingsError, checked_database_url, load_settings
from bot.web import CannotListen, bind, create_web_app
from handlers.jobs import daily_pass, recap_pass
from handlers.outbox import OutboxSender
from storage.db import make_engine, upgrade

log = logging.getLogger("breakthrough")


# A response_url (and any other hooks.slack.com URL) lets whoever holds it post as the app for 30 minutes. Bolt and
# slack_sdk log request bodies at DEBUG, where it comes plain, form-encoded (https%3A%2F%2F…) or JSON-escaped (\/).
_SLASH = r"(?:\\*/|(?:%5C)*%2F)"  # "/", JSON's "\/", or either of them form-encoded
_SLACK_HOOK_URL = re.compile(
    rf"https?(?::|%3A){_SLASH}{{2}}hooks\.slack(?:-gov)?\.com(?:{_SLASH}[\w-]*)+", re.IGNORECASE
)


# Tokens the app is given at run time (each workspace's bot token, refresh tokens under rotation) are not in the
# settings: slack_sdk logs oauth.v2.access's answer at DEBUG. Slack's tokens all have one shape: xox?- or xapp-.
_SLACK_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)[.-][\w.-]+")


class _SecretFilter(logging.Filter):
    """Belt and braces: no log line ever carries a token, the signing secret or a response_url, whether in the
    message, its arguments or an exception's text."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        """`text` with every secret and Slack hook URL replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _SLACK_TOKEN.sub("[redacted token]", text)
        return _SLACK_HOOK_URL.sub("[redacted hooks.slack.com URL]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [settings.bot_token, settings.app_token, settings.signing_secret, settings.client_secret]
    handler.addFilter(_SecretFilter([s or "" for s in [*secrets, settings.state_secret]]))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)


def demo(host: str, port: int, database_url: str, story: bool, *, stop: threading.Event | None = None) -> int:
    """The app against the stand-in for Slack, with the page in the browser, until SIGINT/SIGTERM (or `stop`)."""
    try:
        checked_database_url(database_url, "--database")
    except SettingsError as error:
        print(f"breakthrough: {error}", file=sys.stderr)
        return 2
    if (unreachable := _unreachable_database(database_url)) is not None:
        print(f"breakthrough: {unreachable.replace('DATABASE_URL', '--database', 1)}", file=sys.stderr)
        return 2
    try:
        sock = bind(host, port, setting="--port")
    except CannotListen as error:
        print(f"breakthrough: {error}", file=sys.stderr)
        return 2
    sock.listen(socket.SOMAXCONN)
    running = Demo(sock, database_url)
    secret_filter = _SecretFilter([running.slack.workspace.bot_token, running.slack.signing_secret])
    for handler in logging.getLogger().handlers:
        handler.addFilter(secret_filter)
    if not is_loopback(host):
        log.warning(
            "the demo listens on %s, beyond this machine, and has no authentication: anyone who reaches it can act"
            " as any member",
            host,
        )
    stop = stop or _stop_on_signals()
    running.start()
    try:
        if running.holds_history():
            if story:
                print(
                    f"breakthrough: --story needs an empty database, and {database_url} holds an earlier demo's"
                    " team: delete it, or give another --database",
                    file=sys.stderr,
                )
                return 2
            log.warning(
                "%s holds what an earlier demo stored; the page's channels start empty (delete it for a clean slate)",
                database_url,
            )
        elif story:
            tell_story(running)
        log.info("the demo is at %s (database %s); stop it with Ctrl+C", running.url, database_url)
        stop.wait()
    finally:
        running.stop()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(secret_filter)
        log.info("stopped cleanly")
    return 0


def run(settings: Settings) -> int:
    """Migrate, then serve Slack (Socket Mode or HTTP) until SIGINT/SIGTERM."""
    try:
        sock = None if settings.socket_mode else bind(settings.host, settings.port, setting="PORT")
    except CannotListen as error:
        print(f"breakthrough: {error}", file=sys.stderr)
        return 2
    try:
        return _run(settings, sock)
    finally:
        if sock is not None:
            sock.close()  # uvicorn's, once it served; ours, when the start ended before it


def _run(settings: Settings, sock: socket.socket | None) -> int:
    upgrade(settings.database_url)
    runtime = create_app(settings)
    if settings.distribution:
        log.info("distribution mode: any workspace can install the app from /slack/install")
    elif not _connected(runtime):
        return 2
    handler: SocketModeHandler | None = None
    if sock is None:
        # Connected before anything starts, so that an app-level token Slack refuses is one line like the bot token's.
        handler = _socket_mode_connected(runtime, settings)
        if handler is None:
            return 2
    stop = _stop_on_signals()
    runtime.start()  # the outbox's sender: what an earlier run acknowledged but had not yet told Slack goes now
    scheduler = start_scheduler(runtime.coach, runtime.coach.clock, runtime.poster)
    try:
        if sock is not None:
            _serve_http(runtime, settings, sock, stop)
        elif handler is not None:
            stop.wait()
            handler.close()  # type: ignore[no-untyped-call]
    finally:
        runtime.stopping.set()  # no new posts: what is unsent stays claimed or queued in the database
        scheduler.shutdown(wait=True)  # a pass in progress finishes; claims keep the rest exactly-once
        runtime.close()
        log.info("stopped cleanly")
    return 0


def _connected(runtime: Runtime) -> bool:
    """Whether Slack takes the one workspace's token (the workspace is then back, if it had uninstalled the app)."""
    try:
        identity = runtime.app.client.auth_test()
    except SlackApiError as error:
        if error.response.status_code == 200:  # Slack's own refusal: ok false, with the reason
            print(
                f"breakthrough: SLACK_BOT_TOKEN was refused by Slack ({error.response.get('error')}).", file=sys.stderr
            )
        else:  # something else answered: a SLACK_API_URL that is not Slack's Web API, or Slack in trouble
            print(
                f"breakthrough: {runtime.app.client.base_url} answered HTTP {error.response.status_code}, not as "
                "Slack's Web API does; check SLACK_API_URL (or try again if Slack is having trouble).",
                file=sys.stderr,
            )
        runtime.close()
        return False
    except OSError as error:  # no route, no name, refused, timed out: urllib's URLError is one of these
        reason = getattr(error, "reason", error)
        print(
            f"breakthrough: Slack can't be reached at {runtime.app.client.base_url} ({reason}); check the network "
            "(or SLACK_API_URL) and start again.",
            file=sys.stderr,
        )
        runtime.close()
        return False
    log.info("connected to %s as %s", identity.get("team"), identity.get("user"))
    if identity.get("team_id"):
        runtime.coach.workspace_returned(str(identity["team_id"]))
    return True


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM; serving ends when it is set."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop


def _serve_http(runtime: Runtime, settings: Settings, sock: socket.socket, stop: threading.Event) -> None:
    web = create_web_app(runtime.app, runtime.engine, runtime.signing_secret)
    server = uvicorn.Server(uvicorn.Config(web, host=settings.host, port=settings.port, log_level="warning"))
    # Bound at the start (`run`), listening only now: once "listening" is logged, connections queue even before
    # uvicorn's loop runs.
    sock.listen(socket.SOMAXCONN)
    log.info("listening for Slack on http://%s:%s/slack/events", settings.host, sock.getsockname()[1])
    # uvicorn runs off the main thread so that the signals are ours: it would re-raise SIGTERM after its own
    # graceful stop, and the contract says a clean stop exits 0. should_exit gives the same graceful drain.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.start()
    while not stop.wait(0.5):
        if not thread.is_alive():
            raise RuntimeError("the HTTP server stopped unexpectedly")
    server.should_exit = True
    thread.join()


def _socket_mode_connected(runtime: Runtime, settings: Settings) -> SocketModeHandler | None:
    """Connected to Slack over Socket Mode; None, said in one line, when Slack refuses the app-level token."""
    handler = SocketModeHandler(runtime.app, settings.app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as error:
        print(f"breakthrough: SLACK_APP_TOKEN was refused by Slack ({error.response.get('error')}).", file=sys.stderr)
        handler.close()  # type: ignore[no-untyped-call]
        runtime.close()
        return None
    log.info("connected over Socket Mode")
    return handler


def export(settings: Settings, team: str | None, user: str | None) -> int:
    """Print the export document."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        document = Coach(engine, SystemClock()).export(team_id=team, user_id=user)
    finally:
        engine.dispose()
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant such as 2026-11-23T09:00:00Z") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset: add Z or +01:00")
    return at


def one_pass(settings: Settings, job: str, now: datetime | None) -> int:
    """One pass of the daily-nudge or weekly-recap job; exit 1 when a send failed."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    clock: Clock = FixedClock(now) if now else SystemClock()
    coach = make_coach(settings, engine, clock)
    poster = workspace_posters(settings, engine) if settings.distribution else paced_poster(settings, threading.Event())
    sender = OutboxSender(coach, poster)
    try:
        if job == "nudge":
            report = daily_pass(Nudges(coach), FollowUps(coach), poster, clock.now())
        else:
            report = recap_pass(Recaps(coach), poster, clock.now())
        # What the pass owes Slack besides its own posts (a requester told of a follow-up) goes before exiting.
        sender.drain()
    finally:
        sender.stop()
        engine.dispose()
    print(f"sent {report.sent}, skipped {report.skipped}, failed {report.failed}")
    return 1 if report.failed else 0


def _unreachable_database(url: str) -> str | None:
    """Why the database at `url` cannot be reached, in one line naming it (without its password); None if it can."""
    engine = make_engine(url)
    try:
        with engine.connect():
            return None
    except DBAPIError as error:
        lines = str(error.orig or error).strip().splitlines() or [type(error.orig).__name__]
        where = make_url(url).render_as_string(hide_password=True)
        return f"DATABASE_URL ({where}) can't be reached: {lines[0].strip()}"
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `breakthrough` console script."""
    parser = argparse.ArgumentParser(prog="breakthrough", description="Breakthrough Coach for Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate the database and serve Slack until SIGINT/SIGTERM")
    for job, what in (("nudge", "one pass of the daily-nudge job"), ("recap", "one pass of the weekly-recap job")):
        job_parser = sub.add_parser(job, help=what)
        job_parser.add_argument("--now", type=_instant, help="act as if the clock read this ISO 8601 instant")
    demo_parser = sub.add_parser("demo", help="the app against a stand-in for Slack, in the browser")
    demo_parser.add_argument("--host", default="127.0.0.1", help="where the page listens (default 127.0.0.1)")
    demo_parser.add_argument("--port", type=int, default=8000, help="the page's port (default 8000)")
    demo_parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help=f"SQLAlchemy URL (default {DEFAULT_DATABASE})"
    )
    demo_parser.add_argument("--story", action="store_true", help="start with a team in the middle of a program")
    export_parser = sub.add_parser("export", help="print everything stored as one JSON document")
    export_parser.add_argument("--team", help="only this workspace (team ID)")
    export_parser.add_argument("--user", help="only this member (user ID)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its ticks would bury the page's address
        return demo(args.host, args.port, args.database, args.story)

    try:
        settings = load_settings(need_slack=args.command != "export", serving=args.command == "run")
    except SettingsError as error:
        hint = " (to try the coach without Slack: breakthrough demo)" if args.command == "run" else ""
        print(f"breakthrough: {error}{hint}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    # Checked before anything else touches the database, so that a wrong URL or a server that is down is one line.
    if (unreachable := _unreachable_database(settings.database_url)) is not None:
        print(f"breakthrough: {unreachable}", file=sys.stderr)
        return 2
    if args.command == "run":
        return run(settings)
    if args.command in ("nudge", "recap"):
        return one_pass(settings, args.command, args.now)
    return export(settings, args.team, args.user)


if __name__ == "__main__":
    sys.exit(main())
