"""Every built-in widget on a 360 px phone, in a real Chromium: nothing widens the page, no text is smaller than
12 px (SVG text measured as drawn, after the SVG's scaling), every box that scrolls sideways can be reached with
the keyboard, is named, shows a focus ring and a cue that there is more to see, and axe finds nothing.

The site is built here from its own article and data (never the demo's content): a wide CSV of ten columns with
a long caption, a bar and a line chart, a code block with a long line, tabs, copy buttons, the theme toggle and
the search form."""
from __future__ import annotations

import pytest

from support.browser import LocalServer, axe_violations, open_page
from support.site import make_site

pytestmark = pytest.mark.browser

WIDTH = 360
SMALLEST = 12     # px: the least size at which text counts as readable here

WIDE_CSV = """name,kind,first_release,requests_per_second,github_stars,contributors,open_issues,licence,rating,share
Django,full-stack,2005,31000,84000,2600,180,BSD-3-Clause,3.0,0.25
Flask,micro,2010,38000,69000,740,5,BSD-3-Clause,4.1,0.125
FastAPI,async API,2018,170000,88000,820,130,MIT,3.8,0.5
A framework whose name is far too long to fit,ASGI toolkit,2018,185000,11000,300,60,BSD-3-Clause,4.5,0.0625
"""

LONG_LINE = ("result = some_function_with_a_long_name(first_argument, second_argument, third_argument, "
             "fourth_argument, keyword=\"a value that keeps going\")")

ARTICLE = f"""Title: Every widget on a phone
Date: 2026-01-05 10:00
Summary: Each built-in widget once, for the narrow-screen test.

A paragraph of ordinary text before the widgets.

## The widgets

```widget theme_toggle
label: Theme of this site
trigger: load
```

```widget search
trigger: load
fallback: ../archives.html
```

```widget table
rows: data.wide
caption: Ten columns about web frameworks, with a caption long enough that it has to wrap on a phone screen
id: wide
trigger: load
```

```widget chart
rows: data.wide
x: name
series: [rating]
title: Rating by framework
id: ratings
trigger: load
```

```widget chart
rows: data.wide
x: name
series: [contributors, open_issues]
kind: line
title: Contributors and open issues
id: people
labels:
  open_issues: Open issues
trigger: load
```

## Setting up

```widget tabs
id: steps
label: Setup steps
tabs:
  - label: Install
    code: pip install pelican-islet && pip install "pelican-islet[widgets]" && npm install -D esbuild@0.28.2
  - label: Build
    text: Run the build.
trigger: load
```

```python
{LONG_LINE}
```

```widget copy_code
trigger: load
```
"""


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory):
    """The site above, built with the repository's theme and widgets, served on 127.0.0.1."""
    site = make_site(tmp_path_factory.mktemp("phone"), {"content/data/wide.csv": WIDE_CSV,
                                                        "content/articles/widgets.md": ARTICLE})
    built = site.build("--strict")
    assert built.code == 0, built.stderr
    with LocalServer(site.path("build")) as server:
        yield server


PAGE = "articles/every-widget-on-a-phone.html"
PHONE = {"is_mobile": True, "has_touch": True}      # a touch screen: no hover, so copy buttons always show

# Code blocks off screen are not laid out until the reader nears them (content-visibility: auto, 40-content.css):
# lay everything out, as a reader scrolling through would (setting a style property is allowed by the CSP).
LAID_OUT = """() => { for (const e of document.querySelectorAll('body *'))
  if (getComputedStyle(e).contentVisibility === 'auto') e.style.contentVisibility = 'visible'; }"""

