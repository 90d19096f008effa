"""Warm builds: a process that has imported the build once, and forks one build per ``python -m islet build``.

    python -m islet server start     then every `python -m islet build` of this Python starts warm
    python -m islet server status | stop | run (in the foreground)

The client side (where the socket is, handing a build over, start/stop/status, and the server a build on a
terminal starts by itself): islet.build.server_client.

A build in a fresh process first imports Pelican, Markdown, Jinja, Pygments and islet: 0.2–0.3 s, a third of a
one-edit build of 1,000 articles. The server pays that once. For each build it forks: the fork takes the
client's terminal (its file descriptors, passed over the socket), working folder, environment and arguments,
and runs exactly the build a fresh process would: staged, swapped atomically, under the site's lock. Its exit
code is the client's; Ctrl-C in the client interrupts it.

Why a fork is as good as a fresh process:
- The server never builds. It holds no site's state, only imported modules: each fork starts from the same
  state a fresh process would reach after its imports, and its build's changes die with it.
- It serves only its own Python: a client with another interpreter, prefix or module path builds by itself.
- Before each fork it checks that no module it imported changed on disk (an upgrade, an edit of islet). If one
  did, it declines (the client builds by itself) and starts again, with the new code.
- It learns: modules of installed packages (and islet's) that a build imported are imported by the server
  for the next one. A site's own code (settings, plugins beside it, widgets) never is. The regular
  expressions a build compiled (Pygments' lexers compile hundreds) are compiled in the server too: `re`
  remembers them, and compiling is a pure function.
- Only its user can reach it: the socket is in a folder only they can open, and each side checks the other's
  user id (SO_PEERCRED).

Without a server (or where processes cannot fork or pass file descriptors), a build runs by itself, as before.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from islet.errors import Problem

from .server_client import IDLE_MINUTES, MESSAGE, ServerError, key, peer_uid, prepare, send, status

# What a build imports at once; the server learns the rest from the builds it runs. And the type checker the
# widget check runs (islet.islands.check.types): the check imports it in a process of its own, which the server
# never hears from (0.06 s of each check, for 20 MB of the server's).
WARM = ("pelican", "pelican.generators", "pelican.readers", "pelican.writers", "pelican.log", "islet.plugin",
        "islet.build.driver", "mypy.build", "mypy.modulefinder", "mypy.options", "mypy.server.subexpr", "mypy.types")


# --- the server -------------------------------------------------------------------------------------

def run(command, idle_minutes: float = IDLE_MINUTES) -> int:
    """Serve builds until stopped, idle for `idle_minutes`, or its code changes (then it starts again). Each
    build is `command(argv)` (islet.__main__.main: the command line, run in this process), in a fork."""
    place = prepare()
    if status():
        raise ServerError(Problem(str(place), 0, "a build server already runs here", "python -m islet server stop"))
    place.unlink(missing_ok=True)                       # a dead server's
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(os.fspath(place))
    listener.listen(16)
    server = Server(listener, place, command)
    print(f"islet build server {os.getpid()} on {place}", flush=True)
    try:
        restart = server.serve(idle_minutes * 60)
    finally:
        listener.close()
        if server.ours():
            place.unlink(missing_ok=True)
    if restart:
        print(f"islet build server: {restart}: starting again", flush=True)
        os.execv(sys.executable, sys.orig_argv)
    return 0


class Server:
    def __init__(self, listener: socket.socket, place: Path, command=None):
        self.listener, self.place, self.command = listener, place, command
        self.identity = place.stat().st_ino
        self.builds: set[int] = set()              # the builds running (process ids)
        self.reports: dict[int, bytearray] = {}    # pipe -> what a build said so far of what it imported
        self.served = 0
        self.declined = ""
        self.learn(WARM)

    def ours(self) -> bool:
        try:
            return self.place.stat().st_ino == self.identity
        except OSError:
            return False

    def learn(self, modules=(), patterns=()) -> None:
        """Import `modules` and compile `patterns` now, so that the next builds find them done; then note every
        module's file. (Compiling is a pure function, remembered by `re` itself: a build that compiles a
        pattern again, Pygments' lexers' hundreds of them, finds it compiled.)"""
        import importlib
        import re

        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:           # noqa: BLE001 (a module that fails here is imported by the build, as before)
                pass
        for pattern, flags in patterns:
            try:
                re.compile(pattern, flags)
            except Exception:           # noqa: BLE001
                pass
        self.code = _code_files()

    def serve(self, idle: float) -> str:
        """Accept builds; returns why it ends ("" when stopped or idle)."""
        import select

        quiet_since = time.monotonic()
        while True:
            ready, _, _ = select.select([self.listener, *self.reports], [], [], 1.0)
            self.reap()
            for pipe in ready:
                if pipe is not self.listener:
                    self.read_report(pipe)
            if self.listener not in ready:
                if not self.ours():
                    return ""                          # its socket was removed or taken over
                if not self.builds and time.monotonic() - quiet_since > idle:
                    return ""
                continue
            quiet_since = time.monotonic()
            conn, _ = self.listener.accept()
            with conn:
                outcome = self.answer(conn)
            if outcome is not None:
                return outcome

    def answer(self, conn: socket.socket) -> str | None:
        if peer_uid(conn) != os.getuid():
            return None
        body, fds, _, _ = socket.recv_fds(conn, MESSAGE, 3)
        try:
            request = json.loads(body) if body else {}
            if request.get("stop"):
                send(conn, {"stopped": os.getpid()})
                return ""
            if request.get("status"):
                send(conn, {"pid": os.getpid(), "builds": self.served, "modules": len(self.code),
                             "patterns": len(_compiled()), "declined": self.declined})
                return None
            why, changed = self.refusal(request, len(fds))
            if why:
                self.declined = why
                send(conn, {"declined": why})
                return why if changed else None
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                _build_here(self.command, conn, self.listener, fds, request, write)   # never returns
            os.close(write)
            self.builds.add(pid)
            self.reports[read] = bytearray()
            self.served += 1
            return None
        finally:
            for fd in fds:
                os.close(fd)

    def refusal(self, request: dict, fds: int) -> tuple[str, bool]:
        """Why this build cannot run here ("" when it can), and whether the server's code changed."""
        import threading

        if request.get("key") != key():
            return "the client runs another Python (interpreter, prefix or module path)", False
        if fds != len(request.get("streams", ())):
            return "the client's terminal did not arrive", False
        if _code_files() != self.code:
            return "a module the server imported changed on disk", True
        if threading.active_count() != 1:
            return "a thread runs in the server (a fork would copy it half-way)", True
        return "", False

    def reap(self) -> None:
        """Collect the builds that ended."""
        for pid in list(self.builds):
            if os.waitpid(pid, os.WNOHANG)[0]:
                self.builds.discard(pid)

    def read_report(self, pipe: int) -> None:
        """Read what a build says it imported and compiled; at its end, learn it."""
        chunk = os.read(pipe, 1 << 16)
        if chunk:
            self.reports[pipe] += chunk
            return
        os.close(pipe)
        try:
            said = json.loads(self.reports.pop(pipe) or b"{}")
            self.learn(said.get("modules", ()), said.get("patterns", ()))
        except (ValueError, TypeError):
            pass


