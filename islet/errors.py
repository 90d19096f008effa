"""Named errors and the one-line problem format every islet message uses.

An author's mistake is never a traceback: it is a `Problem`, printed as
``path:line: what is wrong — how to fix it``. Stages raise an `IsletError`
subclass holding one or more problems; the build prints them all and exits 1.
"""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing an author must fix. `line` and `column` are 1-based; 0 means "the whole file" / "the whole line"."""

    path: str
    line: int
    what: str
    fix: str = ""
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        where += f":{self.column}" if self.line and self.column else ""
        return f"{where}: {self.what}" + (f" — {self.fix}" if self.fix else "")


class IsletError(Exception):
    """Base class: something the user can fix. Carries the problems to print."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("islet", 0, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def print_problems(error: IsletError) -> int:
    """Print one line per problem to stderr, for a command-line entry point; returns the exit status 1."""
    import sys

    for problem in error.problems:
        print(problem, file=sys.stderr)
    return 1


class SettingsError(IsletError):
    """A setting in pelicanconf.py / publishconf.py has a wrong type or value."""


class DataError(IsletError):
    """A file in content/data/ cannot be read."""


class ContentError(IsletError):
    """An article, page or template is wrong (front matter, date, slug, link …)."""


class ToolMissingError(IsletError):
    """An external program islet needs is not installed."""


class LimitError(IsletError):
    """An input asked for more than a limit allows (time, size, depth): see ISLET_LIMITS in islet.settings."""


class TimeLimitExceeded(BaseException):
    """Raised inside code that ran past its `time_limit`. A BaseException, so that the code being
    stopped (a widget's render(), a content template) cannot swallow it with `except Exception`."""


AGAIN = 0.05          # seconds after an expired limit's alarm before the next, should the first be lost


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise `TimeLimitExceeded` in the block after `seconds` of wall-clock time.

    A SIGALRM timer, so it needs the main thread of its process (where builds, and their forked
    helpers, run); elsewhere the block runs without a limit. Nested limits keep the outer one's timer."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()

    def expired(signum, frame):
        # Again soon, in case this raise is lost: one in a garbage collector's callback or a __del__ is only
        # printed, and the block would run on without a limit.
        signal.setitimer(signal.ITIMER_REAL, AGAIN)
        raise TimeLimitExceeded(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:        # an enclosing limit goes on counting from where it was
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 0.001))


def shown_path(path: Path, root: Path) -> str:
    """How messages name a file: relative to the site root, with forward slashes."""
    plain, base = os.path.abspath(path), _resolved(str(root))
    if plain.startswith(base + os.sep):             # the usual case, without a system call per folder
        return Path(plain[len(base) + 1:]).as_posix()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return Path(path).as_posix()


@functools.lru_cache(maxsize=16)
def _resolved(root: str) -> str:
    return str(Path(root).resolve())
