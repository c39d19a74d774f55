"""Posting many DMs without upsetting Slack: a workspace-wide pace, Retry-After honoured, bounded retries."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class PostFailed(Exception):
    """Slack could not be reached, or kept failing, after every retry."""


class PacedPoster:
    """Posts at up to `per_second` messages a second, up to that many at once.

    Slack allows "several hundred a minute" for chat.postMessage per workspace; going faster earns 429s. Each
    post takes the next free slot on one shared timeline, and a 429's Retry-After pushes the whole timeline
    back, so concurrent senders pause together instead of hammering. Server errors and dropped connections are
    retried a bounded number of times with backoff; a post that returned a ts is never retried.
    """

    def __init__(
        self, client: WebClient, per_second: float, *, attempts: int = 4, stop: threading.Event | None = None
    ) -> None:
        self.client = client
        self.per_second = per_second
        self.attempts = attempts
        self._interval = 1.0 / per_second
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._stop = stop or threading.Event()

    def _wait_for_slot(self) -> None:
        if self._stop.is_set():
            # Shutting down: post nothing more; the claims left behind are taken over after their timeout.
            raise PostFailed("the app is stopping")
        with self._lock:
            slot = max(time.monotonic(), self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
        delay = slot - time.monotonic()
        if delay > 0 and self._stop.wait(delay):  # pacing, interrupted at shutdown
            raise PostFailed("the app is stopping")

    def _pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def post_message(self, **arguments: Any) -> SlackResponse:
        """chat.postMessage, paced and retried; raises SlackApiError for a permanent refusal, PostFailed otherwise."""
        for attempt in range(self.attempts):
            self._wait_for_slot()
            try:
                return self.client.chat_postMessage(**arguments)
            except SlackApiError as error:
                code = error.response.get("error")
                if error.response.status_code == 429 or code == "ratelimited":
                    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
                    retry_after = float(_first(headers.get("retry-after")) or 1)
                    log.info("Slack asks us to slow down: pausing posts for %.1f s", retry_after)
                    self._pause(retry_after)
                    continue
                if error.response.status_code >= 500 or code in TRANSIENT_ERRORS:
                    self._pause(0.5 * 2**attempt)
                    continue
                raise
            except OSError as error:
                # A refused or dropped connection: Slack never took the post. (A read timeout after Slack did take
                # it is the one case that can post twice: Slack offers no idempotency key for chat.postMessage.)
                log.info("posting failed (%s); retrying", error)
                self._pause(0.5 * 2**attempt)
        raise PostFailed(f"chat.postMessage kept failing after {self.attempts} attempts")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list | tuple) else value
