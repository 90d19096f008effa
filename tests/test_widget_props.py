"""Every widget of the site, on props nobody wrote: render() gives the same HTML compiled to JavaScript (run in
node) as under CPython, for props generated from its PROPS (islet.islands.fidelity). A new widget is covered
as soon as it is in widgets/; when its props have a shape PROPS cannot say (items with fields, columns that
must hold numbers), give a hint below, or the test says too few generated props passed its own checks."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islet.islands.fidelity import compare, props_batches, texts
from support.site import ROOT
from support.widget_harness import registry

WIDGETS = registry()


def numeric(columns, kinds):
    return [name for name in columns if kinds[name] != "text"] or columns


HINTS = {
    "chart": {"kind": st.sampled_from(["bar", "line"]),
              "x": lambda columns, kinds: st.sampled_from(columns),
              "series": lambda columns, kinds: st.lists(st.sampled_from(numeric(columns, kinds)), min_size=1,
                                                        unique=True)},
    "tabs": {"tabs": st.lists(st.fixed_dictionaries({"label": texts()}, optional={"text": texts()})
                              | st.fixed_dictionaries({"label": texts(), "code": texts()}), max_size=4)},
}
LEAST = 30        # calls compared per widget and run, at the least: else the test proves little
# Batches per widget; a longer hunt: ISLET_PROPS_EXAMPLES=100 python -m pytest tests/test_widget_props.py -s
EXAMPLES = int(os.environ.get("ISLET_PROPS_EXAMPLES", "10"))


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_render_gives_the_same_html_in_javascript(name, compiled):
    compared = []

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(props_batches(WIDGETS[name].module.PROPS, HINTS.get(name), size=40))
    def check(batch):
        result = compare(ROOT, compiled, name, "render", [[props] for props in batch])
        compared.append(result.compared)
        assert result.mismatches == []

    check()
    assert sum(compared) >= LEAST, f"only {sum(compared)} generated props passed {name}'s own checks: give a hint"
    print(f"\n{name}: {sum(compared)} generated props rendered, the same in CPython and JavaScript")


def helpers():
    """(module, function) for every pure helper of every module in widgets/ (html and the other shared ones too)."""
    from islet.islands.check import widget_sources
    from islet.islands.fidelity import helper_strategies

    modules = [p.stem for p in widget_sources(ROOT / "widgets") if p.parent == ROOT / "widgets" and p.stem != "__init__"]
    return [(module, name) for module in modules for name in sorted(helper_strategies(ROOT, module, HINTS.get(module)))]


@pytest.mark.parametrize("module, function", helpers())
def test_every_pure_helper_gives_the_same_result_in_javascript(module, function, compiled):
    """Arguments drawn from the helper's annotations: the same result (or both raise) under CPython and in node."""
    from islet.islands.fidelity import helper_strategies

    arguments = helper_strategies(ROOT, module, HINTS.get(module))[function]

    @settings(max_examples=max(2, EXAMPLES // 5), deadline=None)
    @given(st.lists(arguments, min_size=10, max_size=25))
    def check(batch):
        assert compare(ROOT, compiled, module, function, batch, seconds=0.2).mismatches == []

    check()
