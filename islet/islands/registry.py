"""Widget registry: find the widgets (the site's ``widgets/``, then islet's built-in ones, see sources.py),
import them with CPython, check props.

A widget is a module ``widgets/<name>.py`` with
  - ``PROPS``: ``{"prop": ["type", default]}``, type one of PROP_TYPES; default None = required,
  - ``render(props)``: the widget's HTML from its props (CPython at build time, JS in the browser),
  - ``mount(root, props)``: browser-only, enhances the rendered HTML inside ``root``.
Modules without ``render`` are shared helpers (``widgets/html.py``…), not widgets.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from islet.errors import IsletError, Problem, shown_path

from .sources import install_package, own, widget_files

# How a YAML/JSON prop value is checked. "data" takes a name like "frameworks" or
# "data.surveys.so2025" and is replaced by that data file's contents.
PROP_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list, tuple),
              "dict": (dict,), "data": (str,), "any": (object,)}
TRIGGERS = ("load", "idle", "visible", "media", "interaction")
SAFE_INTEGER = 2**53 - 1      # JavaScript's Number.MAX_SAFE_INTEGER: above it, integers lose their last digits


class WidgetError(IsletError):
    """A widget is missing, misdeclared, or used with wrong props."""


@dataclass(frozen=True)
class Widget:
    name: str
    module: ModuleType
    props: dict[str, tuple[str, Any]]   # prop -> (type, default); default None means required
    path: str                           # widgets/<name>.py, for messages

    def render(self, props: Mapping[str, Any]) -> str:
        return self.module.render(props)


def discover(site_root: Path) -> dict[str, Widget]:
    """Import every widget: the site's ``widgets/`` and islet's built-in ones (fresh on each build)."""
    install_package(site_root)
    found, problems = {}, []
    for name, path in widget_files(site_root).items():
        stem = name.removesuffix(".py")
        if "/" in stem or stem.startswith("_"):
            continue
        shown = shown_path(path, site_root) if own(site_root, path) else f"{path} (built into islet)"
        try:
            module = importlib.import_module(f"widgets.{stem}")
        except Exception as error:  # the author's widget failed to import under CPython
            line = getattr(error, "lineno", 0) or traceback_line(error, path)
            problems.append(Problem(shown, line, f"cannot import: {type(error).__name__}: {error}",
                                    "fix the error; widgets must import cleanly under CPython"))
            continue
        if not hasattr(module, "render"):
            continue
        declared = getattr(module, "PROPS", None)
        problem = _check_declaration(declared, shown, hasattr(module, "mount"))
        if problem:
            problems.append(problem)
            continue
        found[stem] = Widget(stem, module, {k: (v[0], v[1]) for k, v in declared.items()}, shown)
    if problems:
        raise WidgetError(problems)
    return found


def _check_declaration(declared: Any, shown: str, has_mount: bool) -> Problem | None:
    fix = 'declare PROPS = {"title": ["str", ""], "rows": ["data", None]} (type, default; None = required)'
    if not has_mount:
        return Problem(shown, 0, "has render() but no mount(root, props)", "add mount(root, props) for the browser side")
    if not isinstance(declared, dict):
        return Problem(shown, 0, "has no PROPS declaration", fix)
    for name, spec in declared.items():
        if not (isinstance(spec, (list, tuple)) and len(spec) == 2 and spec[0] in PROP_TYPES):
            return Problem(shown, 0, f"prop {name!r} is declared as {spec!r}",
                           f"use [type, default] with type one of {', '.join(PROP_TYPES)}")
    return None


def resolve_props(widget: Widget, given: Mapping[str, Any], data: Mapping[str, Any], where: tuple[str, int]) -> dict:
    """Check `given` against the widget's PROPS, fill defaults, and replace data references.

    `where` is (file, line) of the use, for messages. Raises WidgetError listing every problem.
    """
    shown, line = where
    problems = []
    for name in given:
        if name not in widget.props:
            known = ", ".join(widget.props) or "none"
            problems.append(Problem(shown, line, f"widget {widget.name!r} has no prop {name!r}",
                                    f"use one of: {known} (see {widget.path})"))
    props = {}
    for name, (kind, default) in widget.props.items():
        if name not in given:
            if default is None:
                problems.append(Problem(shown, line, f"widget {widget.name!r} needs prop {name!r} ({kind})",
                                        f"add '{name}: …' to the widget block"))
            props[name] = default
            continue
        value = given[name]
        if not isinstance(value, PROP_TYPES[kind]) or (kind in ("int", "float") and isinstance(value, bool)):
            problems.append(Problem(shown, line, f"prop {name!r} of widget {widget.name!r} must be {kind}, "
                                    f"not {type(value).__name__} ({value!r})", f"write a {kind} value for {name}"))
            continue
        if kind == "data":
            value = lookup_data(data, value, (shown, line), problems)
        unsafe = browser_problem(value)
        if unsafe is not None:
            problems.append(Problem(shown, line, f"prop {name!r} of widget {widget.name!r} holds {unsafe}, which "
                                    "the page's JavaScript cannot hold exactly",
                                    "make it text (quoted in JSON, YAML or TOML; a CSV column is text when one "
                                    "of its cells is), or use a smaller number"))
        props[name] = value
    if problems:
        raise WidgetError(problems)
    return props


def browser_problem(value: Any) -> str | None:
    """What in a prop value the browser would get wrong (it arrives as JSON, read by JavaScript), or None:
    an integer beyond 2**53, which JavaScript rounds; NaN and infinities, which JSON cannot carry; a dict key
    that is not text, which JSON turns into text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, int):
        return f"the integer {value}" if abs(value) > SAFE_INTEGER else None
    if isinstance(value, float):
        return None if value == value and abs(value) != float("inf") else f"the number {value}"
    if isinstance(value, Mapping):
        key = next((key for key in value if not isinstance(key, str)), None)
        if key is not None:
            return f"the key {key!r}, not text (JSON makes every key text, so the browser would see {str(key)!r})"
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, (list, tuple)) else ()
    return next((found for found in map(browser_problem, items) if found is not None), None)


def lookup_data(data: Mapping[str, Any], reference: str, where: tuple[str, int], problems: list) -> Any:
    """``"frameworks"`` / ``"data.surveys.so2025"`` → that data; a problem when it does not exist."""
    node: Any = data
    parts = reference.removeprefix("data.").split(".")
    for index, part in enumerate(parts):
        if not isinstance(node, Mapping) or part not in node:
            missing = "data." + ".".join(parts[: index + 1])
            problems.append(Problem(where[0], where[1], f"{missing} does not exist",
                                    f"add content/data/{'/'.join(parts[: index + 1])}.csv (or .json/.yaml/.toml) "
                                    "or correct the name"))
            return None
        node = node[part]
    return node


def traceback_line(error: BaseException, path: Path) -> int:
    """The last line of `path` that `error` went through (0 if none)."""
    tb, line = error.__traceback__, 0
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
