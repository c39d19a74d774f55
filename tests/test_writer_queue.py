"""SQLite's writers in the process: one at a time, served in the order they came."""

from __future__ import annotations

import threading
import time

from storage.db import WriterQueue


def test_writers_waiting_for_the_queue_get_it_in_the_order_they_came() -> None:
    queue = WriterQueue()
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
        deadline = time.monotonic() + 5
        while len(queue._waiting) < n + 1:
            assert time.monotonic() < deadline, f"writer {n} never queued"
            time.sleep(0.001)
    queue.release()
    for thread in writers:
        thread.join(5)

    assert served == list(range(8))


def test_a_released_queue_is_free_for_the_next_writer_at_once() -> None:
    queue = WriterQueue()
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
