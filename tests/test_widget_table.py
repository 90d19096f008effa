"""The table widget: its HTML and pure helpers under CPython, the same calls compiled by Transcrypt and run
in node (the output must be identical), and mount() in Chromium through the real hydration loader."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islet.content.data import freeze, load_data
from islet.content.formats import PARSERS
from islet.content.embed import Islands
from islet.islands.registry import WidgetError
from islet.islands.testing import run_js_many
from islet.settings import Limits
from support import browser
from support.site import ROOT
from support.widget_harness import harness_islands, harness_page, props_maker, registry
from widgets import html, table

DATA = load_data(ROOT / "content" / "data")
HOSTILE = "<script>alert('x')</script> & \"quoted\""

props = props_maker(table)

FRAMEWORKS = props(rows=DATA["frameworks"], caption="Python web frameworks", id="frameworks")
MIXED = props(rows=[{"name": HOSTILE, "score": 2.0, "note": None, "ok": True},
                    {"name": "b", "score": 0.1 + 0.2, "note": "x", "ok": False},
                    {"name": "A", "score": -12345.6789, "note": "", "ok": True}],
              caption=HOSTILE, id="x y!", filter=False, labels={"score": "Score <b>"})


# ---------------------------------------------------------------- render under CPython

def test_render_is_a_complete_table():
    out = table.render(FRAMEWORKS)
    assert out.startswith('<div class="table-widget" id="frameworks">')
    assert '<table class="table-data"><caption id="frameworks-caption"><span>Python web frameworks</span>' \
           '</caption>' in out
    assert 'role="region" tabindex="0" aria-labelledby="frameworks-caption"' in out
    heads = re.findall(r"<th ([^>]*)>([^<]*)</th>", out)
    assert [text for _, text in heads] == ["Name", "Kind", "First release", "Requests per second", "Github stars"]
    assert all('scope="col"' in attributes for attributes, _ in heads)
    assert out.count("<tr>") == 1 + len(DATA["frameworks"])  # header row + every data row, no JavaScript needed
    assert '<td>Django</td><td>full-stack</td><td class="num">2005</td><td class="num">31,000</td>' \
           '<td class="num">84,000</td>' in out
    assert 'style=' not in out


def test_numbers_are_right_aligned_and_grouped_per_column():
    out = table.render(props(rows=DATA["frameworks"], columns=["name", "first_release", "github_stars"]))
    assert '<th scope="col" class="num" data-key="first_release">' in out
    assert '<td class="num">2005</td>' in out          # four-digit column: no separator (years)
    assert '<td class="num">9,800</td>' in out         # a column with 84,000 in it groups 9,800 too
    assert '<th scope="col" data-key="name">' in out   # text column stays left-aligned


def test_columns_prop_picks_and_orders_columns_and_labels_rename():
    out = table.render(props(rows=DATA["frameworks"], columns=["github_stars", "name"],
                             labels={"github_stars": "GitHub stars"}))
    assert re.findall(r"<th [^>]*>([^<]*)</th>", out) == ["GitHub stars", "Name"]
    assert "<td class=\"num\">84,000</td><td>Django</td>" in out
    assert "<caption" not in out and 'aria-label="Table"' in out


def test_hostile_text_is_escaped_everywhere():
    out = table.render(MIXED)
    assert "<script" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;" in out
    assert "Score &lt;b&gt;" in out
    assert 'id="x-y"' in out                     # ids are slugged, so aria references stay valid
    assert '<td class="num">2.0000</td>' in out  # the column's numbers all get the four places -12345.6789 has
    assert '<td class="num">0.3000</td>' in out
    assert '<td class="num">-12,345.6789</td>' in out
    assert "<td>Yes</td>" in out and "<td>No</td>" in out
    assert "<td></td>" in out                    # None and "" are empty cells


def test_bad_props_fail_the_build_with_a_useful_message():
    with pytest.raises(ValueError, match="column 'nope' is not in the data; its columns are: name, kind"):
        table.render(props(rows=DATA["frameworks"], columns=["nope"]))
    with pytest.raises(ValueError, match="rows must be a list"):
        table.render(props(rows=DATA["site"]))
    with pytest.raises(ValueError, match="row 2 is str"):
        table.render(props(rows=[{"a": 1}, "b"]))


def test_empty_data_renders_an_empty_table():
    out = table.render(props(rows=[], caption="Nothing"))
    assert "<tbody></tbody>" in out


def test_island_through_the_registry():
    """The widget is discovered, its PROPS are valid, and a data reference resolves."""
    islands = Islands(registry(), DATA, {"table": "widgets/table.js"})
    out = islands.island("table", {"rows": "data.frameworks", "caption": "Frameworks"}, "visible", ("a.md", 3))
    assert out.startswith('<div class="islet islet-table" data-islet="table" data-trigger="visible"')
    assert '"columns":[]' in out and '"filter":true' in out and "<td>Django</td>" in out
    with pytest.raises(WidgetError, match="needs prop 'rows'"):
        islands.island("table", {}, "visible", ("a.md", 3))


# ---------------------------------------------------------------- pure helpers under CPython

@pytest.mark.parametrize("value, decimals, group, text", [
    (0, 3, True, "0"), (7, 3, True, "7"), (999, 3, True, "999"), (1000, 3, True, "1,000"),
    (1234567, 3, True, "1,234,567"), (1234567, 3, False, "1234567"), (-1234.5, 3, True, "-1,234.5"),
    (2.0, 3, True, "2"), (0.1 + 0.2, 3, True, "0.3"), (1.0005, 3, True, "1"), (2.5, 0, True, "2"),
    (3.5, 0, True, "4"), (0.25, 1, True, "0.2"),  # halves round to even, as round() does
    (-0.0001, 3, True, "0"), (0.007, 3, True, "0.007"),
    (1e15, 3, True, "1,000,000,000,000,000"), (123456789012.5, 3, True, "123,456,789,012.5"),
    (float("nan"), 3, True, ""), (float("inf"), 3, True, "\u221e"),
])
def test_format_number(value, decimals, group, text):
    assert html.format_number(value, decimals, group) == text


def test_cell_text_and_labels():
    assert [html.cell_text(v, True) for v in (None, True, False, "a<b", 31000, 2.25, [1, "x"])] == \
           ["", "Yes", "No", "a<b", "31,000", "2.25", "1, x"]
    assert html.label("requests_per_second") == "Requests per second"
    assert html.label("URL_path") == "URL path"   # only the first letter changes
    assert html.keys_of({"b": 1, "a": 2}) == ["b", "a"]


def test_sort_order_numbers_as_numbers():
    assert table.sort_order([100, 9, 10, 1.5, -3], False) == [4, 3, 1, 2, 0]
    assert table.sort_order([100, 9, 10, 1.5, -3], True) == [0, 2, 1, 3, 4]


def test_sort_order_text_case_insensitive_and_stable():
    values = ["banana", "Apple", "apple", "cherry", "APPLE"]
    assert table.sort_order(values, False) == [1, 2, 4, 0, 3]
    assert table.sort_order(values, True) == [3, 0, 1, 2, 4]   # ties keep their order in both directions


def test_sort_order_mixed_and_empty_cells():
    values = ["b", None, 3, "", "A", 10, True]
    assert table.sort_order(values, False) == [2, 5, 4, 0, 6, 1, 3]   # numbers, text ("Yes"), then empties
    assert table.sort_order(values, True) == [6, 0, 4, 5, 2, 1, 3]    # empties stay last
    frameworks = [row["requests_per_second"] for row in DATA["frameworks"]]
    assert [DATA["frameworks"][i]["name"] for i in table.sort_order(frameworks, True)][:3] == \
           ["Starlette", "FastAPI", "Litestar"]


def shown_cells(rows, columns) -> list[list[str]]:
    """The text of each row's cells as render() writes them: what mount() reads from the page to filter."""
    groups = table.column_groups(rows, columns)
    places = table.column_places(rows, columns, {})
    return [[table.cell(html.value_of(row, key), groups[i], places[i]) for i, key in enumerate(columns)]
            for row in rows]


