"""Sitemap stage: ``sitemap.xml`` and ``robots.txt`` for the finished output folder.

Lists every HTML page except error pages, with ``lastmod`` from the article's
modified (or publication) date where there is one. Sorted, so two builds of the
same input give the same bytes.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

EXCLUDED = {"404.html"}


def page_url(origin: str, relative: str) -> str:
    """Public URL of an output file: ``a/index.html`` is served as ``a/``."""
    if relative == "index.html":
        relative = ""
    elif relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return f"{origin}/{relative}"


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


def write(output: Path, origin: str, lastmod: dict[str, str]) -> None:
    pages = [p.relative_to(output).as_posix() for p in output.rglob("*.html")]
    (output / "sitemap.xml").write_text(sitemap_xml(origin, pages, lastmod), encoding="utf-8")
    (output / "robots.txt").write_text(robots_txt(origin), encoding="utf-8")
