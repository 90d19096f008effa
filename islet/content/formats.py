"""Parsing one data file (CSV, JSON, YAML, TOML) within ISLET_LIMITS: islet.content.data reads the files.

Each parser checks nesting, the number of values (YAML aliases counted expanded, before anything is
expanded) and numbers (finite only) as it reads, and raises `DataError` with the line of the first problem.
The problems' wording is here too, so that every limit is reported alike.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import sys
import tomllib
from collections.abc import Callable
from typing import Any

import yaml

from islet.errors import DataError, Problem
from islet.settings import Limits

# Plain decimal numbers only: "inf", "1_000" or "0x10" stay text, as an author would expect.
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
LARGEST = sys.float_info.max      # an integer past it is Infinity in a browser


class NotFinite(ValueError):
    """A number JSON and browsers cannot hold: NaN, an infinity, or an integer past the largest float."""

    def __init__(self, value: Any):
        super().__init__(f"{value!r} is not a finite number")
        self.value = value


def too_big(shown: str, size: int, limits: Limits) -> Problem:
    return Problem(shown, 0, f"the file has {size:,} bytes, more than the limit of {limits.data_bytes:,}",
                   f"split the file, or raise the limit: ISLET_LIMITS = {{'data_bytes': {size}}} in pelicanconf.py")


def _too_deep(shown: str, line: int, limits: Limits) -> Problem:
    return Problem(shown, line, f"lists and mappings nested more than {limits.data_depth} deep",
                   "flatten the data, or raise the limit: "
                   f"ISLET_LIMITS = {{'data_depth': {limits.data_depth * 2}}} in pelicanconf.py")


def _too_many(shown: str, line: int, limits: Limits, alias: str = "") -> Problem:
    what = (f"{alias} takes the file past {limits.data_values:,} values once expanded" if alias
            else f"more than {limits.data_values:,} values in one file")
    return Problem(shown, line, what, ("repeat less with aliases, " if alias else "") + "split the file, or raise "
                   f"the limit: ISLET_LIMITS = {{'data_values': {limits.data_values * 10}}} in pelicanconf.py")


def not_finite(shown: str, line: int, token: str) -> Problem:
    if len(token) > 30:
        token = f"{token[:12]}…{token[-4:]} ({len(token)} characters)"
    if token.lstrip("+-.").lower().startswith(("nan", "inf")):
        what = f"{token} is not a number a browser can read (JSON has no NaN or Infinity)"
    else:
        what = f"{token} is too large for a number (it would be infinity)"
    return Problem(shown, line, what, "write a finite number, or leave the value empty if it is unknown")


def _long_integer(shown: str, text: str) -> Problem:
    """For the ValueError of int() past 4,300 digits (Python's limit), which a JSON or TOML parser passes on."""
    found = re.search(r"\d{4300,}", text)
    line = text.count("\n", 0, found.start()) + 1 if found else 0
    return not_finite(shown, line, found.group() if found else "an integer of over 4,300 digits")


# Quoted strings (double quotes in all four formats, single quotes in TOML and YAML), skipped when looking for
# a token; and the numbers of all four formats.
_QUOTED = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\n]*\''
_NUMBER = re.compile(_QUOTED + r"|(?<![\w.])(?P<hit>[-+]?(?:Infinity|NaN|inf|nan|\.inf|\.nan|"
                               r"\d[\d_]*(?:\.[\d_]*)?(?:[eE][-+]?\d+)?))(?![\w.])(?!\s*=)")


def number_line(text: str) -> tuple[int, str]:
    """(line, token) of the first number in `text` that is not finite; (0, "") if none is found.
    Only runs once a file is refused, so a plain scan will do."""
    for match in _NUMBER.finditer(text):
        token = match.group("hit")
        if token is None:
            continue
        try:
            number = float(token.replace("_", "").replace(".inf", "inf").replace(".nan", "nan"))
        except ValueError:
            continue
        if number - number != 0:
            return text.count("\n", 0, match.start()) + 1, token
    return 0, ""


# JSON and YAML write a character past U+FFFF as two escapes, a surrogate pair ("\\ud83d\\ude00"). json joins
# them, PyYAML does not; and either keeps an escape of one half alone, which is no character at all: no page
# could hold it (UTF-8 cannot encode it), so the build would fail where the value is shown, far from its file.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)([dD][89a-fA-F][0-9a-fA-F]{2})")
SURROGATE = re.compile("[\ud800-\udfff]")      # (also for islet.content.reader)


