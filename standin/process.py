"""The app as an operator runs it: `python -m bot run` in a process of its own, for tests and benchmarks that
must kill it (`kill -9`) or stop it (SIGTERM) and start it again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

LISTENING = re.compile(r"listening for Slack on (http://\S+)")
# The checkout is found from this file, not by importing `bot`: the stand-in for Slack imports nothing of the app,
# it only starts it as an operator would, by its command line.
CHECKOUT = Path(__file__).resolve().parent.parent


class AppProcess:
    """`python -m bot run` of this checkout, serving HTTP on a free loopback port, with `settings` as its
    environment (SLACK_*, DATABASE_URL…); whatever such settings the caller's environment holds are left out."""

    def __init__(self, settings: Mapping[str, str], cwd: Path) -> None:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_LEVEL", "HOST", "PORT", "RECAP_CHANNEL"))
        }
        env = {**keep, "PYTHONPATH": str(CHECKOUT), "HOST": "127.0.0.1", "PORT": "0", **settings}
        self.started = time.monotonic()
        self._cond = threading.Condition()
        self._lines: list[str] = []
        self._closed = False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=cwd,  # not the checkout: no .env file of the developer's
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Read the log as it comes: a full pipe would block the app's logging, and with it the app.
        self._reader = threading.Thread(target=self._read, name="app-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def log(self) -> str:
        """What the app has logged so far."""
        with self._cond:
            return "".join(self._lines)

    def url(self, timeout: float = 60.0) -> str:
        """Wait for the app to say where it listens for Slack; that URL."""

        def said() -> str | None:
            return next((m.group(1) for line in self._lines if (m := LISTENING.search(line))), None)

        with self._cond:
            self._cond.wait_for(lambda: said() is not None or self._closed, timeout)
            where = said()
        if where is None:
            raise RuntimeError(f"the app did not start listening within {timeout} s:\n{self.log}")
        return where

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, closed or handed back."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)

    def stop(self) -> int:
        """SIGTERM, as an operator stops it; its exit status."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return status
