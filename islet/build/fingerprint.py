"""Build fingerprint: one digest of every input of a build, to skip a build that would change nothing.

    inputs = Inputs.scan(root, settings_file, output, options, paths)   # paths: content, theme, data
    state = State.load(root, output)
    if state and state.unchanged(inputs.total, output): ...           # build/ is already this input's output

The inputs: the settings file(s), the content folder, the theme, ``widgets/``, islet's own source,
esbuild's version, the versions of the libraries that shape the output and the ``ISLET_*``
environment. The digests are kept by part (`Inputs.parts`), so islet.build.incremental can key its
caches on only the parts a result depends on. Only file bytes count, never file times (a file is read
again unless it is provably the one an earlier scan read: `Digests`).

The state of the last successful build is ``<root>/.cache/islet-state/<output>.json``; it also
records the output folder's inode and mtime after the swap, so a deleted or replaced ``build/``
is rebuilt. (A file edited by hand *inside* ``build/`` is not noticed: ``./dev rebuild`` then.)
Imports nothing heavy: a build with nothing to do must answer quickly.

The scan is also where reading stays inside the site: it runs before every build, before Pelican opens a
file. Content and data are untrusted (pull requests, co-authors): a FIFO, socket or device, a symlink out
of the content folder (or out of the theme's), to a folder or round a loop fails the build with one
`ContentError` naming each such file, which nothing has opened.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

VERSION = "1"                  # bump when what is hashed or stored changes meaning
_SKIPPED_DIRS = {"__pycache__", ".git", ".cache", "node_modules", ".venv", ".pytest_cache"}
_PACKAGES = ("pelican", "markdown", "pygments", "jinja2", "markupsafe", "feedgenerator", "pyyaml", "brotli",
             "pillow", "transcrypt")


def _hash_tree(digest, folder: Path, skip: Iterable[Path] = (), inside: str | None = None,
               refused: list | None = None, files: dict | None = None, digests: "Digests | None" = None) -> None:
    """Add every file name and the digest of its bytes under `folder` (sorted) to `digest`; and to `files`, when
    given, path -> `Scanned` of each Markdown source (`MARKDOWN`), for the reader cache's keys.

    `inside`: the real path of the folder this untrusted input (content, data, theme) must stay in. There
    nothing is skipped by name (Pelican reads a `.git/` or `x.tmp` in content/ too), and a symlink that leads
    outside it, to a folder (Pelican would walk it, forever if it loops back) or round in a loop is not
    followed: it goes into `refused` as `(path, kind, detail, inside)`, see `_refusal`. Elsewhere (islet,
    widgets/: trusted) caches are skipped and symlinked folders not followed. Anywhere, a FIFO, socket or
    device is refused without being opened: reading one could block the build forever.
    `digests`: the digests of files read before, taken instead of reading a file that has not changed since."""
    refused = [] if refused is None else refused
    if folder.is_file():
        digest.update(b"F" + folder.name.encode() + b"\0" + file_digest(folder.read_bytes()) + b"\0")
        return
    top = os.path.realpath(folder)
    if inside is not None and not within(top, inside):
        refused.append((str(folder), "outside", top, inside))
        return
    if not os.path.isdir(top):
        digest.update(b"missing\0")
        return
    skipped = {p for s in skip for p in (os.path.abspath(s), os.path.realpath(s))}
    cut, stack = len(top) + 1, [top]
    while stack:                       # depth first, as os.walk: a folder's files, then its folders by name
        try:
            with os.scandir(stack.pop()) as listing:
                entries = sorted(listing, key=_name)
        except OSError:
            digest.update(b"unreadable\0")
            continue
        folders = []
        for entry in entries:
            if entry.path in skipped:
                continue
            if entry.is_dir(follow_symlinks=False):
                if inside is not None or entry.name not in _SKIPPED_DIRS and not entry.name.startswith(".build-"):
                    folders.append(entry.path)
                continue
            if inside is None and entry.name.endswith((".pyc", ".tmp")):
                continue
            markdown = entry.name.endswith(MARKDOWN)
            regular = not entry.is_symlink() and entry.is_file(follow_symlinks=False)
            try:                             # before reading: a later change then shows in the file's times or size
                before = entry.stat() if regular or (markdown and files is not None) else None
            except OSError:
                before, regular = None, False
            known = digests.get(entry.path, before) if digests is not None and regular else None
            if known is not None:
                (found, plain), readable = known, True
            else:
                body = _body(entry, inside, refused)
                if body is None:
                    continue
                readable = body is not _UNREADABLE
                found, plain = file_digest(body), markdown and readable and is_plain(body)
                if regular and readable and digests is not None:
                    digests.put(entry.path, before, found, plain)
            digest.update(entry.path[cut:].encode() + b"\0" + found + b"\0")
            if markdown and files is not None and before is not None and readable:
                files[entry.path] = Scanned(before.st_mtime_ns, before.st_size, found, plain)
        stack.extend(reversed(folders))


def _name(entry: os.DirEntry) -> str:
    return entry.name


def within(path: str, folder: str) -> bool:
    """Whether the real path `path` is `folder` or below it (both already resolved)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _body(entry: os.DirEntry, inside: str | None, refused: list) -> bytes | None:
    """The bytes of one file met in the walk (b"unreadable" when there are none to read), or None: not
    hashed (a symlinked folder in trusted input, or refused)."""
    path = entry.path
    if not entry.is_symlink():
        if entry.is_file(follow_symlinks=False):
            return _read(path)
        try:
            refused.append((path, "special", entry.stat(follow_symlinks=False).st_mode, inside))
        except OSError:                  # removed while we walk
            return _UNREADABLE
        return None
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as error:
        if inside is None:
            return _UNREADABLE
        if error.errno == errno.ELOOP:
            refused.append((path, "loop", "", inside))
            return None
        target = os.path.realpath(path)
        if not within(target, inside):
            refused.append((path, "outside", target, inside))
            return None
        return _UNREADABLE          # dangling inside (an editor's lock file, say): nothing to read, nothing leaks
    if inside is not None and not within(target, inside):
        refused.append((path, "outside", target, inside))
        return None
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return _UNREADABLE
    if stat.S_ISREG(mode):
        return _read(target)
    if stat.S_ISDIR(mode):
        if inside is not None:
            refused.append((path, "folder", target, inside))
        return None
    refused.append((path, "special", mode, inside))
    return None


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:                      # a file removed while we walk: changed, that's all
        return _UNREADABLE


