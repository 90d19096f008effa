"""The demo site in a real Chromium: readable without JavaScript, accessible, no stray requests."""
from __future__ import annotations

import pytest

from browser import CHROMIUM_ARGS, LocalServer, PageWatch, axe_violations, chromium_path

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(built_demo):
    with LocalServer(built_demo.path("build")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(built_demo):
    """One page of each kind: index, an article (with a data table and code), a tag page, about, 404."""
    article = next(p for p in sorted(built_demo.path("build/articles").glob("*.html"))
                   if "<table" in p.read_text() and "highlight" in p.read_text())
    tag = sorted(built_demo.path("build/tag").glob("*.html"))[0]
    return {"index": "", "article": f"articles/{article.name}", "tag": f"tag/{tag.name}",
            "about": "about.html", "page 2": "page/2/", "404": "404.html"}


@pytest.mark.parametrize("kind", ["index", "article", "tag", "about", "page 2", "404"])
def test_pages_work_without_javascript_at_360px(browser, server, pages, kind):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    watch = PageWatch(page, server.url)
    page.goto(server.url + pages[kind])
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").is_visible()
    assert page.locator("header nav a").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no horizontal scrolling"
    assert watch.problems == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["index", "article", "tag", "404"])
def test_axe_reports_no_violations(browser, server, pages, kind, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 360, "height": 740})
    page = context.new_page()
    watch = PageWatch(page, server.url)
    page.goto(server.url + pages[kind])
    assert axe_violations(page) == []
    assert watch.problems == []
    context.close()


def test_skip_link_comes_first_and_is_visible_on_focus(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(server.url)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.get_attribute("href") == "#main"
    assert focused.is_visible() and focused.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    context.close()


def test_unknown_urls_get_the_404_page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(server.url + "no/such/page.html")
    assert response.status == 404
    assert page.locator("h1").inner_text().strip() != ""
    context.close()
