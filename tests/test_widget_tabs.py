"""widgets/tabs.py: the same HTML from CPython and compiled JavaScript; the WAI-ARIA tabs pattern in Chromium."""
from __future__ import annotations

import json

import pytest

from islet.islands.testing import run_js_calls, run_py_render
from support.browser import axe_violations, open_page
from support.site import ROOT

CASES = {
    "text and code": {"id": "setup", "label": "Setup steps",
                      "tabs": [{"label": "Install", "code": "pip install pelican-islet"},
                               {"label": "Build", "text": "Run ./dev build."}]},
    "hostile": {"id": "x\"><script>", "label": "</script><b>",
                "tabs": [{"label": "<img src=x onerror=alert(1)>", "text": "a & b < c"},
                         {"label": "'quotes'", "code": "if a < b and c > d: print(\"&amp;\")"}]},
    "one tab": {"id": "one", "label": "One", "tabs": [{"label": "Only", "text": "Alone."}]},
}


# `compiled`, `chromium` and `demo_server`: conftest.py.


def test_without_javascript_every_panel_is_a_headed_section():
    html = run_py_render(ROOT, "tabs", "render", [CASES["text and code"]])
    assert html.count('<section class="tabs-panel"') == 2
    assert '<h3 class="tabs-heading" id="setup-0-tab">Install</h3>' in html
    assert "<pre><code>pip install pelican-islet</code></pre>" in html and "<p>Run ./dev build.</p>" in html


def test_hostile_text_is_escaped():
    html = run_py_render(ROOT, "tabs", "render", [CASES["hostile"]])
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "a &amp; b &lt; c" in html


@pytest.mark.parametrize("case", CASES)
def test_render_is_identical_in_javascript(compiled, case):
    [js] = run_js_calls(compiled, "tabs", [("render", [CASES[case]])])
    assert json.loads(js) == run_py_render(ROOT, "tabs", "render", [CASES[case]])


# ---------------------------------------------------------------- in Chromium, on the demo article

PAGE = "articles/accessible-widgets.html"


def states(page):
    return page.locator(".islet-tabs [role=tab]").evaluate_all(
        "tabs => tabs.map(t => [t.textContent, t.getAttribute('aria-selected'), t.tabIndex, "
        "document.getElementById(t.getAttribute('aria-controls')).hidden])")


@pytest.mark.browser
def test_without_javascript_all_panels_are_readable(chromium, demo_server):
    context, page, watch = open_page(chromium, demo_server, PAGE, java_script_enabled=False)
    assert page.locator(".islet-tabs .tabs-panel").count() == 3
    assert all(page.locator(".islet-tabs .tabs-panel").nth(i).is_visible() for i in range(3))
    assert page.locator(".islet-tabs [role=tab]").count() == 0
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_keyboard_follows_the_tabs_pattern(chromium, demo_server):
    context, page, watch = open_page(chromium, demo_server, PAGE)
    page.locator(".islet-tabs .tabs-panel").first.hover()         # the demo uses the interaction trigger
    page.locator(".islet-tabs[data-mounted]").wait_for(state="attached")
    assert states(page) == [["Install", "true", 0, False], ["Configure", "false", -1, True],
                            ["Build", "false", -1, True]]
    page.locator(".islet-tabs [role=tab]").first.focus()
    page.keyboard.press("ArrowRight")
    assert [s[1] for s in states(page)] == ["false", "true", "false"]
    assert page.evaluate("document.activeElement.textContent") == "Configure"
    page.keyboard.press("End")
    assert [s[1] for s in states(page)] == ["false", "false", "true"]
    page.keyboard.press("ArrowRight")   # wraps around
    assert [s[1] for s in states(page)] == ["true", "false", "false"]
    page.keyboard.press("ArrowLeft")
    assert states(page)[2] == ["Build", "true", 0, False]
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.textContent") == "Install"
    page.keyboard.press("Tab")          # one Tab stop for the list, then the panel
    assert page.evaluate("document.activeElement.getAttribute('role')") == "tabpanel"
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_pointer_selects_and_axe_finds_nothing(chromium, demo_server):
    context, page, watch = open_page(chromium, demo_server, PAGE)
    page.locator(".islet-tabs .tabs-panel").first.hover()
    page.locator(".islet-tabs[data-mounted]").wait_for(state="attached")
    page.get_by_role("tab", name="Build").click()
    assert states(page)[2] == ["Build", "true", 0, False]
    assert page.get_by_role("tabpanel").filter(has_text="./dev build").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    assert watch.problems == []
    context.close()
