"""Shared fixtures: a throwaway copy of the demo site, and running the real build on it."""
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
        digest = hashlib.sha256()
        base = self.root / folder
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


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
    result = site.build("--strict")
    assert result.code == 0, result.stderr
    return site


@pytest.fixture
def demo_copy(built_demo, tmp_path) -> Site:
    """A private copy of the built demo site (with its build/), free to break."""
    site = copy_site(tmp_path / "site")
    shutil.copytree(built_demo.root / "build", site.root / "build")
    return site
