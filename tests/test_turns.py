"""Turns at the database: SQLite's writers one at a time, PostgreSQL's units a few at a time, served in order."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import Engine

from storage.db import POSTGRES_UNITS_AT_ONCE, Turns, _unit_turns, _writer_locks, taking_turns, unit_of_work
from tests.e2e import eventually


def test_writers_waiting_for_the_queue_get_it_in_the_order_they_came() -> None:
    queue = Turns()
    queue.acquire()
    served: list[int] = []

    def writer(n: int) -> None:
        queue.acquire()
        served.append(n)
        queue.release()

    writers = []
    for n in range(8):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        writers.append(thread)
        # Each is queued before the next comes (the queue has no event to wait on: its state is polled, bounded).
        eventually(lambda: len(queue._waiting) == len(writers))
    queue.release()
    for thread in writers:
        thread.join(5)

    assert served == list(range(8))


def test_a_released_queue_is_free_for_the_next_writer_at_once() -> None:
    queue = Turns()
    queue.acquire()
    queue.release()

    taken = threading.Event()

    def writer() -> None:
        queue.acquire()
        taken.set()

    thread = threading.Thread(target=writer)
    thread.start()

    assert taken.wait(5)
    thread.join(5)


def test_with_several_turns_that_many_hold_at_once_and_the_next_waits_for_one_back() -> None:
    turns = Turns(2)
    turns.acquire()
    turns.acquire()
    taken = threading.Event()

    def third() -> None:
        turns.acquire()
        taken.set()

    thread = threading.Thread(target=third)
    thread.start()
    eventually(lambda: len(turns._waiting) == 1)
    assert not taken.is_set()

    turns.release()

    assert taken.wait(5)
    thread.join(5)


def _units_open_at_once(engine: Engine, threads: int, *, in_turns: bool) -> int:
    """How many of `threads` units of work were open together once every thread was in one or queued for one."""
    lock, open_now = threading.Lock(), [0]
    leave = threading.Event()
    postgres = engine.dialect.name == "postgresql"
    queue = (_unit_turns if postgres else _writer_locks).get(engine)

    def unit() -> None:
        with taking_turns() if in_turns else contextlib.nullcontext(), unit_of_work(engine) as session:
            session.connection()
            with lock:
                open_now[0] += 1
            assert leave.wait(10)

    workers = [threading.Thread(target=unit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    queued = queue._waiting if queue is not None and (in_turns or not postgres) else ()
    eventually(lambda: open_now[0] + len(queued) == threads)
    together = open_now[0]
    leave.set()
    for worker in workers:
        worker.join(10)
    return together


def test_slacks_requests_open_a_few_units_at_once_on_postgresql_and_one_writer_on_sqlite(engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"

    in_turns = _units_open_at_once(engine, POSTGRES_UNITS_AT_ONCE + 2, in_turns=True)
    outside = _units_open_at_once(engine, POSTGRES_UNITS_AT_ONCE + 2, in_turns=False)

    assert in_turns == (POSTGRES_UNITS_AT_ONCE if postgres else 1)
    assert outside == (POSTGRES_UNITS_AT_ONCE + 2 if postgres else 1)  # the passes and the outbox do not queue
