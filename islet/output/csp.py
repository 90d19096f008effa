"""What the pages load, for a Content-Security-Policy derived from them (ISLET_HEADERS).

A fixed strict policy blocks what real themes use: a web font from another host, an avatar or a badge
from another host, a ``style`` attribute on a logo, a video embed. Instead every page (and every CSS file of
the output) is read for what it loads, and the policy allows exactly that:

- other hosts, by the directive the element needs: ``<script src>`` → script-src, ``<link rel=stylesheet>``
  and CSS ``@import`` → style-src, ``<img>``/``<picture>``/``poster``/``rel=icon`` and CSS ``url()`` →
  img-src (font-src for font files), ``<iframe>`` → frame-src, ``<audio>``/``<video>`` → media-src,
  ``<form action>`` → form-action. A stylesheet from another host may load fonts from anywhere: then
  font-src allows ``https:`` (fonts.googleapis.com's own font host is named instead);
- each inline ``<script>`` that runs and each ``<style>`` element, by the hash of its text;
- ``style`` attributes and ``on…`` handler attributes (templates are trusted; Markdown's lose their
  handlers), by ``style-src-attr`` / ``script-src-attr 'unsafe-inline'``, which leaves elements strict.

What a script fetches at run time from another host cannot be seen in the HTML: such a site writes no
_headers (the default) or serves its own policy. Pure functions; islet.output.headers writes the policy.
"""
from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from islet.build.memo import fresh
from islet.islands.hydrate import csp_hash, html_pages

ANY_FONT_HOST = "https:"
# A stylesheet host whose fonts come from one known host: allow that host rather than every https: one.
FONT_HOSTS = {"https://fonts.googleapis.com": "https://fonts.gstatic.com"}
FONT_FILE = re.compile(r"\.(?:woff2?|ttf|otf|eot)(?:[?#]|$)", re.I)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)[^;]*;?""", re.I)
# <script type> values a browser runs (an empty type is JavaScript); JSON data blocks are not subject to CSP.
RUNS = {"", "module", "importmap", "text/javascript", "application/javascript"}
UNSAFE_INLINE = "'unsafe-inline'"
MEMO = "csp-needs"          # the memo of each page's needs (`page_needs`): also a PAGE_FACTS entry (islet.plugin)

# Most of a page is tags the scan has nothing to learn from: a code block is hundreds of <span class="…">.
# NOT_QUIET finds the next "<" that is not such a tag, so that HTMLParser, which looks for its next "<"
# with it, takes the quiet tags in between as text. A quiet tag is exactly what HTMLParser would read as a
# tag with no effect on the scan: a start tag of a name the scan ignores (CDATA ones excluded), with only
# double-quoted values without "<" and no style or on… attribute, or a plain end tag of such a name.
_BLANK = " \\t\\n\\r\\f"                    # (HTML's white space, as a character class holds it)
# The names the scan reads (script, style, source, link, audio, video, img, input, iframe, track, frame, form),
# by first letter: quicker than trying each.
_SEEN = ("(?:[sS](?i:cript|tyle|ource)|[lL](?i:ink)|[aA](?i:udio)|[vV](?i:ideo)|[iI](?i:mg|nput|frame)|[tT](?i:rack)"
         f"|[fF](?i:rame|orm))[{_BLANK}>]")
# (A highlighted code block's <span class="…"> and </span> first: the most common quiet tags, matched at once.)
_QUIET = ('span class="[^"<]*">|/span>|'
          f"(?!{_SEEN})[a-zA-Z][a-zA-Z0-9]*"
          f"(?:[{_BLANK}]+(?!(?i:on|style[{_BLANK}=>]))[a-zA-Z][-a-zA-Z0-9_:.]*(?:=\"[^\"<]*\")?)*[{_BLANK}]*>"
          "|/(?!(?i:audio|video|script|style)>)[a-zA-Z][a-zA-Z0-9]*>")
NOT_QUIET = re.compile(f"<(?!{_QUIET})")    # (case-insensitive only where it must be: twice as quick)


def source_of(url: str) -> str | None:
    """The CSP source naming the host of `url`, or None for this site's own (relative) URLs."""
    url = url.strip()
    if url.startswith("//"):
        host = urlsplit("https:" + url).netloc
        return host or None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme == "data":
        return "data:"
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def css_needs(css: str) -> set[tuple[str, str]]:
    """(directive, source) pairs a stylesheet's text needs."""
    found = set()
    for match in CSS_IMPORT.finditer(css):
        if (source := source_of(match[1])) is not None:
            found.add(("style-src", source))
    for match in CSS_URL.finditer(CSS_IMPORT.sub("", css)):
        if (source := source_of(match[2])) is not None:
            found.add(("font-src" if FONT_FILE.search(match[2]) else "img-src", source))
    return found


