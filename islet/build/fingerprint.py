"""Build fingerprint: one digest of every input of a build, to skip a build that would change nothing.

    inputs = Inputs.scan(root, settings_file, output, options, paths)   # paths: content, theme, data
    state = State.load(root, output)
    if state and state.unchanged(inputs.total, output): ...           # build/ is already this input's output

The inputs: the settings file(s), the content folder, the theme, ``widgets/``, islet's own source,
esbuild's version, the versions of the libraries that shape the output and the ``ISLET_*``
environment. The digests are kept by part (`Inputs.parts`), so islet.build.incremental can key its
caches on only the parts a result depends on. Only file bytes count, never file times.

The state of the last successful build is ``<root>/.cache/islet-state/<output>.json``; it also
records the output folder's inode and mtime after the swap, so a deleted or replaced ``build/``
is rebuilt. (A file edited by hand *inside* ``build/`` is not noticed: ``./dev rebuild`` then.)
Imports nothing heavy: a build with nothing to do must answer quickly.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

VERSION = "1"                  # bump when what is hashed or stored changes meaning
_SKIPPED_DIRS = {"__pycache__", ".git", ".cache", "node_modules", ".venv", ".pytest_cache"}
_PACKAGES = ("pelican", "markdown", "pygments", "jinja2", "markupsafe", "feedgenerator", "pyyaml", "brotli",
             "pillow", "transcrypt")


def _hash_tree(digest, folder: Path, skip: Iterable[Path] = ()) -> None:
    """Add every file name and byte under `folder` (sorted, caches skipped) to `digest`."""
    skip = {Path(s).resolve() for s in skip}
    if folder.is_file():
        digest.update(b"F" + folder.name.encode() + b"\0" + folder.read_bytes() + b"\0")
        return
    if not folder.is_dir():
        digest.update(b"missing\0")
        return
    for base, dirs, files in os.walk(folder):
        here = Path(base)
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".build-")
                         and (here / d).resolve() not in skip)
        for name in sorted(files):
            if name.endswith((".pyc", ".tmp")):
                continue
            path = here / name
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:                      # a file removed while we walk: changed, that's all
                digest.update(b"unreadable")
            digest.update(b"\0")


@functools.cache     # per process: the packages this process runs with cannot change under it
def _versions() -> str:
    from importlib import metadata

    found = []
    for name in _PACKAGES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return ";".join(found) + f";python={sys.version}"


@dataclass(frozen=True)
class Inputs:
    """Digests of the build's inputs, by part. Computed by the build driver before Pelican runs."""
    parts: dict[str, str]
    output: str = ""               # the final output folder (Pelican itself writes into a staging folder)
    previous: dict = field(default_factory=dict)   # the parts of the build that wrote the current output

    @classmethod
    def scan(cls, root: Path, settings_file: Path, output: Path, options: dict, paths: dict[str, str]) -> "Inputs":
        """`paths`: the content, theme and data folders (from the settings, see `paths_of`)."""
        root = root.resolve()
        content, theme, data = (Path(paths[k]) for k in ("content", "theme", "data"))
        parts = {}

        def part(name: str, *folders: Path, skip=(), extra: str = "") -> None:
            digest = hashlib.blake2b(f"{VERSION}\0{extra}\0".encode(), digest_size=20)
            for folder in folders:
                _hash_tree(digest, folder, skip)
            parts[name] = digest.hexdigest()

        # The settings files: the one given and any other .py beside it (publishconf imports pelicanconf).
        # The command line's options count on their own: --strict and --precompress change whether a build
        # passes and which variants it writes, never what a page says (so not the reader or render keys).
        part("settings", settings_file, *sorted(p for p in root.glob("*.py") if p != settings_file),
             extra=json.dumps([options.get("settings"), paths], sort_keys=True, default=str))
        part("options", extra=json.dumps(options, sort_keys=True, default=str))
        part("content", content, skip=[data, output])
        part("data", data)
        part("theme", theme)
        part("widgets", root / "widgets")
        esbuild = root / "node_modules" / "esbuild" / "package.json"
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith("ISLET_") and k not in ("ISLET_CACHE_DIR", "ISLET_PROCESSES"))
        part("islet", Path(__file__).parents[1], esbuild, extra=_versions() + repr(env))
        return cls(parts, str(output.resolve()))

    def _combine(self, *names: str, extra: str = "") -> str:
        digest = hashlib.blake2b(extra.encode(), digest_size=20)
        for name in names:
            digest.update(f"{name}={self.parts[name]}\0".encode())
        return digest.hexdigest()

    @property
    def total(self) -> str:
        return self._combine(*sorted(self.parts))

    def reader(self, templates: Iterable[str], markdown: Any, plain: bool = False) -> str:
        """What a Markdown source's HTML depends on besides its own bytes (not the theme's looks).
        A `plain` source (no Jinja syntax, no widget) does not depend on the data files or widgets."""
        return self._combine("settings", "islet", *(() if plain else ("data", "widgets")),
                             extra=repr(sorted(templates)) + _stable(markdown))

    @property
    def render(self) -> str:
        """What every page may depend on besides the content objects (which the writer adds)."""
        return self._combine("settings", "data", "theme", "widgets", "islet")


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


@dataclass
class State:
    """What the last successful build of one output folder left: to skip a build that would redo it."""
    fingerprint: str
    output_id: list            # (inode, mtime_ns) of the output folder after the swap
    paths: dict                # the content, theme and data folders the settings named
    pages: int
    warnings: list[dict]
    report: list[str]
    parts: dict = field(default_factory=dict)      # Inputs.parts of that build

    @staticmethod
    def path(root: Path, output: Path) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", output.resolve().relative_to(root.resolve()).as_posix()
                      if output.resolve().is_relative_to(root.resolve()) else str(output.resolve()))
        return root / ".cache" / "islet-state" / f"{name}.json"

    @staticmethod
    def identify(output: Path) -> list:
        stat = output.stat()
        return [stat.st_ino, stat.st_mtime_ns]

    @classmethod
    def load(cls, root: Path, output: Path) -> "State | None":
        try:
            raw = json.loads(cls.path(root, output).read_text(encoding="utf-8"))
            return cls(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def unchanged(self, fingerprint: str, output: Path) -> bool:
        """True when `fingerprint` is this build's and the output folder is still the one it wrote."""
        return self.fingerprint == fingerprint and self.wrote(output)

    def wrote(self, output: Path) -> bool:
        """True when `output` is still the folder this build wrote (not deleted, replaced or added to)."""
        try:
            return self.output_id == self.identify(output)
        except OSError:
            return False

    def save(self, root: Path, output: Path) -> None:
        atomic_write(self.path(root, output), json.dumps(self.__dict__, indent=1).encode())

    @staticmethod
    def forget(root: Path, output: Path) -> None:
        State.path(root, output).unlink(missing_ok=True)


def atomic_write(path: Path, body: bytes) -> None:
    """Write by rename, so a reader (another build sharing the cache) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    os.replace(temporary, path)


def paths_of(settings: dict) -> dict[str, str]:
    """The folders an input scan needs, from Pelican's settings."""
    content = Path(settings["PATH"]).resolve()
    return {"content": str(content), "theme": str(Path(settings["THEME"]).resolve()),
            "data": str(content / str(settings.get("ISLET_DATA_DIR", "data")))}
