"""islet.output.sitemap: a deterministic sitemap.xml and robots.txt."""
from xml.etree import ElementTree

from islet.output.sitemap import page_url, robots_txt, sitemap_xml

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_page_urls_drop_index_html():
    assert page_url("https://x.org", "index.html") == "https://x.org/"
    assert page_url("https://x.org", "tag/page/2/index.html") == "https://x.org/tag/page/2/"
    assert page_url("https://x.org", "articles/a.html") == "https://x.org/articles/a.html"


def test_sitemap_is_sorted_valid_xml_without_error_pages():
    xml = sitemap_xml("https://x.org", ["b.html", "404.html", "a&b.html", "index.html"], {"b.html": "2026-01-02"})
    root = ElementTree.fromstring(xml)
    locs = [u.find("s:loc", NS).text for u in root.findall("s:url", NS)]
    assert locs == ["https://x.org/a&b.html", "https://x.org/b.html", "https://x.org/"]
    assert root.find("s:url[2]/s:lastmod", NS).text == "2026-01-02"
    assert xml == sitemap_xml("https://x.org", ["index.html", "a&b.html", "404.html", "b.html"], {"b.html": "2026-01-02"})


def test_robots_points_at_the_sitemap():
    assert "Sitemap: https://x.org/sitemap.xml" in robots_txt("https://x.org")
