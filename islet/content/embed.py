"""Embed stage: turn widget uses into islands of server-rendered HTML.

In Markdown, a fenced block whose info string is ``widget NAME`` holds YAML props:

    ```widget table
    rows: data.frameworks
    caption: Python web frameworks
    trigger: visible
    ```

Templates call ``{{ widget("table", {"rows": "frameworks"}, trigger="visible") }}``.
Either way the widget's ``render(props)`` runs under CPython now, and the output is
wrapped in an island that tells the browser loader what to load, when, and with
which props. Without JavaScript the rendered HTML is the whole widget.
"""
from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml
from markdown.preprocessors import Preprocessor
from markdown.util import HTML_PLACEHOLDER
from markupsafe import Markup

from islet.errors import LimitError, Problem, TimeLimitExceeded, time_limit
from islet.islands.registry import TRIGGERS, Widget, WidgetError, resolve_props, traceback_line
from islet.settings import Limits

from .sandbox import VALUES

FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*widget\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*$")
DEFAULT_TRIGGER = "visible"


def props_json(props: Mapping[str, Any]) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a comment."""
    text = json.dumps(props, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def check_trigger(trigger: Any, where: tuple[str, int]) -> str:
    text = str(trigger).strip()
    kind = text.split(" ", 1)[0]
    if kind not in TRIGGERS or (kind == "media") != (" " in text):
        raise WidgetError(Problem(where[0], where[1], f"unknown trigger {text!r}",
                                  "use load, idle, visible, interaction, or media followed by a media query, "
                                  "e.g. 'media (min-width: 40em)'"))
    return text


class Islands:
    """Renders islands for one build: knows the widgets, the data and each widget's module URL."""

    def __init__(self, widgets: dict[str, Widget], data: Mapping[str, Any], modules: Mapping[str, str] | None = None,
                 limits: Limits = Limits()):
        # `modules`: each widget's module URL, when known before the pages are (test pages). A build
        # compiles only once it knows which widgets its pages use, so islet.islands.hydrate adds them there.
        self.widgets, self.data, self.modules, self.limits = widgets, data, modules or {}, limits

    def island(self, name: str, given: Mapping[str, Any], trigger: str, where: tuple[str, int]) -> str:
        widget = self.widgets.get(name)
        if widget is None:
            known = ", ".join(sorted(self.widgets)) or "none yet"
            raise WidgetError(Problem(where[0], where[1], f"unknown widget {name!r}",
                                      f"use one of: {known}; or add widgets/{name}.py"))
        trigger = check_trigger(trigger, where)
        props = resolve_props(widget, given, self.data, where)
        self._check_size(widget, props, where)
        try:
            with time_limit(self.limits.render_seconds):
                html = widget.render(props)
        except TimeLimitExceeded as error:   # a loop that never ends, or far too much work for one page
            line = traceback_line(error, Path(widget.module.__file__))
            raise LimitError(Problem(where[0], where[1], f"widget {name!r}: render() did not finish within "
                                     f"{self.limits.render_seconds:g} s" + (f" (it was at line {line})" if line else ""),
                                     f"fix render() in {widget.path}, or raise ISLET_LIMITS['render_seconds']")) from None
        except Exception as error:  # the widget's own bug, reported at the place it is used
            raise WidgetError(Problem(where[0], where[1], f"widget {name!r} failed to render: "
                                      f"{type(error).__name__}: {error}", f"fix render() in {widget.path}")) from None
        if not isinstance(html, str):
            raise WidgetError(Problem(where[0], where[1], f"widget {name!r}: render() returned "
                                      f"{type(html).__name__}, not HTML text",
                                      f"make render() in {widget.path} return a string (did it forget to return?)"))
        module = f' data-module="{escape(self.modules[name])}"' if name in self.modules else ""
        return (f'<div class="islet islet-{name}" data-islet="{name}" data-trigger="{escape(trigger)}"{module}>'
                f'<script type="application/json">{props_json(props)}</script>{html}</div>')

    def _check_size(self, widget: Widget, props: Mapping[str, Any], where: tuple[str, int]) -> None:
        """No list in the props longer than ``widget_rows``: a page, its props JSON and render() stay small."""
        for name, value in props.items():
            longest = _too_long(value, self.limits.widget_rows)
            if longest:
                raise LimitError(Problem(where[0], where[1], f"prop {name!r} of widget {widget.name!r} holds "
                                         f"{longest:,} items; a widget shows at most {self.limits.widget_rows:,}",
                                         "show a summary or the top rows (a smaller data file), split it over pages, "
                                         "or raise ISLET_LIMITS['widget_rows'] in pelicanconf.py"))

    def template_global(self, template: str = "template") -> Callable[..., Markup]:
        """``widget(name, props, trigger)`` for Jinja templates."""
        def widget(name: str, props: Mapping[str, Any] | None = None, trigger: str = DEFAULT_TRIGGER) -> Markup:
            return Markup(self.island(name, dict(props or {}), trigger, (template, 0)))
        return widget


