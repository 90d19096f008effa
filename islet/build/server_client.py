"""The build server's client side: where this Python's server listens, handing it a build, and starting,
stopping or asking it (``python -m islet build`` and ``python -m islet server start|stop|status``).

The server itself, and why a build in a fork of it is the build a fresh process runs: islet.build.server.
A build on a terminal that finds no server starts one for the next builds (`start_for_next_builds`), except in CI
and with ISLET_SERVER=off, which also keeps builds out of a running server.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import sys
import time
from pathlib import Path

from islet.errors import IsletError, Problem

IDLE_MINUTES = 120               # an idle server stops after this long
MESSAGE = 1 << 20                # the largest request (its environment): SOCK_SEQPACKET keeps it whole
SUPPORTED = all(hasattr(x, y) for x, y in ((os, "fork"), (socket, "AF_UNIX"), (socket, "SOCK_SEQPACKET"),
                                           (socket, "SO_PEERCRED"), (socket, "send_fds")))


class ServerError(IsletError):
    """The build server cannot start, or cannot be reached as asked."""


# --- where: one socket per Python ---------------------------------------------------------------------

def key() -> str:
    """This Python: interpreter, prefix, version, flags (-O, -X utf8, PYTHONHASHSEED…) and module path (less
    the script's folder, sys.path[0])."""
    facts = [sys.executable, sys.prefix, sys.version, repr(sys.flags), repr(sys._xoptions), repr(sys.warnoptions),
             *sys.path[1:]]
    return hashlib.sha256("\0".join(facts).encode()).hexdigest()[:16]


def folder() -> Path:
    """The private folder of the sockets: $ISLET_SERVER_DIR, else $XDG_RUNTIME_DIR/islet, else /tmp/islet-UID."""
    chosen = os.environ.get("ISLET_SERVER_DIR")
    if chosen:
        return Path(chosen)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "islet" if runtime else Path(os.environ.get("TMPDIR") or "/tmp") / f"islet-{os.getuid()}"


def socket_path() -> Path:
    return folder() / f"build-{key()}.sock"


def private(path: Path) -> bool:
    """`path` is a folder of this user's that no one else can open (another user's socket could be a trap)."""
    try:
        facts = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(facts.st_mode) and facts.st_uid == os.getuid() and not facts.st_mode & 0o077


def peer_uid(conn: socket.socket) -> int:
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(credentials[4:8], sys.byteorder)


def send(conn: socket.socket, message: dict) -> None:
    conn.send(json.dumps(message).encode())


def receive(conn: socket.socket) -> dict:
    body = conn.recv(MESSAGE)
    return json.loads(body) if body else {}


# --- the client: python -m islet build -------------------------------------------------------------

def connect() -> socket.socket | None:
    """A connection to this Python's server, or None when there is none (or it is not this user's)."""
    if not SUPPORTED:
        return None
    path = socket_path()
    if not private(path.parent) or len(os.fsencode(path)) > 100:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.connect(os.fspath(path))
        if peer_uid(conn) != os.getuid():
            raise OSError("another user's server")
    except OSError:
        conn.close()
        return None
    return conn


def build(argv: list[str]) -> int | None:
    """Run `python -m islet <argv>` in a fork of the server; its exit code, or None when no server took it
    (none runs, it declined, ISLET_SERVER=off): the caller then builds by itself."""
    conn = None if switched_off() else connect()
    if conn is None:
        return None
    with conn:
        streams = [fd for fd in (0, 1, 2) if _open(fd)]
        mask = os.umask(0o022)
        os.umask(mask)
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "key": key(), "path": sys.path,
                   "umask": mask, "streams": streams,
                   "encoding": [_encoding(s) for s in (sys.stdin, sys.stdout, sys.stderr)]}
        try:
            socket.send_fds(conn, [json.dumps(request).encode()], streams)
            started = receive(conn)
        except OSError:
            return None
        if "pid" not in started:
            return None                                        # declined: why is in the server's status
        pid = started["pid"]
        forward = lambda number, frame: _signal(pid, number)   # noqa: E731
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, forward)
        ended = receive(conn)
    if "code" not in ended:
        print("islet: the build process stopped before it finished (killed?): build again", file=sys.stderr)
        return 1
    return ended["code"]


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _encoding(stream) -> list[str] | None:
    return [stream.encoding, stream.errors] if stream is not None and hasattr(stream, "encoding") else None


def _signal(pid: int, number: int) -> None:
    """Ctrl-C (and the like) goes to the build's process group, as a terminal would send it."""
    try:
        os.killpg(pid, number)
    except ProcessLookupError:
        pass


def stop() -> int | None:
    """Ask this Python's server to stop; its process id, or None when none runs."""
    return (_ask({"stop": True}) or {}).get("stopped")


def status() -> dict | None:
    """What this Python's server says of itself (pid, builds, modules, patterns, why it last declined), or None."""
    return _ask({"status": True}) or None


def _ask(message: dict) -> dict | None:
    conn = connect()
    if conn is None:
        return None
    with conn:
        send(conn, message)
        return receive(conn)


def start(idle_minutes: float = IDLE_MINUTES, wait: float = 20.0) -> int:
    """Start a server in the background (its own session, output to server.log beside its socket); its pid."""
    if not SUPPORTED:
        raise ServerError(Problem("islet server", 0, "this system cannot run the build server (it needs fork, Unix "
                                                     "sockets and SO_PEERCRED)", "build without it: nothing changes"))
    running = status()
    if running:
        return running["pid"]
    process = _spawn(idle_minutes)
    log = _log()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(Problem(str(log), 0, "the build server stopped as it started",
                                      "its output is in this file"))
        running = status()
        if running:
            return running["pid"]
        time.sleep(0.05)
    process.kill()
    raise ServerError(Problem("islet server", 0, f"the build server did not answer within {wait:.0f} s",
                              "try `python -m islet server run` to see what it does"))


def start_for_next_builds() -> int | None:
    """After a build that ran by itself, on a terminal: a server started in the background (not waited for), so
    that the next builds start warm, as build tools with a daemon do on a developer's machine. Not in CI, not
    where the output is not a terminal (scripts, editors, test suites), not with ISLET_SERVER=off. Its pid, or
    None when none was started."""
    if (not SUPPORTED or switched_off() or os.environ.get("CI", "").lower() not in ("", "0", "false")
            or not sys.stdout.isatty()):
        return None
    try:
        return None if status() else _spawn(IDLE_MINUTES).pid
    except (OSError, ServerError):         # a build server is only ever a way to start sooner
        return None


def switched_off() -> bool:
    """ISLET_SERVER=off: builds neither use a build server nor start one."""
    return os.environ.get("ISLET_SERVER", "").strip().lower() in ("off", "0", "no", "false")


def _spawn(idle_minutes: float):
    import subprocess

    prepare()
    with open(_log(), "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "islet", "server", "run", "--idle", str(idle_minutes)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def _log() -> Path:
    """Where a server started in the background writes what it says: beside its socket."""
    return folder() / "server.log"


def prepare() -> Path:
    """The socket's path, in a private folder made if need be."""
    place = socket_path()
    place.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private(place.parent):
        raise ServerError(Problem(str(place.parent), 0, "this folder is not yours alone, so the build server "
                                  "cannot keep its socket there", "set ISLET_SERVER_DIR to a folder of your own"))
    if len(os.fsencode(place)) > 100:
        raise ServerError(Problem(str(place), 0, "this socket path is too long for the system",
                                  "set ISLET_SERVER_DIR to a shorter folder"))
    return place
