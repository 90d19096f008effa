"""islet.output.sitemap: a deterministic sitemap.xml of the published, indexable pages, and islet's robots.txt
and favicon.ico only where the site has none of its own."""
import hashlib
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from islet.output import sitemap
from islet.output.sitemap import (listed, noindex, page_url, plan, robots_txt, sitemap_xml, unlisted,
                                  uses_sitemap_plugin)
from support.site import make_site

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ORIGIN = "https://x.org"


def locs(xml: str) -> list[str]:
    return [u.find("s:loc", NS).text for u in ElementTree.fromstring(xml).findall("s:url", NS)]


def test_page_urls_drop_index_html():
    assert page_url("https://x.org", "index.html") == "https://x.org/"
    assert page_url("https://x.org", "tag/page/2/index.html") == "https://x.org/tag/page/2/"
    assert page_url("https://x.org", "articles/a.html") == "https://x.org/articles/a.html"
    assert page_url("https://x.org", "tag/île x%.html") == "https://x.org/tag/%C3%AEle%20x%25.html"


def test_sitemap_is_sorted_valid_xml_without_error_pages():
    xml = sitemap_xml("https://x.org", ["b.html", "404.html", "a&b.html", "index.html"], {"b.html": "2026-01-02"})
    root = ElementTree.fromstring(xml)
    assert locs(xml) == ["https://x.org/a&b.html", "https://x.org/b.html", "https://x.org/"]
    assert root.find("s:url[2]/s:lastmod", NS).text == "2026-01-02"
    assert xml == sitemap_xml("https://x.org", ["index.html", "a&b.html", "404.html", "b.html"], {"b.html": "2026-01-02"})


def test_robots_points_at_the_sitemap():
    assert "Sitemap: https://x.org/sitemap.xml" in robots_txt("https://x.org")


@pytest.mark.parametrize("html, expected", [
    ('<head><meta name="robots" content="noindex"></head>', True),
    ("<head><META NAME='Robots' CONTENT='follow, NOINDEX'></head>", True),
    ('<head><meta content="noindex,nofollow" name="robots"/></head>', True),
    ('<head><meta name=robots content=none></head>', True),
    ('<head><meta name="robots" content="index, follow"></head>', False),
    ('<head><meta name="robots" content="nofollow"></head>', False),
    ('<head><meta name="description" content="noindex is a word"></head>', False),
    ('<p>&lt;meta name="robots" content="noindex"&gt; in a code sample</p>', False),
    ("<head><title>No meta</title></head>", False),
])
def test_noindex(html, expected):
    assert noindex(html) is expected


@pytest.mark.parametrize("plugins, expected", [
    (["islet"], False),
    ([], False),
    (["islet", "sitemap"], True),
    (["pelican.plugins.sitemap", "islet"], True),
    (["pelican_sitemap"], True),
    ([SimpleNamespace(__name__="pelican.plugins.sitemap")], True),
    (["sitemaps_extra"], False),
])
def test_uses_sitemap_plugin(plugins, expected):
    assert uses_sitemap_plugin(plugins) is expected


def test_drafts_hidden_pages_and_static_files_are_unlisted_wherever_they_are_written():
    item = lambda save_as: SimpleNamespace(save_as=save_as)      # noqa: E731
    articles = SimpleNamespace(articles=[item("articles/a.html")], drafts=[item("drafts/d.html")],
                               drafts_translations=[item("drafts/d-fr.html")], hidden_articles=[item("h.html")],
                               hidden_translations=[])
    pages = SimpleNamespace(pages=[item("about.html")], hidden_pages=[item("./secret/../secret.html")],
                            draft_pages=[item("wip.html")], draft_translations=[item("")])
    static = SimpleNamespace(staticfiles=[item("google1234.html"), item("images/a.png")])
    assert unlisted([articles, pages, static]) == {"drafts/d.html", "drafts/d-fr.html", "h.html", "secret.html",
                                                  "wip.html", "google1234.html", "images/a.png"}


