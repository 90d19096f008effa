"""islet.output.csp: the policy allows what a page loads, by the directive each element needs, and no more."""
from __future__ import annotations

import pytest

from islet.islands.hydrate import csp_hash
from islet.output import csp, headers

THEME_PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Lato">
<link rel="stylesheet" href="/theme/css/main.css"><link rel="icon" href="https://cdn.example.net/icon.png">
<style>header{background:url("https://cdn.example.net/bg.jpg")}</style>
<script>window.dataLayer = [];</script><script type="application/json">{"not": "run"}</script>
<script src="https://stats.example.com/s.js" async></script></head>
<body><img src="/theme/images/logo.svg" style="width: 100px"><img src="//secure.gravatar.com/avatar/1"
srcset="https://a.example.org/1.png 1x, https://b.example.org/2.png 2x">
<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>
<video poster="https://v.example.org/p.jpg"><source src="https://m.example.org/v.mp4"></video>
<form action="https://search.example.org/"><button onclick="go()">Go</button></form></body></html>"""


def test_every_element_maps_to_its_directive():
    needs = csp.combine(csp.page_needs(THEME_PAGE))
    assert needs["style-src"] == {"https://fonts.googleapis.com",
                                  csp_hash('header{background:url("https://cdn.example.net/bg.jpg")}')}
    assert needs["font-src"] == {"https://fonts.gstatic.com"}       # Google's font host, not every https: one
    assert needs["script-src"] == {"https://stats.example.com", csp_hash("window.dataLayer = [];")}
    assert needs["img-src"] == {"https://cdn.example.net", "secure.gravatar.com", "https://a.example.org",
                                "https://b.example.org", "https://v.example.org"}
    assert needs["media-src"] == {"https://m.example.org"}
    assert needs["frame-src"] == {"https://www.youtube-nocookie.com"}
    assert needs["form-action"] == {"https://search.example.org"}
    assert needs["style-src-attr"] == needs["script-src-attr"] == {"'unsafe-inline'"}


def test_a_page_of_the_site_alone_needs_nothing_but_its_hashes():
    page = '<html><head><link rel="stylesheet" href="css/a.css"><script src="/widgets/x.js"></script></head>' \
           '<body><img src="a.png"><a href="https://elsewhere.org/">a link loads nothing</a></body></html>'
    assert csp.page_needs(page) == []


@pytest.mark.parametrize("css, expected", [
    ("@import url('https://fonts.googleapis.com/css?family=X');", {("style-src", "https://fonts.googleapis.com")}),
    ('@font-face{src:url(https://f.example.org/x.woff2?v=1) format("woff2")}', {("font-src", "https://f.example.org")}),
    ("a{background:url(data:image/png;base64,AA==)} b{background:url(../img/x.png)}", {("img-src", "data:")}),
])
def test_stylesheets_are_read_for_imports_fonts_and_images(css, expected):
    assert csp.css_needs(css) == expected


def test_the_policy_of_a_site_that_loads_nothing_else_is_the_strict_one():
    strict = headers.content_security_policy(["'sha256-A='"], ["'sha256-B='"])
    assert strict == headers.content_security_policy(["'sha256-A='"], ["'sha256-B='"], {})
    assert "unsafe-inline" not in strict and "https:" not in strict and "font-src" not in strict


def test_the_policy_names_each_need_in_its_directive_and_keeps_elements_strict():
    policy = headers.content_security_policy([], [], csp.combine(csp.page_needs(THEME_PAGE)))
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["script-src"][:2] == ["'self'", "https://stats.example.com"]
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    assert directives["style-src-attr"] == ["'unsafe-inline'"] and directives["font-src"][0] == "'self'"
    assert directives["img-src"][:2] == ["'self'", "data:"] and "frame-ancestors" in directives
    assert directives["form-action"] == ["'self'", "https://search.example.org"]


def test_the_sites_own_absolute_urls_are_self_and_its_own_stylesheets_open_no_font_host():
    page = '<link rel="stylesheet" href="https://example.org/theme/main.css"><img src="https://example.org/a.png">'
    assert csp.combine(csp.page_needs(page), own=["https://example.org", ""]) == {}
    assert csp.combine(csp.page_needs(page))["font-src"] == {csp.ANY_FONT_HOST}     # another site's stylesheet


# The quick scan (quiet tags skipped) must find exactly what HTMLParser reading every tag finds.
from hypothesis import given, settings, strategies as st  # noqa: E402

_NAMES = ["span", "SPAN", "a", "p", "div", "pre", "code", "script", "SCRIPT", "Style", "style", "link", "img",
          "IMG", "source", "video", "Audio", "iframe", "form", "input", "track", "frame", "scripts", "styles",
          "image", "onion", "b1"]
_ATTRIBUTES = ['class="k"', 'class="a>b"', "class='c'", 'class=x', 'src="https://h.test/a.js"', "src=//u.test/x",
               'href="https://fonts.googleapis.com/css"', 'rel="stylesheet"', 'rel=icon', 'style="color:red"',
               'STYLE="x"', "styled", "style", 'onclick="f()"', "ONLOAD=g()", "one", 'title="<img src=//t.test>"',
               'srcset="https://s.test/1.png 1x, //s2.test/2.png 2x"', 'poster="https://p.test/p.jpg"',
               'type="module"', 'type="application/json"', 'action="https://f.test/"', "hidden", 'x="&amp;y"',
               'src="https://e&#46;test/x"', "as=font", 'href=https://l.test/f.woff2', "/"]
_TEXT = ["text", "a < b", "a<b", "&amp; &lt;", " ", "\n", "<", "<<", "</", "<!", "<?x", "&", "-->", "]]>",
         '"</span>"', "</script", "</style >", "@import url(https://i.test/a.css);",
         "background:url(https://bg.test/b.png)", "if (a <b) {}", "<img src=//in-text.test>"]


@st.composite
def _tags(draw):
    name = draw(st.sampled_from(_NAMES))
    kind = draw(st.sampled_from(["start", "end", "comment", "declaration", "text"]))
    if kind == "end":
        return f"</{name}{draw(st.sampled_from(['', ' ', '  x']))}>"
    if kind == "comment":
        return f"<!--{draw(st.sampled_from(_TEXT))}{draw(st.sampled_from(['-->', '--!>', '- ->', '']))}"
    if kind == "declaration":
        return draw(st.sampled_from(["<!doctype html>", "<!DOCTYPE html>", "<![CDATA[x<img src=//c.test>]]>",
                                     "<?php echo 1 ?>", "<!x>"]))
    if kind == "text":
        return draw(st.sampled_from(_TEXT))
    attributes = draw(st.lists(st.sampled_from(_ATTRIBUTES), max_size=4))
    space = draw(st.sampled_from([" ", "  ", "\n", "\t", " / "]))
    return f"<{name}{''.join(space + a for a in attributes)}{draw(st.sampled_from(['>', '/>', ' >', '']))}"


@settings(max_examples=400, deadline=None)
@given(st.lists(_tags(), max_size=30).map("".join))
def test_the_quick_scan_finds_what_reading_every_tag_finds(html):
    assert csp._quick_is_exact()            # (else every page is scanned the slow way: this Python's parser changed)
    assert csp._scan(html, quick=True) == csp._scan(html, quick=False)


def test_the_quick_scan_skips_quiet_tags_only():
    quiet = ['<span class="k">', "</span>", '<a href="/x" id="y">', "<p>", "</div>", "<div\nclass=\"a\">"]
    loud = ['<img src="x">', '<span style="x">', '<a onclick="f()">', "<script>", "</script>", "</VIDEO>",
            '<span title="<b>">', "<!-- c -->", "<!doctype html>", "<br/>", '<Style>']
    assert [bool(csp.NOT_QUIET.match(tag)) for tag in quiet + loud] == [False] * len(quiet) + [True] * len(loud)
