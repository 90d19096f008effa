"""Images stage: responsive, layout-stable images in the finished HTML.

    optimize(output folder, cache folder) → ImageResult(stats, problems)

Runs over the output folder after Pelican wrote it (so it sees every ``<img>``, whether
Markdown or a template wrote it) and rewrites each page in place:

- every local image gets its intrinsic ``width``/``height`` (SVG: from its width/height or
  viewBox), so the browser reserves the space before the bytes arrive: no layout shift. On a theme
  without ``img { height: auto }`` that height would stretch an image its CSS makes narrower
  (``max-width: 100%``), so such images are marked ``data-islet-sized`` and the page gets one rule,
  SIZED_STYLE, of zero specificity: any height the theme sets still wins;
- ``decoding="async"``; ``loading="lazy"`` on every image except the first one of ``<main>``,
  which may be the largest paint and stays eager (``fetchpriority="high"`` when little text
  precedes it, i.e. it is probably on the first screen); images before ``<main>`` stay eager;
- a raster image (PNG, JPEG, WebP) is wrapped in ``<picture>``: ``<source>``s in the formats of
  ISLET_IMAGE_FORMATS (WebP by default), at WIDTHS capped at its own width, in front of the
  ``<img>``, which keeps the original file as the fallback. A format is offered only when it is
  actually smaller.

Variants (islet.output.variants) are written as ``img/<stem>-<hash>-<width>.<ext>``; the hash covers
the source bytes and the encoder recipe, so any change gives a new name (islet.output.headers caches
``img/`` forever). Encoded files are kept in the cache folder keyed by (source hash, width, format,
settings, VERSION): a rebuild with unchanged images encodes nothing. Encoding runs in a small process pool.

Only a site that sets ISLET_IMAGES runs this stage; otherwise every ``<img>`` and image file stays as
Pelican wrote it.

A missing image is not reported here (islet.output.verify reports it); one that exists but cannot be
decoded is a Problem. Running the stage twice is harmless: wrapped images are left alone.
"""
from __future__ import annotations

import html
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urljoin, urlsplit

from islet.build.memo import PAGE_FACTS, fresh, rewrite
from islet.errors import Problem
from islet.islands.hydrate import html_pages
from islet.settings import DEFAULT_IMAGE_FORMATS, DEFAULT_IMAGE_SIZES

from .variants import ENCODINGS, WORKERS, Picture, Variant, choose, encode, inspect, modern_formats, plan_variants
from .verify import Source, is_internal

# ISLET_IMAGE_SIZES's default: the demo theme's content column (islet.settings).
SIZES = DEFAULT_IMAGE_SIZES
FIRST_SCREEN_TEXT = 600                          # characters of text in <main> a phone shows above an image, roughly
SIZED = "data-islet-sized"
SIZED_STYLE = f"<style>:where(img[{SIZED}]){{height:auto}}</style>"   # (its CSP hash: islet.output.csp)


@dataclass
class ImageStats:
    pages: int = 0                  # pages rewritten
    images: int = 0                 # <img> tags given width/height and loading hints
    pictures: int = 0               # of those, wrapped in <picture> with variants
    sources: int = 0                # distinct raster files behind them
    encoded: int = 0                # variants encoded in this run
    cached: int = 0                 # variants taken from the cache
    original_bytes: int = 0         # distinct raster source files
    variant_bytes: dict[str, int] = field(default_factory=dict)    # format -> bytes written to img/


@dataclass
class ImageResult:
    stats: ImageStats
    problems: list[Problem]


@dataclass(frozen=True)
class ImgTag:
    """One <img> start tag: where it is in the page text, its attributes and its place in the page."""
    start: int
    end: int
    attrs: tuple
    region: str          # "before" <main>, "main", or "after"
    first_in_main: bool
    in_picture: bool
    text_before: int     # characters of text in <main> before it
    self_closing: bool


def _has_images(html: str) -> bool:
    return "<img" in html


PAGE_FACTS["has-images"] = _has_images


