"""The widget pipeline end to end on the demo site: which page loads which scripts, budgets, integrity,
the CSP, the compile cache, and in Chromium: hydration under the strict CSP and every trigger's timing."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import time

import pytest

from islet.islands.hydrate import BOOTSTRAP, LOADER
from islet.output.headers import parse_headers_file
from support.browser import LocalServer, open_page

SCRIPT = re.compile(r"<script\b[^>]*>", re.S)
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
INLINE_SCRIPT = re.compile(r'<script(?: type="importmap")?>(.*?)</script>', re.S)   # what the CSP must allow


def html_pages(site):
    base = site.path("build")
    return {p.relative_to(base).as_posix(): p.read_text(encoding="utf-8") for p in sorted(base.rglob("*.html"))}


def gz(path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def sha(kind: str, body: bytes) -> str:
    return base64.b64encode(getattr(hashlib, kind)(body).digest()).decode()


def first_visit_files(site, page: str, html: str) -> set[str]:
    """Every script a first visit downloads, found the way a browser would: the loader the import map names, each island's
    module (relative to the loader) and, transitively, every static import of those files."""
    widgets = site.path("build/widgets")
    loader = json.loads(IMPORT_MAP.search(html)[1])["imports"][LOADER]
    todo = [widgets / loader.rsplit("/", 1)[1]] + [widgets / m for m in re.findall(r'data-module="\./([^"]+)"', html)]
    seen = set()
    while todo:
        path = todo.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        for target in re.findall(r'from"(\./[^"]+)"|import"(\./[^"]+)"', path.read_text()):
            todo.append(path.parent / (target[0] or target[1]))
    return seen


def test_pages_without_widgets_contain_no_script_at_all(built_demo):
    pages = html_pages(built_demo)
    plain = {p: h for p, h in pages.items() if "data-islet=" not in h}
    assert len(plain) > 30
    for page, html in plain.items():
        assert not SCRIPT.search(html), f"{page} has a script but no widget"


def test_widget_pages_load_the_loader_and_their_modules_with_integrity(built_demo):
    pages = html_pages(built_demo)
    with_widgets = {p: h for p, h in pages.items() if "data-islet=" in h}
    assert {"articles/python-web-frameworks-by-the-numbers.html", "articles/accessible-widgets.html"} <= set(with_widgets)
    maps = {IMPORT_MAP.search(h)[1] for h in with_widgets.values()}
    assert len(maps) == 1, "the import map is the same text on every page (one CSP hash)"
    imports = json.loads(maps.pop())
    table = imports["integrity"]
    assert re.fullmatch(r"/widgets/loader-[A-Z0-9]{8}\.js", imports["imports"][LOADER])
    assert imports["imports"][LOADER] in table
    for url, expected in table.items():
        body = built_demo.path("build" + url).read_bytes()
        assert expected == "sha384-" + sha("sha384", body), url
    for page, html in with_widgets.items():
        assert [t for t in SCRIPT.findall(html) if "src=" in t] == [], "scripts start only through the bootstrap"
        assert f"<script>{BOOTSTRAP}</script>" in html
        for module in re.findall(r'data-module="\./([^"]+)"', html):
            assert f"/widgets/{module}" in table, f"{page}: {module} has no integrity entry"


def test_first_visit_javascript_is_within_budget(built_demo):
    """Measured independently of the build's own table: gzip of every file a first visit fetches, and of
    the inline bootstrap that starts them."""
    for page, html in html_pages(built_demo).items():
        names = set(re.findall(r'data-islet="(\w+)"', html))
        if not names:
            continue
        inline = len(gzip.compress(BOOTSTRAP.encode(), compresslevel=9, mtime=0)) if BOOTSTRAP in html else 0
        total = inline + sum(gz(p) for p in first_visit_files(built_demo, page, html))
        assert total <= 10240 + 1536 * (len(names) - 1), f"{page}: {total} B for {sorted(names)}"


def test_the_runtime_is_one_shared_chunk_and_maps_are_not_referenced(built_demo):
    widgets = built_demo.path("build/widgets")
    chunks = list((widgets / "chunks").glob("*.js"))
    assert len(chunks) == 1, chunks
    entries = [p for p in widgets.glob("*.js") if not p.name.startswith("loader-")]
    assert entries and all(chunks[0].name in p.read_text() for p in entries)
    for script in widgets.rglob("*.js"):
        assert re.fullmatch(r"[a-z_]+-[A-Z0-9]{8}\.js", script.name), script.name
        assert "sourceMappingURL" not in script.read_text()
        assert script.with_name(script.name + ".map").is_file() or script.name.startswith("loader-")


def test_csp_allows_exactly_the_inline_texts_of_the_pages(built_demo):
    csp = parse_headers_file(built_demo.path("build/_headers").read_text())["/*"]["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    pages = html_pages(built_demo)
    inline = {m for h in pages.values() for m in INLINE_SCRIPT.findall(h)}
    assert BOOTSTRAP in inline and any(text.startswith('{"imports"') for text in inline)
    styles = {m for h in pages.values() for m in re.findall(r"<style>(.*?)</style>", h, re.S)}
    for text in inline:
        assert f"'sha256-{sha('sha256', text.encode())}'" in csp.split("script-src", 1)[1].split(";")[0]
    for text in styles:
        assert f"'sha256-{sha('sha256', text.encode())}'" in csp.split("style-src", 1)[1].split(";")[0]


def test_an_unchanged_widget_set_compiles_nothing(demo_copy):
    assert demo_copy.build().code == 0
    article = demo_copy.path("content/articles/accessible-widgets.md")
    article.write_text(article.read_text() + "\nAn edit that leaves every widget as it was.\n")
    first = demo_copy.build()
    assert first.code == 0, first.stderr
    assert re.search(r"Widgets: \d+ unchanged, taken from the cache", first.stdout), first.stdout
    (demo_copy.path("widgets/tabs.py")).write_text(demo_copy.path("widgets/tabs.py").read_text() + "\n# edited\n")
    second = demo_copy.build()
    assert second.code == 0, second.stderr
    assert "compiled and bundled" in second.stdout


def test_a_page_over_budget_fails_the_build_and_keeps_the_old_site(demo_copy):
    before = demo_copy.output_digest()
    conf = demo_copy.path("pelicanconf.py")
    conf.write_text(conf.read_text() + '\nISLET_JS_BUDGET = {"first": 4000, "each_more": 100}\n')
    result = demo_copy.build()
    assert result.code == 1
    assert any(line.startswith("articles/accessible-widgets.html: ships ") and "budget is 4,000 B" in line
               and "ISLET_JS_BUDGET" in line for line in result.lines), result.stderr
    assert demo_copy.output_digest() == before


# ---------------------------------------------------------------- in Chromium

TRIGGERS = """Title: Triggers
Date: 2025-01-01
Category: Tests
Summary: One island per trigger.

