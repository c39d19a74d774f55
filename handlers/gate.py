"""Acks before work: the work after an ack yields to requests still waiting for theirs.

Slack gives an ack three seconds and the work after it no deadline at all. Every listener shares one
interpreter, so under a burst (a whole team typing `/act` after the stand-up) the work of earlier commands
would slow the acks of later ones. The gate lets work start only when no request is waiting for its ack, or
once it has waited `max_wait`, so a sustained flood still makes progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class WorkGate:
    """Counts requests waiting for their ack, and holds work back while there are any."""

    def __init__(self, *, max_wait: float = 0.5) -> None:
        self._changed = threading.Condition()
        self._waiting_for_ack = 0
        self.max_wait = max_wait

    @contextmanager
    def awaiting_ack(self) -> Iterator[None]:
        """Wrap the handling of one request up to its ack."""
        with self._changed:
            self._waiting_for_ack += 1
        try:
            yield
        finally:
            with self._changed:
                self._waiting_for_ack -= 1
                if self._waiting_for_ack == 0:
                    self._changed.notify_all()

    def enter(self) -> None:
        """Wait until no request is waiting for its ack, or for `max_wait` at most."""
        deadline = time.monotonic() + self.max_wait
        with self._changed:
            while self._waiting_for_ack > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