def test_listed_leaves_out_unlisted_error_and_noindex_pages():
    pages = ["index.html", "drafts/d.html", "404.html", "private.html", "articles/a.html"]
    assert listed(pages, {"drafts/d.html"}, lambda page: page == "private.html") == ["articles/a.html", "index.html"]


ISLETS = {"sitemap.xml": b"<urlset/>", "robots.txt": robots_txt(ORIGIN).encode()}
SHA = {name: hashlib.sha256(body).hexdigest() for name, body in ISLETS.items()}


@pytest.mark.parametrize("present, claimed, before, plugin, favicon, write, kept", [
    # A site of its own with nothing: islet writes all three.
    ({}, [], {}, False, True, ("sitemap.xml", "robots.txt", "favicon.ico"), set()),
    ({}, [], {}, False, False, ("sitemap.xml", "robots.txt"), set()),
    # Its own robots.txt (a static file): kept, islet's sitemap still written.
    ({"robots.txt": b"Disallow: /drafts/\n"}, ["./robots.txt"], {}, False, True, ("sitemap.xml", "favicon.ico"),
     {"robots.txt"}),
    # Its own sitemap (a template page) or a sitemap plugin: no sitemap, and no robots.txt to announce it.
    ({"sitemap.xml": b"<urlset/>"}, ["sitemap.xml"], {}, False, False, (), {"sitemap.xml"}),
    ({}, [], {}, True, False, (), {"sitemap.xml"}),
    # A plugin wrote it: not claimed by a source, but there, and not what islet wrote before.
    ({"sitemap.xml": b"<urlset>theirs</urlset>"}, [], SHA, False, False, (), {"sitemap.xml"}),
    ({"favicon.ico": b"their icon"}, ["favicon.ico"], {}, False, True, ("sitemap.xml", "robots.txt"), {"favicon.ico"}),
    # Built in place of the previous output: islet's own files of the last build are replaced.
    (ISLETS, [], SHA, False, False, ("sitemap.xml", "robots.txt"), set()),
    # ... recognised by their shape when islet kept no record of them (a cache cleared, an older islet).
    ({"sitemap.xml": sitemap_xml("https://old.org", ["a.html"], {"a.html": "2026-01-02"}).encode(),
      "robots.txt": robots_txt("https://old.org").encode()}, [], {}, False, False, ("sitemap.xml", "robots.txt"), set()),
    # ... unless a source writes that file now.
    (ISLETS, ["robots.txt"], SHA, False, False, ("sitemap.xml",), {"robots.txt"}),
])
def test_plan_writes_only_what_the_site_does_not_provide(present, claimed, before, plugin, favicon, write, kept):
    chosen = plan(present, claimed, before, plugin, favicon)
    assert chosen.write == write
    assert set(chosen.kept) == kept


def test_write_replaces_its_own_files_of_a_previous_build_and_keeps_the_sites(tmp_path):
    output, record, icon = tmp_path / "out", tmp_path / "cache" / "record.json", tmp_path / "favicon.ico"
    output.mkdir()
    icon.write_bytes(b"icon")
    (output / "index.html").write_text("<head></head>")
    (output / "hidden.html").write_text('<head><meta name="robots" content="noindex"></head>')
    sitemap.write(output, ORIGIN, {"./index.html": "2026-01-02"}, favicon=icon, record=record)
    assert locs((output / "sitemap.xml").read_text()) == [f"{ORIGIN}/"]
    assert "<lastmod>2026-01-02</lastmod>" in (output / "sitemap.xml").read_text()
    assert (output / "favicon.ico").read_bytes() == b"icon"
    # Built again in place (plain `pelican`), on another origin: islet's files follow; the site's new one stays.
    (output / "about.html").write_text("<head></head>")
    (output / "favicon.ico").write_bytes(b"the site's icon")
    chosen = sitemap.write(output, "https://y.org", {}, favicon=icon, record=record)
    assert chosen.write == ("sitemap.xml", "robots.txt")
    assert locs((output / "sitemap.xml").read_text()) == ["https://y.org/about.html", "https://y.org/"]
    assert (output / "robots.txt").read_text() == robots_txt("https://y.org")
    assert (output / "favicon.ico").read_bytes() == b"the site's icon"