{islands}
"""
ISLAND = """```widget tabs
id: {name}
tabs:
  - label: One {name}
    text: first
  - label: Two {name}
    text: second
trigger: {trigger}
```

"""
SPACER = "\n\n".join(f"Paragraph {n} keeps the next island below the fold." for n in range(80)) + "\n\n"


@pytest.fixture(scope="module")
def trigger_site(tmp_path_factory):
    from support.site import copy_site

    site = copy_site(tmp_path_factory.mktemp("triggers"))
    islands = (ISLAND.format(name="t-load", trigger="load") + ISLAND.format(name="t-idle", trigger="idle")
               + ISLAND.format(name="t-interaction", trigger="interaction")
               + ISLAND.format(name="t-media", trigger='"media (min-width: 1000px)"')
               + SPACER + ISLAND.format(name="t-visible", trigger="visible"))
    (site.path("content/articles/triggers.md")).write_text(TRIGGERS.format(islands=islands))
    result = site.build()
    assert result.code == 0, result.stderr
    with LocalServer(site.path("build")) as server:
        server.build = site.path("build")
        yield server


# Locators, not wait_for_function: the page's CSP forbids the eval that a string predicate needs.
def island(page, ident: str):
    return page.locator(f"[data-islet]:has(#{ident}-0)")


def mounted(page, ident: str) -> bool:
    return island(page, ident).get_attribute("data-mounted") is not None


def wait_mounted(page, ident: str) -> None:
    page.locator(f"[data-islet][data-mounted]:has(#{ident}-0)").wait_for(state="attached")


@pytest.mark.browser
def test_each_trigger_fires_when_it_should_and_not_before(chromium, trigger_site):
    context, page, watch = open_page(chromium, trigger_site, "articles/triggers.html",
                                     viewport={"width": 800, "height": 600})
    wait_mounted(page, "t-load")
    wait_mounted(page, "t-idle")
    time.sleep(0.5)   # give the lazy ones every chance to fire too early
    assert not mounted(page, "t-interaction"), "interaction: not before the reader touches it"
    assert not mounted(page, "t-media"), "media: not while the query does not match"
    assert not mounted(page, "t-visible"), "visible: not while below the fold"
    page.locator("#t-interaction-0").hover()
    wait_mounted(page, "t-interaction")
    page.set_viewport_size({"width": 1200, "height": 600})
    wait_mounted(page, "t-media")
    assert not mounted(page, "t-visible")
    page.locator("#t-visible-0").scroll_into_view_if_needed()
    wait_mounted(page, "t-visible")
    assert page.locator("[role=tablist]").count() == 5
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("page_path", ["articles/dark-mode-without-a-flash.html",            # idle triggers
                                       "articles/python-web-frameworks-by-the-numbers.html"])  # visible
def test_no_script_is_requested_before_the_first_contentful_paint(chromium, demo_server, page_path):
    """The loader and every module come after the first contentful paint: on a slow phone that paint never
    shares the network or the main thread with them (nor does Lighthouse count them in the simulated LCP)."""
    # An idle callback at once, as on a machine whose main thread idles while the first frame is still
    # being rastered and presented (the case where modules used to be fetched before the first paint).
    idle_at_once = "window.requestIdleCallback = (callback) => setTimeout(callback);"
    context, page, watch = open_page(chromium, demo_server, page_path, viewport={"width": 800, "height": 4000},
                                     prepare=lambda page: page.add_init_script(idle_at_once))   # every island in view
    page.locator("[data-islet][data-mounted]").first.wait_for(state="attached")
    painted, fetched = page.evaluate("""[performance.getEntriesByName('first-contentful-paint')[0].startTime,
        performance.getEntriesByType('resource').filter((e) => /[/]widgets[/]/.test(e.name)).map((e) => e.startTime)]""")
    assert len(fetched) >= 3 and min(fetched) > painted, (painted, fetched)
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_without_paint_timing_the_loader_starts_after_two_seconds(chromium, trigger_site):
    no_paint_timing = "window.PerformanceObserver = class { observe() {} };"
    context, page, watch = open_page(chromium, trigger_site, "articles/triggers.html",
                                     prepare=lambda page: page.add_init_script(no_paint_timing))
    page.wait_for_timeout(1500)
    assert not mounted(page, "t-load"), "not before the fallback's 2 s"
    wait_mounted(page, "t-load")
    assert watch.problems == []
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("action", ["focus", "hover"])
def test_an_island_the_reader_reached_before_the_loader_arrived_still_mounts(chromium, demo_server, action):
    """The interaction trigger's events may all have happened before the loader (which starts after the
    first paint) listens for them: a search box tapped at once must still come alive."""
    held = []

    def hold_the_loader(page):
        page.route(re.compile(r"/widgets/loader-"), lambda route: held.append(route))

    context, page, watch = open_page(chromium, demo_server, "articles/accessible-widgets.html", prepare=hold_the_loader)
    island = page.locator("[data-islet=tabs]").first
    getattr(island.locator("pre").first, action)()
    page.wait_for_timeout(300)
    assert len(held) == 1 and island.get_attribute("data-mounted") is None
    held[0].continue_()
    page.locator("[data-islet=tabs][data-mounted]").first.wait_for(state="attached")
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_widgets_hydrate_under_the_strict_csp_and_leave_prototypes_clean(chromium, trigger_site):
    """The server sends the site's _headers (CSP included): any blocked script would be a console error."""
    context, page, watch = open_page(chromium, trigger_site, "articles/python-web-frameworks-by-the-numbers.html",
                                     viewport={"width": 800, "height": 600})
    response = watch.response
    assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
    page.locator(".islet-table").scroll_into_view_if_needed()
    page.locator(".islet-table[data-mounted]").wait_for(state="attached")
    page.locator(".islet-chart").scroll_into_view_if_needed()
    page.locator(".islet-chart[data-mounted]").wait_for(state="attached")
    keys = page.evaluate("(() => { const seen = []; for (const k in [10, 20]) seen.push(k); "
                         "for (const k in 'ab') seen.push(k); return seen; })()")
    assert keys == ["0", "1", "0", "1"], "the runtime left enumerable properties on built-in prototypes"
    assert watch.problems == []
    context.close()


