"""islet.content.embed and islet.islands.registry: widget blocks in Markdown become islands; bad uses are clear errors."""
from __future__ import annotations

import json
import re

import markdown
import pytest

from islet.content.data import freeze
from islet.content.embed import Islands, WidgetFences, props_json
from islet.islands.registry import WidgetError, discover

WIDGET = '''
PROPS = {"rows": ["data", None], "title": ["str", "Table"], "limit": ["int", 3]}

def render(props):
    return "<p>" + props["title"] + ":" + str(len(props["rows"])) + "</p>"

def mount(root, props):
    pass
'''


@pytest.fixture
def site(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "__init__.py").write_text("")
    (tmp_path / "widgets" / "demo.py").write_text(WIDGET)
    (tmp_path / "widgets" / "helper.py").write_text("def twice(x):\n    return x + x\n")
    return tmp_path


@pytest.fixture
def islands(site):
    data = freeze({"frameworks": [{"name": "A"}, {"name": "B"}], "surveys": {"so2025": [1]}})
    return Islands(discover(site), data, {"demo": "demo-ABC.js"})


def convert(islands, body, shown="content/articles/a.md"):
    md = markdown.Markdown(extensions=["fenced_code"])
    md.preprocessors.register(WidgetFences(md, islands, shown, body.splitlines()), "islet-widgets", 25.5)
    return md.convert(body)


def test_discover_finds_widgets_but_not_helpers(site):
    found = discover(site)
    assert "demo" in found and "helper" not in found and found["demo"].path == "widgets/demo.py"


def test_a_widget_block_becomes_an_island_with_props_and_html(islands):
    html = convert(islands, "Intro\n\n```widget demo\nrows: data.frameworks\ntrigger: load\n```\n\nAfter\n")
    island = re.search(r'<div class="islet islet-demo" data-islet="demo" data-trigger="load" '
                       r'data-module="demo-ABC.js"><script type="application/json">(.*?)</script><p>Table:2</p></div>',
                       html)
    assert island, html
    assert json.loads(island[1]) == {"limit": 3, "rows": [{"name": "A"}, {"name": "B"}], "title": "Table"}
    assert "<p>Intro</p>" in html and "<p>After</p>" in html


def test_default_trigger_is_visible_and_media_takes_a_query(islands):
    assert 'data-trigger="visible"' in convert(islands, "```widget demo\nrows: frameworks\n```\n")
    html = convert(islands, "```widget demo\nrows: frameworks\ntrigger: \"media (min-width: 40em)\"\n```\n")
    assert 'data-trigger="media (min-width: 40em)"' in html


@pytest.mark.parametrize("block, line, fragment", [
    ("```widget nope\nrows: frameworks\n```", 3, "unknown widget 'nope'"),
    ("```widget demo\nrows: frameworks\nlimit: many\n```", 3, "prop 'limit' of widget 'demo' must be int"),
    ("```widget demo\nrows: frameworks\ncolour: red\n```", 3, "has no prop 'colour'"),
    ("```widget demo\ntitle: x\n```", 3, "needs prop 'rows'"),
    ("```widget demo\nrows: data.nothing_here\n```", 3, "data.nothing_here does not exist"),
    ("```widget demo\nrows: surveys.so2026\n```", 3, "data.surveys.so2026 does not exist"),
    ("```widget demo\nrows: frameworks\ntrigger: someday\n```", 3, "unknown trigger 'someday'"),
    ("```widget demo\nrows: frameworks\ntrigger: media\n```", 3, "unknown trigger 'media'"),
    ("```widget demo\nrows: [1, 2\n```", 4, "not valid YAML"),
    ("```widget demo\nrows: frameworks\n", 3, "is not closed"),
])
def test_bad_widget_uses_name_the_markdown_line(islands, block, line, fragment):
    with pytest.raises(WidgetError) as caught:
        convert(islands, "Title\n\n" + block + "\n")
    problem = caught.value.problems[0]
    assert (problem.path, problem.line) == ("content/articles/a.md", line)
    assert fragment in problem.what and problem.fix


