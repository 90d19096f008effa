"""The demo site in a real Chromium: readable without JavaScript, accessible, no stray requests."""
from __future__ import annotations

import pytest

from support.browser import axe_violations, open_page

pytestmark = pytest.mark.browser


# `chromium` and `demo_server` (the built demo site): conftest.py.


@pytest.fixture(scope="module")
def pages(built_demo):
    """One page of each kind: index, an article (with a data table and code), a tag page, about, 404."""
    article = next(p for p in sorted(built_demo.path("build/articles").glob("*.html"))
                   if "<table" in p.read_text() and "highlight" in p.read_text())
    tag = sorted(built_demo.path("build/tag").glob("*.html"))[0]
    return {"index": "", "article": f"articles/{article.name}", "tag": f"tag/{tag.name}",
            "about": "about.html", "page 2": "page/2.html", "404": "404.html"}


@pytest.mark.parametrize("kind", ["index", "article", "tag", "about", "page 2", "404"])
def test_pages_work_without_javascript_at_360px(chromium, demo_server, pages, kind):
    context, page, watch = open_page(chromium, demo_server, pages[kind], java_script_enabled=False)
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").is_visible()
    assert page.locator("header nav a").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no horizontal scrolling"
    assert watch.problems == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["index", "article", "tag", "404"])
def test_axe_reports_no_violations(chromium, demo_server, pages, kind, scheme):
    context, page, watch = open_page(chromium, demo_server, pages[kind], color_scheme=scheme)
    assert axe_violations(page) == []
    assert watch.problems == []
    context.close()


def test_skip_link_comes_first_and_is_visible_on_focus(chromium, demo_server):
    context, page, _ = open_page(chromium, demo_server)
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.get_attribute("href") == "#main"
    assert focused.is_visible() and focused.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    # The jump to #main is a navigation of its own, done after the key press returns: wait for it (a CI run read
    # the URL before it happened), at most the default timeout.
    page.wait_for_function("location.hash === '#main'")
    assert page.url.endswith("#main")
    context.close()


def test_unknown_urls_get_the_404_page(chromium, demo_server):
    context = chromium.new_context()
    page = context.new_page()
    response = page.goto(demo_server.url + "no/such/page.html")
    assert response.status == 404
    assert page.locator("h1").inner_text().strip() != ""
    context.close()
