"""The warm build server (islet.build.server, and its client side: server_client): a build through it is the build a fresh process runs (same bytes,
same messages, same exit code), only started sooner; it serves only its user and its own code, and stops cleanly.
Each test runs a real server of its own (`python -m islet server run`), stopped by its process id."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from islet.build import server
from islet.build import server_client as client
from support.site import folder_digest, make_site

pytestmark = pytest.mark.skipif(not client.SUPPORTED, reason="the build server needs fork and Unix sockets")

ARTICLE = "---\nTitle: {title}\nDate: 2026-01-0{day}\nTags: warm\nSummary: s\n---\n\nBody of {title}.\n"


def _site(folder: Path, **extra: str):
    files = {f"content/articles/a{n}.md": ARTICLE.format(title=f"Article {n}", day=n) for n in (1, 2, 3)}
    return make_site(folder, {**files, **extra})


def _wait(condition, seconds: float = 20.0, what: str = "the server") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come in {seconds:.0f} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def command_key() -> str:
    """The key of `python -m islet`'s Python: pytest's own module path differs (tests/, its plugins)."""
    code = "from islet.build.server_client import key; print(key())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(autouse=True)
def as_the_command(command_key, monkeypatch):
    """This test talks to the servers as `python -m islet` would (and their builds go to a folder of its own)."""
    monkeypatch.setattr(client, "key", lambda: command_key)
    monkeypatch.setattr(server, "key", lambda: command_key)
    monkeypatch.delenv("ISLET_SERVER", raising=False)          # (conftest's no_build_server turns servers off)


@pytest.fixture
def warm(tmp_path, monkeypatch):
    """A server of this test's own (its socket in a private folder of the test's), run in the foreground."""
    place = tmp_path / "run"
    monkeypatch.setenv("ISLET_SERVER_DIR", str(place))
    process = subprocess.Popen([sys.executable, "-m", "islet", "server", "run", "--idle", "10"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait(lambda: client.status() is not None or process.poll() is not None)
    assert process.poll() is None, process.stdout.read()
    yield process
    process.kill()
    process.wait()


def _build(site, *args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(site.root), *args],
                          capture_output=True, text=True, timeout=300, **options)


def test_a_build_through_the_server_is_the_build_a_fresh_process_makes(warm, tmp_path, monkeypatch):
    site = _site(tmp_path / "site")
    served = _build(site)
    assert served.returncode == 0, served.stderr
    assert client.status()["builds"] == 1                       # it did go through the server
    assert "Built " in served.stdout and served.stderr == ""    # its output reached the client's own pipes

    alone = _site(tmp_path / "alone")
    monkeypatch.setenv("ISLET_SERVER_DIR", str(tmp_path / "none"))
    built = _build(alone)
    assert built.returncode == 0, built.stderr
    assert folder_digest(site.path("build")) == folder_digest(alone.path("build"))


def test_the_server_learns_what_builds_import_and_compile_but_not_the_sites_own_code(warm, tmp_path):
    code = "```python\ndef f(x: int) -> int:\n    return x + 1\n```\n"
    plugin = "import json\n\ndef register():\n    pass\n"
    site = _site(tmp_path / "site", **{"content/articles/code.md": ARTICLE.format(title="Code", day=4) + code,
                                       "plugins/own_plugin.py": plugin})
    settings = site.path("pelicanconf.py")
    settings.write_text(settings.read_text() + '\nPLUGIN_PATHS = ["plugins"]\nPLUGINS = ["islet", "own_plugin"]\n')
    before = client.status()
    assert _build(site).returncode == 0
    _wait(lambda: client.status()["patterns"] > before["patterns"] + 50, 10, "the patterns of Python's lexer")
    assert client.status()["modules"] > before["modules"]          # the modules the build imported lazily
    probe = subprocess.run([sys.executable, "-c", "from islet.build import server as s; import own_plugin; "
                            "import pygments; print(s._learnable('own_plugin', s._installed_roots()), "
                            "s._learnable('pygments', s._installed_roots()))"],
                           cwd=site.path("plugins"), capture_output=True, text=True)
    assert probe.stdout.split() == ["False", "True"], probe.stderr


def test_a_failed_build_through_the_server_says_why_and_exits_1(warm, tmp_path):
    site = _site(tmp_path / "site", **{"content/articles/bad.md": "---\nTitle: Bad\nDate: not a date\n---\n\nx\n"})
    failed = _build(site)
    assert failed.returncode == 1
    assert "bad.md" in failed.stderr and "Build failed" in failed.stderr and "Traceback" not in failed.stderr
    assert client.status()["builds"] == 1 and not site.path("build").exists()


def test_the_build_runs_in_the_clients_folder_with_its_environment(warm, tmp_path):
    site = _site(tmp_path / "site")
    cache = tmp_path / "a-cache-of-its-own"
    run = subprocess.run([sys.executable, "-m", "islet", "build", "--output", "out"], cwd=site.root,
                         env={**os.environ, "ISLET_CACHE_DIR": str(cache)}, capture_output=True, text=True,
                         preexec_fn=lambda: os.umask(0o077))
    assert run.returncode == 0, run.stderr
    assert client.status()["builds"] == 1
    assert (site.root / "out" / "index.html").is_file() and cache.is_dir()
    assert (site.root / "out" / "index.html").stat().st_mode & 0o777 == 0o600        # the client's umask


def test_ctrl_c_in_the_client_stops_the_build_and_leaves_the_output_as_it_was(warm, tmp_path):
    slow = ("from pathlib import Path\nimport time\nfrom pelican import signals\n\n"
            "def register():\n    signals.initialized.connect(_wait)\n\n"
            "def _wait(pelican):\n    Path(pelican.settings['PATH']).parent.joinpath('started').write_text('')\n"
            "    time.sleep(120)\n")
    site = _site(tmp_path / "site", **{"plugins/slow.py": slow})
    assert _build(site).returncode == 0 and client.status()["builds"] == 1
    before = folder_digest(site.path("build"))
    settings = site.path("pelicanconf.py")
    settings.write_text(settings.read_text() + '\nPLUGIN_PATHS = ["plugins"]\nPLUGINS = ["islet", "slow"]\n')
    building = subprocess.Popen([sys.executable, "-m", "islet", "build", "--root", str(site.root)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait(lambda: site.path("started").exists(), 60, "the slow build")
    building.send_signal(signal.SIGINT)
    _, stderr = building.communicate(timeout=30)
    assert building.returncode == 130 and "Traceback" not in stderr
    assert "Build interrupted: build/ was left as it was." in stderr
    assert folder_digest(site.path("build")) == before
    assert not list(site.root.glob(".build-*"))
    _wait(lambda: _children(warm.pid) == [], 5, "the end of the build")     # gone, and reaped by the server


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def test_a_request_from_another_python_is_declined(warm):
    with client.connect() as conn:
        socket.send_fds(conn, [json.dumps({"argv": ["build"], "key": "another", "streams": [1]}).encode()], [1])
        answer = json.loads(conn.recv(client.MESSAGE))
    assert "another Python" in answer["declined"]
    assert client.status()["builds"] == 0


def test_without_a_server_the_client_builds_by_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_SERVER_DIR", str(tmp_path / "nothing-here"))
    assert client.build(["build", "--root", str(tmp_path)]) is None
    assert client.status() is None and client.stop() is None


def test_a_socket_folder_others_can_open_is_not_used(warm, tmp_path):
    place = tmp_path / "run"
    place.chmod(0o755)
    try:
        assert client.connect() is None               # a client does not hand its terminal to a folder others share
        with pytest.raises(client.ServerError, match="not yours alone"):
            client.prepare()
    finally:
        place.chmod(0o700)
    assert client.connect() is not None


@pytest.mark.skipif(os.getuid() != 0, reason="needs root, to connect as another user")
def test_another_user_is_not_served(warm):
    """Past the folder's permissions (a socket reached through /proc, as a process of another user could be
    handed one), the server still turns away a peer that is not its user."""
    client.socket_path().chmod(0o777)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # the other user: connects, asks the server to stop
        try:
            handle = os.open(client.socket_path(), os.O_PATH)
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
                conn.connect(f"/proc/self/fd/{handle}")
                os.write(write, b"connected ")
                conn.send(json.dumps({"stop": True}).encode())
                os.write(write, b"answer: " + conn.recv(100))
        except BaseException as error:                   # noqa: BLE001
            os.write(write, repr(error).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    # connected, then turned away without a word (closed before or after the request: an empty answer, a reset…)
    assert said.startswith(b"connected ") and b"stopped" not in said, said
    assert warm.poll() is None and client.status() is not None


def test_a_changed_module_makes_the_server_decline_and_start_again(tmp_path, monkeypatch):
    module = tmp_path / "islet_probe_module.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import islet_probe_module  # noqa: F401

    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as listener:
        (tmp_path / "socket").touch()
        warm = server.Server(listener, tmp_path / "socket")
        request = {"key": server.key(), "streams": [1]}     # (the key itself is this test's)
        assert warm.refusal(request, 1) == ("", False)
        module.write_text("VALUE = 22\n")
        assert warm.refusal(request, 1) == ("a module the server imported changed on disk", True)
        assert warm.refusal({**request, "key": "x"}, 1)[1] is False


def test_an_idle_server_stops_by_itself_and_removes_its_socket(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_SERVER_DIR", str(tmp_path / "run"))
    process = subprocess.Popen([sys.executable, "-m", "islet", "server", "run", "--idle", "0.02"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and not client.socket_path().exists()


def test_start_status_and_stop_from_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_SERVER_DIR", str(tmp_path / "run"))
    command = [sys.executable, "-m", "islet", "server"]
    started = subprocess.run([*command, "start", "--idle", "5"], capture_output=True, text=True, timeout=60)
    pid = client.status()["pid"] if client.status() else None
    try:
        assert started.returncode == 0 and f"pid {pid}" in started.stdout, started.stderr
        again = subprocess.run([*command, "start"], capture_output=True, text=True, timeout=60)
        assert f"pid {pid}" in again.stdout                   # one server, not two
        shown = subprocess.run([*command, "status"], capture_output=True, text=True).stdout
        assert f"islet build server {pid}: 0 builds" in shown
        stopped = subprocess.run([*command, "stop"], capture_output=True, text=True).stdout
        assert f"{pid} stopped" in stopped
        _wait(lambda: not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid), what="the stop")
        assert "No islet build server" in subprocess.run([*command, "status"], capture_output=True, text=True).stdout
    finally:
        if pid and Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def _build_on_a_terminal(site, env: dict) -> tuple[int, str]:
    """`python -m islet build` with its output on a terminal (a pseudo-terminal), as typed by a developer."""
    import pty

    main, terminal = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "islet", "build", "--root", str(site.root)],
                                   stdout=terminal, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True)
        os.close(terminal)
        _, errors = process.communicate(timeout=300)       # (its few lines of output fit in the terminal's buffer)
    finally:
        os.close(main)
    return process.returncode, errors


def test_a_build_on_a_terminal_starts_a_server_for_the_next_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("ISLET_SERVER_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("CI", raising=False)
    site = _site(tmp_path / "site")
    code, errors = _build_on_a_terminal(site, dict(os.environ))
    pid = _started(errors)
    try:
        assert code == 0 and pid is not None, errors
        assert "python -m islet server stop" in errors and "ISLET_SERVER=off" in errors
        _wait(lambda: client.status() is not None)
        assert client.status()["pid"] == pid
        site.path("content/articles/a1.md").write_text(ARTICLE.format(title="Article 1", day=1) + "\nWarm edit.\n",
                                                       encoding="utf-8")
        code, errors = _build_on_a_terminal(site, dict(os.environ))
        assert code == 0 and "Started" not in errors, errors        # the next build went through it
        assert client.status()["builds"] == 1
        assert "Warm edit." in site.path("build/articles/article-1.html").read_text(encoding="utf-8")
    finally:
        _kill(pid)


def _started(errors: str) -> int | None:
    """The process id of the server a build said it started."""
    return int(errors.split("Started a build server (pid ")[1].split(")")[0]) if "Started a build" in errors else None


def _kill(pid: int | None) -> None:
    if pid is not None and Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("setting", ["CI=true", "ISLET_SERVER=off", "no terminal"])
def test_no_server_is_started_in_ci_off_a_terminal_or_when_turned_off(tmp_path, monkeypatch, setting):
    place = tmp_path / "run"
    monkeypatch.setenv("ISLET_SERVER_DIR", str(place))
    monkeypatch.delenv("CI", raising=False)
    site = _site(tmp_path / "site")
    if setting == "no terminal":
        built = _build(site)
        code, errors = built.returncode, built.stderr
    else:
        name, value = setting.split("=")
        code, errors = _build_on_a_terminal(site, {**os.environ, name: value})
    try:
        assert code == 0 and "Started" not in errors, errors
        assert not (place / "server.log").exists() and client.status() is None
    finally:
        _kill(_started(errors))


def test_islet_server_off_keeps_builds_out_of_a_running_server(warm, tmp_path):
    site = _site(tmp_path / "site")
    built = _build(site, env={**os.environ, "ISLET_SERVER": "off"})
    assert built.returncode == 0, built.stderr
    assert client.status()["builds"] == 0
