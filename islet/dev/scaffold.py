"""Scaffold: ``invoke new-widget NAME`` writes a working widget and its differential test.

The widget is small but complete (server-rendered HTML that works without JavaScript, a
mount() that enhances it, pure logic in a function of its own) and written in the subset of
Python that Transcrypt translates faithfully, so it passes islet's check as generated.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

from islet.errors import IsletError, Problem

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

WIDGET = '''"""{name}: say in one line what this widget is for.

Without JavaScript, render() is the whole widget, so make its HTML useful on its own.
mount() runs in the browser and enhances that HTML. Use it in Markdown:

    ```widget {name}
    label: Votes
    start: 3
    trigger: visible
    ```
"""
from widgets.html import escape, tag

PROPS = {{
    "label": ["str", "Count"],   # text before the number
    "start": ["int", 0],         # the number shown before anyone clicks
}}


def describe(label: str, count: int) -> str:
    """Pure logic in plain functions: the tests run it under CPython and compiled to JavaScript.
    Annotate every function: the check reads the types to tell where JavaScript would differ."""
    return label + ": " + str(count)


def render(props: "Props") -> str:
    text = tag("output", [], escape(describe(props["label"], props["start"])))
    return tag("p", [["class", "{css}"]], text)


def mount(root, props: "Props") -> None:
    output = root.querySelector("output")
    button = document.createElement("button")
    button.setAttribute("type", "button")
    button.textContent = "Add one"
    count = props["start"]

    def on_click(event) -> None:
        nonlocal count
        count = count + 1
        output.textContent = describe(props["label"], count)

    button.addEventListener("click", on_click)
    root.querySelector("p").appendChild(button)
'''

TEST = '''"""widgets/{name}.py: the same inputs give the same output under CPython and compiled to JavaScript."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from islet.islands.compile import compile_widgets
from islet.islands.fidelity import compare, props_batches
from islet.islands.testing import import_widget, run_js_calls, run_py_render

ROOT = Path(__file__).resolve().parent.parent
PROPS = import_widget(ROOT, "{name}").PROPS

RENDER_CASES = [
    {{"label": "Count", "start": 0}},
    {{"label": "Votes <b>&amp; \\"quotes\\"</b>", "start": 41}},
]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    work = tmp_path_factory.mktemp("{name}-js")
    return compile_widgets(ROOT / "widgets", ROOT, work / "out", work / "cache").out_dir


def test_render_escapes_the_label():
    html = run_py_render(ROOT, "{name}", "render", [RENDER_CASES[1]])
    assert "<b>" not in html and "&lt;b&gt;" in html and ": 41" in html


@pytest.mark.parametrize("props", RENDER_CASES)
def test_render_is_identical_in_javascript(compiled, props):
    [js] = run_js_calls(compiled, "{name}", [("render", [props])])
    assert json.loads(js) == run_py_render(ROOT, "{name}", "render", [props])


@settings(max_examples=10, deadline=None)
@given(batch=props_batches(PROPS, size=40))
def test_render_is_identical_in_javascript_for_generated_props(compiled, batch):
    """Props generated from PROPS (empty and non-ASCII text, 0, negative and large numbers…): the same HTML."""
    assert compare(ROOT, compiled, "{name}", "render", [[props] for props in batch]).mismatches == []


def test_describe_is_identical_in_javascript(compiled):
    cases = [["Count", 0], ["Votes", 12345], ["", -3]]
    js = run_js_calls(compiled, "{name}", [("describe", case) for case in cases])
    assert [json.loads(text) for text in js] == [run_py_render(ROOT, "{name}", "describe", case) for case in cases]
'''


class ScaffoldError(IsletError):
    """The widget name is not usable, or its files exist already."""


def plan(root: Path, name: str) -> dict[Path, str]:
    """The files to write for widget `name` (nothing is written): {path: text}."""
    problems = []
    if not NAME.match(name) or keyword.iskeyword(name):
        problems.append(Problem("widgets", 0, f"{name!r} is not a usable widget name",
                                "use lowercase letters, digits and _, starting with a letter, e.g. vote_counter"))
    files = {root / "widgets" / f"{name}.py": WIDGET.format(name=name, css=name.replace("_", "-")),
             root / "tests" / f"test_widget_{name}.py": TEST.format(name=name)}
    for path in files:
        if path.exists():
            problems.append(Problem(path.relative_to(root).as_posix(), 0, "exists already",
                                    "pick another name, or delete the file first"))
    if problems:
        raise ScaffoldError(problems)
    if not (root / "widgets" / "__init__.py").is_file():
        files[root / "widgets" / "__init__.py"] = ""
    return files


def new_widget(root: Path, name: str) -> list[Path]:
    files = plan(root, name)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