def test_filter_rows():
    columns = ["name", "kind", "requests_per_second"]
    numeric = [False, False, True]
    texts = [table.search_text(cells, numeric) for cells in shown_cells(DATA["frameworks"], columns)]
    assert table.filter_rows(texts, "") == list(range(8))
    assert table.filter_rows(texts, "  ASYNC ") == [2, 4, 5]
    assert table.filter_rows(texts, "170,000") == [2]
    assert table.filter_rows(texts, "170000") == [2]
    assert table.filter_rows(texts, "no such thing") == []
    assert table.search_text(["X", ""], [False, False]) == "x\n"
    assert table.search_text(["3.0", "1,234.50", "a,b"], [True, True, False]) == "3.0\n1,234.50\n1234.50\na,b"


def test_status_text():
    assert table.status_text(3, 8, "", False) == "Showing 3 of 8 rows."
    assert table.status_text(1, 1, "Name", True) == "Sorted by Name, descending. Showing 1 of 1 row."


def csv_rows(text: str):
    """Rows of a CSV file as the build reads them (islet.content.formats, then frozen)."""
    return freeze(PARSERS[".csv"](text, "content/data/t.csv", Limits()))


def numbers_shown(out: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', out)


def test_numbers_keep_the_decimal_places_their_column_was_written_with():
    rows = csv_rows("name,rating,share,year\na,3.0,0.25,2005\nb,4.1,0.125,2010\nc,3.8,0.5,2018\n")
    assert [row["rating"] for row in rows] == [3.0, 4.1, 3.8]       # read as numbers: they sort as numbers
    out = table.render(props(rows=rows, columns=["rating"]))
    assert numbers_shown(out) == ["3.0", "4.1", "3.8"]              # not 3 next to 4.1
    out = table.render(props(rows=rows, columns=["share", "year"]))
    assert numbers_shown(out) == ["0.250", "2005", "0.125", "2010", "0.500", "2018"]


def test_the_decimals_prop_sets_a_columns_places():
    """A column written 1.50, 2.50 is read as 1.5, 2.5 (a number keeps no trailing zeros): decimals says 2."""
    rows = csv_rows("price,count\n1.50,3\n2.50,4\n")
    assert numbers_shown(table.render(props(rows=rows))) == ["1.5", "3", "2.5", "4"]
    assert numbers_shown(table.render(props(rows=rows, decimals={"price": 2, "count": 1}))) == \
        ["1.50", "3.0", "2.50", "4.0"]
    with pytest.raises(ValueError, match="decimals must map columns to a number of decimal places from 0 to 6; "
                                         "'price' maps to 7"):
        table.render(props(rows=rows, decimals={"price": 7}))


@st.composite
def written_column(draw):
    """(places, texts): a CSV column of decimal numbers, every one written with `places` decimals, as many
    significant digits as a float holds (15) and below a trillion (from there the table drops decimals)."""
    places = draw(st.integers(0, html.MOST_PLACES))
    whole = st.integers(0, min(10 ** (15 - places), 10 ** 12) - 1)
    texts = []
    for _ in range(draw(st.integers(1, 6))):
        text = draw(st.sampled_from(["", "-"])) + str(draw(whole))
        if places > 0:
            text = text + "." + str(draw(st.integers(0, 10 ** places - 1))).rjust(places, "0")
        texts.append(text)
    return places, texts


def as_written(text: str) -> str:
    return text.lstrip("-") if float(text) == 0 else text      # -0.00 is a zero: shown without its sign


@settings(max_examples=25, deadline=None)
@given(st.lists(written_column(), min_size=1, max_size=8))
def test_a_column_written_with_k_decimals_shows_those_digits_and_sorts_as_numbers(compiled, batch):
    """Property: a CSV column of numbers written with k decimals reads with exactly those digits (thousands
    separators aside): by itself when one of them ends in a digit other than 0, with decimals: {column: k}
    always. Sorting it still sorts by value. And the same HTML and order in JavaScript."""
    calls, expected = [], []
    for places, texts in batch:
        rows = csv_rows("name,value\n" + "".join(f"r{i},{text}\n" for i, text in enumerate(texts)))
        variants = [props(rows=rows, decimals={"value": places})]
        if any(text[-1] != "0" for text in texts) or places == 0:
            variants.append(props(rows=rows))
        for given_props in variants:
            out = table.render(given_props)
            assert [text.replace(",", "") for text in numbers_shown(out)] == [as_written(t) for t in texts]
            calls.append(["widgets.table", "render", [given_props]])
            expected.append(out)
        values = [row["value"] for row in rows]
        for descending in (False, True):
            order = table.sort_order(values, descending)
            assert [float(texts[i]) for i in order] == sorted(map(float, texts), reverse=descending)
            calls.append(["widgets.table", "sort_order", [values, descending]])
            expected.append(order)
    assert run_js_many(compiled, calls) == expected


# ---------------------------------------------------------------- CPython vs compiled JavaScript

# `compiled` (conftest.py): every widget compiled once per session. run_js_many runs the calls in node;
# arguments travel as JSON, so dicts arrive as plain objects, as props do in the browser.


def test_compiled_module_exports_render_and_mount(compiled):
    source = (compiled / "widgets.table.js").read_text()
    assert "export var render = function (props)" in source
    assert "export var mount = function (root, props)" in source
    assert "check_props" not in source            # the build-time checks stay in CPython
    assert "__kwargtrans__ (" not in source         # no keyword arguments reached the output


RENDER_CASES = {
    "frameworks": FRAMEWORKS,
    "hostile and mixed": MIXED,
    "columns and labels": props(rows=DATA["frameworks"], columns=["github_stars", "name"],
                                labels={"github_stars": "GitHub stars"}),
    "json file": props(rows=DATA["payloads"], caption="Payloads"),
    "yaml with booleans": props(rows=DATA["surveys"]["so2025"]["languages"], caption="Languages"),
    "empty": props(rows=[], caption="Nothing"),
    "decimals of a CSV column": props(rows=csv_rows("a,b,c\nx,3.0,1.50\ny,4.1,2.50\nz,,-0.0\n"), caption="Places",
                                      decimals={"c": 2}),
}


@pytest.mark.parametrize("case", RENDER_CASES)
def test_render_is_identical_in_javascript(compiled, case):
    given = RENDER_CASES[case]
    assert run_js_many(compiled, [["widgets.table", "render", [given]]]) == [table.render(given)]


def test_helpers_are_identical_in_javascript(compiled):
    numbers = [0, 1, -1, 7, 999, 1000, 1234567, -1234.5, 2.0, 0.1 + 0.2, 1.0005, 2.5, 3.5, 0.05, 0.15, -0.0001,
               0.007, 1e15, 123456789012.345, 1e-7, 12.0000001, 9007199254740991]
    calls, expected = [], []

    def call(module, name, *args):
        calls.append([module.__name__, name, list(args)])
        expected.append(getattr(module, name)(*args))

    for value in numbers:
        for most in (0, 1, 3, 6):
            call(html, "format_number", value, most, True)
        call(html, "num", value)
        call(html, "cell_text", value, False)
    for value in [None, True, False, "a<b", [1, "x"], "", "Ünïcode"]:
        call(html, "cell_text", value, True)
        call(table, "rank", value)
    for key in ["requests_per_second", "URL_path", "x", ""]:
        call(html, "label", key)
    for values in ([100, 9, 10, 1.5, -3], ["banana", "Apple", "apple", "cherry", "APPLE"],
                   ["b", None, 3, "", "A", 10, True], [row["name"] for row in DATA["frameworks"]],
                   [row["first_release"] for row in DATA["frameworks"]], [], [5]):
        call(table, "sort_order", values, False)
        call(table, "sort_order", values, True)
    for value in numbers + [0.25, 0.0625, 1 / 3, 4.1, 3.8, 2.675, 12345678.91, 9876543210.123, 5e-324, 1e-7]:
        call(html, "places_of", value)
        for places in (0, 1, 2, 6):
            call(html, "format_fixed", value, places, True)
    for values in ([3.0, 4.1, 3.8], [1, 2], [0.1 + 0.2, None, "x", True], [], [1e15, 0.5]):
        call(html, "decimal_places", values)
    call(table, "column_places", MIXED["rows"], ["name", "score", "ok"], {})
    call(table, "column_places", MIXED["rows"], ["name", "score", "ok"], {"score": 1})
    for value, places in ((3.0, 1), (None, 2), (True, 0), ("3.0", 1), (-12345.6789, 4)):
        call(table, "cell", value, True, places)
    columns = ["name", "kind", "requests_per_second"]
    call(table, "column_groups", DATA["frameworks"], columns)
    texts = []
    for cells in shown_cells(DATA["frameworks"], columns) + [["X", ""], ["3.0", "1,234.50", "a,b"]]:
        numeric = [len(cell) > 0 and "0" <= cell[0] <= "9" for cell in cells]
        call(table, "search_text", cells, numeric)
        texts.append(table.search_text(cells, numeric))
    for query in ["", "  ASYNC ", "170,000", "170000", "zzz", "a"]:
        call(table, "filter_rows", texts, query)
    call(table, "status_text", 3, 8, "", False)
    call(table, "status_text", 1, 1, "Name", True)
    call(table, "table_columns", FRAMEWORKS)
    assert run_js_many(compiled, calls) == expected


# ---------------------------------------------------------------- mount() in Chromium

@pytest.fixture(scope="module")
def page_site(tmp_path_factory, compiled):
    """A page with two table islands, served the way islet serves them: the real loader, props in JSON,
    the site's CSP without 'unsafe-inline' (any style attribute would be refused and reported).
    conftest's `served` serves it."""
    site = tmp_path_factory.mktemp("table-site")
    tables = harness_islands(DATA, "table")
    body = tables.island("table", {"rows": "frameworks", "caption": "Python web frameworks", "id": "fw"},
                          "load", ("t.md", 1))
    body += tables.island("table", {"rows": "surveys.so2025.languages", "caption": "Languages", "id": "langs",
                                    "filter": False}, "load", ("t.md", 2))
    harness_page(site, compiled, f'<main id="main"><h1>Tables</h1>{body}</main>', "Table widget")
    return site


def open_page(chromium, served, **options):
    """browser.open_page, then (with JavaScript) wait until both tables are mounted."""
    context, page, watch = browser.open_page(chromium, served, **options)
    if options.get("java_script_enabled", True):
        page.wait_for_selector("#fw-filter")
        page.wait_for_selector(".islet-table.table-ready >> nth=1")
    return context, page, watch


def names(page):
    return page.eval_on_selector_all("#fw tbody tr:not([hidden]) td:first-child", "cells => cells.map(c => c.textContent)")


@pytest.mark.browser
def test_mount_sorts_by_header_buttons(chromium, served):
    context, page, watch = open_page(chromium, served)
    assert page.locator("#fw th button").count() == 5
    assert page.locator("#fw th[aria-sort]").count() == 0
    page.click("#fw th[data-key=requests_per_second] button")
    assert names(page)[:3] == ["Django", "Flask", "Bottle"]
    assert page.get_attribute("#fw th[data-key=requests_per_second]", "aria-sort") == "ascending"
    page.click("#fw th[data-key=requests_per_second] button")
    assert names(page)[:3] == ["Starlette", "FastAPI", "Litestar"]
    assert page.get_attribute("#fw th[data-key=requests_per_second]", "aria-sort") == "descending"
    assert page.text_content("#fw .table-status") == \
        "Sorted by Requests per second, descending. Showing 8 of 8 rows."
    page.focus("#fw th[data-key=name] button")      # the keyboard works too: a real button
    page.keyboard.press("Enter")
    assert names(page) == sorted(names(page), key=str.lower)
    assert page.locator("#fw th[aria-sort]").count() == 1
    assert page.get_attribute("#fw th[data-key=name]", "aria-sort") == "ascending"
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_mounting_keeps_every_column_width(chromium, served):
    """A reader on a slow network sees the table before its module arrives: the sort icons mount() adds
    have their room kept from the first paint, so no column moves when it mounts (no layout shift)."""
    widths = "cells => cells.map(cell => cell.getBoundingClientRect().width)"
    context, page, _ = browser.open_page(chromium, served, prepare=lambda page: page.route(
        "**/widgets.table.js", lambda route: route.abort()))
    page.wait_for_timeout(200)
    assert page.locator("#fw th button").count() == 0          # not mounted: its module never came
    before = page.eval_on_selector_all("#fw th, #fw tbody tr:first-child td", widths)
    context.close()
    context, page, watch = open_page(chromium, served)
    assert page.eval_on_selector_all("#fw th, #fw tbody tr:first-child td", widths) == before
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_mount_filters_rows_and_announces_the_count(chromium, served):
    context, page, watch = open_page(chromium, served)
    assert page.get_attribute("#fw .table-status", "aria-live") == "polite"
    assert page.text_content("label[for=fw-filter]") == "Filter rows"
    page.fill("#fw-filter", "ASYNC")
    assert names(page) == ["FastAPI", "Litestar", "Sanic"]
    assert page.text_content("#fw .table-status") == "Showing 3 of 8 rows."
    page.click("#fw th[data-key=github_stars] button")    # sorting keeps the filter
    assert names(page) == ["Litestar", "Sanic", "FastAPI"]
    page.fill("#fw-filter", "")
    assert len(names(page)) == 8
    assert page.locator("#langs-filter").count() == 0     # filter: false
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_mounted_tables_pass_axe_and_fit_360px(chromium, served, scheme):
    from support.browser import axe_violations

    context, page, watch = open_page(chromium, served, color_scheme=scheme)
    page.click("#fw th[data-key=name] button")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_without_javascript_every_row_is_there(chromium, served):
    context, page, watch = open_page(chromium, served, java_script_enabled=False)
    assert page.locator("#fw tbody tr").count() == 8
    assert page.locator("#fw button, #fw input").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert watch.problems == []
    context.close()