def optimize(output: Path, cache: Path, sources: Mapping[str, Source] | None = None,
             site_url: str = "", workers: int = WORKERS, memoised=fresh, sizes: str = SIZES,
             formats: tuple[str, ...] = DEFAULT_IMAGE_FORMATS, html: list[Path] | None = None) -> ImageResult:
    """Rewrite every HTML page under `output` as described above; encode missing variants into `cache`.

    `sources` maps output pages to the file they came from (for messages); `site_url` is Pelican's
    SITEURL, so absolute image URLs on the site itself count as local and variants use the same style.
    `sizes` (ISLET_IMAGE_SIZES) is the ``sizes`` of every ``<picture>``: how wide the theme shows an image;
    `formats` (ISLET_IMAGE_FORMATS) the formats of its sources.
    `memoised` (islet.build.incremental's) spares reading the pages linked unchanged from the previous build
    to find they have no image. `html`: the pages, when the caller listed them already.
    """
    output, cache = Path(output), Path(cache)
    sources = sources or {}
    stats, problems = ImageStats(), []
    pages = {}
    has_images = memoised("has-images", _has_images)
    for path in html_pages(output) if html is None else html:
        if has_images.of_file(path):
            text = path.read_text(encoding="utf-8")
            pages[path.relative_to(output).as_posix()] = (text, find_images(text))

    # 1. Inspect every local image once; a file that cannot be decoded is reported once.
    inspected: dict[str, Picture | tuple[int, int] | str | None] = {}
    wrapped: set[str] = set()
    for page, (_, tags) in pages.items():
        for tag in tags:
            src = dict(tag.attrs).get("src") or ""
            target = local_target(page, src, site_url)
            if target is None or not (output / target).is_file():
                continue               # another host, or missing: islet.output.verify reports missing files
            if target not in inspected:
                inspected[target] = inspect(output / target)
                if isinstance(inspected[target], str):
                    problems.append(_unreadable(page, src, inspected[target], sources))
            if _wraps(tag) and isinstance(inspected[target], Picture):
                wrapped.add(target)
    pictures = {target: found for target, found in inspected.items() if not isinstance(found, str)}

    # 2. Plan variants for every raster image some tag will wrap, encode what the cache lacks.
    formats = modern_formats(formats)
    plans = {target: plan_variants(pictures[target], formats) for target in sorted(wrapped)}
    missing = [v for variants in plans.values() for v in variants if not (cache / v.key).is_file()]
    failures = encode(missing, cache, workers)
    for target, variants in list(plans.items()):
        failed = [failures[v.key] for v in variants if v.key in failures]
        if failed:
            problems.append(_unreadable(*_first_use(pages, target, site_url), failed[0], sources))
            del plans[target]
    stats.encoded = len(missing) - len(failures)
    stats.cached = sum(len(v) for v in plans.values()) - stats.encoded
    chosen = {target: choose(variants, cache) for target, variants in plans.items()}

    # 3. Copy the chosen variants into img/ and rewrite the pages.
    (output / "img").mkdir(exist_ok=True)
    for target, variants in chosen.items():
        stats.sources += 1
        stats.original_bytes += (output / target).stat().st_size
        for v in variants:
            shutil.copyfile(cache / v.key, output / v.name)
            stats.variant_bytes[v.fmt] = stats.variant_bytes.get(v.fmt, 0) + (cache / v.key).stat().st_size
    for page, (text, tags) in pages.items():
        new = text
        for tag in reversed(tags):
            target = local_target(page, dict(tag.attrs).get("src") or "", site_url)
            if target is None or target not in pictures:
                continue
            size = pictures[target]
            size = (size.width, size.height) if isinstance(size, Picture) else size
            variants = chosen.get(target) if _wraps(tag) else None
            markup = render(tag, page, size, variants, site_url, sizes)
            new = new[:tag.start] + markup + new[tag.end:]
            stats.images += 1
            stats.pictures += variants is not None
        new = with_sized_style(new)
        if new != text:
            rewrite(output / page, new.encode("utf-8"))
            stats.pages += 1
    if not any((output / "img").iterdir()):
        (output / "img").rmdir()
    return ImageResult(stats, problems)


# --- finding images -------------------------------------------------------------------------------