def test_pages_listed_by_the_caller_give_the_sitemap_of_its_own_walk(tmp_path):
    from islet.islands.hydrate import html_pages

    output = tmp_path / "out"
    for name in ("index.html", "a/b/c.html", "a/index.html", "tag/x y.html", "404.html", "s.css"):
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_text("<head></head>")
    (output / "a/hidden.html").write_text('<head><meta name="robots" content="noindex"></head>')
    sitemap.write(output, ORIGIN, {"a/b/c.html": "2026-01-02"})
    walked = (output / "sitemap.xml").read_text()
    sitemap.write(output, ORIGIN, {"a/b/c.html": "2026-01-02"}, html=html_pages(output))
    assert (output / "sitemap.xml").read_text() == walked
    assert locs(walked) == [f"{ORIGIN}/a/b/c.html", f"{ORIGIN}/a/", f"{ORIGIN}/", f"{ORIGIN}/tag/x%20y.html"]


def test_without_a_known_origin_islet_writes_no_sitemap_and_removes_its_own_of_an_earlier_build(tmp_path):
    output, record = tmp_path / "output", tmp_path / "record.json"
    output.mkdir()
    (output / "index.html").write_text("<head></head>")
    sitemap.write(output, ORIGIN, {}, record=record)
    assert (output / "sitemap.xml").is_file() and (output / "robots.txt").is_file()
    chosen = sitemap.write(output, None, {}, record=record)    # built in place again, SITE_ORIGIN since removed
    assert chosen.write == () and "SITE_ORIGIN" in chosen.kept["sitemap.xml"]
    assert not (output / "sitemap.xml").exists() and not (output / "robots.txt").exists()
    (output / "robots.txt").write_bytes(ROBOTS)                 # the site's own is never touched
    sitemap.write(output, None, {}, record=record)
    assert (output / "robots.txt").read_bytes() == ROBOTS


# End to end: sites of their own, built with the real CLI.

ARTICLE = "Title: {title}\nDate: 2026-03-0{day} 09:00\n{extra}\nText of {title}.\n"
ROBOTS = b"User-agent: *\nDisallow: /drafts/\n\nSitemap: https://example.org/custom-sitemap.xml\n"
PRIVATE = ('{% extends "page.html" %}\n'
           '{% block head %}<meta name="robots" content="noindex, follow">{% endblock %}\n')


def site_with(tmp_path, settings: str, files: dict):
    site = make_site(tmp_path / "site", {
        "content/articles/first.md": ARTICLE.format(title="First", day=1, extra="Modified: 2026-04-05 10:00\n"),
        "content/articles/draft.md": ARTICLE.format(title="Unfinished", day=2, extra="Status: draft\n"),
        "content/pages/about.md": "Title: About\n\nAbout this site.\n",
        **files})
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text() + "\n" + settings)
    return site


def sitemap_locs(site) -> set[str]:
    return set(locs(site.path("build/sitemap.xml").read_text(encoding="utf-8")))


