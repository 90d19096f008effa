"""islet.content.linear against Pelican's own functions: the same summaries and the same warnings of images
without alt text, on HTML generated from the pieces their expressions look for (in every case, with Unicode's
case folding), and no hang on HTML that takes Pelican's minutes."""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
import logging
import re

from pelican import contents, readers, utils

from islet.content import linear as summaries
from islet.errors import time_limit

summaries.install()
PELICANS_STRIP = summaries.strip_toc.pelicans
PELICANS_OFFSET = summaries.getoffset.pelicans

PIECES = ["<a", "<A", "<a ", "<abbr ", " ", "\n", "x", "word ", 'class="', 'CLASS="', "cla\u017f\u017f=\"",
          "toc-backref", "TOC-BACKREF", "toc-bac\u212aref", '"', ">", "</a>", "</A>", "<div", "<div ", "<DIV\n", "<div\t\t",
          'class="contents', "contents", 'class="contents topic"', "</div>", "</DIV>", 'href="#id1"', "<p>", "</p>",
          '<a class="toc-backref" href="#id1">', '<div class="contents topic" id="contents">', "<!-- ", " -->",
          "<br/>", "&amp;", "<", "é ", "<pre>", "</pre>"]
html = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def test_each_replaces_pelicans_own():
    assert contents.strip_toc_elements_from_html is summaries.strip_toc
    assert utils._HTMLWordTruncator.getoffset is summaries.getoffset
    assert readers.find_empty_alt is summaries.find_empty_alt


@settings(max_examples=2000, deadline=None)
@given(html)
@example('<div class="contents">toc</div><h2><a class="toc-backref" href="#a">Title</a></h2>')
@example('<a <a class="toc-backref">x</a><a class="toc-backref" class="y">z</a>')
@example('<a class="x" class="toc-backref" class="y">t</a>')
@example('<a class="toc-backref>" x>t</a>')
@example('<a class="toc-backref">t')
@example('<a class="toc-backref" class="toc-backref>" y>t</a>')      # the last class=" that serves, not the first
def test_strip_toc_is_pelicans(text):
    assert summaries.strip_toc(text) == PELICANS_STRIP(text)


@settings(max_examples=500, deadline=None)
@given(html, st.integers(1, 12))
def test_truncated_words_are_pelicans(text, words):
    ours = utils.truncate_html_words(text, words)
    utils._HTMLWordTruncator.getoffset = PELICANS_OFFSET
    try:
        theirs = utils.truncate_html_words(text, words)
    finally:
        utils._HTMLWordTruncator.getoffset = summaries.getoffset
    assert ours == theirs


@pytest.mark.parametrize("text", [
    "<div>\n" + "<a " * 100_000 + "toc-backref\n</div>",             # Pelican: minutes, in the expression
    '<a class="toc-backref" ' * 50_000,
    '<div class="contents">' * 50_000 + "toc-backref",
    "<p>" + "<br>\n" * 100_000 + "</p>",                                # Pelican: minutes, counting lines
    '<div class="highlight"><pre><code>\n</code></pre></div>\n' * 30_000,     # (10,000 lines of ```)
])
def test_html_that_stalls_pelican_is_summarised_at_once(text):
    with time_limit(20):                  # linear: well under a second here; Pelican's take minutes
        summary = summaries.strip_toc(utils.truncate_html_words(text, 50))
    assert len(summary) <= len(text) + len(" …")


# --- images with an empty alt ---------------------------------------------------------------------------------

IMAGES = re.compile(summaries._IMAGES, re.X)
IMAGE_PIECES = ["<img", "<IMG", "<img ", " ", "\n", "src=", 'src="', "src='", "x.png", "a b/c.jpg", '"', "'", 'alt=""',
                "alt=''", 'alt="', "alt=", 'alt="x"', ">", "/>", "<p>", '<img src="a.png" alt="">',
                "<img alt='' src='b.png'>", 'data-alt=""', "<", "é"]
image_html = st.lists(st.sampled_from(IMAGE_PIECES), max_size=50).map("".join)


@settings(max_examples=3000, deadline=None)
@given(image_html)
@example('<img src="a.png" alt=""><img alt="" src="b.png"><img src="c.png" alt="x">')
@example('<img src="a" src="b" alt="">')                       # the last src= that serves
@example('<img src="a" alt="" src="b>" alt="">')               # a value across ">" (not across a line)
@example('<img alt="" src="a" src="b\n" >')
@example('<img <img alt="" src="a">')
@example('<img>src="a" alt=""><img>alt="" src="b">')              # nothing: the tag ended before
def test_images_without_alt_are_pelicans(text):
    assert summaries.empty_alt_sources(text) == [m[1] + m[5] for m in IMAGES.findall(text)]


def test_the_warnings_are_pelicans(caplog):
    html = '<p><img src="/images/a.png" alt=""> and <img alt=\'\' src=\'b.jpg\'></p>'

    def warnings(find_empty_alt, path: str) -> list:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="pelican.readers"):
            find_empty_alt(html, path)       # (a path of its own: Pelican's log drops a message it gave already)
        return [(r.getMessage().replace(path, "PATH"), r.limit_msg) for r in caplog.records]

    expected = [(f"Empty alt attribute for image {name} in PATH", "Other images have empty alt attributes")
                for name in ("a.png", "b.jpg")]
    assert warnings(summaries.find_empty_alt, "content/ours.md") == expected
    assert warnings(summaries.find_empty_alt.pelicans, "content/theirs.md") == expected


@pytest.mark.parametrize("text", [
    "<div>\n" + "<img src=" * 100_000 + 'alt=""\n</div>',          # Pelican: minutes
    '<img alt="" src=' * 50_000,
    "<img alt=''" * 50_000,
])
def test_images_that_stall_pelican_are_checked_at_once(text):
    with time_limit(20):                  # linear: well under a second here
        summaries.empty_alt_sources(text)
