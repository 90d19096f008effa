"""Build server: a warm process that forks a fresh build for each ``islet build`` of one site.

Starting Python and importing Pelican, Jinja, Markdown, Pygments and islet takes about 0.3 s, a third
of a one-edit build of 1,000 articles. After a build in its own process, ``islet build`` leaves a
server behind (`start`) that imports those modules once and waits. The next ``islet build`` of the
same site hands it its command (`delegate`): the server forks, and the child runs the build exactly
as the command would have, with the command's working folder, environment, standard input, output and
error (passed over the socket), and sends back its exit code. Each build is a new process: nothing of
one build is left in the next, and the server itself never builds.

The server stops when it has had nothing to do for `IDLE` seconds, and as soon as anything it imported
may have changed: a Python file of islet, a folder of ``sys.path`` (a package installed or removed), the
Python, or the environment of the command (`stale`). The command then builds in its own process and
starts a new server. ``ISLET_BUILD_SERVER=0`` turns it off, as does a ``CI`` variable; it needs Linux
(fork, and the peer's user id on a Unix socket). The socket is in a folder only this user can open,
and the server serves only this user's processes.
"""
from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

IDLE = 600.0                     # seconds without a build before the server stops
PROTOCOL = 1
# What every build imports (a build with nothing to do imports none of it, so a server it starts needs the list).
PRELOAD = ("pelican", "pelican.generators", "pelican.readers", "pelican.writers", "jinja2", "markdown",
           "islet.plugin")
# Variables that differ between two shells of one user without changing a build.
_VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "ISLET_BUILD_SERVER_IDLE"})
_ISLET = Path(__file__).resolve().parents[1]


def wanted() -> bool:
    """Whether ``islet build`` may use (and start) a build server here."""
    return (os.environ.get("ISLET_BUILD_SERVER", "1").lower() not in ("0", "no", "off", "false")
            and not os.environ.get("CI") and sys.platform == "linux" and hasattr(socket, "SO_PEERCRED"))


def socket_path(root: Path) -> Path | None:
    """Where the server of the site at `root` listens (None: no private folder for it here)."""
    folder = Path(tempfile.gettempdir()) / f"islet-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.lstat()
    except OSError:
        return None
    if found.st_uid != os.getuid() or found.st_mode & 0o077 or not folder.is_dir() or folder.is_symlink():
        return None                        # made by someone else, or opened to others: not ours to trust
    name = hashlib.blake2b(f"{Path(root).resolve()}\0{sys.executable}".encode(), digest_size=8).hexdigest()
    return folder / f"{name}.sock"


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _VOLATILE}


# --- the command's side ----------------------------------------------------------------------------------

def build_and_report(plan) -> bool:
    """The ``islet build`` and ``./dev build`` commands: islet.build.driver.build_and_report, run by the site's
    build server when one is listening; when none was, one is started for the next build."""
    from .driver import build_and_report as here

    if not wanted():
        return here(plan)
    fields = {"root": str(plan.root), "settings_file": plan.settings_file, "output": plan.output,
              "strict": plan.strict, "precompress": plan.precompress}
    code = delegate(plan.root, fields)
    if code is not None:
        return code == 0
    try:
        return here(plan)
    finally:
        start(plan.root)


def delegate(root: Path, plan: dict) -> int | None:
    """Have this site's build server run the build `plan` (BuildPlan's fields); its exit code, or None when
    no server ran it (none is listening, or it is stale and stops): then build in this process."""
    path = socket_path(root)
    if path is None or not path.exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
        request = json.dumps({"protocol": PROTOCOL, "executable": sys.executable, "cwd": os.getcwd(),
                              "env": dict(os.environ), "plan": plan}).encode()
        socket.send_fds(client, [struct.pack("!I", len(request))], [0, 1, 2])
        client.sendall(request)
        answers = client.makefile("r", encoding="utf-8")
        child = None
        try:
            for line in answers:
                answer = json.loads(line)
                if "pid" in answer:
                    child = answer["pid"]
                elif "code" in answer:
                    return int(answer["code"])
                else:
                    return None                   # stale: it stops, and this process builds
        except KeyboardInterrupt:
            if child is not None:                 # the build is the server's child: stop it as Ctrl-C would
                os.kill(child, signal.SIGINT)
            raise
        return None              # it went away mid-build (killed?): the build is atomic, so build here
    except (OSError, ValueError):
        return None
    finally:
        client.close()


def start(root: Path) -> None:
    """Start this site's build server in the background, unless one is listening already."""
    path = socket_path(root)
    if path is None or listening(path):
        return
    modules = sorted({*PRELOAD, *preloadable()})
    server = subprocess.Popen([sys.executable, "-m", "islet.build.server", str(path)], cwd="/",
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, env=os.environ.copy())
    with server.stdin:                        # the modules to import, one per line
        server.stdin.write("\n".join(modules).encode())