def test_a_site_gets_only_its_published_indexable_pages_and_keeps_its_own_robots_txt(tmp_path):
    site = site_with(tmp_path, (
        'DRAFT_SAVE_AS = DRAFT_URL = "drafts/{slug}.html"\n'       # drafts written, as many sites do
        'STATIC_PATHS = ["images", "extra"]\n'
        'EXTRA_PATH_METADATA = {"extra/robots.txt": {"path": "robots.txt"}}\n'), {
        "content/pages/thanks.md": "Title: Thanks\nStatus: hidden\n\nThanks for subscribing.\n",
        "content/pages/private.md": "Title: Private\nTemplate: private\n\nFor friends.\n",
        "theme/templates/private.html": PRIVATE,
    })
    site.path("content/extra").mkdir(parents=True)
    site.path("content/extra/robots.txt").write_bytes(ROBOTS)
    result = site.build()
    assert result.code == 0, result.stderr
    assert site.path("build/drafts/unfinished.html").is_file()         # written, and yet not listed
    assert site.path("build/thanks.html").is_file() and site.path("build/private.html").is_file()
    found = sitemap_locs(site)
    origin = "http://127.0.0.1:8000"
    assert {f"{origin}/", f"{origin}/articles/first.html", f"{origin}/about.html"} <= found
    assert not any("draft" in loc or "unfinished" in loc or "thanks" in loc or "private" in loc for loc in found)
    assert all(loc.endswith((".html", "/")) for loc in found)
    xml = site.path("build/sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{origin}/articles/first.html</loc><lastmod>2026-04-05</lastmod>" in xml
    assert site.path("build/robots.txt").read_bytes() == ROBOTS
    # A rebuild in the same place after an edit: the sitemap follows, the site's robots.txt stays.
    site.path("content/articles/second.md").write_text(ARTICLE.format(title="Second", day=3, extra=""))
    result = site.build()
    assert result.code == 0, result.stderr
    assert f"{origin}/articles/second.html" in sitemap_locs(site)
    assert not any("private" in loc or "unfinished" in loc for loc in sitemap_locs(site))
    assert site.path("build/robots.txt").read_bytes() == ROBOTS


def test_a_site_without_files_of_its_own_gets_islets(tmp_path):
    site = site_with(tmp_path, "", {})
    result = site.build()
    assert result.code == 0, result.stderr
    assert "http://127.0.0.1:8000/articles/first.html" in sitemap_locs(site)
    assert site.path("build/robots.txt").read_text() == robots_txt("http://127.0.0.1:8000")
    assert site.path("build/favicon.ico").read_bytes() == site.path("theme/static/favicon.ico").read_bytes()


def test_a_site_with_no_absolute_url_gets_no_sitemap_robots_or_rewritten_feed(tmp_path):
    site = site_with(tmp_path, 'SITEURL = ""\nSITE_ORIGIN = None\nFEED_DOMAIN = ""\n', {})
    result = site.build()
    assert result.code == 0, result.stderr
    assert not site.path("build/sitemap.xml").exists() and not site.path("build/robots.txt").exists()
    assert "127.0.0.1" not in site.path("build/feeds/all.atom.xml").read_text(encoding="utf-8")


def test_a_site_with_a_sitemap_plugin_gets_no_sitemap_from_islet(tmp_path):
    site = site_with(tmp_path, 'PLUGIN_PATHS = ["plugins"]\nPLUGINS = ["islet", "sitemap"]\n', {
        "plugins/sitemap.py": '"""Stands in for pelican-sitemap: writes nothing."""\n\n\ndef register():\n    pass\n',
    })
    result = site.build()
    assert result.code == 0, result.stderr
    assert site.path("build/articles/first.html").is_file()
    assert not site.path("build/sitemap.xml").exists()
    assert not site.path("build/robots.txt").exists()


def test_a_site_whose_template_page_writes_its_sitemap_keeps_it(tmp_path):
    own = '<?xml version="1.0"?>\n<urlset><!-- the site\'s own --></urlset>\n'
    site = site_with(tmp_path, 'TEMPLATE_PAGES = {"own-sitemap.xml": "sitemap.xml"}\n',
                     {"content/own-sitemap.xml": own})
    result = site.build()
    assert result.code == 0, result.stderr
    assert "the site's own" in site.path("build/sitemap.xml").read_text(encoding="utf-8")
    assert not site.path("build/robots.txt").exists()
