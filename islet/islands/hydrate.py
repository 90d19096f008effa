"""Hydrate stage: give each page with islands the scripts it needs, and nothing more.

Runs over the finished output. A page without ``data-islet`` islands is left alone,
so it ships no JavaScript at all. A page with islands gets, in its head:

  - one import map whose ``integrity`` table covers every script of the site and which names
    the loader ``islet-loader`` (identical on every page, so one CSP hash allows it site-wide), and
  - BOOTSTRAP, an inline script that imports the loader once the first contentful paint is on
    screen (or after 2 s, should Paint Timing be missing).

Why not a ``<script type="module" src=…>`` for the loader: the browser fetches and runs it
while the page is still being parsed and painted, on a slow phone competing with the first
paint, and Lighthouse counts every request that ends before that paint in the simulated LCP
(on the demo's widget pages the loader alone added ~200 ms to it).

The loader then imports each island's module when its trigger fires; the browser
checks every imported file against the import map's integrity table.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from islet.build.memo import PAGE_FACTS, fresh, rewrite
from islet.errors import Problem
from islet.settings import JsBudget

from .theme_script import insert_prepaint

# An island's opening tag as islet.content.embed writes it (text that merely mentions data-islet does not match).
ISLAND = re.compile(r'<div class="islet islet-[A-Za-z0-9_]+" data-islet="([A-Za-z0-9_]+)"')


# The import map's name for the loader: BOOTSTRAP's text stays the same whatever the loader's hash.
LOADER = "islet-loader"

# Hand-minified; one block (no globals). Importing a module twice runs it once, so whichever of the
# paint and the timeout comes first starts the loader and the other does nothing. Its exact text is
# allowed by the CSP through its hash (islet.output.csp finds it in the pages), so it is a constant.
BOOTSTRAP = ('{let g=()=>import("' + LOADER + '");setTimeout(g,2e3);new PerformanceObserver('
             'l=>l.getEntriesByName("first-contentful-paint")[0]&&g()).observe({type:"paint",buffered:!0})}')
BOOTSTRAP_GZIP = len(gzip.compress(BOOTSTRAP.encode(), compresslevel=9, mtime=0))


@dataclass(frozen=True)
class Asset:
    path: str        # output-relative, e.g. "widgets/table-3F9A1C.js"
    integrity: str   # "sha384-…"
    gzip: int        # bytes after gzip -9


@dataclass(frozen=True)
class Manifest:
    loader: Asset
    widgets: dict[str, tuple[Asset, ...]]   # widget -> its entry then every chunk it imports

    @property
    def assets(self) -> list[Asset]:
        unique = {a.path: a for assets in self.widgets.values() for a in assets}
        return [self.loader] + [unique[p] for p in sorted(unique)]


@dataclass
class PageScripts:
    page: str
    widgets: list[str]
    gzip: int
    limit: int

    @property
    def over(self) -> bool:
        return self.gzip > self.limit


def integrity(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def import_map(manifest: Manifest, base: str = "/") -> str:
    """The site-wide import map: URLs from the site's base path ("/" or "/blog/"), so it is the
    same text on every page and one CSP hash allows it everywhere."""
    table = {base + a.path: a.integrity for a in manifest.assets}
    return json.dumps({"imports": {LOADER: base + manifest.loader.path}, "integrity": table},
                      separators=(",", ":"), sort_keys=True)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_scripts(page: str, html: str, manifest: Manifest, budget: JsBudget) -> PageScripts | None:
    """What the page loads on a first visit (gzip bytes, BOOTSTRAP's included), or None for a page without islands."""
    names = sorted(set(ISLAND.findall(html)))
    if not names:
        return None
    files = {manifest.loader.path: manifest.loader}
    for name in names:
        files.update({a.path: a for a in manifest.widgets.get(name, ())})
    total = BOOTSTRAP_GZIP + sum(a.gzip for a in files.values())
    return PageScripts(page, names, total, budget.first + budget.each_more * (len(names) - 1))


def inject(html: str, manifest: Manifest, imports: str) -> str:
    """Add the import map and BOOTSTRAP to the head of a page with islands, and to each island the URL
    of its widget's module (relative to the loader, which lives in the same folder)."""
    tags = f'<script type="importmap">{imports}</script><script>{BOOTSTRAP}</script>'

    def with_module(island: re.Match) -> str:
        assets = manifest.widgets.get(island[1])
        return f'{island[0]} data-module="./{posixpath.basename(assets[0].path)}"' if assets else island[0]

    return ISLAND.sub(with_module, html.replace("</head>", tags + "</head>", 1))


def pages_with_islands(output: Path, memoised=fresh, html: list[Path] | None = None) -> dict[Path, str]:
    """Every page of `output` that has an island, with its HTML. (`memoised`: islet.build.incremental's, so
    that a page linked unchanged from the previous build is not read again to find it has none; `html`: the
    pages, when the caller listed them already.)"""
    has_islands = memoised("islands", _has_islands)
    pages = html_pages(output) if html is None else html
    return {path: path.read_text(encoding="utf-8") for path in pages if has_islands.of_file(path)}


def _has_islands(html: str) -> bool:
    return ISLAND.search(html) is not None


PAGE_FACTS["islands"] = _has_islands


def html_pages(output: Path) -> list[Path]:
    """Every HTML page under `output`, sorted as Paths sort: by their parts (os.walk and strings: a fraction of
    the time of rglob and Path comparisons)."""
    found = [os.path.join(base, name) for base, _, names in os.walk(output) for name in names if name.endswith(".html")]
    found.sort(key=_parts)
    return [Path(path) for path in found]


def _parts(path: str) -> list[str]:
    return path.split(os.sep)


def hydrate(output: Path, pages: dict[Path, str], manifest: Manifest, budget: JsBudget,
            base: str = "/") -> tuple[list[PageScripts], list[Problem]]:
    """Inject scripts into `pages` (pages_with_islands); return the per-page table and budget problems."""
    imports = import_map(manifest, base)
    table, problems = [], []
    for path, html in pages.items():
        page = path.relative_to(output).as_posix()
        scripts = page_scripts(page, html, manifest, budget)
        if scripts is None:
            continue
        html = inject(html, manifest, imports)
        if "theme_toggle" in scripts.widgets:   # the stored theme must apply before the first paint
            html = insert_prepaint(html)
        rewrite(path, html.encode("utf-8"))
        table.append(scripts)
        missing = [n for n in scripts.widgets if n not in manifest.widgets]
        if missing:
            problems.append(Problem(page, 0, f"uses widget(s) with no compiled module: {', '.join(missing)}",
                                    "make sure widgets/<name>.py defines render and mount"))
        if scripts.over:
            problems.append(Problem(page, 0, f"ships {scripts.gzip:,} B of gzipped JavaScript for "
                                    f"{', '.join(scripts.widgets)}; the budget is {scripts.limit:,} B",
                                    "use fewer or smaller widgets on this page, or raise ISLET_JS_BUDGET in pelicanconf.py"))
    return table, problems


def format_table(table: list[PageScripts]) -> str:
    """The per-page JavaScript report printed after each build."""
    if not table:
        return "JavaScript: no page has widgets; every page ships 0 bytes."
    width = max(len(row.page) for row in table)
    lines = [f"{'page'.ljust(width)}  {'JS gzip':>8}  {'budget':>8}  widgets"]
    for row in table:
        flag = "  OVER" if row.over else ""
        lines.append(f"{row.page.ljust(width)}  {row.gzip:>8,}  {row.limit:>8,}  {', '.join(row.widgets)}{flag}")
    lines.append("Every other page ships 0 bytes of JavaScript.")
    return "\n".join(lines)
