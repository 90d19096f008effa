"""The chart widget: its SVG and pure helpers under CPython, the same calls compiled by Transcrypt and run
in node (the output must be identical), and mount() in Chromium through the real hydration loader."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islet.content.data import load_data
from islet.content.embed import Islands
from islet.errors import time_limit
from islet.islands.testing import run_js_many
from support import browser
from support.site import ROOT
from support.widget_harness import harness_islands, harness_page, props_maker, registry
from widgets import chart, html

DATA = load_data(ROOT / "content" / "data")

HOSTILE = "<script>alert('x')</script> & \"quoted\""

props = props_maker(chart)

BAR = props(rows=DATA["frameworks"], x="name", series=["requests_per_second"], id="rps")
LINE = props(rows=DATA["frameworks"], x="name", series=["github_stars", "requests_per_second"], kind="line",
             title="Stars and speed", id="two", labels={"github_stars": "GitHub stars"})
TRICKY = props(rows=[{"a": HOSTILE, "v": -1.5, "w": 0.25}, {"a": "y", "v": 2.0, "w": None},
                     {"a": "a rather long category label indeed", "v": 0.1 + 0.2, "w": 0.7}],
               x="a", series=["v", "w"], labels={"v": "Vee <i>"}, id="t", width=360, height=240)
NUMBER = re.compile(r"^-?\d+(\.\d)?%?$")
TICKS = re.compile(r'<div class="chart-ticks" aria-hidden="true">(.*?)</div>')


def ticks(out: str) -> list[str]:
    """The values written at the gridlines, top to bottom."""
    return re.findall(r"<span>([^<]*)</span>", TICKS.search(out).group(1))
COORDINATES = re.compile(r' (x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"')


# ---------------------------------------------------------------- render under CPython

def test_bar_chart_is_an_accessible_figure():
    out = chart.render(BAR)
    assert out.startswith('<figure class="chart" id="rps"><figcaption>Requests per second by Name</figcaption>'
                          '<div class="chart-legend"><span class="chart-key"><span class="swatch series-0"></span>'
                          'Requests per second</span></div><div class="chart-plot">')
    assert '<svg width="100%" height="240" role="img" aria-labelledby="rps-title rps-desc">' in out
    assert '<title id="rps-title">Requests per second by Name</title>' in out
    assert '<desc id="rps-desc">Bar chart of Requests per second by Name. The values follow in a table.</desc>' in out
    assert out.count('<rect class="bar"') == len(DATA["frameworks"])
    assert "<title>FastAPI, Requests per second: 170,000</title>" in out
    assert '<g class="series series-0" data-series="0" data-label="Requests per second">' in out
    assert ticks(out) == ["200,000", "150,000", "100,000", "50,000", "0"]      # HTML, top to bottom
    assert out.count('<line x1=') == 5                                   # a gridline per tick
    assert '<div class="chart-labels turn-40" aria-hidden="true"><span>Django</span><span>Flask</span>' in out
    assert "<text" not in out and "viewBox" not in out     # no text in the SVG, and nothing scales it
    assert '<rect class="bar" x="1.2%" y="202.8" width="10%" height="37.2">' in out   # across: % of the column
    assert '<table class="visually-hidden"><caption>Requests per second by Name</caption>' in out
    assert '<tr><th scope="row">Starlette</th><td>185,000</td></tr>' in out
    assert "style=" not in out                                           # a strict CSP refuses style attributes


def test_bars_stand_on_the_zero_line_and_scale_with_values():
    out = chart.render(BAR)
    zero = re.search(r'<line class="axis" x1="[^"]*" x2="[^"]*" y1="([^"]*)"', out).group(1)
    bars = re.findall(r'<rect class="bar" x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)">', out)
    for _, y, _, height in bars:
        assert abs(float(y) + float(height) - float(zero)) <= 0.11
    heights = {row["name"]: float(bar[3]) for row, bar in zip(DATA["frameworks"], bars)}
    assert heights["Starlette"] > heights["FastAPI"] > heights["Django"] > 0
    assert abs(heights["Starlette"] / heights["Django"] - 185000 / 31000) < 0.05


def test_every_coordinate_is_short_and_the_same_text_in_both_languages():
    for shown in (BAR, LINE, TRICKY):
        for name, value in COORDINATES.findall(chart.render(shown)):
            assert NUMBER.match(value), f"{name}={value!r}"   # no '2.0', no exponents, one decimal at most


def test_line_chart_has_lines_and_focusable_points_per_series():
    out = chart.render(LINE)
    assert out.count('<g class="line">') == 2 and "<path" not in out      # a path cannot take percentages
    assert out.count('<line x1="6.2%"') == 2                               # from the first point of each series
    assert out.count('<circle class="point"') == 2 * len(DATA["frameworks"])
    assert "<title>Django, GitHub stars: 84,000</title>" in out
    assert "Line chart of GitHub stars and Requests per second by Name." in out
    assert '<g class="series series-1" data-series="1" data-label="Requests per second">' in out
    assert "<figcaption>Stars and speed</figcaption>" in out


def test_missing_values_leave_gaps():
    out = chart.render(props(rows=[{"k": "a", "v": 1}, {"k": "b", "v": None}, {"k": "c", "v": 3}, {"k": "d", "v": 4}],
                             x="k", series=["v"], kind="line"))
    line = re.search(r'<g class="line">(.*?)</g>', out).group(1)
    # c to d: nothing joins a to c across the gap at b
    assert re.findall(r'<line x1="([^"]*)" y1="[^"]*" x2="([^"]*)"', line) == [("62.5%", "87.5%")]
    assert out.count('<circle class="point"') == 3
    assert "<td></td>" in out                      # the table shows the gap as an empty cell


def test_negative_values_and_hostile_text():
    out = chart.render(TRICKY)
    assert "<script" not in out and "<i>" not in out
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;, Vee &lt;i&gt;: -1.5" in out
    assert "Vee &lt;i&gt; and W by A" in out
    assert "<span>a rather long cat\u2026</span></div>" in out     # shortened under the axis, complete in the table
    assert "<th scope=\"row\">a rather long category label indeed</th>" in out
    assert ticks(out) == ["2", "1", "0", "-1", "-2"]
    assert out.count('<rect class="bar"') == 5            # the missing w value draws nothing


def test_bad_props_fail_the_build_with_a_useful_message():
    with pytest.raises(ValueError, match="column 'speed' is not in the data"):
        chart.render(props(rows=DATA["frameworks"], x="name", series=["speed"]))
    with pytest.raises(ValueError, match="series 'kind' must hold numbers; it has 'full-stack'"):
        chart.render(props(rows=DATA["frameworks"], x="name", series=["kind"]))
    with pytest.raises(ValueError, match="kind must be 'bar' or 'line'"):
        chart.render(props(rows=DATA["frameworks"], x="name", series=["github_stars"], kind="pie"))
    with pytest.raises(ValueError, match="non-empty list"):
        chart.render(props(rows=[], x="name", series=["github_stars"]))


def test_island_through_the_registry():
    islands = Islands(registry(), DATA, {"chart": "widgets/chart.js"})
    out = islands.island("chart", {"rows": "data.frameworks", "x": "name", "series": ["github_stars"]}, "visible",
                         ("a.md", 3))
    assert out.startswith('<div class="islet islet-chart" data-islet="chart"')
    assert '"kind":"bar"' in out and '"width":640' in out and "<figure" in out


# ---------------------------------------------------------------- pure helpers under CPython

@pytest.mark.parametrize("values, expected", [
    ([31000, 185000], [0, 4, 50000]),
    ([3, 7, 9], [0, 5, 2]),
    ([-1.5, 2.0, 0.3], [-2, 2, 1]),
    ([0.001, 0.004], [0, 4, 0.001]),
    ([0, 0], [0, 5, 0.2]),
    ([], [0, 5, 0.2]),
    ([-40, -10], [-4, 0, 10]),
])
def test_scale(values, expected):
    first, last, step = chart.scale(values)
    assert [first, last] == expected[:2] and step == pytest.approx(expected[2])
    assert first * step <= min(values + [0]) and last * step >= max(values + [0])


def test_nice_step_and_decimals():
    assert [chart.nice_step(span, 5) for span in (1, 7, 10, 130, 185000)] == [0.2, 2, 2, 50, 50000]
    assert [chart.decimals_of(step) for step in (50000, 1, 0.5, 0.2, 0.25, 0.001, 1e-9)] == [0, 0, 1, 1, 2, 3, 4]


# ---------------------------------------------------------------- extreme numbers (data files are untrusted)

FINITE = st.floats(allow_nan=False, allow_infinity=False)      # subnormals, -0.0 and ±1.7976931348623157e308 too
EXTREME = FINITE | st.sampled_from([1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324, 1e308,
                                    2.2250738585072014e-308, 0.0])


@settings(max_examples=400, deadline=None)
@given(st.lists(EXTREME, max_size=6))
def test_the_axis_of_any_finite_values_ends_or_says_why_not(values):
    """±1.7e308 made the axis loop forever (the range overflows to infinity), and 5e-324 made the step 0."""
    with time_limit(2):
        try:
            first, last, step = chart.scale(values)
        except ValueError as error:
            assert "too large for an axis" in str(error)
            assert max(abs(v) for v in values) > 1e307, "only values near the largest float are refused"
            return
    assert 0 < step <= 1.7976931348623157e308 and first <= 0 <= last and last - first <= 7
    assert first * step <= min(values + [0]) and last * step >= max(values + [0])
    assert (last - first) * step <= 1.7976931348623157e308


@pytest.mark.parametrize("span", [0, -1, 5e-324, 1e-320, 1e-300, 1e308, 1.7976931348623157e308, float("nan")])
def test_nice_step_is_positive_for_any_span_a_float_step_can_cover(span):
    with time_limit(2):
        try:
            step = chart.nice_step(span, 5)
        except ValueError:
            assert not span / 5 <= 1.7976931348623157e308        # only NaN or infinity: no step covers it
            return
    assert 0 < step < float("inf") and step >= span / 5


@settings(max_examples=60, deadline=None)
@given(st.lists(EXTREME | st.none(), min_size=1, max_size=5), st.sampled_from(["bar", "line"]))
def test_render_of_extreme_values_is_a_chart_or_a_clear_error(values, kind):
    given = props(rows=[{"k": f"r{i}", "v": v} for i, v in enumerate(values)], x="k", series=["v"], kind=kind)
    with time_limit(5):
        try:
            out = chart.render(given)
        except ValueError as error:
            assert "too large for an axis" in str(error) and "scale them" in str(error)
            return
    for name, value in COORDINATES.findall(out):
        assert NUMBER.match(value), f"{name}={value!r}"         # no nan, no inf, no exponent


def test_tip_place_keeps_the_tooltip_inside_the_figure():
    assert chart.tip_place(100, 50, 20, 100, 400, 60, 30) == [80, 14]          # centred above
    assert chart.tip_place(0, 50, 20, 100, 400, 60, 30) == [0, 14]             # not past the left edge
    assert chart.tip_place(390, 50, 10, 100, 400, 60, 30) == [340, 14]         # nor the right edge
    assert chart.tip_place(100, 10, 20, 100, 400, 60, 30) == [80, 116]         # below when no room above
    assert chart.tip_place(100, 50, 20, 100, 40, 60, 30) == [0, 14]            # wider than the box: left aligned


@pytest.mark.parametrize("labels, turned", [
    (["a", "b", "c"], ""),                                  # fit upright on the narrowest phone
    (["Django", "Flask", "FastAPI"], ""),
    (["Django", "Flask", "FastAPI", "Starlette"], " turn-30"),             # on their side below 30rem
    (["Django", "Flask", "FastAPI", "Starlette", "Litestar", "Sanic", "Falcon", "Bottle"], " turn-40"),
    (["x" * 18] * 8, " turn"),                              # on their side at every width
    (["two words"] * 4, ""),                                # a label may wrap at a space: its longest word counts
])
def test_category_labels_turn_on_their_side_where_they_would_not_fit(labels, turned):
    assert chart.labels_class(labels) == "chart-labels" + turned


def test_label_room():
    assert chart.label_room("Starlette") == 9 * chart.LABEL_CHAR + 8
    assert chart.label_room("async server") == 6 * chart.LABEL_CHAR + 8      # 'server' and 'async' on two lines
    assert chart.label_room("a b c d e f g h") == 8 * chart.LABEL_CHAR + 8   # at most two lines: half of 15
    assert chart.label_room("😀😀") == 2 * chart.LABEL_CHAR + 8


def test_numbers_keep_the_decimal_places_of_their_series():
    rows = [{"k": "a", "v": 3.0, "w": 2}, {"k": "b", "v": 4.1, "w": 3}, {"k": "c", "v": 3.8, "w": None}]
    out = chart.render(props(rows=rows, x="k", series=["v", "w"]))
    assert "<title>a, V: 3.0</title>" in out and "<title>b, V: 4.1</title>" in out   # not 3 next to 4.1
    assert "<title>a, W: 2</title>" in out
    assert '<tr><th scope="row">a</th><td>3.0</td><td>2</td></tr>' in out
    assert '<tr><th scope="row">c</th><td>3.8</td><td></td></tr>' in out


def test_num_prints_what_javascript_prints():
    assert [html.num(v) for v in (0, 2.0, 2.04, 2.05, 2.15, -0.04, -3.25, 248.1666, 1e15)] == \
           ["0", "2", "2", "2", "2.2", "0", "-3.2", "248.2", "1000000000000000"]


# ---------------------------------------------------------------- CPython vs compiled JavaScript

# `compiled` (conftest.py): every widget compiled once per session. run_js_many runs the calls in node;
# arguments travel as JSON, so dicts arrive as plain objects, as props do in the browser.


def test_compiled_module_exports_render_and_mount(compiled):
    source = (compiled / "widgets.chart.js").read_text()
    assert "export var render = function (props)" in source
    assert "export var mount = function (root, props)" in source
    assert "check_props" not in source            # the build-time checks stay in CPython
    assert "__kwargtrans__ (" not in source         # no keyword arguments reached the output


RENDER_CASES = {
    "bar": BAR,
    "line, two series, labels": LINE,
    "negative, floats, gaps, hostile, narrow": TRICKY,
    "json file, 360 wide": props(rows=DATA["payloads"], x="approach", series=["download_kb"], width=360, height=240),
    "yaml file, line": props(rows=DATA["surveys"]["so2025"]["languages"], x="name", series=["share"], kind="line"),
    "tiny values": props(rows=[{"a": "x", "v": 0.001}, {"a": "y", "v": 0.004}], x="a", series=["v"]),
    "all zero": props(rows=[{"a": "x", "v": 0}, {"a": "y", "v": 0}], x="a", series=["v"]),
    "huge values": props(rows=[{"a": "x", "v": 1e307}, {"a": "y", "v": -1e306}, {"a": "z", "v": 1}], x="a",
                         series=["v"]),
    "subnormal values": props(rows=[{"a": "x", "v": 5e-324}, {"a": "y", "v": -1e-320}], x="a", series=["v"],
                              kind="line"),
    "seven series": props(rows=[{"k": "r", **{f"s{i}": i * 1.5 for i in range(7)}}], x="k",
                          series=[f"s{i}" for i in range(7)], width=300, height=200),
}


@pytest.mark.parametrize("case", RENDER_CASES)
def test_render_is_identical_in_javascript(compiled, case):
    given = RENDER_CASES[case]
    assert run_js_many(compiled, [["widgets.chart", "render", [given]]]) == [chart.render(given)]


def test_helpers_are_identical_in_javascript(compiled):
    calls, expected = [], []

    def call(module, name, *args):
        calls.append([module.__name__, name, list(args)])
        expected.append(getattr(module, name)(*args))

    for values in ([31000, 185000], [3, 7, 9], [-1.5, 2.0, 0.3], [0.001, 0.004], [0, 0], [], [-40, -10],
                   [0.1 + 0.2], [123456789], [1e-7, 2e-7], [5e-324], [-5e-324, 1e-320], [1e307, -1e306]):
        call(chart, "scale", values)
    for span in (1, 7, 10, 130, 185000, 0.3, 0.07, 1e-6, 0, 5e-324, 1e-310, 1.7976931348623157e308):
        call(chart, "nice_step", span, 5)
    for step in (50000, 1, 0.5, 0.2, 0.25, 0.001, 1e-9, 0.30000000000000004):
        call(chart, "decimals_of", step)
    for value in (0, 2.0, 2.04, 2.05, 2.15, -0.04, -3.25, 248.1666, 1e15, 0.1 + 0.2, 1 / 3, -1e-9, 12345.65):
        call(html, "num", value)
    for args in ((100, 50, 20, 100, 400, 60, 30), (0, 50, 20, 100, 400, 60, 30), (390.5, 50, 10, 100, 400, 60.25, 30),
                 (100, 10, 20, 100, 400, 60, 30), (100, 50, 20, 100, 40, 60, 30)):
        call(chart, "tip_place", *args)
    for labels in (["a", "b", "c"], ["Django", "Flask", "FastAPI", "Starlette", "Litestar", "Sanic"], ["x" * 18] * 8,
                   ["two words"] * 4, ["😀😀", "é"], []):
        call(chart, "labels_class", labels)
    for text in ("Starlette", "async server", "a b c d e f g h", "😀😀", "", " "):
        call(chart, "label_room", text)
    for value, places in ((3.0, 1), (None, 2), (True, 0), (-1234.5, 2)):
        call(chart, "shown", value, True, places)
    for index in (0, 5, 6, 13):
        call(chart, "palette", index)
    call(chart, "chart_title", LINE)
    call(chart, "chart_title", BAR)
    call(chart, "shorten", "a rather long category label indeed", 18)
    assert run_js_many(compiled, calls) == expected


# ---------------------------------------------------------------- mount() in Chromium

@pytest.fixture(scope="module")
def page_site(tmp_path_factory, compiled):
    """A page with a bar and a line chart, served the way islet serves them: the real loader, props in JSON,
    the site's CSP without 'unsafe-inline' (any style attribute would be refused and reported).
    conftest's `served` serves it."""
    site = tmp_path_factory.mktemp("chart-site")
    islands = harness_islands(DATA, "chart")
    body = islands.island("chart", {"rows": "frameworks", "x": "name", "series": ["requests_per_second"],
                                    "id": "rps"}, "load", ("t.md", 1))
    body += islands.island("chart", {"rows": "frameworks", "x": "name", "kind": "line", "id": "two",
                                     "series": ["github_stars", "requests_per_second"]}, "load", ("t.md", 2))
    harness_page(site, compiled, f'<main id="main"><h1>Charts</h1>{body}</main>', "Chart widget")
    return site