class WidgetFences(Preprocessor):
    """Replaces ```widget blocks with islands (kept away from Markdown by the HTML stash)."""

    def __init__(self, md, islands: Islands, shown: str, source_lines: list[str]):
        super().__init__(md)
        self.islands, self.shown = islands, shown
        # Lines of the fences in the original file, in order: the body may have been through
        # Jinja, so count fences rather than lines.
        self.fence_lines = [n for n, line in enumerate(source_lines, 1) if FENCE.match(line)]

    def run(self, lines: list[str]) -> list[str]:
        out, index, count = [], 0, 0
        while index < len(lines):
            match = FENCE.match(lines[index])
            if not match:
                out.append(lines[index])
                index += 1
                continue
            line = self.fence_lines[count] if count < len(self.fence_lines) else 0
            count += 1
            end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == match["fence"]), None)
            if end is None:
                raise WidgetError(Problem(self.shown, line, f"widget block {match['name']!r} is not closed",
                                          f"end it with a line holding only {match['fence']}"))
            given = self._props("\n".join(lines[index + 1:end]), line)
            trigger = given.pop("trigger", DEFAULT_TRIGGER)
            html = self.islands.island(match["name"], given, trigger, (self.shown, line))
            out += ["", self.md.htmlStash.store(html), ""]
            index = end + 1
        return out

    def _props(self, text: str, line: int) -> dict:
        try:
            # (Markdown's placeholders start and end with control characters, which YAML refuses)
            given = yaml.safe_load(text.translate(_YAML_SAFE)) if text.strip() else {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise WidgetError(Problem(self.shown, line + 1 + (mark.line if mark else 0),
                                      f"widget props are not valid YAML: {getattr(error, 'problem', error)}",
                                      "write one 'prop: value' per line; quote values containing ': ', e.g. trigger: \"media (min-width: 40em)\"")) from None
        if not isinstance(given, dict):
            raise WidgetError(Problem(self.shown, line, "widget props must be 'prop: value' lines",
                                      "write one 'prop: value' per line inside the block"))
        return _with_values(given)


def _too_long(value: Any, most: int) -> int:
    """The length of the first list or mapping in `value` (at any depth) longer than `most`, else 0."""
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, (list, tuple)) else None
    if items is None:
        return 0
    if len(value) > most:
        return len(value)
    return next((found for found in (_too_long(item, most) for item in items) if found), 0)


_YAML_SAFE = str.maketrans("\x02\x03", "\ue000\ue001")
_UNDO = str.maketrans("\ue000\ue001", "\x02\x03")
_PLACEHOLDER = re.compile((HTML_PLACEHOLDER % r"\d+").translate(_YAML_SAFE))


def _with_values(value: Any) -> Any:
    """Props as written, with each ``{{ value }}`` of the body's Jinja as its text (a string, never YAML)."""
    if isinstance(value, str) and "\ue000" in value:
        return _PLACEHOLDER.sub(lambda m: VALUES.get(m[0].translate(_UNDO), m[0]), value)
    if isinstance(value, dict):
        return {key: _with_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_values(item) for item in value]
    return value