class _PageScanner(HTMLParser):
    """(directive, source) pairs of one page, in `found`. With `quick`, quiet tags are skipped (NOT_QUIET):
    HTMLParser looks for its next "<" with the pattern in `interesting` while not in a <script> or <style>,
    as long as it does not convert character references (text outside those two is not looked at)."""

    def __init__(self, quick: bool = True):
        self.quick = quick
        super().__init__(convert_charrefs=not quick)
        self.found: set[tuple[str, str]] = set()
        self.media = 0                     # inside <audio>/<video>: <source> is media, not an image
        self.inline: tuple[str, list[str]] | None = None    # ("script-src" or "style-src", text so far)

    def need(self, directive: str, url: str | None) -> None:
        if url and (source := source_of(url)) is not None:
            self.found.add((directive, source))

    def handle_starttag(self, tag, attrs):
        named = {name: value or "" for name, value in attrs}
        if "style" in named:
            self.found.add(("style-src-attr", UNSAFE_INLINE))
        if any(name.startswith("on") for name in named):
            self.found.add(("script-src-attr", UNSAFE_INLINE))
        if tag == "script":
            if "src" in named:
                self.need("script-src", named["src"])
            elif named.get("type", "").strip().lower() in RUNS:
                self.inline = ("script-src", [])
        elif tag == "style":
            self.inline = ("style-src", [])
        elif tag == "link":
            self._link(named)
        elif tag in ("audio", "video"):
            self.media += 1
            self.need("media-src", named.get("src"))
            self.need("img-src", named.get("poster"))
        elif tag in ("img", "source", "input", "track"):
            directive = "media-src" if self.media and tag in ("source", "track") else "img-src"
            self.need(directive, named.get("src"))
            for candidate in named.get("srcset", "").split(","):
                self.need(directive, candidate.strip().split(" ")[0])
        elif tag in ("iframe", "frame"):
            self.need("frame-src", named.get("src"))
        elif tag == "form":
            self.need("form-action", named.get("action"))

    def _link(self, named: dict[str, str]) -> None:
        rel, href = set(named.get("rel", "").lower().split()), named.get("href")
        kind = named.get("as", "").lower()
        if "stylesheet" in rel or kind == "style":
            self.need("style-src", href)          # (and the fonts it may load: see combine)
        elif kind == "font":
            self.need("font-src", href)
        elif "icon" in rel or "apple-touch-icon" in rel or kind == "image":
            self.need("img-src", href)
        elif "modulepreload" in rel or kind == "script":
            self.need("script-src", href)

    def handle_endtag(self, tag):
        if tag in ("audio", "video"):
            self.media = max(0, self.media - 1)
        if tag in ("script", "style") and self.inline is not None:
            directive, parts = self.inline
            self.found |= _inline_needs(directive, "".join(parts))
            self.inline = None

    def handle_data(self, data):
        if self.inline is not None:
            self.inline[1].append(data)

    def reset(self):
        super().reset()
        self._skip_quiet()

    def clear_cdata_mode(self):
        super().clear_cdata_mode()
        self._skip_quiet()

    def _skip_quiet(self):
        if self.quick:
            self.interesting = NOT_QUIET