@pytest.mark.browser
def test_a_tampered_script_is_refused_by_its_integrity(chromium, trigger_site):
    """Subresource Integrity is real: change one byte of a widget module and the browser refuses it."""
    module = next(p for p in (trigger_site.build / "widgets").glob("tabs-*.js"))
    original = module.read_bytes()
    try:
        module.write_bytes(original.replace(b"tablist", b"tabList", 1))
        context = chromium.new_context()
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(trigger_site.url + "articles/triggers.html")
        page.wait_for_timeout(800)
        assert not mounted(page, "t-load")
        assert any("integrity" in e.lower() or "could not start" in e for e in errors), errors
        context.close()
    finally:
        module.write_bytes(original)


def test_theme_toggle_pages_get_the_prepaint_snippet_and_the_csp_allows_it(built_demo):
    from islet.islands.theme_script import PREPAINT

    csp = parse_headers_file(built_demo.path("build/_headers").read_text())["/*"]["Content-Security-Policy"]
    for page, html in html_pages(built_demo).items():
        has_toggle = 'data-islet="theme_toggle"' in html
        assert (f"<script>{PREPAINT}</script>" in html) == has_toggle, page
        if has_toggle:
            assert html.index(PREPAINT) < html.index("<style>"), "it runs before the CSS paints"
            assert f"'sha256-{sha('sha256', PREPAINT.encode())}'" in csp


