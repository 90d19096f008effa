"""The build server (islet.build.server): ``islet build`` leaves one behind, the next build of the site runs in
its forked child with the command's streams, folder and exit code, and gives a clean build's output; it stops
when the environment changes or it has been idle, and only this user can reach it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from islet.build import server
from support.site import clean_output, make_site, tree

ARTICLES = {f"content/articles/a{n}.md": f"Title: Note {n}\nDate: 2026-02-1{n}\nTags: tide\n\nThe body of note {n}.\n"
            for n in range(4)}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Servers on (conftest turns them off), with their sockets in this test's own temporary folder."""
    folder = tmp_path / "run"
    folder.mkdir()
    values = {**os.environ, "ISLET_BUILD_SERVER": "1", "TMPDIR": str(folder), "ISLET_BUILD_SERVER_IDLE": "120"}
    values.pop("CI", None)
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield values
    for pid_file in folder.glob("islet-*/*.pid"):        # stopped by PID, whatever the test did
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (OSError, ValueError):
            pass


def build(site, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(site.root)], cwd=site.root, env=env,
                          capture_output=True, text=True, timeout=300)


def server_pid(site, env: dict, seconds: float = 20) -> int:
    """The pid of the site's server once it listens."""
    path = server_path(site, env)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.with_suffix(".pid").exists() and server.listening(path):
            return int(path.with_suffix(".pid").read_text())
        time.sleep(0.1)
    pytest.fail("no build server listens")


def server_path(site, env: dict) -> Path:
    return server.socket_path(site.root)          # (the fixture points this process's TMPDIR where env's does)


def append(site, name: str, text: str) -> None:
    with site.path(name).open("a", encoding="utf-8") as out:
        out.write(text)


def test_the_next_build_runs_in_the_servers_child_and_equals_a_clean_build(tmp_path, env):
    site = make_site(tmp_path / "site", ARTICLES)
    first = build(site, env)
    assert first.returncode == 0, first.stderr
    assert "build server" not in first.stdout
    pid = server_pid(site, env)
    append(site, "content/articles/a1.md", "\nAn edit served by the server.\n")
    served = build(site, env)
    assert served.returncode == 0, served.stderr
    assert f"(by the build server, pid {pid})" in served.stdout
    assert "Incremental:" in served.stdout                   # the whole report comes through the command's stdout
    assert "An edit served" in site.path("build/articles/note-1.html").read_text(encoding="utf-8")
    assert tree(site) == clean_output(site, tmp_path / "clean")
    nothing = build(site, env)
    assert nothing.returncode == 0 and "Nothing changed" in nothing.stdout


def test_a_failing_build_fails_the_command_with_its_message_and_keeps_the_output(tmp_path, env):
    site = make_site(tmp_path / "site", ARTICLES)
    assert build(site, env).returncode == 0
    server_pid(site, env)
    before = tree(site)
    site.path("content/articles/a2.md").write_text("Title: Broken\nDate: not a date\n\nBody.\n", encoding="utf-8")
    failed = build(site, env)
    assert failed.returncode == 1
    assert "a2.md" in failed.stderr and "Build failed" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert tree(site) == before


def test_another_environment_stops_the_server_and_builds_in_the_command(tmp_path, env):
    site = make_site(tmp_path / "site", ARTICLES)
    assert build(site, env).returncode == 0
    old = server_pid(site, env)
    append(site, "content/articles/a0.md", "\nAnother edit.\n")
    other = build(site, {**env, "SOME_SETTING_OF_THE_SHELL": "1"})
    assert other.returncode == 0, other.stderr
    assert "build server" not in other.stdout
    new = server_pid(site, {**env, "SOME_SETTING_OF_THE_SHELL": "1"})
    assert new != old
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(old, 0)
            time.sleep(0.1)


def test_an_idle_server_stops_and_takes_its_socket_away(tmp_path, env):
    site = make_site(tmp_path / "site", ARTICLES)
    env = {**env, "ISLET_BUILD_SERVER_IDLE": "1"}
    assert build(site, env).returncode == 0
    path = server_path(site, env)
    deadline = time.monotonic() + 60
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not path.exists() and not path.with_suffix(".pid").exists()


def test_ci_and_the_setting_turn_the_server_off(tmp_path, env):
    site = make_site(tmp_path / "site", ARTICLES)
    for off in ({"CI": "true"}, {"ISLET_BUILD_SERVER": "0"}):
        assert build(site, {**env, **off}).returncode == 0
        time.sleep(1)
        assert not server_path(site, env).exists(), off


def test_the_socket_folder_is_this_users_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    path = server.socket_path(tmp_path / "site")
    assert path.parent.stat().st_mode & 0o777 == 0o700
    path.parent.chmod(0o755)                          # opened to others: not used
    assert server.socket_path(tmp_path / "site") is None


def test_a_server_answers_only_requests_it_can_run_as_they_are():
    stamp, env = server._stamp(), server.environment()
    request = {"protocol": server.PROTOCOL, "executable": sys.executable, "env": dict(os.environ)}
    assert server.stale(request, stamp, env) is None
    assert server.stale({**request, "executable": "/usr/bin/python3.9"}, stamp, env)
    assert server.stale({**request, "env": {**os.environ, "LANG": "xx"}}, stamp, env)
    assert server.stale({**request, "env": {**os.environ, "PWD": "/elsewhere"}}, stamp, env) is None
    changed = dict(stamp)
    changed[next(p for p in stamp if p.endswith("server.py"))] = (0, 0)
    assert server.stale(request, changed, env) == "islet or an installed package changed"
