"""islet's settings, read and validated once per build into one typed object.

All names start with ``ISLET_`` (plus ``SITE_ORIGIN``, shared with the theme). A wrong
value raises `SettingsError` naming the setting, the value and what is allowed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from islet.errors import Problem, SettingsError

# ISLET_IMAGE_SIZES by default: the demo theme's content column (at most about 42rem wide; below that the image
# spans the viewport minus padding). Another theme's column needs its own value.
DEFAULT_IMAGE_SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"
DEFAULT_IMAGE_FORMATS = ("webp",)   # ISLET_IMAGE_FORMATS: AVIF is smaller, but several times slower to encode
# The True/False settings, by the IsletSettings field each sets.
SWITCHES = {"ISLET_STRICT": "strict", "ISLET_THEME_TOGGLE": "theme_toggle", "ISLET_PRECOMPRESS": "precompress",
            "ISLET_CONTENT_JINJA": "content_jinja", "ISLET_HEADERS": "headers", "ISLET_IMAGES": "images",
            "ISLET_ALIGN_CLASSES": "align_classes"}


@dataclass(frozen=True)
class JsBudget:
    """ISLET_JS_BUDGET: the gzip bytes of JavaScript a page may load on a first visit (islet.islands.hydrate)."""
    first: int = 10 * 1024     # on a page with one widget, bootstrap, loader and runtime included (search: 9.3 KB)
    each_more: int = 1536      # for each further widget on the same page


@dataclass(frozen=True)
class Limits:
    """ISLET_LIMITS: what one input may ask of a build. Content and data come from many hands (pull requests,
    exports): past a limit the build stops with a message naming the file, instead of hanging or eating memory."""
    data_bytes: int = 10 * 1024 * 1024   # size of one file in content/data/
    data_depth: int = 64                 # nesting of lists and mappings in one data file
    data_values: int = 1_000_000         # values in one data file, YAML aliases expanded
    widget_rows: int = 5_000             # items in any list given to a widget (rows of a table, points of a chart)
    render_seconds: float = 10           # one widget render()
    template_seconds: float = 10         # the Jinja of one article or page body
    template_bytes: int = 5 * 1024 * 1024  # what the Jinja of one body may output
    markdown_seconds: float = 10         # the Markdown of one article or page (after its Jinja and widgets)
    names: int = 200                     # tags, or authors, one source lists (n names: n pages of n links each)


@dataclass(frozen=True)
class IsletSettings:
    content: Path          # Pelican's PATH
    output: Path           # Pelican's OUTPUT_PATH
    theme: Path            # Pelican's THEME
    data_dir: Path         # content/data/
    root: Path             # the site root (where pelicanconf.py lives); paths in messages are relative to it
    origin: str            # absolute origin for canonical URLs, feeds and the sitemap; "" when not known
    strict: bool           # broken links, missing images and duplicate slugs are errors, not warnings
    cache_dir: Path        # compiled widgets, bundles and image variants kept between builds
    node_modules: Path     # where esbuild is installed (npm ci)
    js_budget: JsBudget    # gzip bytes of JavaScript a page with widgets may load
    theme_toggle: bool     # put the light/dark toggle in every page's header
    precompress: bool      # write .br/.gz beside each text file (for a CDN or the nginx preview)
    content_jinja: bool = False   # article and page bodies go through Jinja (with `data`) before Markdown
    # What islet changes in a site's output only when the site asks (a third-party theme is left as it was):
    headers: bool = False         # write _headers (security and cache headers, a CSP derived from the pages)
    images: bool = False          # size every <img>, write variants and wrap rasters in <picture>
    image_sizes: str = DEFAULT_IMAGE_SIZES   # the `sizes` of those <picture>s: how wide the theme shows an image
    image_formats: tuple = DEFAULT_IMAGE_FORMATS   # the formats of their <source>s
    align_classes: bool = False   # table alignment as class="align-…" instead of Markdown's style="text-align: …"
    limits: Limits = Limits()

    @property
    def css_dir(self) -> Path:
        return self.theme / "static" / "css"

    @property
    def templates(self) -> set[str]:
        return {p.stem for p in (self.theme / "templates").glob("*.html")}


def read(settings: Mapping[str, Any]) -> IsletSettings:
    """Validate the Pelican settings dict and return islet's view of it."""
    problems: list[Problem] = []
    config = str(settings.get("ISLET_CONFIG_FILE") or "pelicanconf.py")

    def bad(name: str, value: Any, allowed: str) -> None:
        problems.append(Problem(config, 0, f"setting {name} = {value!r} is not valid", f"use {allowed}"))

    content = Path(settings["PATH"])
    root = Path(settings.get("ISLET_ROOT") or content.parent)
    data = settings.get("ISLET_DATA_DIR", "data")
    if not isinstance(data, str) or Path(data).is_absolute():
        bad("ISLET_DATA_DIR", data, "a folder name relative to the content folder, e.g. 'data'")
        data = "data"
    siteurl = settings.get("SITEURL") or ""
    # Unknown ("") when neither names an absolute URL: then no sitemap or robots.txt is written (they need one)
    # and feeds keep Pelican's links. Never a guess such as the preview server's address.
    origin = settings.get("SITE_ORIGIN") or (siteurl if siteurl.startswith(("http://", "https://")) else "")
    parts = urlsplit(str(origin))
    if origin and (parts.scheme not in ("http", "https") or not parts.netloc or str(origin).endswith("/")):
        bad("SITE_ORIGIN", origin, "an absolute URL without a trailing slash, e.g. 'https://example.org'")
    cache = Path(os.environ.get("ISLET_CACHE_DIR") or settings.get("ISLET_CACHE_DIR") or root / ".cache")
    node_modules = Path(settings.get("ISLET_NODE_MODULES") or root / "node_modules")
    budget = settings.get("ISLET_JS_BUDGET", {})
    if not (isinstance(budget, dict) and set(budget) <= {"first", "each_more"}
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in budget.values())):
        bad("ISLET_JS_BUDGET", budget, 'a dict like {"first": 10240, "each_more": 1536} (gzip bytes)')
        budget = {}
    switches = {}
    for name, field in SWITCHES.items():
        switches[field] = settings.get(name, False)
        if not isinstance(switches[field], bool):
            bad(name, switches[field], "True or False")
    formats = settings.get("ISLET_IMAGE_FORMATS", DEFAULT_IMAGE_FORMATS)
    if not (isinstance(formats, (list, tuple)) and set(formats) <= {"avif", "webp"}):
        bad("ISLET_IMAGE_FORMATS", formats, 'a list of "avif" and "webp", e.g. ["avif", "webp"] (best first)')
        formats = DEFAULT_IMAGE_FORMATS
    sizes = settings.get("ISLET_IMAGE_SIZES", DEFAULT_IMAGE_SIZES)
    if not (isinstance(sizes, str) and sizes.strip() and "\n" not in sizes):
        bad("ISLET_IMAGE_SIZES", sizes, "the value of an <img sizes> attribute, e.g. '(min-width: 50rem) 48rem, 100vw'")
        sizes = DEFAULT_IMAGE_SIZES
    limits = settings.get("ISLET_LIMITS", {})
    names = Limits.__dataclass_fields__
    if not (isinstance(limits, dict) and set(limits) <= set(names)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in limits.values())):
        bad("ISLET_LIMITS", limits, f"a dict of positive numbers with keys among {', '.join(names)}")
        limits = {}
    if problems:
        raise SettingsError(problems)
    return IsletSettings(content=content, output=Path(settings["OUTPUT_PATH"]), theme=Path(settings["THEME"]),
                         data_dir=content / data, root=root, origin=str(origin), cache_dir=cache,
                         node_modules=node_modules, js_budget=JsBudget(**budget), limits=Limits(**limits),
                         image_sizes=sizes.strip(), image_formats=tuple(formats), **switches)


def processes() -> int:
    """How many processes a build may keep busy (parsing, writing pages): ISLET_PROCESSES in the
    environment, else one per core. 1 makes a build sequential."""
    try:
        return max(1, int(os.environ.get("ISLET_PROCESSES") or os.cpu_count() or 1))
    except ValueError:
        return os.cpu_count() or 1


def start_helper_process() -> None:
    """In a forked process that parses or writes pages: never scan the objects it inherited for garbage
    (nor so copy their memory), and look for new garbage less often. Markdown and Jinja make many
    short-lived objects; collecting the youngest every 700, as by default, took ~8% of parsing."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
