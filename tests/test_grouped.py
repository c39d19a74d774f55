"""Calls from many threads worked in groups (`handlers.fanout.Grouped`): the morning pass claims its chunks so."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from handlers.fanout import Grouped
from tests.e2e import eventually

WAIT = 10.0


class HeldWork:
    """Work that records each group (and the thread that worked it) and holds the first group until let go."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.groups: list[list[int]] = []
        self.workers: list[str] = []
        self.started = threading.Event()
        self.go_on = threading.Event()
        self.fail_on = fail_on

    def __call__(self, items: list[int]) -> list[int]:
        self.groups.append(items)
        self.workers.append(threading.current_thread().name)
        if len(self.groups) == 1:
            self.started.set()
            assert self.go_on.wait(WAIT)
        if self.fail_on in items:
            raise RuntimeError(f"item {self.fail_on} broke its group")
        return [item * 10 for item in items]


def test_a_call_that_finds_nothing_being_worked_is_worked_at_once_alone() -> None:
    work = HeldWork()
    work.go_on.set()

    assert Grouped(work, most=10)(4) == 40
    assert work.groups == [[4]]


def test_calls_that_come_while_a_group_is_worked_go_together_as_the_next_group() -> None:
    work = HeldWork()
    grouped = Grouped(work, most=10)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(grouped, 1)
        assert work.started.wait(WAIT)
        later = [pool.submit(grouped, n) for n in (2, 3, 4)]
        eventually(lambda: grouped.waiting == 3)
        work.go_on.set()

        assert [f.result(WAIT) for f in [first, *later]] == [10, 20, 30, 40]
    assert work.groups == [[1], [2, 3, 4]]


def test_a_group_holds_no_more_than_most_by_size_and_the_rest_follow_in_order() -> None:
    work = HeldWork()
    grouped = Grouped(work, most=5, size=lambda item: item)
    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(grouped, 1)
        assert work.started.wait(WAIT)
        later: list[Future[int]] = []
        for n in (2, 3, 4, 1):
            later.append(pool.submit(grouped, n))
            eventually(lambda: grouped.waiting == len(later))  # queued in this order
        work.go_on.set()
        for f in [first, *later]:
            f.result(WAIT)

    assert work.groups == [[1], [2, 3], [4, 1]]


def test_the_next_group_is_worked_by_its_first_caller() -> None:
    work = HeldWork()
    grouped = Grouped(work, most=10)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="caller") as pool:
        first = pool.submit(grouped, 1)
        assert work.started.wait(WAIT)
        second = pool.submit(grouped, 2)
        eventually(lambda: grouped.waiting == 1)
        work.go_on.set()
        assert (first.result(WAIT), second.result(WAIT)) == (10, 20)

    assert len(work.workers) == 2 and work.workers[0] != work.workers[1]


def test_a_failed_group_fails_each_of_its_calls_and_the_next_group_is_worked() -> None:
    work = HeldWork(fail_on=2)
    grouped = Grouped(work, most=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(grouped, 1)
        assert work.started.wait(WAIT)
        broken = [pool.submit(grouped, n) for n in (2, 3)]
        eventually(lambda: grouped.waiting == 2)
        after = pool.submit(grouped, 4)
        eventually(lambda: grouped.waiting == 3)
        work.go_on.set()

        assert first.result(WAIT) == 10
        for f in broken:
            with pytest.raises(RuntimeError, match="item 2 broke its group"):
                f.result(WAIT)
        assert after.result(WAIT) == 40
    assert work.groups == [[1], [2, 3], [4]]