# Text nodes a reader sees, with the size they are drawn at: an HTML element's font size, an SVG element's font
# size times its scale on screen (getScreenCTM), so a 13-unit label in an SVG shrunk to half is 6.5 px.
# Visually hidden text (for screen readers: clipped to 1 px) and hidden elements do not count.
TEXT_SIZES = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.data.trim() || element.closest('.visually-hidden')) continue;
    if (!element.checkVisibility({opacityProperty: true, visibilityProperty: true,
                                  checkOpacity: true, checkVisibilityCSS: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;
    let size = parseFloat(getComputedStyle(element).fontSize);
    if (element instanceof SVGElement) {
      const m = element.getScreenCTM();
      size *= Math.min(Math.hypot(m.a, m.b), Math.hypot(m.c, m.d));
    }
    const named = element.closest('[id]');
    found.push({text: node.data.trim().slice(0, 40), size: Math.round(size * 100) / 100,
                where: element.tagName.toLowerCase() + (named ? ' in #' + named.id : '')});
  }
  return found;
}"""

# Every box whose content is wider than the box and scrolls sideways (a box that clips it would hide it).
SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e => {
  const style = getComputedStyle(e);
  return e.scrollWidth > e.clientWidth + 1 && style.display !== 'none' && !e.closest('.visually-hidden')
    && ['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX);
}).map(e => {
  const style = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id || (e.closest('[id]') || {}).id, overflow: style.overflowX,
          tabindex: e.tabIndex, role: e.getAttribute('role'),
          named: !!(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')),
          cue: style.backgroundImage.includes('gradient') && style.backgroundAttachment.includes('local')
               && style.backgroundAttachment.includes('scroll')};
})"""


@pytest.fixture
def phone(chromium, phone_site):
    """open(scheme, javascript) -> (page, watch): the page in a 360 px wide context, closed after the test."""
    contexts = []

    def open_phone(scheme: str, javascript: bool):
        context, page, watch = open_page(chromium, phone_site, PAGE, color_scheme=scheme,
                                         java_script_enabled=javascript, **PHONE)
        contexts.append(context)
        if javascript:      # every island mounted (the loader sets data-mounted)
            page.wait_for_function("() => [...document.querySelectorAll('[data-islet]')]"
                                   ".every(e => 'mounted' in e.dataset)")
        page.evaluate(LAID_OUT)
        return page, watch

    yield open_phone
    for context in contexts:
        context.close()

CASES = [("light", True), ("dark", True), ("light", False)]
IDS = ["light", "dark", "light, no JavaScript"]


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_nothing_widens_the_page(phone, scheme, javascript):
    page, watch = phone(scheme, javascript)
    assert page.evaluate("[innerWidth, matchMedia('(hover: none)').matches]") == [WIDTH, True]
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, "the page scrolls sideways"
    assert watch.problems == []


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_no_text_is_smaller_than_12px(phone, scheme, javascript):
    page, _ = phone(scheme, javascript)
    sizes = page.evaluate(TEXT_SIZES)
    assert any(t["where"].startswith("td") for t in sizes) and any("#ratings" in t["where"] for t in sizes)
    small = [t for t in sizes if t["size"] < SMALLEST - 0.01]
    assert small == [], f"{len(small)} texts under {SMALLEST} px, e.g. {small[:5]}"


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_boxes_that_scroll_sideways_are_focusable_named_and_show_a_cue(phone, scheme, javascript):
    page, _ = phone(scheme, javascript)
    scrollers = page.evaluate(SCROLLERS)
    kinds = {s["tag"] for s in scrollers}
    assert "pre" in kinds and any(s["role"] == "region" for s in scrollers), scrollers   # the fixture's wide ones
    for box in scrollers:
        assert box["overflow"] in ("auto", "scroll"), f"{box} clips its content"
        assert box["tabindex"] == 0, f"{box} cannot be reached with the keyboard"
        assert box["cue"], f"{box} shows no cue that there is more to the right"
        if box["role"] == "region":
            assert box["named"], box


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_focused_scrolling_boxes_show_a_focus_ring(phone, scheme, javascript):
    page, _ = phone(scheme, javascript)
    page.keyboard.press("Tab")          # keyboard use: what focus() then shows is what Tab would show
    for selector in ("#wide .table-scroll", ".highlight pre"):
        ring = page.eval_on_selector(selector, """e => { e.focus(); const s = getComputedStyle(e);
            return {visible: e.matches(':focus-visible'), style: s.outlineStyle,
                    width: parseFloat(s.outlineWidth)}; }""")
        assert ring["visible"] and ring["style"] != "none" and ring["width"] >= 2, (selector, ring)


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_the_caption_of_a_wide_table_stays_in_view(phone, scheme, javascript):
    """The caption wraps within the screen, and stays in view when the table is scrolled to its far end."""
    page, _ = phone(scheme, javascript)
    caption = """() => { const r = document.createRange();
                         r.selectNodeContents(document.querySelector('#wide caption'));
                         const box = document.querySelector('#wide .table-scroll').getBoundingClientRect();
                         const text = r.getBoundingClientRect();
                         return [text.left >= box.left - 0.5, text.right <= box.right + 0.5, text.width > 0]; }"""
    assert page.evaluate("document.querySelector('#wide .table-scroll').scrollWidth > 400"), "not a wide table"
    assert page.evaluate(caption) == [True, True, True]
    page.eval_on_selector("#wide .table-scroll", "e => { e.scrollLeft = e.scrollWidth; }")
    assert page.evaluate(caption) == [True, True, True]


@pytest.mark.parametrize("scheme, javascript", CASES, ids=IDS)
def test_numbers_keep_the_decimals_their_column_was_written_with(phone, scheme, javascript):
    page, _ = phone(scheme, javascript)
    column = "(key) => [...document.querySelectorAll('#wide tbody tr')].map(tr => " \
             "tr.cells[[...document.querySelectorAll('#wide th')].findIndex(th => th.dataset.key === key)].textContent)"
    assert page.evaluate(column, "rating") == ["3.0", "4.1", "3.8", "4.5"]
    assert page.evaluate(column, "share") == ["0.2500", "0.1250", "0.5000", "0.0625"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("widgets", [True, False], ids=["mounted", "not mounted"])
def test_axe_reports_no_violations(chromium, phone_site, scheme, widgets):
    """With the widgets mounted, and as the page is without them (axe itself needs JavaScript: here the
    widgets' modules are refused instead)."""
    block = None if widgets else (lambda page: page.route("**/widgets/**", lambda route: route.abort()))
    context, page, watch = open_page(chromium, phone_site, PAGE, prepare=block, color_scheme=scheme, **PHONE)
    try:
        if widgets:
            page.wait_for_function("() => [...document.querySelectorAll('[data-islet]')]"
                                   ".every(e => 'mounted' in e.dataset)")
        else:
            page.wait_for_timeout(300)
            assert page.locator("[data-mounted]").count() == 0
        assert axe_violations(page) == []
        if widgets:
            assert watch.problems == []
    finally:
        context.close()
