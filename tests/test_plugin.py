"""End to end: the real build of the demo site (pages, feed, sitemap, data, determinism)."""
from __future__ import annotations

import gzip
import re
from xml.etree import ElementTree

import pytest
from support.site import pelican_slug

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def metadata(path):
    """An article's front matter as Pelican reads it: the slug comes from the title when there is no Slug:."""
    head = path.read_text().split("\n\n", 1)[0]
    meta = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in head.splitlines() if ":" in l)}
    meta.setdefault("slug", pelican_slug(meta["title"]))
    return meta


@pytest.fixture(scope="module")
def articles(built_demo):
    found = {p: metadata(p) for p in sorted(built_demo.path("content/articles").glob("*.md"))}
    return {p: m for p, m in found.items() if m.get("status") != "draft"}, \
           {p: m for p, m in found.items() if m.get("status") == "draft"}


def html(site, page):
    return site.path(f"build/{page}").read_text()


def test_every_published_article_has_a_page_and_drafts_have_none(built_demo, articles):
    published, drafts = articles
    assert len(published) >= 10 and drafts
    for meta in published.values():
        page = html(built_demo, f"articles/{meta['slug']}.html")
        assert "<h1" in page and meta["title"].split()[0] in page
    for meta in drafts.values():
        assert not built_demo.path(f"build/articles/{meta['slug']}.html").exists()
        assert not built_demo.path(f"build/drafts/{meta['slug']}.html").exists()
        assert meta["title"] not in html(built_demo, "index.html")


def test_standard_pages_exist(built_demo):
    for page in ("index.html", "about.html", "404.html", "archives.html", "tags.html", "categories.html",
                 "authors.html", "favicon.ico", "robots.txt"):
        assert built_demo.path(f"build/{page}").is_file(), page
    assert "rel=\"next\"" in html(built_demo, "index.html"), "the index is paginated"
    assert any(built_demo.path("build/tag").glob("*.html")) and any(built_demo.path("build/category").glob("*.html"))


def test_atom_feed_lists_published_articles_with_absolute_links(built_demo, articles):
    published, drafts = articles
    feed = ElementTree.parse(built_demo.path("build/feeds/all.atom.xml")).getroot()
    entries = feed.findall("a:entry", ATOM)
    assert len(entries) == len(published)
    links = {e.find("a:link", ATOM).get("href") for e in entries}
    assert all(l.startswith("http://127.0.0.1:8000/articles/") for l in links)
    assert not any(m["slug"] in l for m in drafts.values() for l in links)


def test_sitemap_and_robots(built_demo, articles):
    published, _ = articles
    root = ElementTree.parse(built_demo.path("build/sitemap.xml")).getroot()
    locs = {u.find("s:loc", SITEMAP).text for u in root.findall("s:url", SITEMAP)}
    for meta in published.values():
        assert f"http://127.0.0.1:8000/articles/{meta['slug']}.html" in locs
    assert "http://127.0.0.1:8000/" in locs and not any("404" in l for l in locs)
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in html(built_demo, "robots.txt")


def test_data_files_feed_articles(built_demo):
    import csv
    rows = list(csv.DictReader(built_demo.path("content/data/frameworks.csv").open()))
    using = [p for p in built_demo.path("content/articles").glob("*.md") if "data.frameworks" in p.read_text()]
    assert using, "a demo article uses data.frameworks"
    page = html(built_demo, f"articles/{metadata(using[0])['slug']}.html")
    assert "<table" in page and all(row["name"] in page for row in rows)
    data_users = [p for p in built_demo.path("content/articles").glob("*.md") if "{{ data." in p.read_text()]
    assert len({re.search(r"data\.(\w+)", p.read_text())[1] for p in data_users}) >= 2


def test_pages_are_self_contained_and_light(built_demo):
    for page in sorted(built_demo.path("build").rglob("*.html")):
        text = page.read_text()
        if "data-islet=" not in text:   # pages with widgets: see test_hydration.py
            assert "<script" not in text, f"{page.name} ships JavaScript without a widget"
        assert not re.search(r'(src|srcset)="(https?:)?//', text), f"{page.name} loads from another host"
        assert not re.search(r'<link[^>]+rel="(stylesheet|preload|icon)"[^>]+href="(https?:)?//', text)
        style = re.search(r"<style>(.*?)</style>", text, re.S)
        assert style and len(gzip.compress(style[1].encode(), 9)) <= 6 * 1024
        assert '<html lang="en"' in text and 'name="viewport"' in text and 'rel="canonical"' in text


def test_two_builds_of_the_same_input_are_byte_identical(built_demo):
    result = built_demo.build("--strict", "--precompress", "--output", "build-again")
    assert result.code == 0, result.stderr
    assert built_demo.output_digest("build-again") == built_demo.output_digest("build")


def test_production_settings_give_absolute_urls(built_demo):
    result = built_demo.build("--settings", "publishconf.py", "--output", "build-production")
    assert result.code == 0, result.stderr
    index = built_demo.path("build-production/index.html").read_text()
    assert 'href="https://islet.example/articles/' in index
    assert 'rel="canonical" href="https://islet.example/"' in index


def test_no_style_attributes_so_a_strict_csp_keeps_table_alignment(built_demo):
    for page in sorted(built_demo.path("build").rglob("*.html")):
        assert 'style="' not in page.read_text(), page.name
    assert 'class="align-right"' in html(built_demo, "articles/compile-dont-ship-runtime.html")


def test_a_second_build_in_one_process_reports_the_same_warning(demo_copy, build_here):
    """Pelican gives a warning once per process; livereload builds again and again in one."""
    from islet.build.driver import BuildFailed, BuildPlan, build

    article = demo_copy.path("content/articles/first-14-kb.md")
    article.write_text(article.read_text(encoding="utf-8") + "\n![](https://example.org/x.png)\n", encoding="utf-8")
    for attempt in range(2):
        with pytest.raises(BuildFailed) as failed:
            build(BuildPlan(demo_copy.root, strict=True))
        assert "alt" in str(failed.value).lower(), (attempt, str(failed.value))


def test_the_first_paint_waits_for_main_except_on_long_lists(built_demo):
    """base.html's <link rel="expect" href="#main" blocking="render">: every page is laid out once, before its first
    paint; the archives, which list every article and may not arrive in one round trip, paint what has arrived."""
    expect = '<link rel="expect" href="#main" blocking="render">'
    for page in sorted(built_demo.path("build").rglob("*.html")):
        text, name = page.read_text(), page.relative_to(built_demo.path("build")).as_posix()
        if name == "archives.html" or re.fullmatch(r"\d{4}/.*", name):
            assert expect not in text, name
        else:
            assert text.index(expect) < text.index("</head>") < text.index('<main id="main">'), name
