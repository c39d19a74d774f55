"""Where a benchmark's CPU goes, by function: runs another benchmark here with chosen functions timed in thread CPU.

Each function named with `--wrap module:Name.attribute` (or `module:function`) is replaced, for the run, by one that
adds the CPU its own thread spent inside it (`time.thread_time`) to a tally; at the end the tally is printed per
call and per unit (`--per`: the calls of one wrapped function, by default the most called one). Unlike a sampling
profiler (py-spy) or a tracing one (yappi, cProfile), it costs two clock reads a call and nothing elsewhere: on a
slow, shared machine both distorted the morning pass (py-spy's GIL view put 11% of it in a function that, counted,
took 12 ms; yappi tripled the pass's CPU). Only this process is counted: a stand-in in a child process is not.
The tally covers the whole run (oauth_fanout's pass over one workspace alone as well as over all of them).

    .venv/bin/python benchmarks/cpu_by_function.py oauth_fanout -- --workspaces 20 --members 100
    .venv/bin/python benchmarks/cpu_by_function.py oauth_fanout --wrap handlers.posting:PacedPoster.call -- ...

Without `--wrap` it times the morning pass's parts (PASS below).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

PASS = (
    "handlers.jobs:MorningSender.send_chunk",
    "handlers.jobs:MorningSender.claim_first",
    "handlers.jobs:MorningSender._deliver",
    "bot.coach.nudges:Nudges.claim_and_compose_many",
    "bot.coach.nudges:Nudges.sent_many",
    "bot.coach.nudges:Nudges._compose",
    "bot.coach.nudges:read_ahead",
    "storage.claims:claim_nudges",
    "storage.queries:get_members",
    "storage.queries:active_stands",
    "storage.asking:remember_nudges",
    "storage.schedule:schedule_nudges",
    "handlers.jobs:build_nudge",
    "handlers.posting:PacedPoster.call",
    "handlers.web_client:KeepAliveWebClient.call_json",
    "handlers.web_client:KeepAliveWebClient._exchange",
)
"""The morning pass's parts. Module-level functions are wrapped where the caller looks them up (`bot.coach.nudges`
imports `read_ahead` by name, so it is wrapped there)."""


class Tally:
    """Thread CPU and calls by name, added to from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, adding the CPU its thread spends in it to `name`."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.seconds[name] += spent
                    self.calls[name] += 1

        return timed

    def report(self, per: str | None) -> str:
        """The tally, most CPU first, per call and per call of `per`."""
        if not self.calls:
            return "no wrapped function was called"
        unit = per or self.calls.most_common(1)[0][0]
        units = max(1, self.calls[unit])
        lines = [f"{'function':58}{'CPU s':>8}{'calls':>9}{'ms/call':>9}{'ms per ' + unit.split('.')[-1]:>24}"]
        for name, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            calls = self.calls[name]
            lines.append(
                f"{name:58}{seconds:8.2f}{calls:9d}{1000 * seconds / calls:9.3f}{1000 * seconds / units:24.3f}"
            )
        return "\n".join(lines)


def wrap(tally: Tally, target: str) -> None:
    """Replace the function `module:Name.attribute` (or `module:function`) with its timed self."""
    module_name, _, path = target.partition(":")
    if not path:
        raise SystemExit(f"--wrap wants module:Name.attribute or module:function, not {target!r}")
    owner: Any = importlib.import_module(module_name)
    *outer, attribute = path.split(".")
    for name in outer:
        owner = getattr(owner, name)
    setattr(owner, attribute, tally.timed(path, getattr(owner, attribute)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark with the functions wrapped; print its report, then the tally."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmark", help="a script beside this one, without .py (oauth_fanout, ack_latency, ...)")
    parser.add_argument("--wrap", action="append", default=[], help="module:Name.attribute to time (repeatable)")
    parser.add_argument("--per", help="the wrapped function whose calls are the unit (default: the most called)")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="-- then the benchmark's own arguments")
    args = parser.parse_args(argv)
    benchmark = importlib.import_module(args.benchmark)  # beside this script, on sys.path as the script's folder
    tally = Tally()
    for target in args.wrap or PASS:
        wrap(tally, target)
    forwarded = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    status: int = benchmark.main(forwarded)
    print(tally.report(args.per))
    return status


if __name__ == "__main__":
    sys.exit(main())
