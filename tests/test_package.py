"""The package as a site owner gets it: an sdist and a wheel built from the checkout, the wheel installed with its
dependencies into a fresh virtualenv, and a site of its own (settings, theme, one article, one widget of its own
and one of islet's built-in ones) built there by the installed islet, in a folder that cannot see this checkout.

Slow (a venv and a pip install, about half a minute with pip's cache warm) and needs the package index: skipped,
saying so, only when pip fails for want of the network; any other failure fails."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.site import ROOT

PYTHON = shutil.which("python3.11") or "python3.11"
# What pip prints when it could not reach the index (urllib3, requests, DNS); anything else is a real failure.
OFFLINE = re.compile(r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|"
                     r"Name or service not known|Network is unreachable|Connection refused|ConnectTimeout|"
                     r"ReadTimeoutError|Could not fetch URL")

SETTINGS = '''AUTHOR = "A site owner"
SITENAME = "Elsewhere"
SITEURL = ""
RELATIVE_URLS = True
PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
PLUGINS = ["islet"]
TIMEZONE = "UTC"
ARTICLE_PATHS = ["articles"]
ARTICLE_URL = ARTICLE_SAVE_AS = "articles/{slug}.html"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
'''

ARTICLE = '''Title: Hello from elsewhere
Date: 2026-01-02 10:00

A greeting of this site's own:

```widget greeting
name: reader
trigger: load
```

And one of islet's built-in widgets, by name, with no copy of it here:

```widget tabs
tabs:
  - label: One
    text: The first panel.
  - label: Two
    text: The second panel.
```
'''

WIDGET = '''"""greeting: this site's own widget, not one of islet's."""

PROPS = {
    "name": ["str", "world"],
}


def render(props: "Props") -> str:
    return "<p class=\\"greeting\\">Hello, <b>" + props["name"] + "</b></p>"


def mount(root, props: "Props") -> None:
    root.querySelector("p").setAttribute("data-mounted", "yes")
'''

# Run in the fresh venv: which module each way of naming islet loads, and the receivers of a few of the
# signals islet connects, before it registers, after once, and after registering under both names.
RESOLVE = '''
import json, islet, pelican.plugins.islet as shim
from pelican.plugins import signals
from pelican.plugins._utils import load_plugins

def counts():
    names = ("initialized", "content_object_init", "finalized", "get_writer")
    return {n: len(getattr(signals, n).receivers) for n in names}

ways = {"unset": None, "short": ["islet"], "namespace": ["pelican.plugins.islet"],
        "both": ["islet", "pelican.plugins.islet"]}
loaded = {way: [p.__name__ for p in load_plugins({"PLUGINS": plugins})] for way, plugins in ways.items()}
before = counts()
shim.register()
once = counts()
for plugin in load_plugins({"PLUGINS": ways["both"]}):
    plugin.register()
print(json.dumps({"islet": islet.__file__, "loaded": loaded, "before": before, "once": once, "twice": counts()}))
'''


def checkout_files() -> list[str]:
    """The checkout as a clone would have it, plus files not committed yet (git's ignores applied); a link
    (islet/widgets) is one name."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return [name for name in listed.split("\0") if name and ((ROOT / name).is_file() or (ROOT / name).is_symlink())]


def engine_files() -> set[str]:
    """Every file the installed engine needs, as it is named in the package: islet's built-in widgets
    (islet/widgets, a link to the demo's widgets/ in the checkout) included."""
    names = {name for name in checkout_files() if name.startswith("islet/") and "/__pycache__/" not in name}
    builtin = {f"islet/widgets/{p.relative_to(ROOT / 'widgets').as_posix()}" for p in (ROOT / "widgets").rglob("*.py")
               if "__pycache__" not in p.parts}
    return (names - {"islet/widgets"}) | builtin


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would let Python find the checkout or the dev venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def run(command: list, cwd: Path, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=clean_env(**env))


def pip(venv_python: Path, args: list, cwd: Path) -> None:
    """pip in the fresh venv; a skip naming pip's complaint when the index cannot be reached, a failure otherwise."""
    done = run([venv_python, "-m", "pip", *args], cwd)
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if OFFLINE.search(output):
            pytest.skip(f"package index unreachable: pip {args[0]} {args[-1]}: {OFFLINE.search(output)[0]}")
        pytest.fail(f"pip {' '.join(map(str, args))} failed:\n{output[-4000:]}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> SimpleNamespace:
    """sdist from a copy of the checkout, wheel from the sdist (as `python -m build` does), and a fresh venv
    with the wheel and its dependencies installed from the index under constraints.txt."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    for name in checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name, follow_symlinks=False)
    venv = work / "venv"
    made = run([PYTHON, "-m", "venv", venv], work)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    # What `python -m build` does, without it (it is not in the pins): the sdist from the backend pyproject.toml
    # names, with the build requirements it lists; then the wheel from the sdist, in pip's isolated environment.
    system = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    pip(python, ["install", *system["requires"]], work)
    backend = system["build-backend"]
    sdist = run([python, "-c", f"import {backend} as b; print(b.build_sdist({str(work / 'dist')!r}))"], source)
    assert sdist.returncode == 0, sdist.stdout + sdist.stderr
    sdist_path = work / "dist" / sdist.stdout.strip().splitlines()[-1]
    pip(python, ["wheel", "--no-deps", "--no-cache-dir", "-w", work / "dist", sdist_path], work)
    [wheel] = (work / "dist").glob("*.whl")
    pip(python, ["install", "-c", ROOT / "constraints.txt", f"{wheel}[widgets]"], work)
    return SimpleNamespace(python=python, venv=venv, wheel=wheel, sdist=sdist_path, source=source)


def test_the_sdist_and_the_wheel_carry_every_file_of_the_engine(installed):
    engine = engine_files()
    assert {"islet/widgets/__init__.py", "islet/widgets/tabs.py"} <= engine
    assert {n for n in engine if not n.endswith(".py")} >= {"islet/islands/loader.js", "islet/dev/blocking.mjs"}
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    with tarfile.open(installed.sdist) as sdist:
        top = installed.sdist.name.removesuffix(".tar.gz") + "/"
        in_sdist = {m.name.removeprefix(top) for m in sdist.getmembers() if m.isfile()}
    assert sorted(engine - in_wheel) == [] and sorted(engine - in_sdist) == []
    assert "pelican/plugins/islet/__init__.py" in in_wheel
    # Never Pelican's own package files: installing islet must not replace them.
    assert [n for n in in_wheel if n.startswith("pelican/") and not n.startswith("pelican/plugins/islet/")] == []


def test_pelican_finds_the_installed_islet_under_either_name_and_registers_it_once(installed, tmp_path):
    done = run([installed.python, "-c", RESOLVE], tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["islet"]).is_relative_to(installed.venv)
    namespace = ["pelican.plugins.islet"]
    assert found["loaded"] == {"unset": namespace, "short": namespace, "namespace": namespace, "both": namespace * 2}
    assert found["once"] == {name: n + 1 for name, n in found["before"].items()}
    assert found["twice"] == found["once"]


def test_a_site_of_its_own_builds_with_the_installed_islet(installed, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "theme", site / "theme", ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in {"pelicanconf.py": SETTINGS, "content/articles/hello.md": ARTICLE,
                       "widgets/__init__.py": "", "widgets/greeting.py": WIDGET}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    (site / "node_modules").symlink_to(ROOT / "node_modules")     # esbuild, as `npm install` would give the site
    path = f"{installed.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    done = run([installed.python, "-m", "islet", "build", "--output", "output"], site,
               PATH=path, ISLET_CACHE_DIR=str(tmp_path / "cache"))
    assert done.returncode == 0, done.stdout + done.stderr
    page = (site / "output" / "articles" / "hello-from-elsewhere.html").read_text(encoding="utf-8")
    island = re.search(r'<div class="islet islet-greeting" data-islet="greeting"[^>]* data-module="\./([^"]+)"', page)
    assert island, page
    assert "Hello, <b>reader</b>" in page
    loader = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page)[1])["imports"]["islet-loader"]
    widgets = site / "output" / "widgets"
    assert (widgets / island[1]).is_file() and (site / "output" / loader.lstrip("/")).is_file()
    assert (site / "output" / loader.lstrip("/")).parent == widgets
    builtin = re.search(r'<div class="islet islet-tabs" data-islet="tabs"[^>]* data-module="\./([^"]+)"', page)
    assert builtin and (widgets / builtin[1]).is_file(), page
    assert "The second panel." in page
