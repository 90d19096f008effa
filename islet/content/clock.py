"""Markdown's time limit (ISLET_LIMITS['markdown_seconds']): no source can hang the build.

Python-Markdown takes quadratic time on some text, and content comes from many hands: 50,000 "[" on one
line take minutes, 20,000 "![" or "<http://" take a minute or more, ten thousand lines of "```" half a
minute (plain Pelican hangs on them the same way). Each source's Markdown gets `seconds` of wall-clock
time, counted by a `Clock` from the moment Markdown reaches it, after the source's Jinja and widgets (those
have limits of their own: template_seconds, render_seconds), to the end of its formatted front matter
(Summary…).

Past the limit, `slowest_part` finds which part of the source to name in the message: each line of the
front matter and each block of the body (lines between blank lines) is converted on its own, within the same
time again; the part being converted when that time is up is the culprit, or else the slowest part.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any, Mapping

from markdown.preprocessors import Preprocessor

from islet.errors import TimeLimitExceeded, time_limit

PRIORITY = 25.4       # after the widget blocks (25.5) and Jinja (26), before fenced code blocks (25)


class Clock(Preprocessor):
    """Starts the limit of one source the first time Markdown reaches it; `stack` (closed once the source
    is read) stops it."""

    def __init__(self, md, stack: ExitStack, seconds: float):
        super().__init__(md)
        self.stack, self.seconds, self.started = stack, seconds, False

    def run(self, lines: list[str]) -> list[str]:
        if not self.started:
            self.started = True
            self.stack.enter_context(time_limit(self.seconds))
        return lines


def slowest_part(lines: list[str], body_starts: int, settings: Mapping[str, Any], seconds: float) -> int:
    """The line (1-based) where the part of a source Markdown is slowest on starts. `lines`: the whole
    source; `body_starts`: how many of them are front matter; `settings`: Pelican's MARKDOWN."""
    from markdown import Markdown

    md = Markdown(**settings)
    if "meta" in md.preprocessors:
        md.preprocessors.deregister("meta")        # the front matter's lines are converted as text
    parts = _parts(lines, body_starts)
    slowest, longest, current = (parts[0][0] if parts else 0), -1.0, 0
    try:
        with time_limit(seconds):
            for current, text in parts:
                began = time.monotonic()
                try:
                    md.reset()
                    md.convert(text)
                except Exception:          # a part alone may not be valid where the whole was: not the slow one
                    continue
                took = time.monotonic() - began
                if took > longest:
                    slowest, longest = current, took
    except TimeLimitExceeded:
        return current + 1
    return slowest + 1


def _parts(lines: list[str], body_starts: int) -> list[tuple[int, str]]:
    """(index of the first line, text): each front matter line alone, then the body's blocks."""
    parts = [(index, lines[index]) for index in range(min(body_starts, len(lines))) if lines[index].strip()]
    start = None
    for index in range(body_starts, len(lines) + 1):
        blank = index == len(lines) or not lines[index].strip()
        if blank and start is not None:
            parts.append((start, "\n".join(lines[start:index])))
            start = None
        elif not blank and start is None:
            start = index
    return parts