def _scan(html: str, quick: bool) -> list[tuple[str, str]]:
    scanner = _PageScanner(quick)
    scanner.feed(html)
    scanner.close()
    return sorted(scanner.found)


# Tricky pieces for the quick scan: if this Python's HTMLParser no longer reads them the same way with it
# (it is driven through an attribute, `interesting`), every page is scanned the slow way.
_PROBE = ('<!doctype html><p class="a>b" title=\'<img src=//x.test>\'>a < b &amp; <span STYLE="x">'
          '<Script>if (a <b) "</span><img src=//y.test>";</SCRIPT ><!-- <script src=//z.test> -->'
          '<div onclick="f()"><a href="/x" hidden>t</a></div><style>@import "//f.test/a.css";</style>'
          '<video poster=//v.test/p><source src=//v.test/v></video><br/><img/src=//w.test>')


@functools.cache
def _quick_is_exact() -> bool:
    return _scan(_PROBE, quick=True) == _scan(_PROBE, quick=False)


@functools.lru_cache(maxsize=256)
def _inline_needs(directive: str, text: str) -> frozenset[tuple[str, str]]:
    """What an inline script or style needs (cached: a theme's inline style is the same on every page)."""
    found = {(directive, csp_hash(text))} if text.strip() else set()
    return frozenset(found | css_needs(text) if directive == "style-src" else found)


def page_needs(html: str) -> list[tuple[str, str]]:
    """(directive, source) pairs one page needs, sorted (a value the build keeps between builds)."""
    return _scan(html, quick=_quick_is_exact())


def combine(pairs: Iterable[tuple[str, str]], own: Iterable[str] = ()) -> dict[str, set[str]]:
    """{directive: sources} from (directive, source) pairs. `own`: the site's own absolute URLs (SITEURL,
    SITE_ORIGIN), which are 'self' and named no more. A stylesheet from another host may load fonts from
    anywhere: font-src then allows its known font host (FONT_HOSTS), else any https: one."""
    ours = {source_of(url) for url in own if url}
    needs: dict[str, set[str]] = {}
    for directive, source in pairs:
        if source not in ours:
            needs.setdefault(directive, set()).add(source)
    for host in [s for s in needs.get("style-src", ()) if not s.startswith("'") and s != "data:"]:
        needs.setdefault("font-src", set()).add(FONT_HOSTS.get(host, ANY_FONT_HOST))
    return needs


def merged(needs: Mapping[str, Iterable[str]], directive: str, *base: str) -> str:
    """One directive's sources: `base` first, then the others sorted (hosts before hashes)."""
    extra = sorted(set(needs.get(directive, ())) - set(base), key=lambda s: (s.startswith("'"), s))
    return " ".join([directive, *base, *extra])


def site_needs(output: Path, own: Iterable[str] = (), memoised=fresh,
               html: list[Path] | None = None) -> dict[str, set[str]]:
    """{directive: sources} every page and stylesheet of `output` needs. `own`: the site's own absolute URLs
    (SITEURL, SITE_ORIGIN), which are 'self'. `memoised` (islet.build.incremental's) spares reading the pages
    linked unchanged from the previous build. `html`: the pages, when the caller listed them already."""
    of_page = memoised(MEMO, page_needs)
    pairs: set[tuple[str, str]] = set()
    for page in html_pages(output) if html is None else html:
        pairs.update((directive, source) for directive, source in of_page.of_file(page))
    for folder, _, names in os.walk(output):          # (rglob matches every name of the site's 8,000 files: slower)
        for name in names:
            if name.endswith(".css"):
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as stylesheet:
                    pairs |= css_needs(stylesheet.read())
    return combine(pairs, own)
