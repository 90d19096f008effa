"""Load ``content/data/`` into one read-only mapping, once per build.

``content/data/frameworks.csv`` becomes ``data.frameworks`` (a tuple of rows),
``content/data/surveys/so2025.yaml`` becomes ``data.surveys.so2025``. CSV, JSON,
YAML and TOML are supported. CSV columns holding only numbers become numbers.
Everything is frozen so a template or widget cannot change what the next page sees.

Data files are untrusted input (pull requests, exports), so none can hang or blow up a build:
each must be a regular file inside the site's content folder (links that lead out of it, named
pipes and devices are refused without being opened) and stay within ISLET_LIMITS (bytes, nesting,
values with YAML aliases expanded, checked before anything is expanded); numbers must be finite,
as a browser's JSON.parse cannot read NaN or Infinity.

A malformed file raises `DataError` naming the file, the line and what is wrong.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from islet.build.fingerprint import within
from islet.errors import DataError, Problem, shown_path
from islet.settings import Limits

from .formats import LARGEST, PARSERS, NotFinite, not_finite, number_line, too_big

FORMATS = (".csv", ".json", ".yaml", ".yml", ".toml")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class FrozenDict(dict):
    """A dict that refuses changes. Still a dict, so Jinja, ``json`` and pickle accept it."""

    def _readonly(self, *args, **kwargs):
        raise TypeError("data from content/data/ is read-only; copy it first: dict(data.x)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly

    def __getattr__(self, key: str) -> Any:
        # Lets Python code (widgets, tests) write data.frameworks like templates do.
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __reduce__(self):  # pickle without going through the refused __setitem__
        return (FrozenDict, (dict(self),))

    def __hash__(self):  # a frozen mapping may serve as a cache key
        return hash(tuple(sorted(self.items())))


class DataText(str):
    """Text from a data file: a str that prints itself escaped wherever HTML is made with markupsafe, and in
    theme templates (Pelican's Jinja does not escape by default: `template_finalize` escapes what is DataText).
    A new string made from it (``|upper``, ``~``) is a plain str again: a template escapes that with ``|e``."""

    __slots__ = ()

    def __html__(self) -> Markup:
        return escape(str(self))

    def __reduce__(self):
        return (DataText, (str(self),))


def template_finalize(previous=None):
    """For Pelican's JINJA_ENVIRONMENT: ``{{ data.x }}`` in a theme template prints escaped text. `previous`
    is the site's own finalize, if it had one (it runs first)."""
    def finalize(value: Any) -> Any:
        if previous is not None:
            value = previous(value)
        return escape(value) if type(value) is DataText else value
    return finalize


def freeze(value: Any) -> Any:
    """Deep-convert parsed data: dicts to `FrozenDict`, lists to tuples.

    Raises `NotFinite` for a number a browser cannot read (NaN, ±inf, an integer past the largest float)."""
    kind = type(value)      # exact types first: this runs once per value of every data file
    if kind is str:
        return DataText(value)
    if kind is float:
        if value - value != 0:      # inf - inf and nan - nan are nan
            raise NotFinite(value)
        return value
    if kind is int:
        if -LARGEST <= value <= LARGEST:
            return value
        raise NotFinite(value)
    if isinstance(value, dict):
        return FrozenDict({DataText(k) if type(k) is str else k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple([freeze(v) for v in value])
    if isinstance(value, float) and value - value != 0 or \
            isinstance(value, int) and not isinstance(value, bool) and not -LARGEST <= value <= LARGEST:
        raise NotFinite(value)
    return value


def load_data(directory: Path, root: Path | None = None, limits: Limits = Limits(),
              content: Path | None = None) -> FrozenDict:
    """Read every data file under `directory` into a nested read-only mapping.

    Paths in error messages are relative to `root` (the site root). All problems in
    all files are collected before raising, so an author fixes them in one go.
    Each file must be a regular file whose real path is inside `content` (the site's
    content folder; by default the parent of `directory`) and within `limits`.
    """
    root = root or directory.parent
    content = content or directory.parent
    problems: list[Problem] = []
    tree = _Folder()
    if not directory.is_dir():
        return FrozenDict()
    for path, size in _data_files(directory, content, root, problems):
        shown = shown_path(path, root)
        if path.suffix.lower() not in FORMATS:
            problems.append(Problem(shown, 0, f"unsupported data file type {path.suffix!r}",
                                    "use .csv, .json, .yaml/.yml or .toml, or move it out of content/data/"))
            continue
        parts = path.relative_to(directory).with_suffix("").parts
        bad = [p for p in parts if not _IDENTIFIER.match(p)]
        if bad:
            problems.append(Problem(shown, 0, f"name {bad[0]!r} cannot be used as data.{bad[0]} in templates",
                                    "rename it using letters, digits and underscores only (e.g. so2025.yaml)"))
            continue
        if size > limits.data_bytes:
            problems.append(too_big(shown, size, limits))
            continue
        try:
            value = read_data_file(path, shown, limits)
        except DataError as error:
            problems.extend(error.problems)
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, _Folder())
            if not isinstance(node, _Folder):
                break
        if not isinstance(node, _Folder) or parts[-1] in node:
            problems.append(Problem(shown, 0, f"data.{'.'.join(parts)} is defined twice",
                                    "rename one of the files or folders that share this name"))
            continue
        node[parts[-1]] = value
    if problems:
        raise DataError(problems)
    return _frozen_folders(tree)


class _Folder(dict):
    """A folder of content/data/ while loading (the files' values are frozen already)."""


def _frozen_folders(folder: _Folder) -> FrozenDict:
    return FrozenDict({k: _frozen_folders(v) if isinstance(v, _Folder) else v for k, v in folder.items()})


def _data_files(directory: Path, content: Path, root: Path, problems: list[Problem]) -> list[tuple[Path, int]]:
    """(path, size) of every regular file under `directory`, sorted; hidden files skipped.

    Found without opening anything (a named pipe would block the build) and without following a link out of
    `content` (nothing outside the site is ever read). A symlink to a file inside is fine; a symlink to a
    folder is refused, as by the build's input scan: walking it could go round a loop or branch without end.
    Each entry refused is a problem."""
    inside = os.path.realpath(content)
    found: list[tuple[Path, int]] = []
    start = os.path.realpath(directory)
    if not within(start, inside):
        shown = shown_path(directory, root)
        problems.append(Problem(shown, 0, f"is a symlink to {start}, outside {shown_path(content, root)}/ (not read)",
                                f"make {shown}/ a folder of its own, with copies of the files"))
        return found
    folders = [directory]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            problems.append(Problem(shown_path(folder, root), 0, f"the folder cannot be read: {error.strerror}",
                                    "check its permissions"))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path)
                    continue
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink():
                    real = os.path.realpath(path)
                    if not within(real, inside):
                        problems.append(_outside(shown_path(path, root), real, content, root))
                        continue
                info = os.stat(path)        # a link's target is inside the site, as checked just above
            except OSError as error:        # a link in a loop (ELOOP), or to nothing
                what = "is a symlink loop" if error.errno == errno.ELOOP else "is a symlink to nothing"
                problems.append(Problem(shown_path(path, root), 0, what, "fix the link or delete it"))
                continue
            if stat.S_ISREG(info.st_mode):
                found.append((path, info.st_size))
            elif stat.S_ISDIR(info.st_mode):
                problems.append(Problem(shown_path(path, root), 0, "is a symlink to a folder (not followed)",
                                        "put the files themselves here, or a symlink for each file"))
            else:
                problems.append(_special(shown_path(path, root), info.st_mode))
    return sorted(found)


def _outside(shown: str, real: str, content: Path, root: Path) -> Problem:
    folder = shown.rsplit("/", 1)[0] + "/" if "/" in shown else "content/data/"
    return Problem(shown, 0, f"is a symlink to {real}, outside {shown_path(content, root)}/ (not read)",
                   f"copy the file into {folder} instead of linking to it")


def _special(shown: str, mode: int) -> Problem:
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    return Problem(shown, 0, f"is {kind}, not a regular file (not opened)", "delete it: only regular files are read")


def read_data_file(path: Path, shown: str, limits: Limits = Limits()) -> Any:
    """Parse one data file into frozen data; raise `DataError` with the line of the first problem.

    Opens without blocking and reads at most `limits.data_bytes` (+1), whatever the file turns out to be."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):      # replaced since the folder was listed
                raise DataError(_special(shown, info.st_mode))
            raw = file.read(limits.data_bytes + 1)
    except OSError as error:
        raise DataError(Problem(shown, 0, f"the file cannot be read: {error.strerror}",
                                "check its permissions")) from None
    if len(raw) > limits.data_bytes:
        raise DataError(too_big(shown, max(len(raw), info.st_size), limits))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(Problem(shown, line, f"not valid UTF-8 (byte 0x{raw[error.start]:02x})",
                                "save the file as UTF-8 in your editor")) from None
    if not text.strip():
        raise DataError(Problem(shown, 0, "the file is empty", "add data to it or delete it"))
    parser = PARSERS[path.suffix.lower()]
    try:
        return freeze(parser(text, shown, limits))
    except NotFinite as error:      # found while freezing: look for the number in the text
        line, token = number_line(text)
        raise DataError(not_finite(shown, line, token or repr(error.value))) from None
    except RecursionError:          # the last resort: each parser checks the nesting before it recurses
        raise DataError(Problem(shown, 0, "nested too deeply to be read",
                                "flatten the data: lists and mappings inside each other at most "
                                f"{limits.data_depth} deep")) from None