_UNREADABLE = b"unreadable"
MARKDOWN = (".md", ".markdown", ".mkd", ".mdown")     # islet's reader's sources (islet.content.reader.Reader)
_NOT_PLAIN = re.compile(rb"\{[{%#]|widget")


def file_digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=20).digest()


class Digests:
    """The digests of the files earlier scans read, by the identity of each file, as git's index keeps them: a
    file whose identity (device, inode, size, modification and change times) is the one it had when it was read
    is not read again. Reading and hashing every file of a site of 5,000 articles took 0.16 s of each build (0.035 s
    with the digests kept).

    Only bytes count still: any write to a file sets its change time (ctime), which no program can set back.
    A file changed less than `RECENT_NS` before the scan that read it is not kept (git's "racily clean"
    files): within the clock's granularity, a second write could leave every time as the first one set it.
    Kept in ``<root>/.cache/islet-state/digests.pickle`` (the site's, whatever its output folder), with the
    entries of the files the last scan met."""

    RECENT_NS = 2_000_000_000

    def __init__(self, path: Path | None):
        self.path, self.kept, self.seen, self.added = path, {}, {}, False
        self.started = time.time_ns()          # before any file is read (see RECENT_NS)
        try:
            if path is not None:
                import pickle

                self.kept = pickle.loads(path.read_bytes())
        except Exception:             # missing, or of another version: every file is read
            self.kept = {}

    def get(self, path: str, found: os.stat_result) -> tuple[bytes, bool] | None:
        """(digest, plain) of the file at `path`, when it is still the file that was read."""
        entry = self.kept.get(path)
        if entry is None or entry[:5] != _identity(found):
            return None
        self.seen[path] = entry
        return entry[5], entry[6]

    def put(self, path: str, found: os.stat_result, digest: bytes, plain: bool) -> None:
        if found.st_ctime_ns < self.started - self.RECENT_NS and found.st_mtime_ns < self.started - self.RECENT_NS:
            self.seen[path] = (*_identity(found), digest, plain)
            self.added = True

    def save(self) -> None:
        """Keep the entries of this scan's files, when they are not those kept already."""
        if self.path is None or not self.added and self.seen.keys() == self.kept.keys():
            return
        import pickle

        try:
            atomic_write(self.path, pickle.dumps(self.seen, protocol=5))
        except OSError:                # a read-only cache only costs time
            pass


