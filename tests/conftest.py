"""Shared fixtures: a throwaway copy of the demo site and running the real build on it; the widgets compiled
once and one Chromium for the whole session; the demo site and widget harness pages served on 127.0.0.1."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:   # test modules import the demo site's `widgets` package
    sys.path.insert(0, str(ROOT))
SITE_FILES = ("content", "theme", "widgets", "pelicanconf.py", "publishconf.py")


@dataclass
class Built:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()


class Site:
    """A copy of the demo site in a temporary folder, built with the real CLI."""

    def __init__(self, root: Path):
        self.root = root

    def build(self, *args: str) -> Built:
        run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(self.root), *args],
                             capture_output=True, text=True, timeout=300)
        return Built(run.returncode, run.stdout, run.stderr)

    def path(self, relative: str) -> Path:
        return self.root / relative

    def output_digest(self, folder: str = "build") -> str:
        """One hash over every file name and byte in the output folder."""
        return folder_digest(self.root / folder)


def folder_digest(base: Path) -> str:
    """One hash over every file name and byte below `base`: equal digests, equal trees."""
    digest = hashlib.sha256()
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} below `root` (folders made as needed); returns `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def copy_site(target: Path) -> Site:
    target.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")   # esbuild, without another npm ci
    return Site(target)


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """One compile cache for every site copy of the session: Transcrypt runs once per distinct widget set."""
    folder = tmp_path_factory.mktemp("islet-cache")
    saved = os.environ.get("ISLET_CACHE_DIR")
    os.environ["ISLET_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("ISLET_CACHE_DIR", None)
    else:
        os.environ["ISLET_CACHE_DIR"] = saved


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory) -> Site:
    """The demo site, built once per test session in strict mode. Treat it as read-only."""
    site = copy_site(tmp_path_factory.mktemp("demo"))
    result = site.build("--strict", "--precompress")
    assert result.code == 0, result.stderr
    return site


@pytest.fixture
def demo_copy(built_demo, tmp_path) -> Site:
    """A private copy of the built demo site (with its build/), free to break."""
    site = copy_site(tmp_path / "site")
    shutil.copytree(built_demo.root / "build", site.root / "build")
    return site


@pytest.fixture(scope="session")
def demo_server(built_demo):
    """The built demo site served by islet's preview server for the whole session (read-only, like built_demo)."""
    from browser import LocalServer

    with LocalServer(built_demo.path("build")) as running:
        yield running


@pytest.fixture(scope="session")
def compiled(tmp_path_factory, shared_cache) -> Path:
    """Every widget of the repo compiled by islet's own compile stage (Transcrypt 3.9.5), once per session:
    the folder of ES modules (``widgets.<name>.js`` and the runtime). Read-only: copy it to change it.

    The Transcrypt run lands in the session's shared compile cache (the folder builds use), so whichever
    comes first, this fixture or a build of a demo copy, compiles and the other copies."""
    from islet.compile import compile_widgets

    return compile_widgets(ROOT / "widgets", ROOT, tmp_path_factory.mktemp("widgets-js") / "out",
                           shared_cache / "compile").out_dir


@pytest.fixture(scope="session")
def chromium():
    """The system Chromium through Playwright, one for the whole session (see browser.SharedChromium)."""
    from browser import SharedChromium

    shared = SharedChromium()
    yield shared
    shared.stop()


@pytest.fixture
def own_playwright(chromium):
    """For a test whose code under test starts Playwright itself (islet.audit.run_axe): the sync API runs
    one Playwright per thread, so the shared Chromium stops first; its next user starts it again."""
    chromium.stop()


@pytest.fixture(scope="module")
def served(page_site):
    """The module's `page_site` folder (a widget harness, see widget_harness.harness_page) on 127.0.0.1."""
    from browser import LocalServer

    with LocalServer(page_site) as running:
        yield running


@pytest.fixture
def build_here(monkeypatch):
    """Build a site in this process, as livereload does (the build's Pelican state stays at hand in
    islet.plugin.current); the state is dropped afterwards, so later tests see none."""
    from islet import incremental, plugin
    from islet.build import BuildPlan, build

    monkeypatch.setattr(plugin, "current", None)
    monkeypatch.setattr(incremental, "session", None)
    return lambda root: build(BuildPlan(root))
