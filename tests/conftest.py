"""Shared fixtures: a throwaway copy of the demo site and running the real build on it; the widgets compiled
once and one Chromium for the whole session; the demo site and widget harness pages served on 127.0.0.1.
The helpers they use live in support/, which test modules import too."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from support.site import ROOT, Site, copy_site

if str(ROOT) not in sys.path:   # test modules import the demo site's `widgets` package
    sys.path.insert(0, str(ROOT))

# Property-based tests explore new inputs on every local run; CI runs a fixed set (the same seed each time),
# so that a red CI is about the change, and a new finding shows up first where it can be looked at.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


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


@pytest.fixture(scope="session", autouse=True)
def no_build_server(tmp_path_factory):
    """Builds run by themselves: not in a build server the developer may run, and none starts one
    (tests/build/test_server.py runs servers of its own)."""
    saved = {name: os.environ.get(name) for name in ("ISLET_SERVER_DIR", "ISLET_SERVER")}
    os.environ["ISLET_SERVER_DIR"] = str(tmp_path_factory.mktemp("no-server"))
    os.environ["ISLET_SERVER"] = "off"
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
    from support.browser import LocalServer

    with LocalServer(built_demo.path("build")) as running:
        yield running


@pytest.fixture(scope="session")
def compiled(tmp_path_factory, shared_cache) -> Path:
    """Every widget of the repo compiled by islet's own compile stage (Transcrypt 3.9.5), once per session:
    the folder of ES modules (``widgets.<name>.js`` and the runtime). Read-only: copy it to change it.

    The Transcrypt run lands in the session's shared compile cache (the folder builds use), so whichever
    comes first, this fixture or a build of a demo copy, compiles and the other copies."""
    from islet.islands.compile import compile_widgets

    return compile_widgets(ROOT / "widgets", ROOT, tmp_path_factory.mktemp("widgets-js") / "out",
                           shared_cache / "compile").out_dir


@pytest.fixture(scope="session")
def chromium():
    """The system Chromium through Playwright, one for the whole session (see support.browser.SharedChromium)."""
    from support.browser import SharedChromium

    shared = SharedChromium()
    yield shared
    shared.stop()


@pytest.fixture
def own_playwright(chromium):
    """For a test whose code under test starts Playwright itself (islet.dev.audit.run_axe): the sync API runs
    one Playwright per thread, so the shared Chromium stops first; its next user starts it again."""
    chromium.stop()


@pytest.fixture(scope="module")
def served(page_site):
    """The module's `page_site` folder (a widget harness, see support.widget_harness.harness_page) on 127.0.0.1."""
    from support.browser import LocalServer

    with LocalServer(page_site) as running:
        yield running


@pytest.fixture
def build_here(monkeypatch):
    """Build a site in this process, as livereload does (the build's Pelican state stays at hand in
    islet.plugin.current); the state is dropped afterwards, so later tests see none."""
    from islet import plugin
    from islet.build import incremental
    from islet.build.driver import BuildPlan, build

    monkeypatch.setattr(plugin, "current", None)
    monkeypatch.setattr(incremental, "session", None)
    return lambda root: build(BuildPlan(root))
