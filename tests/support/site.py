"""A site to build: a throwaway copy of the demo site and the real build on it; comparing output folders."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]           # the repository: the engine and the demo site
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


def tree(site: Site) -> dict[str, bytes]:
    """Every file of the site's output (build/, where the repository's settings put it): {path: bytes}."""
    root = site.path("build")
    assert root.is_dir(), f"{root} does not exist: does the site's OUTPUT_PATH name another folder?"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def clean_output(site: Site, folder: Path) -> dict[str, bytes]:
    """The output of a clean build of the same input, made in `folder` (no output, no caches)."""
    shutil.copytree(site.root, folder, symlinks=True, ignore=shutil.ignore_patterns("build", ".cache", ".build-*"))
    twin = Site(folder)
    built = twin.build()
    assert built.code == 0, built.stderr
    return tree(twin)


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} below `root` (folders made as needed); returns `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def copy_site(target: Path) -> Site:
    """The demo site, content included."""
    _from_repository(target, SITE_FILES)
    return Site(target)


def make_site(target: Path, files: dict[str, str]) -> Site:
    """A site of its own, not the demo's content: the repository's settings files, theme and widgets, and `files`
    ({relative path: text})."""
    _from_repository(target, ("theme", "widgets", "pelicanconf.py", "publishconf.py"))
    write_files(target, files)
    return Site(target)


def _from_repository(target: Path, names) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")   # esbuild, without another npm ci


_INCREMENTAL = re.compile(r"Incremental: (\d+) sources from the cache \((\d+) as Pelican objects\), (\d+) parsed by \d+ processes, "
                          r"(\d+) in-process; "
                          r"(\d+) pages with unchanged inputs, (\d+) from the render cache, (\d+) rendered; "
                          r"(\d+) files unchanged")


def incremental_counts(result) -> dict[str, int]:
    """The figures of a build's `Incremental:` report line (in `result.stdout`), by name."""
    found = _INCREMENTAL.search(result.stdout)
    assert found, result.stdout
    return dict(zip(("read_cached", "objects_cached", "preparsed", "parsed", "unchanged", "render_cached", "rendered", "linked"),
                    map(int, found.groups())))


def pelican_slug(title: str) -> str:
    """The slug Pelican gives an article without `Slug:` (with its default SLUG_REGEX_SUBSTITUTIONS)."""
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import slugify
    return slugify(title, regex_subs=DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"])
