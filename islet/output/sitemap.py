"""Sitemap stage: islet's ``sitemap.xml``, ``robots.txt`` and ``favicon.ico``, only where the site has none.

The sitemap lists the HTML pages Pelican wrote from the site's templates and its published articles and
pages: never a draft or a hidden article or page (wherever its settings write it), never a static file,
an error page or a page that asks not to be indexed (``<meta name="robots" content="noindex">``). Each
has ``lastmod`` from its modified (or publication) date where there is one. Sorted, so two builds of the
same input give the same bytes.

Nothing the site provides is replaced: a file its sources, settings, theme or plugins write (a static
``robots.txt``, a template page ``sitemap.xml``, a sitemap plugin) is the site's, and islet writes only
the others. ``robots.txt`` exists to announce islet's sitemap: written only with it.
"""
from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote
from xml.sax.saxutils import escape

from islet.build.fingerprint import atomic_write
from islet.build.memo import PAGE_FACTS, fresh
from islet.islands.hydrate import html_pages

EXCLUDED = {"404.html"}
SITEMAP, ROBOTS, FAVICON = "sitemap.xml", "robots.txt", "favicon.ico"

# Where Pelican keeps the articles and pages it writes that are not for search engines, and the static
# files it copies as they are (a verification file, a hand-made HTML export): none is listed.
_NOT_LISTED = ("drafts", "drafts_translations", "hidden_articles", "hidden_translations",
               "draft_pages", "draft_translations", "hidden_pages", "staticfiles")

_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


PATH_CHARACTERS = "/!$&'()*+,;=:@~"           # those a URL's path holds as they are (RFC 3986), besides letters


def page_url(origin: str, relative: str) -> str:
    """Public URL of an output file: ``a/index.html`` is served as ``a/``. A character a URL cannot hold (a
    space, "é") is percent-encoded, as a sitemap's URLs must be."""
    if relative == "index.html":
        relative = ""
    elif relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return f"{origin}/{quote(relative, safe=PATH_CHARACTERS)}"