class _Scanner(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.found: list[dict] = []
        self.region, self.pictures, self.main_text, self.saw_main = "before", 0, 0, False

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.region, self.saw_main = "main", True
        elif tag == "picture":
            self.pictures += 1
        elif tag == "img":
            raw = self.get_starttag_text()
            line, column = self.getpos()
            start = self.line_starts[line - 1] + column
            assert self.text.startswith(raw, start), "HTMLParser position does not match the page text"
            self.found.append(dict(start=start, end=start + len(raw), attrs=tuple(attrs), region=self.region,
                                   in_picture=self.pictures > 0, text_before=self.main_text,
                                   self_closing=raw.endswith("/>")))

    def handle_endtag(self, tag):
        if tag == "main" and self.region == "main":
            self.region = "after"
        elif tag == "picture":
            self.pictures = max(0, self.pictures - 1)

    def handle_data(self, data):
        if self.region == "main":
            self.main_text += len(data.strip())


def find_images(text: str) -> list[ImgTag]:
    """Every <img> of a page in document order. A page without <main> counts as all main content."""
    scanner = _Scanner(text)
    scanner.feed(text)
    scanner.close()
    tags, first = [], True
    for found in scanner.found:
        if not scanner.saw_main:
            found["region"] = "main"
        is_first = found["region"] == "main" and first
        first = first and not is_first
        tags.append(ImgTag(first_in_main=is_first, **found))
    return tags


def local_target(page: str, src: str, site_url: str = "") -> str | None:
    """The output-relative path `src` (found in `page`) points at, or None if it is not on this site."""
    base = site_url.rstrip("/")
    if base and src.startswith(base + "/") and urlsplit(base).netloc:
        src = src[len(base):]
    elif not is_internal(src) or src.startswith("//"):
        return None
    try:
        path = unquote(urlsplit(urljoin("/" + page, src)).path).lstrip("/")
    except ValueError:           # not a URL at all (e.g. "/.//[x.png"): the link check reports it
        return None
    return path or None


def url_for(name: str, page: str, src: str, site_url: str = "") -> str:
    """The URL of output file `name` from `page`, in the same style as the author's `src`."""
    base = site_url.rstrip("/")
    if base and src.startswith(base + "/"):
        return f"{base}/{name}"
    if src.startswith("/"):
        return "/" + name
    return posixpath.relpath(name, posixpath.dirname(page) or ".")


# --- rewriting ------------------------------------------------------------------------------------

def _wraps(tag: ImgTag) -> bool:
    """Wrap in <picture> unless the author (or an earlier run) already chose the candidates."""
    names = {name for name, _ in tag.attrs}
    return not tag.in_picture and "srcset" not in names and bool(dict(tag.attrs).get("src"))


def render(tag: ImgTag, page: str, size: tuple[int, int] | None, variants: list[Variant] | None,
           site_url: str = "", sizes: str = SIZES) -> str:
    """The new markup for one <img>: its attributes completed, wrapped in <picture> when there are variants
    (`sizes`: their ``sizes`` attribute, ISLET_IMAGE_SIZES)."""
    attrs = dict(tag.attrs)
    src = attrs.get("src") or ""
    if size:
        width, height = _number(attrs.get("width")), _number(attrs.get("height"))
        if width is None and height is None:
            attrs["width"], attrs["height"] = str(size[0]), str(size[1])
        elif height is None and width:
            attrs["height"] = str(round(width * size[1] / size[0]))
        elif width is None and height:
            attrs["width"] = str(round(height * size[0] / size[1]))
        if width is None or height is None:        # islet chose a height: it must follow the rendered width
            attrs[SIZED] = None
    attrs.setdefault("decoding", "async")
    if "loading" not in attrs:
        if tag.region == "after" or (tag.region == "main" and not tag.first_in_main):
            attrs["loading"] = "lazy"
        elif tag.first_in_main and tag.text_before < FIRST_SCREEN_TEXT:
            attrs.setdefault("fetchpriority", "high")      # probably the largest paint of the first screen
    end = " />" if tag.self_closing else ">"
    if not variants:
        return f"<img{_attributes(attrs)}{end}"
    groups: dict[str, list[Variant]] = {}
    for v in variants:
        groups.setdefault(v.fmt, []).append(v)
    sources = ""
    for fmt, group in groups.items():
        srcset = ", ".join(f"{url_for(v.name, page, src, site_url)} {v.width}w" for v in group)
        sources += f"<source{_attributes({'type': ENCODINGS[fmt].mime, 'srcset': srcset, 'sizes': sizes})}{end}"
    return f"<picture>{sources}<img{_attributes(attrs)}{end}</picture>"     # the <img>: the original file


def with_sized_style(page: str) -> str:
    """`page` with SIZED_STYLE once, at the end of its <head> (before the first marked image without one)."""
    if f" {SIZED}" not in page or SIZED_STYLE in page:
        return page
    at = page.find("</head>")
    if at < 0:                                 # before the first marked image, or the <picture> around it
        at = page.rfind("<img", 0, page.find(f" {SIZED}"))
        wrapper = page.rfind("<picture", 0, at)
        at = wrapper if wrapper >= 0 and "</picture>" not in page[wrapper:at] else at
    return page[:at] + SIZED_STYLE + page[at:]


def _attributes(attrs: dict) -> str:
    return "".join(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
                   for name, value in attrs.items())


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


# --- messages -------------------------------------------------------------------------------------

def _first_use(pages: dict, target: str, site_url: str) -> tuple[str, str]:
    for page, (_, tags) in pages.items():
        for tag in tags:
            src = dict(tag.attrs).get("src") or ""
            if local_target(page, src, site_url) == target:
                return page, src
    return target, target


def _unreadable(page: str, src: str, reason: str, sources: Mapping[str, Source]) -> Problem:
    source = sources.get(page)
    needle = src.rsplit("/", 1)[-1]
    line = next((n for n, text in enumerate(source.text.splitlines(), 1) if needle in text), 0) if source else 0
    fix = ("re-save it at a smaller size (a page shows it a few thousand pixels wide at most)"
           if reason.startswith("DecompressionBomb") else "re-save it as PNG, JPEG or WebP (or SVG)")
    return Problem(source.shown if source else page, line, f"image {src!r} cannot be read ({reason})",
                   f"{fix} and build again; until then it is shown without width, height or smaller sizes")


def summary(stats: ImageStats) -> str:
    """One line for the build report."""
    if not stats.images:
        return "Images: none in the pages."
    kb = lambda n: f"{n / 1024:,.0f} KB"   # noqa: E731
    made = ", ".join(f"{fmt} {kb(n)}" for fmt, n in sorted(stats.variant_bytes.items()))
    return (f"Images: {stats.images} sized in {stats.pages} pages; {stats.pictures} responsive from {stats.sources} "
            f"files ({kb(stats.original_bytes)}), {stats.encoded} variants encoded, {stats.cached} from the cache"
            + (f"; variants: {made}" if made else "") + ".")