def listening(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def preloadable() -> list[str]:
    """The modules of this process a server may import ahead of a build."""
    return [name for name, module in list(sys.modules.items()) if not name.startswith("__") and _preloadable(module)]


def _preloadable(module) -> bool:
    """Modules of Python, of installed packages and of islet: not the site's own (settings, widgets), which
    each build imports afresh."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    place = os.path.realpath(file)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(place.startswith(p + os.sep) for p in prefixes) or place.startswith(str(_ISLET) + os.sep)


# --- the server's side -----------------------------------------------------------------------------------

def _stamp() -> dict[str, tuple | None]:
    """What the server's imports came from: every folder of sys.path (installing or removing a package
    changes its folder) and every Python file of islet."""
    def identity(path: str) -> tuple | None:
        try:
            found = os.stat(path)
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size

    found = {folder: identity(folder or ".") for folder in sys.path}
    for base, _, names in os.walk(_ISLET, followlinks=True):      # (islet/widgets is a link in a checkout)
        found.update((os.path.join(base, n), identity(os.path.join(base, n))) for n in names if n.endswith(".py"))
    return found


def stale(request: dict, stamp: dict, env: dict) -> str | None:
    """Why this server may not run `request` (it then stops), or None."""
    if request.get("protocol") != PROTOCOL or request.get("executable") != sys.executable:
        return "another islet or Python"
    if {k: v for k, v in request.get("env", {}).items() if k not in _VOLATILE} != env:
        return "another environment"
    if _stamp() != stamp:
        return "islet or an installed package changed"
    return None


def serve(path: Path, modules: list[str]) -> None:
    """Import `modules`, listen at `path` and fork a build for each command, until idle or stale. One server
    per socket: it holds ``<name>.lock`` while it runs."""
    lock = open(path.with_suffix(".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return                              # another server of this site runs (or is starting)
    for name in modules:
        try:
            __import__(name)
        except Exception:          # only a module fewer in memory: the build imports what it needs
            pass
    # What was imported stays as it is: out of the garbage collector's sight, a forked build's collections
    # do not walk it (nor copy its pages by touching them).
    gc.collect()
    gc.freeze()
    stamp, env = _stamp(), environment()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        path.unlink(missing_ok=True)        # a server that died left it (we hold the lock)
        listener.bind(str(path))
    except OSError:
        return
    listener.listen(8)
    listener.settimeout(float(os.environ.get("ISLET_BUILD_SERVER_IDLE") or IDLE))
    path.with_suffix(".pid").write_text(str(os.getpid()))      # to stop it: kill $(cat …/<name>.pid)
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            with connection:
                if not _serve_one(connection, listener, stamp, env):
                    return
    finally:
        listener.close()
        path.unlink(missing_ok=True)              # ours: nobody else binds it while we hold the lock
        path.with_suffix(".pid").unlink(missing_ok=True)
        lock.close()


def _serve_one(connection: socket.socket, listener: socket.socket, stamp: dict, env: dict) -> bool:
    """Run one build in a child; False when the server must stop."""
    connection.settimeout(10)
    try:
        uid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
        if uid != os.getuid():
            return True
        head, fds, _, _ = socket.recv_fds(connection, 4, 3)
        request = json.loads(_exactly(connection, struct.unpack("!I", head)[0]))
    except (OSError, ValueError, struct.error):
        return True
    try:
        why = stale(request, stamp, env)
        if why is not None or len(fds) != 3:
            _send(connection, {"stale": why or "no standard streams"})
            return False
        learnt, told = os.pipe()             # the child tells what its build imported (see _learn)
        child = os.fork()
        if child == 0:
            os.close(learnt)
            _child(connection, listener, fds, request, told)
        os.close(told)
        _send(connection, {"pid": child})
        with open(learnt, "rb") as imported:  # (read before waiting: a long list would fill the pipe)
            modules = imported.read().decode().split()
        os.waitpid(child, 0)
        _learn(modules)
        return True
    finally:
        for fd in fds:
            os.close(fd)


def _learn(modules: list[str]) -> None:
    """Import what the last build imported and the server had not (Markdown extensions, Pygments lexers, a
    plugin…), so that the next build finds them imported too. Each is frozen as the first ones were."""
    new = [name for name in modules if name not in sys.modules]
    for name in new:
        try:
            __import__(name)
        except Exception:
            pass
    if new:
        gc.collect()
        gc.freeze()


def _child(connection, listener, fds: list[int], request: dict, told: int) -> None:
    """In the forked child: become the command (its streams, folder and environment), build, exit."""
    code = 1
    try:
        listener.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1 if os.isatty(1) else -1)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from .driver import BuildPlan, build_and_report as here

        plan = dict(request["plan"], root=Path(request["plan"]["root"]))
        code = 0 if here(BuildPlan(**plan), where=f" (by the build server, pid {os.getppid()})") else 1
    except BaseException:          # a bug: shown as the command would show it
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            _send(connection, {"code": code})
            with open(told, "wb") as out:
                out.write("\n".join(preloadable()).encode())
        finally:
            os._exit(code)


def _send(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _exactly(connection: socket.socket, size: int) -> bytes:
    body = b""
    while len(body) < size:
        part = connection.recv(size - len(body))
        if not part:
            raise ValueError("the command hung up")
        body += part
    return body


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.stdin.read().split())