def test_the_search_index_is_written_when_a_page_searches(built_demo):
    manifest = json.loads(built_demo.path("build/search.json").read_text())
    fragments = [json.loads(p.read_text()) for p in built_demo.path("build/search/f").glob("*.json")]
    urls = {fragment[1] for fragment in fragments}
    assert len(fragments) == manifest["docs"]
    articles = {p.relative_to(built_demo.path("build")).as_posix()
                for p in built_demo.path("build/articles").glob("*.html")}
    assert urls == articles, "every published article, and nothing else (no drafts, no pages)"


def test_the_theme_toggle_setting_puts_it_on_every_page(demo_copy):
    conf = demo_copy.path("pelicanconf.py")
    conf.write_text(conf.read_text() + "\nISLET_THEME_TOGGLE = True\n")
    result = demo_copy.build("--strict")
    assert result.code == 0, result.stderr
    pages = html_pages(demo_copy)
    assert all('data-islet="theme_toggle"' in h and "<script>(function(){" in h for h in pages.values())


def test_the_loader_is_under_1_kb_and_knows_no_widget_names(built_demo):
    [loader] = built_demo.path("build/widgets").glob("loader-*.js")
    assert gz(loader) <= 1024, gz(loader)
    text = loader.read_text()
    for name in ("table", "chart", "tabs", "search", "copy_code", "theme_toggle"):
        assert name not in text
    for trigger in ("load", "idle", "visible", "media", "interaction"):
        assert trigger in text


@pytest.mark.browser
# Not the tabs article: turning stacked sections into a tab list changes the height by design (see the note
# in widgets/tabs.py); its trigger is `interaction`, so it never shifts during page load.
@pytest.mark.parametrize("page_path", ["articles/python-web-frameworks-by-the-numbers.html",
                                       "articles/searching-a-static-site.html",
                                       "articles/dark-mode-without-a-flash.html"])
def test_mounting_widgets_shifts_no_layout(chromium, trigger_site, page_path):
    """Every widget on the page mounts (scrolled to, hovered) and the page's layout-shift total stays 0."""
    context, page, watch = open_page(
        chromium, trigger_site, page_path, viewport={"width": 412, "height": 823},   # Lighthouse's mobile screen
        prepare=lambda page: page.add_init_script(
            "window.__shifts = []; new PerformanceObserver((list) => { for (const e of list.getEntries())"
            " if (!e.hadRecentInput) window.__shifts.push(e.value); }).observe({type: 'layout-shift', buffered: true});"))
    islands = page.locator("[data-islet]")
    for index in range(islands.count()):
        islands.nth(index).scroll_into_view_if_needed()
        islands.nth(index).dispatch_event("pointerenter")
        page.locator("[data-islet]").nth(index).and_(page.locator("[data-mounted]")).wait_for(state="attached")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shifts") == []
    assert watch.problems == []
    context.close()


def test_widgets_no_page_uses_are_not_compiled(demo_copy):
    for source in demo_copy.path("content").rglob("*.md"):
        if "```widget" in source.read_text(encoding="utf-8"):
            source.unlink()
    result = demo_copy.build()                  # not strict: other articles may link to the deleted ones
    assert result.code == 0, result.stderr
    assert re.search(r"Widgets: no page uses one of the \d+; nothing compiled\.", result.stdout), result.stdout
    assert not demo_copy.path("build/widgets").exists()
    assert not any("<script" in p.read_text() for p in demo_copy.path("build").rglob("*.html"))