def _whole_characters(value: Any, text: str, shown: str) -> Any:
    """`value` with every surrogate pair in its strings (and keys) joined into its character; DataError at the
    line of an escape of half a pair alone. (Only walked when `text` holds such an escape at all.)"""
    if not _SURROGATE_ESCAPE.search(text):
        return value

    def whole(string: str) -> str:
        if not SURROGATE.search(string):
            return string
        joined = string.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        if SURROGATE.search(joined):
            raise DataError(_lone_surrogate(shown, text))
        return joined

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return whole(item)
        if isinstance(item, dict):
            return {walk(key): walk(each) for key, each in item.items()}
        if isinstance(item, list):
            return [walk(each) for each in item]
        if isinstance(item, (set, frozenset)):         # (YAML's !!set)
            return {walk(each) for each in item}
        return item
    return walk(value)


def _lone_surrogate(shown: str, text: str) -> Problem:
    escapes = list(_SURROGATE_ESCAPE.finditer(text))
    line, escape, index = 0, "\\ud800", 0
    while index < len(escapes):
        found = escapes[index]
        after = escapes[index + 1] if index + 1 < len(escapes) else None
        if (int(found[1], 16) < 0xDC00 and after is not None and after.start() == found.end()
                and int(after[1], 16) >= 0xDC00):
            index += 2                         # a high half right before a low one: a whole pair
            continue
        line, escape = text.count("\n", 0, found.start()) + 1, found.group()
        break
    return Problem(shown, line, f"the escape {escape} is half of a surrogate pair, not a character",
                   "write the character itself (the file is UTF-8), or both escapes of its pair")


def _parse_csv(text: str, shown: str, limits: Limits) -> tuple:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[int] = []       # the first line of each row
    values = 1
    try:
        header = next(reader)
        rows = []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    raise DataError(Problem(
                        shown, reader.line_num,
                        f"row has {len(row)} fields but the header has {len(header)}",
                        "add or remove commas so every row matches the header; quote values that contain commas"))
                values += 1 + 2 * len(row)      # the row, each cell and its column name
                if values > limits.data_values:
                    raise DataError(_too_many(shown, start, limits))
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise DataError(Problem(shown, reader.line_num, f"malformed CSV: {error}",
                                "check the quotes on this line: a quoted value must end with a quote")) from None
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates or not all(header):
        what = f"duplicate column {duplicates[0]!r}" if duplicates else "a column has no name"
        raise DataError(Problem(shown, 1, what, "give every column a unique name in the header row"))
    columns = []
    for i in range(len(header)):
        try:
            columns.append(_numeric_column([row[i] for row in rows]))
        except NotFinite as error:
            raise DataError(not_finite(shown, lines[error.value], rows[error.value][i].strip())) from None
    return tuple(dict(zip(header, values)) for values in zip(*columns)) if rows else ()


def _numeric_column(cells: list[str]) -> list:
    """Numbers if every non-empty cell is a number (empty cells become None), else the strings.
    Raises `NotFinite` with the index of a cell too large for a float (``1e999``)."""
    filled = [c.strip() for c in cells if c.strip()]
    for kind, pattern in ((int, _INT), (float, _FLOAT)):
        if filled and all(pattern.match(c) for c in filled):
            # Checked before int(), which raises past 4,300 digits; from 309 digits on, a number may be infinity.
            if max(map(len, filled)) > 308 if kind is int else not all(map(math.isfinite, map(float, filled))):
                for index, cell in enumerate(cells):
                    if cell.strip() and not math.isfinite(float(cell)):
                        raise NotFinite(index)
            return [kind(c.strip()) if c.strip() else None for c in cells]
    return cells


# JSON: the nesting is checked before json.loads, which recurses in C and would raise RecursionError. The check
# must cost next to nothing on a normal file: it deletes every byte but brackets (one C pass), then removes the
# innermost pairs once per level. Brackets in strings count too, so a file that seems too deep (or unbalanced)
# is looked at closer, with its strings skipped, before it is refused.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")
_STEP = tuple(1 if b == ord("[") else -1 if b == ord("]") else 0 for b in range(256))
_NOT_SEPARATORS = bytes(b for b in range(256) if b not in b",:[{")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _bracket_depth(data: bytes, most: int) -> int:
    """How deep the brackets in `data` nest if at most `most`, else more than `most` (deeper, or unbalanced)."""
    left = data.translate(_ONE_KIND, _NOT_BRACKETS)
    passes = min(most, 32)      # each pass removes the innermost pairs; past a few, one running sum is quicker
    for done in range(passes):
        if not left:
            return done
        shorter = left.replace(b"[]", b"")
        if len(shorter) == len(left):
            return most + 1
        left = shorter
    if not left:
        return passes
    if passes == most:
        return most + 1
    return passes + max(itertools.accumulate(map(_STEP.__getitem__, left)))


