"""Load ``content/data/`` into one read-only mapping, once per build.

``content/data/frameworks.csv`` becomes ``data.frameworks`` (a tuple of rows),
``content/data/surveys/so2025.yaml`` becomes ``data.surveys.so2025``. CSV, JSON,
YAML and TOML are supported. CSV columns holding only numbers become numbers.
Everything is frozen so a template or widget cannot change what the next page sees.

A malformed file raises `DataError` naming the file, the line and what is wrong.
"""
from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Callable

import yaml

from islet.errors import DataError, Problem, shown_path

FORMATS = (".csv", ".json", ".yaml", ".yml", ".toml")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Plain decimal numbers only: "inf", "1_000" or "0x10" stay text, as an author would expect.
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


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


def freeze(value: Any) -> Any:
    """Deep-convert parsed data: dicts to `FrozenDict`, lists to tuples."""
    if isinstance(value, dict):
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def load_data(directory: Path, root: Path | None = None) -> FrozenDict:
    """Read every data file under `directory` into a nested read-only mapping.

    Paths in error messages are relative to `root` (the site root). All problems in
    all files are collected before raising, so an author fixes them in one go.
    """
    root = root or directory.parent
    problems: list[Problem] = []
    tree: dict[str, Any] = {}
    if not directory.is_dir():
        return FrozenDict()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        shown = shown_path(path, root)
        if path.name.startswith(".") or path.suffix.lower() not in FORMATS:
            if not path.name.startswith("."):
                problems.append(Problem(shown, 0, f"unsupported data file type {path.suffix!r}",
                                        "use .csv, .json, .yaml/.yml or .toml, or move it out of content/data/"))
            continue
        parts = path.relative_to(directory).with_suffix("").parts
        bad = [p for p in parts if not _IDENTIFIER.match(p)]
        if bad:
            problems.append(Problem(shown, 0, f"name {bad[0]!r} cannot be used as data.{bad[0]} in templates",
                                    "rename it using letters, digits and underscores only (e.g. so2025.yaml)"))
            continue
        try:
            value = read_data_file(path, shown)
        except DataError as error:
            problems.extend(error.problems)
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        if not isinstance(node, dict) or parts[-1] in node:
            problems.append(Problem(shown, 0, f"data.{'.'.join(parts)} is defined twice",
                                    "rename one of the files or folders that share this name"))
            continue
        node[parts[-1]] = value
    if problems:
        raise DataError(problems)
    return freeze(tree)


def read_data_file(path: Path, shown: str) -> Any:
    """Parse one data file; raise `DataError` with the line of the first problem."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(Problem(shown, line, f"not valid UTF-8 (byte 0x{raw[error.start]:02x})",
                                "save the file as UTF-8 in your editor")) from None
    if not text.strip():
        raise DataError(Problem(shown, 0, "the file is empty", "add data to it or delete it"))
    parser = _PARSERS[path.suffix.lower()]
    return parser(text, shown)


def _parse_csv(text: str, shown: str) -> tuple:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(header):
                raise DataError(Problem(
                    shown, reader.line_num,
                    f"row has {len(row)} fields but the header has {len(header)}",
                    "add or remove commas so every row matches the header; quote values that contain commas"))
            rows.append(row)
    except csv.Error as error:
        raise DataError(Problem(shown, reader.line_num, f"malformed CSV: {error}",
                                "check the quotes on this line: a quoted value must end with a quote")) from None
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates or not all(header):
        what = f"duplicate column {duplicates[0]!r}" if duplicates else "a column has no name"
        raise DataError(Problem(shown, 1, what, "give every column a unique name in the header row"))
    columns = [_numeric_column([row[i] for row in rows]) for i in range(len(header))]
    return tuple(dict(zip(header, values)) for values in zip(*columns)) if rows else ()


def _numeric_column(cells: list[str]) -> list:
    """Numbers if every non-empty cell is a number (empty cells become None), else the strings."""
    filled = [c.strip() for c in cells if c.strip()]
    for kind, pattern in ((int, _INT), (float, _FLOAT)):
        if filled and all(pattern.match(c) for c in filled):
            return [kind(c.strip()) if c.strip() else None for c in cells]
    return cells


def _parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(Problem(shown, error.lineno, f"invalid JSON: {error.msg} (column {error.colno})",
                                "check for a missing comma, quote or bracket near here")) from None


def _parse_yaml(text: str, shown: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DataError(Problem(shown, line, f"invalid YAML: {what}",
                                "check the indentation and quoting on this line")) from None


def _parse_toml(text: str, shown: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = int(match.group(1)) if match else 0
        what = re.sub(r"\s*\(at line.*\)", "", str(error))
        raise DataError(Problem(shown, line, f"invalid TOML: {what}",
                                "check the quotes and brackets on this line")) from None


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    ".csv": _parse_csv, ".json": _parse_json, ".yaml": _parse_yaml, ".yml": _parse_yaml, ".toml": _parse_toml,
}
