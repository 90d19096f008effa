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