def _json_depth_line(text: str, most: int) -> int:
    """The line where lists and objects (outside strings) first nest deeper than `most`; 0 if they never do."""
    depth = 0
    for match in _JSON_BRACKET.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > most:
                return text.count("\n", 0, match.start()) + 1
        elif char in "]}":
            depth -= 1
    return 0


def _json_values_line(text: str, most: int) -> int:
    """The line where the values (every scalar, list, object and key, outside strings) pass `most`; 0 if never."""
    plain = _JSON_STRING.sub('""', text)        # JSON strings hold no line breaks: the lines stay where they are
    separators = re.finditer(r"[,:\[{]", plain)
    crossing = next(itertools.islice(separators, max(most - 1, 0), None), None)   # the root is the first value
    return plain.count("\n", 0, crossing.start()) + 1 if crossing else 0


def _refuse_constant(token: str) -> Any:
    raise NotFinite(token)


def _parse_json(text: str, shown: str, limits: Limits) -> Any:
    # Brackets and separators counted outside strings: a key "]" or "[" would shift the pairs and hide depth.
    data = _JSON_STRING.sub('""', text).encode() if '"' in text else text.encode()
    if _bracket_depth(data, limits.data_depth) > limits.data_depth:
        line = _json_depth_line(text, limits.data_depth)
        if line:
            raise DataError(_too_deep(shown, line, limits))
    # At most one value per separator, plus the root: counting bytes is enough unless the file is near the limit.
    if 1 + len(data.translate(None, _NOT_SEPARATORS)) > limits.data_values:
        line = _json_values_line(text, limits.data_values)
        if line:
            raise DataError(_too_many(shown, line, limits))
    try:
        return _whole_characters(json.loads(text, parse_constant=_refuse_constant), text, shown)
    except NotFinite as error:
        line, token = number_line(text)
        raise DataError(not_finite(shown, line, token or str(error.value))) from None
    except json.JSONDecodeError as error:
        raise DataError(Problem(shown, error.lineno, f"invalid JSON: {error.msg} (column {error.colno})",
                                "check for a missing comma, quote or bracket near here")) from None
    except ValueError:      # an integer of more than 4,300 digits (Python's limit): past the largest float too
        raise DataError(_long_integer(shown, text)) from None


class _Refused(Exception):
    """A YAML file refused while composing or constructing, with its problem."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class _LimitedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that enforces `limits` while composing, before anything is constructed or expanded.

    Each node's size is known once it is composed: its values, aliases expanded, and how deep it nests. An
    alias points at a node composed before it, so it adds that node's size without expanding anything, and
    the alias that takes the file past a limit is the line refused (a 0.4 KB alias bomb expands to a billion
    values). An alias inside the node it names (a loop) is refused too. Numbers must be finite."""

    def __init__(self, text: str, shown: str, limits: Limits):
        super().__init__(text)
        self.shown, self.limits = shown, limits
        self.depth = 0          # lists and mappings open around the node being composed
        self.reach = 0          # the deepest nesting reached so far inside them, aliases expanded
        self.values = 0         # values composed so far, each alias counted as the values it repeats
        self.sizes: dict[str, tuple[int, int]] = {}     # anchor: (values, nesting) of its node

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)      # an unknown alias is PyYAML's error
            if event.anchor not in self.sizes:
                raise _Refused(Problem(
                    self.shown, line, f"alias *{event.anchor} is inside the value it repeats (a loop)",
                    f"move the alias out of the value marked &{event.anchor}, or copy the data"))
            values, nesting = self.sizes[event.anchor]
            self._count(values, line, f"alias *{event.anchor}")
            self.reach = max(self.reach, self.depth + nesting)
            if self.reach > self.limits.data_depth:
                raise _Refused(_too_deep(self.shown, line, self.limits))
            return node
        opens = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        values, outer_reach = self.values, self.reach
        self.depth += opens
        self.reach = self.depth
        if self.depth > self.limits.data_depth:
            raise _Refused(_too_deep(self.shown, line, self.limits))
        self._count(1, line, "")
        node = super().compose_node(parent, index)
        self.depth -= opens
        if event.anchor is not None:
            self.sizes[event.anchor] = (self.values - values, self.reach - self.depth)
        self.reach = max(outer_reach, self.reach)
        return node

    def _count(self, values: int, line: int, alias: str) -> None:
        self.values += values
        if self.values > self.limits.data_values:
            raise _Refused(_too_many(self.shown, line, self.limits, alias))

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as error:     # e.g. a date 2026-02-30
            line = node.start_mark.line + 1
            if isinstance(error, NotFinite):
                raise _Refused(not_finite(self.shown, line, error.value)) from None
            raise _Refused(Problem(self.shown, line, f"invalid YAML value: {error}",
                                   "check the value on this line")) from None

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if value - value != 0:
            raise NotFinite(str(node.value))
        return value

    def construct_yaml_int(self, node):
        if len(str(node.value)) > 1100:     # past the largest float in any base; Python's int() is slow there
            raise NotFinite(str(node.value))
        value = super().construct_yaml_int(node)
        if not -LARGEST <= value <= LARGEST:
            raise NotFinite(str(node.value))
        return value


