"""Posting many items across workspaces: each workspace side by side on posting threads of its own, at its own pace
(Slack's limits are per workspace), a chunk of one workspace's items at a time."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar, cast

from handlers.posting import Posters

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R")

SENDERS = 512
"""Threads one pass posts with at most, across workspaces. Each workspace gets up to 16 of its own (fewer when many
are due at once) and uses as many as its poster says keep its pace at Slack's latency (`PacedPoster.lanes`): two on
loopback, thirteen with Slack 150 ms away, where 20 a second keep 3 in flight on average and more at a window's
start. At 128 in all, 50 workspaces got 2 threads each, and with Slack 150 ms away the pass over 50 x 200
took 16.6 s instead of 13.0 s (`benchmarks/oauth_fanout.py --latency 0.15`)."""


class SideBySide(Protocol):
    """Runs `send` over `items` on the workspace's posting threads; the outcomes in the items' order."""

    def __call__(self, send: Callable[[U], R], items: Sequence[U], /) -> list[R]: ...


def side_by_side(posters: Posters, items: Sequence[T], send: Callable[[T], str], *, name: str) -> list[str]:
    """Each item sent by `send`, the workspaces side by side: Slack's limits are per workspace, so one workspace's
    pace (or a 429 it meets) never holds up another's. Items carry `team_id`; outcomes come back unordered."""
    return in_chunks(posters, items, lambda chunk, each: each(send, chunk), name=name)


def in_chunks(
    posters: Posters,
    items: Sequence[T],
    send: Callable[[Sequence[T], SideBySide], list[str]],
    *,
    name: str,
    first: Callable[[list[Sequence[T]]], None] | None = None,
) -> list[str]:
    """`side_by_side`, a chunk of one workspace's items at a time: one second of that workspace's posts, so what
    is read and recorded for the chunk costs a few statements, not a few per item, and is held back for no more
    than a second. `send` gets the chunk and a way to post its items side by side on that workspace's own posting
    threads, and returns an outcome per item. `first`, if given, gets every workspace's first chunk before any
    posting starts (to claim them all at once).

    Each workspace posts on threads of its own, not on threads shared by the pass: with a shared pool, every
    workspace's burst at the start of its window queued behind those of the workspaces before it, so the last of 50
    workspaces began a second or two late and their posts reached Slack in clumps. It keeps as many posts in flight
    as its poster says hold its pace at Slack's latency (`PacedPoster.lanes`), up to 16 threads (SENDERS in all):
    more only wait for the interpreter, and a thread that waits for it to read Slack's answer makes the answer look
    late, which costs the pace (see `PacedPoster`). At ten threads a workspace, 50 x 200 on loopback took 12.4-12.9 s;
    at two, 11.1-11.3 s."""
    queues: dict[str, list[T]] = {}
    for item in items:
        queues.setdefault(getattr(item, "team_id"), []).append(item)  # noqa: B009
    if not queues:
        return []
    per_team = max(1, min(16, int(posters.per_second), SENDERS // len(queues)))
    size = max(1, math.ceil(posters.per_second))
    outcomes: list[str] = []
    lock = threading.Lock()
    if first is not None:
        first([queue[:size] for queue in queues.values()])

    def drain(team_id: str, queue: list[T]) -> None:
        # Threads are started as lanes need them: a pool this size rarely starts them all.
        with ThreadPoolExecutor(max_workers=per_team, thread_name_prefix=name) as posting:

            def each(send_one: Callable[[U], R], chunk: Sequence[U]) -> list[R]:
                poster = posters.for_team(team_id)
                lanes = min(per_team, len(chunk), poster.lanes() if poster is not None else per_team)
                done: list[R | None] = [None] * len(chunk)

                def lane(offset: int) -> None:
                    for n in range(offset, len(chunk), lanes):
                        done[n] = send_one(chunk[n])

                list(posting.map(lane, range(lanes)))
                return cast(list[R], done)

            # One chunk after another: the next is claimed once this one is through, well inside a second.
            for start in range(0, len(queue), size):
                finished = send(queue[start : start + size], each)
                with lock:
                    outcomes.extend(finished)

    with ThreadPoolExecutor(max_workers=min(SENDERS, len(queues)), thread_name_prefix=f"{name}-chunks") as chunks:
        list(chunks.map(drain, queues.keys(), queues.values()))
    return outcomes


def in_groups(chunks: Sequence[Sequence[T]], *, most: int) -> list[list[Sequence[T]]]:
    """`chunks` in order, gathered into groups of at most `most` items (a chunk larger than that alone in its own)."""
    groups: list[list[Sequence[T]]] = []
    size = 0
    for chunk in chunks:
        if not groups or size + len(chunk) > most:
            groups.append([])
            size = 0
        groups[-1].append(chunk)
        size += len(chunk)
    return groups


class Grouped(Generic[U, R]):
    """Calls made from many threads at once, worked in groups: a call that comes while a group is being worked waits,
    and those that waited go together as the next group (up to `most` by `size`), worked by the first of them.

    A call that finds nothing being worked is worked at once, alone: grouping costs a quiet moment nothing, and
    under load groups form by themselves, as large as the calls that came during the last one (group commit).
    `work` gets the items of a group and gives back an outcome for each, in order; if it raises, every call of
    that group raises the same error.
    """

    def __init__(
        self, work: Callable[[list[U]], list[R]], *, most: int, size: Callable[[U], int] = lambda _: 1
    ) -> None:
        self._work = work
        self._most = most
        self._size = size
        self._lock = threading.Lock()
        self._waiting: deque[_Call[U, R]] = deque()
        self._working = False

    @property
    def waiting(self) -> int:
        """Calls not yet taken into a group."""
        with self._lock:
            return len(self._waiting)

    def __call__(self, item: U) -> R:
        """`item`'s outcome, worked in a group with the calls that came while the last group was worked."""
        call = _Call[U, R](item)
        with self._lock:
            self._waiting.append(call)
            leads = not self._working
            self._working = True
        if not leads:
            call.done.wait()
        if leads or call.leads:
            self._work_group()  # this call is first in line: the group starts with it
        return call.outcome()

    def _work_group(self) -> None:
        group: list[_Call[U, R]] = []
        try:
            with self._lock:
                group.append(self._waiting.popleft())
                size = self._size(group[0].item)
                while self._waiting and size + self._size(self._waiting[0].item) <= self._most:
                    size += self._size(self._waiting[0].item)
                    group.append(self._waiting.popleft())
            outcomes = self._work([call.item for call in group])
            for call, outcome in zip(group, outcomes, strict=True):
                call.result = outcome
        except BaseException as error:
            for call in group:
                call.error = error
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._working = following is not None
            for call in group:
                call.done.set()
            if following is not None:
                following.leads = True  # the next group is worked by its first caller, not by this one
                following.done.set()


class _Call(Generic[U, R]):
    """One call to a `Grouped`: its item, and its outcome once its group was worked."""

    __slots__ = ("done", "error", "item", "leads", "result")

    def __init__(self, item: U) -> None:
        self.item = item
        self.done = threading.Event()
        self.leads = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return cast(R, self.result)