def sitemap_xml(origin: str, pages: list[str], lastmod: dict[str, str]) -> str:
    """The sitemap for output-relative `pages`; `lastmod` maps some of them to ISO dates."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(p for p in pages if p not in EXCLUDED):
        entry = f"<url><loc>{escape(page_url(origin, page))}</loc>"
        if page in lastmod:
            entry += f"<lastmod>{lastmod[page]}</lastmod>"
        lines.append(entry + "</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(origin: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n"


def noindex(html: str) -> bool:
    """Whether the page asks search engines not to index it: a robots meta tag with ``noindex`` or ``none``."""
    for tag in _META.findall(html):
        attributes = {name.lower(): value.strip("\"'") for name, value in _ATTRIBUTE.findall(tag)}
        if attributes.get("name", "").strip().lower() == "robots":
            words = {word.strip() for word in attributes.get("content", "").lower().split(",")}
            if words & {"noindex", "none"}:
                return True
    return False


PAGE_FACTS["noindex"] = noindex     # worked out as each page is rendered (islet.build.memo)


def uses_sitemap_plugin(plugins: Iterable) -> bool:
    """Whether Pelican's PLUGINS (names or modules) include a sitemap plugin: ``sitemap``,
    ``pelican.plugins.sitemap`` or any name ending in "sitemap"."""
    return any(str(getattr(plugin, "__name__", plugin)).lower().endswith("sitemap") for plugin in plugins)


def unlisted(generators: Iterable) -> set[str]:
    """The output paths (normalised) of the drafts, hidden articles and pages and static files of Pelican's
    generators: wherever DRAFT_SAVE_AS, a `Save_as:` or STATIC_PATHS put them, they are not in the sitemap."""
    found = set()
    for generator in generators:
        for name in _NOT_LISTED:
            for item in getattr(generator, name, ()):
                save_as = getattr(item, "save_as", "")
                if isinstance(save_as, str) and save_as:
                    found.add(posixpath.normpath(save_as))
    return found


def listed(pages: Iterable[str], unlisted: set[str], is_noindex: Callable[[str], bool]) -> list[str]:
    """The output-relative HTML `pages` the sitemap lists: not `unlisted`, not an error page, not a page
    that `is_noindex` (a function of the page's output-relative path)."""
    return sorted(page for page in pages
                  if page not in unlisted and page not in EXCLUDED and not is_noindex(page))


@dataclass(frozen=True)
class Plan:
    """Which of islet's files the build writes, and why it leaves the others to the site."""
    write: tuple[str, ...]
    kept: dict[str, str] = field(default_factory=dict)     # name -> why it is the site's


def plan(present: dict[str, bytes], claimed: Iterable[str], ours_before: dict[str, str],
         sitemap_plugin: bool, favicon: bool, origin: bool = True) -> Plan:
    """Which of sitemap.xml, robots.txt and favicon.ico islet writes.

    `present`: those already in the output, with their bytes (Pelican has written everything by now);
    `claimed`: the output paths the site's sources, settings and theme write (islet.content.outputs);
    `ours_before`: name -> sha256 of what islet wrote in the previous build (an output written in place
    still holds it: that is not the site's); `favicon`: the theme has one to copy; `origin`: the site names
    its absolute origin (a sitemap lists absolute URLs: without one there is none to write)."""
    claimed = {posixpath.normpath(path) for path in claimed}
    kept = {}
    for name in (SITEMAP, ROBOTS, FAVICON):
        if name in claimed:
            kept[name] = "the site writes it"
        elif name in present and not _ours(name, present[name], ours_before):
            kept[name] = "the site's plugins or templates wrote it"
    if SITEMAP not in kept and sitemap_plugin:
        kept[SITEMAP] = "the site uses a sitemap plugin"
    if SITEMAP not in kept and not origin:
        kept[SITEMAP] = "the site names no absolute URL (SITEURL or SITE_ORIGIN)"
    write = [name for name in (SITEMAP, ROBOTS) if name not in kept]
    if SITEMAP in kept and ROBOTS in write:
        write.remove(ROBOTS)        # islet's robots.txt only announces islet's sitemap
    if favicon and FAVICON not in kept:
        write.append(FAVICON)
    return Plan(tuple(write), kept)


# What islet writes, to recognise it in an output built in place by an islet that kept no record of it.
_ISLET_SHAPED = {
    SITEMAP: re.compile(rb'<\?xml version="1.0" encoding="UTF-8"\?>\n'
                        rb'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                        rb'(<url><loc>[^<>]*</loc>(<lastmod>[0-9-]+</lastmod>)?</url>\n)*</urlset>\n'),
    ROBOTS: re.compile(rb"User-agent: \*\nAllow: /\n\nSitemap: \S+/sitemap\.xml\n"),
}


def _ours(name: str, body: bytes, ours_before: dict[str, str]) -> bool:
    """Whether `body`, found in the output, is what islet wrote there in a previous build."""
    if hashlib.sha256(body).hexdigest() == ours_before.get(name):
        return True
    shape = _ISLET_SHAPED.get(name)
    return shape is not None and shape.fullmatch(body) is not None


def write(output: Path, origin: str | None, lastmod: dict[str, str], *, generators: Iterable = (),
          claimed: Iterable[str] = (), plugins: Iterable = (), favicon: Path | None = None,
          record: Path | None = None, memoised=fresh, html: list[Path] | None = None) -> Plan:
    """Write islet's files the site does not provide into `output` (after Pelican wrote everything).
    `record`: where islet remembers what it wrote, so that a build in place of the previous output (plain
    ``pelican``) replaces islet's files and keeps the site's. `memoised`: islet.build.incremental's.
    `origin` None: not known, no sitemap (and islet's files of an earlier build in place are removed).
    `html`: every page of `output` (Paths below it), when the caller listed them already."""
    names = (SITEMAP, ROBOTS, FAVICON)
    present = {name: (output / name).read_bytes() for name in names if (output / name).is_file()}
    ours_before = _read_record(record)
    chosen = plan(present, claimed, ours_before, uses_sitemap_plugin(plugins),
                  favicon is not None and favicon.is_file(), origin is not None)
    for name in present:
        if name not in chosen.write and _ours(name, present[name], ours_before):
            (output / name).unlink()                  # islet's own, from a build in place that still wrote it
    texts: dict[str, bytes] = {}
    if SITEMAP in chosen.write:
        has_noindex = memoised("noindex", noindex)
        cut = len(str(output)) + 1
        pages = {str(path)[cut:].replace(os.sep, "/"): path                      # output-relative -> the page
                 for path in (html_pages(output) if html is None else html)}
        shown = listed(pages, unlisted(generators), lambda page: has_noindex.of_file(pages[page]))
        dates = {posixpath.normpath(path): date for path, date in lastmod.items() if path}
        texts[SITEMAP] = sitemap_xml(origin, shown, dates).encode("utf-8")
    if ROBOTS in chosen.write:
        texts[ROBOTS] = robots_txt(origin).encode("utf-8")
    if FAVICON in chosen.write:
        texts[FAVICON] = favicon.read_bytes()
    for name, body in texts.items():
        (output / name).unlink(missing_ok=True)       # islet's file of the previous build may be hard-linked
        (output / name).write_bytes(body)
    if record is not None:
        atomic_write(record, json.dumps({name: hashlib.sha256(body).hexdigest()
                                         for name, body in sorted(texts.items())}).encode())
    return chosen


def record_path(cache: Path, output: Path) -> Path:
    """Where islet remembers what it wrote into `output` (the final output folder, not a build's staging one)."""
    name = hashlib.blake2b(str(output.resolve()).encode(), digest_size=10).hexdigest()
    return cache / "site-files" / f"{name}.json"


def _read_record(record: Path | None) -> dict[str, str]:
    try:
        found = json.loads(record.read_text(encoding="utf-8")) if record is not None else {}
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