_LimitedLoader.add_constructor("tag:yaml.org,2002:float", _LimitedLoader.construct_yaml_float)
_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _LimitedLoader.construct_yaml_int)


def _parse_yaml(text: str, shown: str, limits: Limits) -> Any:
    try:
        loader = _LimitedLoader(text, shown, limits)    # (its reader refuses a character YAML does not allow, at once)
        try:
            return _whole_characters(loader.get_single_data(), text, shown)
        finally:
            loader.dispose()
    except _Refused as refused:
        raise DataError(refused.problem) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise DataError(Problem(shown, line, f"invalid YAML: character {error.character:#06x} is not allowed in YAML",
                                "delete it, or write it as an escape (\\x00) inside a double-quoted string")) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DataError(Problem(shown, line, f"invalid YAML: {what}",
                                "check the indentation and quoting on this line")) from None


def _finite_float(token: str) -> float:
    value = float(token)
    if value - value != 0:
        raise NotFinite(token)
    return value


def _parse_toml(text: str, shown: str, limits: Limits) -> Any:
    try:
        value = tomllib.loads(text, parse_float=_finite_float)
    except NotFinite as error:
        line, token = number_line(text)
        raise DataError(not_finite(shown, line, token or str(error.value))) from None
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = int(match.group(1)) if match else 0
        what = re.sub(r"\s*\(at line.*\)", "", str(error))
        raise DataError(Problem(shown, line, f"invalid TOML: {what}",
                                "check the quotes and brackets on this line")) from None
    except RecursionError:      # tomllib recurses once per inline list or table
        raise DataError(_too_deep(shown, _toml_depth_line(text, limits.data_depth), limits)) from None
    except ValueError:          # an integer of more than 4,300 digits (Python's limit): past the largest float too
        raise DataError(_long_integer(shown, text)) from None
    nesting, values = _shape(value)
    if nesting > limits.data_depth:
        raise DataError(_too_deep(shown, _toml_depth_line(text, limits.data_depth), limits))
    if values > limits.data_values:
        raise DataError(_too_many(shown, 0, limits))
    return value


def _shape(value: Any) -> tuple[int, int]:
    """(how deep lists and mappings nest, how many values: every scalar, list, mapping and key), without recursion."""
    deepest, count = 0, 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if isinstance(item, dict):
            deepest, count = max(deepest, depth), count + len(item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest, count


_TOML_SKIPPED = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|' + _QUOTED + r"|#[^\n]*")


def _toml_depth_line(text: str, most: int) -> int:
    """Best effort: the line where tables and lists first nest deeper than `most` (0 if not found). The root
    table is 1 deep, ``[a.b]`` 3, ``[[a]]`` 3 (a list of tables); dotted keys and inline lists add theirs."""
    plain = _TOML_SKIPPED.sub(lambda m: '""' + "\n" * m.group().count("\n"), text)
    table = level = 1
    brackets = 0
    for number, line in enumerate(plain.split("\n"), 1):
        stripped = line.strip()
        if brackets == 0 and stripped.startswith("["):      # a [table] or [[list of tables]] header
            table = level = 1 + stripped.strip("[] \t").count(".") + 1 + stripped.startswith("[[")
            if table > most:
                return number
            continue
        if brackets == 0:
            key, equals, line = line.partition("=")
            if not equals:
                continue
            level = table + key.count(".")
        for char in re.findall(r"[\[\]{}]", line):
            if char in "[{":
                brackets += 1
                if level + brackets > most:
                    return number
            else:
                brackets = max(brackets - 1, 0)
    return 0


PARSERS: dict[str, Callable[[str, str, Limits], Any]] = {
    ".csv": _parse_csv, ".json": _parse_json, ".yaml": _parse_yaml, ".yml": _parse_yaml, ".toml": _parse_toml,
}
