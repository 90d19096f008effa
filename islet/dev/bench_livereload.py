"""Bench, livereload part: how long an article edit takes to reach a page open in ``./dev livereload``.

Runs islet's dev server on the bench's islet site (already built, so its caches are warm, as while
writing), opens the page's event stream as the page's script does, appends a paragraph to the
article and times two moments from the write: the ``reload`` event for that page (the page then
shows the edit: checked), and the full build having written it into build/.
"""
from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from islet.errors import IsletError, Problem

SERVER = ("import sys; from pathlib import Path; from islet.dev.livereload import watch_and_serve; "
          "watch_and_serve(Path(sys.argv[1]), 'build', '127.0.0.1', int(sys.argv[2]))")
TIMEOUT = 180.0


class LiveBenchError(IsletError):
    """The dev server did not start, or an edit never reached the page."""


@dataclass
class LiveSample:
    shown_seconds: float      # edit written -> the open page told to reload, and it shows the edit
    built_seconds: float      # edit written -> the full build wrote it into build/


def measure(site: Path, article: Path, page: str, marker: str, env: dict, log: Path) -> LiveSample:
    """Time one edit of `article` (served as `page`, e.g. ``articles/x.html``) in a livereload server on `site`."""
    port = _free_port()
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(site), str(port)], cwd=site, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        html = _wait_for_page(port, page, server, log)
        generation = re.search(rb"/_islet/livereload\.js\?g=(\d+)", html)
        if generation is None:
            raise _failed(log, f"{page} was served without the livereload script")
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        events.request("GET", f"/_islet/events?since={int(generation[1])}&page=/{page}")
        stream = events.getresponse()
        stream.readline()                                   # "retry: …": the stream is open
        started = time.perf_counter()
        with article.open("a", encoding="utf-8") as edit:
            edit.write(f"\nA paragraph with {marker}, written while the page was open.\n")
        while not stream.readline().startswith(b"event: reload"):
            if server.poll() is not None:
                raise _failed(log, "the dev server stopped")
        shown = time.perf_counter() - started
        events.close()
        if marker.encode() not in _get(port, page):
            raise _failed(log, f"{page} was reloaded without the edit")
        built = site / "build" / page
        while marker not in built.read_text(encoding="utf-8"):
            if time.perf_counter() - started > TIMEOUT or server.poll() is not None:
                raise _failed(log, "the full build never wrote the edit")
            time.sleep(0.01)
        return LiveSample(shown, time.perf_counter() - started)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_for_page(port: int, page: str, server, log: Path) -> bytes:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return _get(port, page)
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise _failed(log, "the dev server did not start")
            time.sleep(0.1)


def _get(port: int, page: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/" + page)
        response = connection.getresponse()
        if response.status != 200:
            raise OSError(f"HTTP {response.status}")
        return response.read()
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _failed(log: Path, what: str) -> LiveBenchError:
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
    print(tail, file=sys.stderr)
    return LiveBenchError(Problem("bench", 0, f"livereload: {what}", "its last lines are above"))