def _identity(found: os.stat_result) -> tuple:
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def is_plain(body: bytes) -> bool:
    """No Jinja syntax and no widget block: the source's HTML cannot depend on data files or widgets."""
    return _NOT_PLAIN.search(body) is None


# Variables of islet's that change how a build runs, never what it writes: not inputs.
UNSEEN_ENV = ("ISLET_CACHE_DIR", "ISLET_PROCESSES", "ISLET_SERVER", "ISLET_SERVER_DIR")


class Scanned(NamedTuple):
    """A Markdown source as the scan read it: the file's modification time and size just before, its bytes' digest,
    and whether it is plain (`is_plain`)."""
    mtime_ns: int
    size: int
    digest: bytes
    plain: bool


_SPECIAL = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device",
            stat.S_IFBLK: "a device"}


def _refusal(refused: tuple, root: Path):
    """The `Problem` for one input the scan did not read."""
    from islet.errors import (  # only when there is one: a build with nothing to do waits for none
        Problem,
        shown_path,
    )

    path, kind, detail, inside = refused
    folder = shown_path(Path(inside), root) + "/" if inside else "its folder"
    if kind == "special":
        what = f"is {_SPECIAL.get(stat.S_IFMT(detail), 'not a regular file')}, not a regular file (not opened)"
        fix = "delete it: only regular files are read"
    elif kind == "loop":
        what, fix = "is a symlink loop", "delete the link"
    elif kind == "folder":
        what, fix = "is a symlink to a folder", ("put the files themselves here: Pelican would read them a "
                                                 "second time, or without end where a link leads back")
    else:
        what = f"is a symlink to {detail}, outside {folder}" if Path(path).is_symlink() else \
            f"resolves to {detail}, outside {folder}"
        fix = f"copy what it links to into {folder} instead of linking to it"
    return Problem(shown_path(Path(path), root), 0, what, fix)


@functools.cache     # per process: the packages this process runs with cannot change under it
def _versions(kept: Path | None = None) -> str:
    """The versions of the libraries that shape the output (`_PACKAGES`) and Python's.

    importlib.metadata looks through every installed package for them, which takes longer (40 ms) than the
    rest of a build with nothing to do. So they are kept in `kept` (a file) with Python's search path and
    the modification times of the folders packages are installed in: installing, upgrading or removing a
    package changes its folder's. (Not those of the others, such as the site's own folder when Python runs
    from there, which every build changes.)"""
    places: list = [sys.executable, sys.path]
    for place in sys.path:
        if os.path.basename(place) in ("site-packages", "dist-packages"):
            try:
                places.append([place, os.stat(place).st_mtime_ns])
            except OSError:
                places.append([place, None])
    try:
        known = json.loads(kept.read_text(encoding="utf-8")) if kept is not None else []
        known = [entry for entry in known if isinstance(entry, dict) and isinstance(entry.get("versions"), str)]
    except (OSError, ValueError, TypeError):
        known = []
    for entry in known:            # one per way of running islet (python -m islet, invoke, a test runner…)
        if entry.get("places") == places:
            return entry["versions"]
    from importlib import metadata

    versions = []
    for name in _PACKAGES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    versions = ";".join(versions) + f";python={sys.version}"
    if kept is not None:
        try:
            atomic_write(kept, json.dumps([{"places": places, "versions": versions}, *known[:3]]).encode())
        except OSError:
            pass
    return versions