def _code_files() -> dict[str, tuple[int, int]]:
    """Every imported module's file, with its modification time and size."""
    files = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and path not in files:
            try:
                facts = os.stat(path)
            except OSError:
                continue
            files[path] = (facts.st_mtime_ns, facts.st_size)
    return files


def _installed_roots() -> tuple[str, ...]:
    """Where installed code lives: Python's prefixes (a virtualenv's included) and islet's own package."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))          # islet/
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, package}
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


def _learnable(name: str, roots: tuple[str, ...]) -> bool:
    """A module of an installed package (or of islet), not of the site: the server may import it."""
    path = getattr(sys.modules.get(name), "__file__", None)
    return bool(path) and name != "__main__" and os.path.realpath(path).startswith(roots)


def _build_here(command, conn, listener, fds, request, report: int) -> None:
    """In the fork: become the client's build process, run the build, report, exit. Never returns."""
    code = 1
    modules, patterns = set(sys.modules), set(_compiled())
    try:
        listener.close()
        os.setpgid(0, 0)                      # its own group: the client's Ctrl-C reaches the build's workers too
        streams = dict(zip(request["streams"], fds))
        null = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(streams.get(target, null), target)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        _locale()
        sys.argv = ["python -m islet", *request["argv"]]
        sys.path[:] = request["path"]
        _streams(request["encoding"])
        import random

        random.seed()                         # as a fresh process would be: not the server's sequence
        send(conn, {"pid": os.getpid()})
        try:
            code = command(request["argv"])
        except SystemExit as ended:
            code = ended.code if isinstance(ended.code, int) else 1
        except KeyboardInterrupt:
            code = 130
    except BaseException:                     # noqa: BLE001 (a bug: shown to the client, as a fresh process would)
        import traceback

        traceback.print_exc()
    finally:
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            send(conn, {"code": code})
        except BaseException:                 # noqa: BLE001 (the client is gone: nothing left to tell)
            pass
        try:                                  # then, while the client goes on: what the server may learn
            roots = _installed_roots()
            said = {"modules": sorted(n for n in set(sys.modules) - modules if _learnable(n, roots)),
                    "patterns": [k[1:] for k in _compiled() if k not in patterns and len(k[1]) < 10_000][:512]}
            with os.fdopen(report, "wb") as pipe:
                pipe.write(json.dumps(said).encode())
        except BaseException:                 # noqa: BLE001
            pass
        os._exit(code)


def _locale() -> None:
    """The character type of the client's environment, as Python sets it when it starts (the rest of the locale
    is the C one there too, until a program sets it)."""
    import locale

    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        pass


def _compiled() -> list[tuple]:
    """The patterns in `re`'s cache of compiled ones: (str, pattern, flags) keys."""
    import re

    cache = getattr(re, "_cache", {})
    return [k for k in list(cache) if isinstance(k, tuple) and len(k) == 3 and k[0] is str
            and isinstance(k[1], str) and isinstance(k[2], int)]


def _streams(encodings) -> None:
    """sys.stdin/stdout/stderr over the client's descriptors, buffered as a fresh process would buffer them."""
    import io

    kept = []                                 # the server's own objects: never closed (their fds are now the client's)
    for fd, name, given in zip((0, 1, 2), ("stdin", "stdout", "stderr"), encodings):
        encoding, errors = given or ("utf-8", "strict")
        kept.append(getattr(sys, name))
        tty = os.isatty(fd)
        raw = io.open(fd, "rb" if fd == 0 else "wb", closefd=False, buffering=-1 if fd == 0 else (0 if fd == 2 else -1))
        stream = io.TextIOWrapper(raw, encoding=encoding, errors=errors, line_buffering=tty or fd == 2,
                                  write_through=fd == 2)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    _streams.kept = kept
