"""islet.output.verify: internal links and images in the generated pages must resolve."""
from html.parser import HTMLParser

import pytest

from islet.output.verify import _REFERENCES, Source, check_output, is_internal, references, resolve


def site(tmp_path, files):
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return tmp_path


def test_references_include_links_images_and_srcset():
    html = '<a href="a.html">a</a><img src="i.png" srcset="i-1.png 1x, i-2.png 2x"><link href="s.css">'
    assert references(html) == [("link", "a.html"), ("image", "i.png"), ("image", "i-1.png"),
                                 ("image", "i-2.png"), ("link", "s.css")]



class _HtmlParserReferences(HTMLParser):
    """The reference implementation the fast scanner must agree with."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            kind = _REFERENCES.get((tag, name))
            if kind and value is not None:
                self.found.append((kind, value))
            elif name == "srcset" and value:
                self.found.extend(("image", c.split()[0]) for c in value.split(",") if c.strip())


TRICKY = """<!DOCTYPE html><html><head><title>a</title>
<link rel=stylesheet href=plain.css><script type="application/json">{"x": "<a href='in-script.html'>"}</script>
<style>a > b { background: url(x.png) }</style></head><body>
<!-- <a href="commented.html"> --><A HREF='upper.html' class="a b">x</A><abbr title="a">b</abbr>
<a data-href="not-me.html" href="a&amp;b.html">&lt;a href="escaped.html"&gt;</a><img alt='a > b' src="after-gt.png">
<picture><source srcset="p-1.avif 360w, p-2.avif 720w" type="image/avif"><img src="p.jpg"></picture>
<video poster="poster.jpg" src="v.mp4"></video><a-b href="custom.html"></a-b>
<SCRIPT>if (a </scripts> b) { x("<a href='in-script2.html'>") }</Script ><a href="after-script.html">
<!-- a - b <img src="in-comment.png"> ---><img src="after-comment.png">
</body></html>"""


def test_scanner_agrees_with_html_parser_on_tricky_markup():
    found = references(TRICKY)
    assert found == _HtmlParserReferences(TRICKY).found
    assert ("link", "upper.html") in found and ("link", "a&b.html") in found and ("image", "after-gt.png") in found
    assert found[-2:] == [("link", "after-script.html"), ("image", "after-comment.png")]
    assert not any("in-" in url or "commented" in url or "escaped" in url for _, url in found)


def test_title_and_textarea_hold_text_not_markup():
    # As in browsers (html.parser, unlike them, reads tags inside these two).
    html = '<title>a <a href="x.html"></title><textarea><img src="y.png"></textarea><a href="z.html">'
    assert references(html) == [("link", "z.html")]


def test_scanner_agrees_with_html_parser_on_every_demo_page(built_demo):
    pages = sorted(built_demo.path("build").rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert references(html) == _HtmlParserReferences(html).found, page

@pytest.mark.parametrize("url, internal", [
    ("https://example.org/", False), ("//cdn.example/x.js", False), ("mailto:a@b", False),
    ("#top", False), ("../x.html", True), ("/x.html", True), ("x.html#frag", True),
])
def test_only_internal_urls_are_checked(url, internal):
    assert is_internal(url) is internal


def test_resolve_handles_relative_absolute_and_folder_urls(tmp_path):
    site(tmp_path, {"index.html": "", "articles/a.html": "", "tag/index.html": "", "images/x%20y.png": ""})
    assert resolve("articles/b.html", "a.html", tmp_path)
    assert resolve("articles/b.html", "../index.html", tmp_path)
    assert resolve("articles/b.html", "/tag/", tmp_path)
    assert resolve("articles/b.html", "../tag", tmp_path)
    assert resolve("index.html", "./", tmp_path)
    assert resolve("index.html", "articles/a.html?x=1#y", tmp_path)
    assert not resolve("index.html", "articles/missing.html", tmp_path)
    assert not resolve("articles/a.html", "index.html", tmp_path)   # relative to articles/


def test_broken_references_point_at_the_markdown_line(tmp_path):
    site(tmp_path, {"index.html": '<a href="articles/a.html">ok</a><a href="nope.html">x</a>',
                    "articles/a.html": '<a href="{filename}/articles/gone.md">g</a><img src="../images/p.png">'})
    source = Source("content/articles/a.md", "Title: A\n\nSee [g]({filename}/articles/gone.md).\n\n![p]({static}/images/p.png)\n")
    found = check_output(tmp_path, {"articles/a.html": source})
    assert [(p.path, p.line, p.what.split(" '")[0]) for p in found] == [
        ("content/articles/a.md", 3, "broken link"),
        ("content/articles/a.md", 5, "broken image"),
        ("index.html", 0, "broken link"),
    ]
    assert "theme" in found[2].what


@pytest.mark.parametrize("page", ["index.html", "articles/a.html", "a/b/c.html"])
@pytest.mark.parametrize("url", ["x.html", "./x.html", "../x.html", "../../../x.html", "tag/", "tag", ".", "./",
                                 "..", "../", "a/./b/../c.html", "/abs/x.html", "x.html?q=1", "x.html#top",
                                 "sp%20ace.html", "a//b.html", "x.html;p"])
def test_fast_target_matches_urljoin(page, url):
    from urllib.parse import unquote, urljoin, urlsplit

    from islet.output.verify import _target
    assert _target(page, url) == unquote(urlsplit(urljoin("/" + page, url)).path).lstrip("/")
