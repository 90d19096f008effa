"""islet.content.summary_links: a `Summary:` that links files or articles works on every page that shows it, and
the files it links are copied (an attached one beside its article).

Pelican replaces a summary's links once, for the site's root: with RELATIVE_URLS (this project's settings) every
category, tag and author page showing it linked one folder too high, and `--strict` failed on links the author
wrote right (plain Pelican writes the same broken links: tests/test_compat.py keeps islet equal elsewhere)."""
from __future__ import annotations

import re

from support.site import make_site

ARTICLE = """Title: Trip
Date: 2026-01-01
Category: Travel
Tags: sea
Summary: See [the photo]({attach}trip/photo.txt), [the map]({static}../files/map.txt) and [home]({filename}home.md).

A body that links no file: Pelican copies the files a body links, and those under STATIC_PATHS, not those a summary
links.
"""
HOME = "Title: Home\nDate: 2026-01-02\nCategory: Travel\n\nThe newer one.\n"


def _links(page: str) -> list[str]:
    """The summary's three links (the body's link to the photo is on the article's page only)."""
    return re.findall(r'href="([^"]*)">(?:the photo|the map|home)</a>', page)


def test_summary_links_point_at_their_files_from_every_page_and_feeds_are_pelicans(tmp_path):
    site = make_site(tmp_path / "site", {"content/articles/trip.md": ARTICLE, "content/articles/home.md": HOME,
                                         "content/articles/trip/photo.txt": "photo\n",
                                         "content/files/map.txt": "map\n"})
    built = site.build("--strict")                    # the link check follows every link of every page
    assert built.code == 0, built.stdout + built.stderr
    in_a_folder = ["../articles/trip/photo.txt", "../files/map.txt", "../articles/home.html"]
    assert _links(site.path("build/category/travel.html").read_text()) == in_a_folder
    assert _links(site.path("build/tag/sea.html").read_text()) == in_a_folder
    # At the root, and in the feed (written for the root), Pelican's own text.
    assert _links(site.path("build/index.html").read_text()) == [
        "articles/trip/photo.txt", "files/map.txt", "articles/home.html"]
    # The files only the summary links: copied, the attached one beside its article.
    assert site.path("build/files/map.txt").is_file() and site.path("build/articles/trip/photo.txt").is_file()
    assert not site.path("build/trip").exists()
    feed = next(site.path("build/feeds").glob("*.xml")).read_text()
    assert "articles/trip/photo.txt" in feed and "../articles" not in feed