def changed_parts(before: dict, now: dict) -> frozenset[str]:
    """The names of the input parts whose digests differ between two builds (a part only one has counts)."""
    return frozenset(name for name in {*before, *now} if before.get(name) != now.get(name))


@dataclass(frozen=True)
class Inputs:
    """Digests of the build's inputs, by part. Computed by the build driver before Pelican runs."""
    parts: dict[str, str]
    output: str = ""               # the final output folder (Pelican itself writes into a staging folder)
    previous: dict = field(default_factory=dict)   # the parts of the build that wrote the current output
    # The content folder's Markdown sources as the scan read them (real path -> Scanned): the reader cache keys
    # them without reading them again (islet.build.reader_cache.reader_key).
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    def changed(self) -> frozenset[str]:
        """The parts that differ from the build that wrote the current output (every part, without one)."""
        return changed_parts(self.previous, self.parts)

    @classmethod
    def scan(cls, root: Path, settings_file: Path, output: Path, options: dict, paths: dict[str, str]) -> "Inputs":
        """`paths`: the content, theme and data folders (from the settings, see `paths_of`)."""
        root = root.resolve()
        content, theme, data = (Path(paths[k]) for k in ("content", "theme", "data"))
        parts: dict[str, str] = {}
        refused: list[tuple] = []
        sources: dict[str, Scanned] = {}

        digests = Digests(root / ".cache" / "islet-state" / "digests.pickle")

        def part(name: str, *folders: Path, skip=(), extra: str = "", inside: Path | None = None, files=None) -> None:
            digest = hashlib.blake2b(f"{VERSION}\0{extra}\0".encode(), digest_size=20)
            for folder in folders:
                _hash_tree(digest, folder, skip, None if inside is None else os.path.realpath(inside), refused, files,
                           digests)
            parts[name] = digest.hexdigest()

        # The settings files: the one given and any other .py beside it (publishconf imports pelicanconf).
        # The command line's options count on their own: --strict and --precompress change whether a build
        # passes and which variants it writes, never what a page says (so not the reader or render keys).
        part("settings", settings_file, *sorted(p for p in root.glob("*.py") if p != settings_file),
             extra=json.dumps([options.get("settings"), paths], sort_keys=True, default=str))
        part("options", extra=json.dumps(options, sort_keys=True, default=str))
        # Content, data and theme are read by Pelican (or islet): every file must be a regular file inside
        # its folder (content and data: the content folder; the theme: its own, wherever the settings put it).
        skip = [data, output]
        if within(str(root), os.path.realpath(content)):     # PATH = ".": the site's tools are not content
            skip += [root / name for name in _SKIPPED_DIRS] + list(root.glob(".build-*"))
        part("content", content, skip=skip, inside=content, files=sources)
        part("data", data, inside=content)
        part("theme", theme, inside=theme)
        part("widgets", root / "widgets")
        esbuild = root / "node_modules" / "esbuild" / "package.json"
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith("ISLET_") and k not in UNSEEN_ENV)
        # islet's built-in widgets (islet.islands.sources.BUILTIN) count with islet; in a checkout islet/widgets is
        # a link to widgets/, which the walk of islet/ does not follow.
        engine = Path(__file__).parents[1]
        versions = _versions(root / ".cache" / "islet-state" / "versions.json")
        part("islet", engine, engine / "widgets", esbuild, extra=versions + repr(env))
        if refused:                 # before Pelican opens any of them
            from islet.errors import ContentError
            raise ContentError(sorted({_refusal(r, root) for r in refused}))
        digests.save()
        return cls(parts, str(output.resolve()), sources=sources)

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
    until: float | None = None                     # its output is right only until then (driver.Findings.expires)

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
        """True when `fingerprint` is this build's, the output folder is still the one it wrote, and no article it
        held back for its date is due."""
        due = self.until is not None and time.time() >= self.until
        return self.fingerprint == fingerprint and self.wrote(output) and not due

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
