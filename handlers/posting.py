"""Calling Slack in bulk without upsetting it: one poster per workspace, paced to a sliding window, Retry-After
honoured, bounded retries.

    poster = PacedPoster(client, per_second=20)          # one per workspace (one bot token)
    poster.post_message(channel=user_id, text=text)      # chat.postMessage, paced and retried
    poster.call("chat.update", channel=c, ts=ts, text=t) # any Web API method, same rules
    poster.call("views.publish", attempts=1, ...)        # one try: the caller schedules its own retries

`call` raises `SlackApiError` when Slack refuses for good (`channel_not_found`, `invalid_blocks`, …) and
`PostFailed` when the call did not go through: `RateLimited` (a `PostFailed`) when Slack asked us to wait, with
`retry_after` in seconds; `Stopping` (a `PostFailed`) once the app is stopping, before anything is sent.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}

# Seconds added to the window a burst must fit in: the spread between when we send and when Slack counts.
DEFAULT_MARGIN = 0.04
# Methods whose arguments this app builds as plain JSON (text, blocks as dicts): sent as JSON through api_call (or a
# KeepAliveWebClient's leaner `call_json`), as the SDK's own method would send them, without its per-call shaping
# (converting Block Kit objects, warning about missing text), which was a sixth of a morning pass's CPU per post.
# Unset (None) arguments are left out, as it does.
AS_JSON = frozenset({"chat.postMessage", "chat.update"})
# Calls a poster keeps in flight before it has heard any answer, and the time a window's burst should take to go
# out (`PacedPoster.lanes`).
FIRST_LANES = 4
BURST_SECONDS = 0.25
# When Slack answers 429 without a usable Retry-After.
DEFAULT_RETRY_AFTER = 1.0
# Backoff after a server error or a dropped connection: 0.5 s, 1 s, 2 s, … up to this.
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


class PostFailed(Exception):
    """The call did not go through: Slack could not be reached, kept failing, asked us to wait, or we are stopping.

    `retry_after` holds the seconds Slack asked us to wait before trying again, when it said so; None otherwise
    (then the caller's own backoff decides).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(PostFailed):
    """Slack answered 429 (or an earlier 429 still holds): try again no sooner than `retry_after` seconds from now."""

    retry_after: float

    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(f"{method} is rate limited: retry after {retry_after:.1f} s", retry_after=retry_after)
        self.method = method


class Stopping(PostFailed):
    """The app is stopping: no further attempt was made (claims left behind are taken over after their timeout)."""

    def __init__(self) -> None:
        super().__init__("the app is stopping")


class Posters(Protocol):
    """Who sends to which workspace: one paced poster per workspace, each with that workspace's token."""

    per_second: float

    def for_team(self, team_id: str) -> PacedPoster | None:
        """The workspace's poster; None when the app has no token there (never installed, or gone)."""

    def refused(self, team_id: str, code: str) -> bool:
        """Slack refused the workspace's call with `code`: True when that means its token is no good (and the
        workspace is now treated as gone)."""


class PacedPoster:
    """Calls Slack's Web API for ONE workspace at up to `per_second` calls a second, bursts allowed.

    Slack's limits are per workspace (and per method), so make one poster per workspace: its pace, and the pause a
    429 starts, hold back only that workspace's calls. Every method sent through one poster shares its budget.

    The pace is a sliding window: at most `burst` = floor(per_second) calls in any `window` of one second plus
    `margin` (below one call a second: one call in any 1 / per_second + `margin` seconds). So the configured rate
    is reached — a burst of `burst` calls goes at once, and `burst / window` a second follow on average (19.2 at
    20 a second: 96%) — while no more than `per_second` land in any one second *as Slack counts them*. Slack
    counts on its own clock, when a request arrives there: where its windows start does not matter to a sliding
    window, and a delay every call takes alike shifts all of them together, but the *spread* of the delay between
    our send and its count (network and scheduling jitter, a Slack slow for a moment) can bring two of our bursts
    closer together than they left. So a call's place lasts one window from when it was sent, plus however much
    slower its round trip was than the quickest this poster has seen (a call that took longer to answer may have
    been counted that much later), plus `margin` (seconds, default 0.04) for the spread a round trip does not show.
    Whether Slack counts in fixed one-second windows, in sliding ones or with a token bucket of `per_second`, no
    window then holds more than `burst` however bursty the sends; and a steady round trip costs no pace at all (a
    place ending one window after Slack *answered* would cost every window a round trip: 18.3 a second at 20 with
    Slack 50 ms away). (A margin in calls instead — 19 in a second — would not protect against window counters:
    two bursts of 19 a little less than a second apart at Slack make 38 in one window.) Raise `margin` for a
    jittery network; 0 spaces bursts exactly a second apart when round trips are steady.

    A 429 pauses that method on this poster for its Retry-After (other methods keep their pace: Slack limits each
    method separately) and the call is tried again after it. Server errors (5xx, `internal_error`, …) and dropped
    connections are tried again after a backoff (0.5 s, 1 s, 2 s, …) in the calling thread only. A call that got
    an answer with `ok` is never repeated. At most `attempts` tries in all, 429s included. Once `stop` is set,
    nothing more is sent and every waiting call raises `Stopping`.
    """

    def __init__(
        self,
        client: WebClient,
        per_second: float,
        *,
        attempts: int = 4,
        stop: threading.Event | None = None,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        if not per_second > 0 or attempts < 1 or not margin >= 0:
            raise ValueError("per_second must be positive, attempts at least 1 and margin at least 0")
        self.client = client
        self.per_second = per_second
        self.attempts = attempts
        self.margin = margin
        self.burst = max(1, math.floor(per_second))
        self.window = max(1.0, 1.0 / per_second) + margin
        self._stop = stop or threading.Event()
        self._lock = threading.Lock()
        # The places held (at most `burst`): [when sent (or to be), when answered (None until then)]. A new call
        # takes a free one, or the first to end (`_take_place`): no window ever holds more than `burst`.
        self._slots: list[list[float | None]] = []
        self._paused_until: dict[str, float] = {}
        self._quickest = math.inf  # the quickest round trip seen: sent (its place's start) to answered

    def for_team(self, team_id: str) -> PacedPoster:
        """The one workspace's poster (single-workspace mode: one token for every team ID it meets)."""
        return self

    def refused(self, team_id: str, code: str) -> bool:
        """With one token from the settings there is no installation to forget: errors are handled as before."""
        return False

    def lanes(self) -> int:
        """How many calls to keep in flight at once to hold this poster's pace: enough that the burst each window
        starts with goes out within BURST_SECONDS at the quickest round trip this poster has seen; at least two,
        and FIRST_LANES before any call was answered. (Two on loopback; five with Slack 50 ms away, where three
        gave 96.1% of the rate and five 96.4%; thirteen at 150 ms.)

        Taken from the quickest round trip, not a recent one: in flight beyond it, calls only wait for the
        interpreter (or for their place in the pace), and a busy process's slower answers would otherwise ask
        for more threads, which make every answer slower still (a pass over 50 workspaces on loopback: round trips of
        15 ms at the median and 150 ms at p90 at ten threads each, 8 ms and 21 ms at two).
        """
        with self._lock:
            quickest = self._quickest
        if not math.isfinite(quickest):
            return FIRST_LANES
        return max(2, math.ceil(self.burst * quickest / BURST_SECONDS))

    def post_message(self, **arguments: Any) -> SlackResponse:
        """chat.postMessage, paced and retried; raises SlackApiError for a permanent refusal, PostFailed otherwise."""
        return self.call("chat.postMessage", **arguments)

    def call(self, method: str, /, *, attempts: int | None = None, **arguments: Any) -> SlackResponse:
        """Web API `method` with `arguments`, paced and retried; SlackApiError for a refusal, PostFailed otherwise.

        `attempts` overrides the poster's for this call. With `attempts=1` (a caller with retries of its own, such
        as the outbox) the call is tried once and never waits out a Retry-After: a 429, or a pause an earlier 429
        started, raises `RateLimited` at once with the seconds to wait; a server error or a dropped connection
        raises `PostFailed` (`retry_after` None). It still waits for its place in the pace.
        """
        tries = self.attempts if attempts is None else attempts
        if tries < 1:
            raise ValueError("attempts must be at least 1")
        send = self._sender(method)
        failure: PostFailed | None = None
        for attempt in range(tries):
            slot = self._wait_for_slot(method, wait_out_pause=tries > 1)
            heard = False  # whether Slack answered (a dropped connection's "round trip" says nothing of Slack's)
            try:
                response = send(**arguments)
                heard = True
                return response
            except SlackApiError as error:
                heard = True
                retry_after = _retry_after(error.response)
                if retry_after is not None:
                    log.info("Slack asks us to slow down %s: pausing it for %.1f s", method, retry_after)
                    self._pause(method, retry_after)
                    failure = RateLimited(method, retry_after)
                    continue
                if not _transient(error.response):
                    raise
                failure = PostFailed(f"{method} failed: {error.response.get('error')}")
            except OSError as error:
                # A refused or dropped connection: Slack never took the call. (A read timeout after Slack did take
                # it is the one case that can post twice: Slack offers no idempotency key for chat.postMessage.)
                failure = PostFailed(f"{method} failed: {error}")
                failure.__cause__ = error
            finally:
                with self._lock:
                    slot[1] = answered = time.monotonic()
                    if heard and slot[0] is not None:
                        self._quickest = min(self._quickest, answered - slot[0])
            if attempt + 1 < tries:
                log.info("%s; trying again", failure)
                if self._stop.wait(min(BACKOFF_MAX, BACKOFF_FIRST * 2**attempt)):
                    raise Stopping()
        assert failure is not None
        if tries == 1 or isinstance(failure, RateLimited):
            raise failure
        raise PostFailed(f"{method} kept failing after {tries} attempts: {failure}") from failure

    def _sender(self, method: str) -> Callable[..., SlackResponse]:
        # The client's own method (views.publish → views_publish) shapes arguments as the SDK does (Block Kit
        # objects, views); a method the SDK does not name, or one in AS_JSON, goes through api_call as JSON.
        bound = getattr(self.client, method.replace(".", "_"), None)
        if method not in AS_JSON and callable(bound) and not method.startswith("_"):
            return cast(Callable[..., SlackResponse], bound)

        call_json = getattr(self.client, "call_json", None)  # a KeepAliveWebClient's leaner way to the same call

        def via_api_call(**arguments: Any) -> SlackResponse:
            given = {k: v for k, v in arguments.items() if v is not None}
            if call_json is not None:
                return cast(SlackResponse, call_json(method, given))
            return self.client.api_call(method, json=given)

        return via_api_call

    def _wait_for_slot(self, method: str, *, wait_out_pause: bool) -> list[float | None]:
        """Sleep until this call's place in the pace, and return it; Stopping, or RateLimited when paused and not
        to wait."""
        while True:
            if self._stop.is_set():
                raise Stopping()
            with self._lock:
                now = time.monotonic()
                paused_until = self._paused_until.get(method, 0.0)
                if paused_until > now:
                    if not wait_out_pause:
                        raise RateLimited(method, paused_until - now)
                    # No place is taken while paused: a paused method must not hold back the others.
                    wake, slot = paused_until, None
                else:
                    wake, slot = self._take_place(now)
            if wake > now and self._stop.wait(wake - now):
                raise Stopping()
            if slot is not None:
                with self._lock:
                    # A 429 may have paused this method while we slept: then the place is forfeit.
                    if self._paused_until.get(method, 0.0) <= time.monotonic():
                        return slot
                    slot[1] = slot[0]  # never sent: it holds the pace only as long as a place does

    def _take_place(self, now: float) -> tuple[float, list[float | None] | None]:
        """When to look again, and this call's place in the pace if one was taken (None while every place is held by
        a call not answered yet): no more than `burst` places are ever held at once.

        A place is held from its start until it ends (`_place_ends`). While fewer than `burst` are held, a call
        starts at once; otherwise it takes over the place that ends first, and starts when that one ends. Places do
        not end in the order they started (a slower round trip holds one longer), so the one taken over is the first
        to end, not the oldest: each place's lateness stays its own, where a queue in starting order would pass the
        latest of every window on to all the places after it."""
        # Each place is looked at once: those that ended are let go, and the answered one that ends first is kept.
        held: list[list[float | None]] = []
        first: list[float | None] | None = None
        first_ends = earliest = math.inf
        for place in self._slots:
            started, answered = place
            assert started is not None
            if answered is None:
                held.append(place)
                earliest = min(earliest, started)
                continue
            ends = self._place_ends(started, answered)
            if ends > now:
                held.append(place)
                if ends < first_ends:
                    first, first_ends = place, ends
        self._slots = held
        at = now
        if len(held) >= self.burst:
            if first is None:
                return max(now + 0.005, earliest + self.window), None  # look again once one could be answered
            held.remove(first)
            at = first_ends
        slot: list[float | None] = [at, None]
        held.append(slot)
        return at, slot

    def _place_ends(self, started: float, answered: float) -> float:
        """When a call sent at `started` and answered at `answered` stops counting against the pace: one window after
        it was sent, later by as much as its round trip was slower than the quickest this poster has seen.

        Slack counts a call when it arrives, somewhere between the two instants. Every call takes some common
        least delay to arrive (no more than the quickest round trip); one whose round trip was slower may have
        arrived, and been counted, later by as much. The next call, sent at the end of this place, takes at least
        that least delay too: Slack counts it at least a window after this one. So whatever second Slack counts
        in, every call it counts there holds its place at that second's end: no more than `burst` of them."""
        # The quickest ever, not of the last few: were it to rise with a slow spell, a call slow at its start would
        # count as on time once the spell's calls filled the window, though it may have been counted late.
        return started + self.window + max(0.0, (answered - started) - min(self._quickest, answered - started))

    def _pause(self, method: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[method] = max(self._paused_until.get(method, 0.0), until)


def _retry_after(response: SlackResponse) -> float | None:
    """Seconds to wait if Slack rate-limited the call (Retry-After, or 1 s without one); None if it did not."""
    if response.status_code != 429 and response.get("error") != "ratelimited":
        return None
    headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
    try:
        seconds = float(_first(headers.get("retry-after")))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


def _transient(response: SlackResponse) -> bool:
    """Whether Slack's refusal is its own trouble, worth trying again."""
    return response.status_code >= 500 or response.get("error") in TRANSIENT_ERRORS


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list | tuple) else value
