"""A bound on how long a call on hostile input may run: a hang becomes a test failure, not a stuck suite."""
from __future__ import annotations

import signal
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: int, what: str):
    """Raise TimeoutError if the block runs longer than `seconds` (SIGALRM: the main thread of a POSIX process;
    Python's regular expression engine checks for it while matching). The bound is for a hang or a quadratic
    blow-up, orders of magnitude above the expected time, not a speed target."""
    def hung(*_):
        raise TimeoutError(f"{what} took more than {seconds} s: super-linear on this input")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
