"""islet.islands.fidelity and the props the browser cannot hold: the comparison finds a widget that renders
differently in JavaScript, ignores what the build itself refuses, and the props it generates are valid."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from islet.islands import compile as compile_stage
from islet.islands.fidelity import compare, props_strategy
from islet.islands.registry import SAFE_INTEGER, Widget, WidgetError, browser_problem, resolve_props

# str(float) is '3.0' in CPython and '3' in JavaScript; a float prop arrives in node as JSON, like in a page.
SHOWS = '''PROPS = {"x": ["float", None], "label": ["str", "n"]}


def render(props):
    if props["label"] == "boom":
        raise ValueError("a build error, not a page error")
    return props["label"] + "=" + str(props["x"])


def mount(root, props):
    pass
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("fidelity")
    (root / "widgets").mkdir()
    (root / "widgets" / "__init__.py").write_text("")
    (root / "widgets" / "shows.py").write_text(SHOWS)
    with pytest.MonkeyPatch.context() as patch:   # the check refuses str() of a float: compiled anyway, for compare
        patch.setattr(compile_stage, "precheck", lambda sources: None)
        return root, compile_stage.compile_widgets(root / "widgets", root, root / "out", root / "cache").out_dir


def test_a_widget_that_renders_differently_in_javascript_is_found(site):
    root, out = site
    result = compare(root, out, "shows", "render", [[{"x": 2, "label": "a"}], [{"x": 2.0, "label": "a"}],
                                                     [{"x": 1.5, "label": "b"}]])
    assert result.compared == 3
    assert result.mismatches == ['shows.render({"x": 2.0, "label": "a"}): CPython gives \'a=2.0\', JavaScript \'a=2\'']


def test_what_fails_the_build_is_not_compared(site):
    root, out = site
    result = compare(root, out, "shows", "render", [[{"x": 1.0, "label": "boom"}], [{"x": 2**60, "label": "a"}]])
    assert (result.compared, result.mismatches) == (0, [])


@pytest.mark.parametrize("value, problem", [
    ("text", None), (True, None), (None, None), (SAFE_INTEGER, None), (-SAFE_INTEGER, None), (1e300, None),
    (SAFE_INTEGER + 1, "the integer 9007199254740992"), ([1, [2, -(2**60)]], "the integer -1152921504606846976"),
    (float("nan"), "the number nan"), ({"a": float("inf")}, "the number inf"),
    ({2024: "x"}, "the key 2024, not text"), ([{"rows": {1.5: 2}}], "the key 1.5, not text"),
])
def test_browser_problem_names_what_json_or_javascript_would_change(value, problem):
    found = browser_problem(value)
    assert (found is None) if problem is None else found.startswith(problem)


def test_such_a_prop_is_a_build_error_with_the_place_of_the_use():
    widget = Widget("counter", None, {"start": ("int", 0), "rows": ("data", None)}, "widgets/counter.py")
    with pytest.raises(WidgetError) as caught:
        resolve_props(widget, {"start": 2**60, "rows": "frameworks"}, {"frameworks": [{"year": 2**53}]},
                      ("content/articles/a.md", 7))
    lines = [str(problem) for problem in caught.value.problems]
    assert len(lines) == 2 and all(line.startswith("content/articles/a.md:7: prop ") for line in lines)
    [rows] = [line for line in lines if "'rows'" in line]
    assert "'rows' of widget 'counter' holds the integer 9007199254740992" in rows and "make it text" in rows


@settings(max_examples=40, deadline=None)
@given(props_strategy({"rows": ["data", None], "x": ["str", None], "n": ["int", 640], "on": ["bool", True],
                       "names": ["list", []], "labels": ["dict", {}], "extra": ["any", None]}))
def test_generated_props_have_every_prop_of_the_declared_type(props):
    assert set(props) == {"rows", "x", "n", "on", "names", "labels", "extra"}
    assert isinstance(props["rows"], list) and all(isinstance(row, dict) for row in props["rows"])
    assert isinstance(props["x"], str) and isinstance(props["n"], int) and isinstance(props["on"], bool)
    assert isinstance(props["names"], list) and isinstance(props["labels"], dict)