def open_page(chromium, served, **options):
    """browser.open_page, then (with JavaScript) wait until both charts are mounted."""
    context, page, watch = browser.open_page(chromium, served, **options)
    if options.get("java_script_enabled", True):
        page.wait_for_selector(".islet-chart.chart-ready >> nth=1")
    return context, page, watch


@pytest.mark.browser
def test_focus_and_hover_show_a_tooltip_that_escape_hides(chromium, served):
    context, page, watch = open_page(chromium, served)
    tip = page.locator("#rps .chart-tip")
    assert tip.is_hidden()
    assert page.get_attribute("#rps svg", "role") == "group"
    page.focus("#rps .chart-legend button")
    page.keyboard.press("Tab")                        # the first bar is the next stop
    assert page.evaluate("document.activeElement.getAttribute('class')") == "bar"
    assert tip.is_visible() and tip.text_content() == "Django, Requests per second: 31,000"
    box, figure = tip.bounding_box(), page.locator("#rps").bounding_box()
    assert figure["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= figure["x"] + figure["width"] + 0.5
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    page.keyboard.press("Tab")
    assert tip.text_content() == "Flask, Requests per second: 38,000"
    page.hover("#rps rect.bar >> nth=3")
    assert tip.text_content() == "Starlette, Requests per second: 185,000"
    page.mouse.move(box["x"] + 2, box["y"] + 2)       # still on the figure: the tooltip stays (WCAG 1.4.13)
    assert tip.is_visible() and tip.text_content() == "Starlette, Requests per second: 185,000"
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    page.hover("#rps rect.bar >> nth=3")
    page.mouse.move(1, 1)                             # off the chart: back to the focused bar's tooltip
    assert tip.is_visible() and tip.text_content() == "Flask, Requests per second: 38,000"
    page.locator("#rps .chart-legend button").focus()
    assert tip.is_hidden()
    page.hover("#two circle.point >> nth=0")
    assert page.locator("#two .chart-tip").text_content() == "Django, Github stars: 84,000"
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_series_toggles_show_and_hide_a_series(chromium, served):
    context, page, watch = open_page(chromium, served)
    buttons = page.locator("#two .chart-legend button")
    assert buttons.count() == 2
    assert [buttons.nth(i).text_content() for i in range(2)] == ["Github stars", "Requests per second"]
    assert buttons.nth(1).get_attribute("aria-pressed") == "true"
    series = page.locator('#two g.series[data-series="1"]')
    assert series.is_visible()
    buttons.nth(1).click()
    assert buttons.nth(1).get_attribute("aria-pressed") == "false"
    assert series.is_hidden()
    page.focus("#two .chart-legend button >> nth=1")
    for _ in range(10):                                 # hidden points are out of the tab order
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('g.series')?.dataset.series") != "1"
    page.focus("#two .chart-legend button >> nth=1")
    page.keyboard.press("Space")
    assert buttons.nth(1).get_attribute("aria-pressed") == "true" and series.is_visible()
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_mounted_charts_pass_axe_and_fit_360px(chromium, served, scheme):
    from support.browser import axe_violations

    context, page, watch = open_page(chromium, served, color_scheme=scheme)
    page.focus("#rps rect.bar >> nth=7")               # a tooltip at the right edge must not widen the page
    assert page.locator("#rps .chart-tip").is_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_without_javascript_the_chart_and_its_numbers_are_there(chromium, served):
    context, page, watch = open_page(chromium, served, java_script_enabled=False)
    assert page.locator("#rps svg rect.bar").count() == 8
    assert page.locator("#rps svg").bounding_box()["width"] <= 360
    assert page.locator("#rps table tr").count() == 9
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 900])
def test_values_sit_on_their_gridlines_and_categories_under_their_bars(chromium, served, width):
    """The text around the SVG is HTML laid out by CSS: it must still line up with the drawing, on a phone
    (labels on their side) and wide (upright)."""
    context, page, watch = browser.open_page(chromium, served, viewport={"width": width, "height": 800},
                                             java_script_enabled=False)
    found = page.evaluate("""() => {
        const middle = (e, across) => { const r = e.getBoundingClientRect();
                                        return across ? (r.left + r.right) / 2 : (r.top + r.bottom) / 2; };
        const all = (selector, across) => [...document.querySelectorAll('#rps ' + selector)]
                                          .map(e => middle(e, across));
        return {ticks: all('.chart-ticks span', false), lines: all('.grid line', false),
                labels: all('.chart-labels span', true), bars: all('rect.bar', true),
                turned: getComputedStyle(document.querySelector('#rps .chart-labels span')).writingMode};
    }""")
    assert len(found["ticks"]) == len(found["lines"]) == 5
    assert all(abs(tick - line) <= 1.5 for tick, line in zip(found["ticks"], found["lines"])), found
    assert len(found["labels"]) == len(found["bars"]) == 8
    assert all(abs(label - bar) <= 1.5 for label, bar in zip(found["labels"], found["bars"])), found
    assert found["turned"] == ("vertical-rl" if width == 360 else "horizontal-tb")
    assert watch.problems == []
    context.close()
