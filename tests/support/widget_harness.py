"""The page a widget test opens in Chromium: the compiled widgets with islet's real loader, the theme's CSS
inline and the site's real CSP in ``_headers`` (no 'unsafe-inline': the CSS and any inline script are allowed
by their hashes, so a style attribute or a stray script would be refused and reported).

A test module writes its islands into one (``harness_page``) from its `page_site` fixture; conftest's
`served` fixture serves that folder and browser.open_page opens it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from islet.islands.scripts import LOADER

from .site import ROOT

MODULES = "w"   # where a harness folder keeps the compiled modules


def registry():
    """discover(ROOT): the repository's widgets (discover puts ROOT first on sys.path, so no other site's
    `widgets` package discovered by an earlier test can shadow them)."""
    from islet.islands.registry import discover

    return discover(ROOT)


def props_maker(module):
    """``props(**given)`` for a widget module: its props as resolve_props hands them over, defaults filled in."""
    def props(**given):
        return {**{name: spec[1] for name, spec in module.PROPS.items()}, **given}
    return props


def harness_islands(data: dict, *names: str):
    """islet.content.embed.Islands for the repo's widgets `names`, loading their modules from a harness folder."""
    from islet.content.embed import Islands

    return Islands(registry(), data, {name: f"{MODULES}/widgets.{name}.js" for name in names})


def harness_page(folder: Path, compiled: Path, body_html: str, title: str, *, name: str = "index.html",
                 head_html: str = "", script_hashes: tuple[str, ...] = ()) -> Path:
    """Write the page `name` into `folder`: `head_html` (extra head tags) and `body_html` (the whole body) around
    the loader and the inline theme CSS. The folder gets the compiled modules, the loader and ``_headers`` with
    the CSP allowing the CSS and `script_hashes` (islet.islands.hydrate.csp_hash of inline scripts); the pages of one
    folder share that file, so give them the same hashes. Returns the page's path."""
    from islet.islands.hydrate import csp_hash
    from islet.output.headers import content_security_policy, headers_file
    from islet.plugin import theme_css

    folder = Path(folder)
    if not (folder / MODULES).exists():
        shutil.copytree(compiled, folder / MODULES, ignore=shutil.ignore_patterns("*.project"))
        shutil.copy(LOADER, folder / "loader.js")
    css = theme_css(ROOT / "theme" / "static" / "css")
    (folder / "_headers").write_text(headers_file(content_security_policy(list(script_hashes), [csp_hash(css)])))
    page = folder / name
    page.write_text('<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width, initial-scale=1">'
                    f'{head_html}<title>{title}</title><link rel="icon" href="data:,"><style>{css}</style>'
                    '<script type="module" src="loader.js"></script></head>'
                    f'<body>{body_html}</body></html>', encoding="utf-8")
    return page