def test_props_json_cannot_break_out_of_its_script_element():
    text = props_json({"t": "</script><script>alert(1)</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["t"].startswith("</script>")


def test_template_global_renders_islands(islands):
    widget = islands.template_global("theme/templates/article.html")
    assert 'data-islet="demo"' in widget("demo", {"rows": "frameworks"}, "idle")
    with pytest.raises(WidgetError) as caught:
        widget("demo", {})
    assert caught.value.problems[0].path == "theme/templates/article.html"


def test_misdeclared_widgets_are_reported(site):
    (site / "widgets" / "broken.py").write_text("PROPS = {'x': 'str'}\ndef render(p):\n    return ''\ndef mount(r, p):\n    pass\n")
    (site / "widgets" / "nomount.py").write_text("PROPS = {}\ndef render(p):\n    return ''\n")
    (site / "widgets" / "crash.py").write_text("PROPS = {}\n\nraise ValueError('boom')\n")
    with pytest.raises(WidgetError) as caught:
        discover(site)
    found = {(p.path, p.line): p.what for p in caught.value.problems}
    assert "is declared as 'str'" in found[("widgets/broken.py", 0)]
    assert "no mount" in found[("widgets/nomount.py", 0)]
    assert "ValueError: boom" in found[("widgets/crash.py", 3)]


# --- limits: a widget's render() and props are bounded -----------------------------------------------------

def test_a_render_that_never_returns_is_stopped_with_its_line(site):
    from islet.errors import LimitError
    from islet.settings import Limits

    (site / "widgets" / "stuck.py").write_text(
        'PROPS = {}\n\ndef render(props):\n    n = 0\n    while True:\n        n += 1\n    return ""\n\n'
        "def mount(root, props):\n    pass\n")
    islands = Islands(discover(site), {}, {}, limits=Limits(render_seconds=0.3))
    with pytest.raises(LimitError) as caught:
        islands.island("stuck", {}, "visible", ("content/a.md", 7))
    assert re.match(r"content/a.md:7: widget 'stuck': render\(\) did not finish within 0.3 s \(it was at line [56]\) "
                    "— fix render\\(\\) in ", str(caught.value)), str(caught.value)


def test_a_render_catching_everything_is_still_stopped(site):
    from islet.errors import LimitError
    from islet.settings import Limits

    (site / "widgets" / "stubborn.py").write_text(
        'PROPS = {}\n\ndef render(props):\n    while True:\n        try:\n            while True:\n                pass\n'
        "        except Exception:\n            pass\n\ndef mount(root, props):\n    pass\n")
    with pytest.raises(LimitError):
        Islands(discover(site), {}, {}, limits=Limits(render_seconds=0.3)).island("stubborn", {}, "visible", ("a.md", 1))


def test_render_returning_none_is_an_error_not_the_text_none(site):
    (site / "widgets" / "silent.py").write_text(
        'PROPS = {}\n\ndef render(props):\n    html = "<p>x</p>"\n\ndef mount(root, props):\n    pass\n')
    with pytest.raises(WidgetError) as caught:
        Islands(discover(site), {}, {}).island("silent", {}, "visible", ("content/a.md", 3))
    assert "render() returned NoneType, not HTML text" in str(caught.value)


@pytest.mark.parametrize("rows, nested", [(6, False), (6, True)])
def test_props_longer_than_the_limit_are_refused(site, rows, nested):
    from islet.errors import LimitError
    from islet.settings import Limits

    table = [{"a": i} for i in range(rows)]
    data = freeze({"t": {"inner": table} if nested else table})
    islands = Islands(discover(site), data, {}, limits=Limits(widget_rows=5))
    with pytest.raises(LimitError) as caught:
        islands.island("demo", {"rows": "t"}, "visible", ("content/a.md", 2))
    assert "prop 'rows' of widget 'demo' holds 6 items; a widget shows at most 5" in str(caught.value)
    small = Islands(discover(site), freeze({"t": table[:5]}), {}, limits=Limits(widget_rows=5))
    assert "<p>Table:5</p>" in small.island("demo", {"rows": "t"}, "visible", ("content/a.md", 2))
