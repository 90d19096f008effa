"""An existing Pelican site gets the same site with islet: plain Pelican and islet side by side.

Each site is built twice from the same sources, cold: by plain ``pelican`` (``PLUGINS = []``, so the installed
``pelican.plugins.islet`` is not loaded) and by ``python -m islet build`` (``PLUGINS = ["islet"]``, islet's
output-rewriting features left at their defaults, off). Then: the same files (islet adds only its
``sitemap.xml`` and ``robots.txt``, only where SITEURL names the site's origin, and no ``robots.txt`` where the
site has its own, which it keeps byte for byte), the same visible text on every HTML page, and no draft in islet's sitemap. The build times and output
sizes are printed, not asserted (``-s`` shows them).

The sites: Pelican's own ``notmyidea`` and ``simple`` themes on a pelican-quickstart-like site, and a
third-party-style theme (tests/fixtures/compat/theme: a Google web font, a logo with a ``style`` attribute, no
``img { height: auto }``) on a site with its own ``robots.txt``, drafts and a reStructuredText article. None
uses a widget, so no esbuild is needed. Chromium (how the pages look) is not compared here.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from support.compat import KINDS, THEMED, Kind, settings_text, site_sources


@dataclass
class Compared:
    kind: Kind
    root: Path
    plain: Path
    islet: Path
    seconds: dict[str, float]


def _run(command: list[str], cwd: Path, cache: Path) -> float:
    env = dict(os.environ, ISLET_CACHE_DIR=str(cache))
    started = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    assert run.returncode == 0, f"{' '.join(command)}\n{run.stdout}\n{run.stderr}"
    return seconds


def _islet_build(root: Path, output: str, cache: Path) -> float:
    return _run([sys.executable, "-m", "islet", "build", "--root", str(root), "--output", output], root, cache)


@pytest.fixture(scope="module", params=KINDS, ids=[kind.name for kind in KINDS])
def compared(request, tmp_path_factory) -> Compared:
    """The site of one kind, built cold by plain Pelican into out-plain/ and by islet into out-islet/."""
    kind: Kind = request.param
    root = site_sources(kind, tmp_path_factory.mktemp(f"compat-{kind.name}"))
    settings = root / "pelicanconf.py"
    settings.write_text(settings_text(kind, []), encoding="utf-8")
    plain = _run([sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", "out-plain"],
                 root, root.parent / f"{root.name}-cache-plain")
    settings.write_text(settings_text(kind, ["islet"]), encoding="utf-8")
    islet = _islet_build(root, "out-islet", root.parent / f"{root.name}-cache-islet")
    return Compared(kind, root, root / "out-plain", root / "out-islet", {"plain": plain, "islet": islet})


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


class _VisibleText(HTMLParser):
    """The text a reader sees (and a screen reader reads): everything but scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def test_visible_text_drops_scripts_and_styles():
    html = "<title>T</title><style>p{}</style><p>a\n  <b>b</b></p><script>var x = '<p>';</script><p>c &amp; d</p>"
    assert visible_text(html) == "T a b c & d"


def test_islet_adds_only_its_sitemap_where_the_site_has_an_origin(compared):
    plain, islet = _files(compared.plain), _files(compared.islet)
    assert plain - islet == set(), "islet dropped files plain Pelican writes"
    assert islet - plain == set(compared.kind.islet_adds)
    assert {p for p in plain if p.endswith(".html")} == {p for p in islet if p.endswith(".html")}
    # Both read the front matter between --- lines, and Pelican's RstReader read the .rst (docutils is one of
    # Pelican's own requirements, so it is always there).
    assert "front-matter-between-dashes.html" in islet
    if compared.kind.extra_content:
        assert "written-in-restructuredtext.html" in islet
    if "stamp" in compared.kind.plugins:   # the site's own plugin ran in both builds
        assert "stamp.txt" in islet and "Stamped by the site's own plugin." in (
            compared.islet / "first-post.html").read_text(encoding="utf-8")


def test_every_page_has_the_same_visible_text(compared):
    pages = sorted(p for p in _files(compared.plain) if p.endswith(".html"))
    assert len(pages) > 10
    for page in pages:
        expected = visible_text((compared.plain / page).read_text(encoding="utf-8"))
        assert visible_text((compared.islet / page).read_text(encoding="utf-8")) == expected, page


def test_the_sites_own_robots_txt_is_kept_byte_for_byte(compared):
    own = compared.root / "content" / "extra" / "robots.txt"
    if not own.is_file():
        assert "robots.txt" not in _files(compared.plain)
        return
    assert (compared.plain / "robots.txt").read_bytes() == own.read_bytes()
    assert (compared.islet / "robots.txt").read_bytes() == own.read_bytes()


def test_every_file_plain_pelican_writes_has_the_same_bytes(compared):
    """Stronger than the text: with ISLET_IMAGES, ISLET_ALIGN_CLASSES and ISLET_HEADERS off, islet leaves every
    byte as Pelican wrote it (the web font link, the logo's style attribute, <img> tags without sizes, Markdown's
    style="text-align: …", the feeds)."""
    changed = [name for name in sorted(_files(compared.plain))
               if (compared.plain / name).read_bytes() != (compared.islet / name).read_bytes()]
    assert changed == []


def test_the_sitemap_lists_every_published_page_and_no_draft(compared):
    html = {p for p in _files(compared.plain) if p.endswith(".html")}
    drafts = {p for p in html if p.startswith("drafts/")}
    assert drafts, "the site has drafts, which Pelican writes to drafts/"
    if "sitemap.xml" not in compared.kind.islet_adds:
        assert not (compared.islet / "sitemap.xml").exists()
        return
    locs = [loc.text for loc in ElementTree.parse(compared.islet / "sitemap.xml").iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    for secret in ("drafts/", "unfinished", "another-draft", "coming-soon"):
        assert not [loc for loc in locs if secret in loc], secret
    origin = re.match(r"https?://[^/]+/", locs[0]).group(0)
    listed = {loc[len(origin):] or "index.html" for loc in locs}
    hidden = {"pages/thanks-for-subscribing.html"} & html             # Status: hidden, written but linked from nowhere
    assert hidden and listed == html - drafts - hidden
    if compared.kind.settings is THEMED:
        assert origin == "https://example.org/"     # the site's SITEURL


def test_report_cold_build_time_and_output_size(compared, capsys):
    plain, islet = _size(compared.plain), _size(compared.islet)
    with capsys.disabled():
        print(f"\n{compared.kind.name:>12}: plain Pelican {compared.seconds['plain']:.2f} s, {plain:,} bytes; "
              f"islet {compared.seconds['islet']:.2f} s, {islet:,} bytes")


# ---------------------------------------------------------------- in Chromium, with islet's extras turned on

ORIGIN = "https://example.org"          # THEMED's SITEURL: the pages are served there by Playwright's router
WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
IMAGES = """() => Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0)
  .map(i => { const box = i.getBoundingClientRect();
              return {src: i.getAttribute('src'), alt: i.alt, width: box.width, height: box.height,
                      natural: i.naturalWidth / i.naturalHeight}; })
  .filter(i => i.width > 0 && i.height > 0)"""
LOGO = """() => Array.from(document.querySelectorAll('.masthead img')).map(i => i.getBoundingClientRect().width)"""


def _enhanced(name: str, tmp_path_factory) -> Path:
    """The site of kind `name` built by islet with ISLET_IMAGES and ISLET_HEADERS on: sized, responsive images and
    a _headers file whose policy is derived from what the pages load. Returns its output folder."""
    kind = next(k for k in KINDS if k.name == name)
    root = site_sources(kind, tmp_path_factory.mktemp(f"compat-enhanced-{name}"))
    (root / "pelicanconf.py").write_text(settings_text(kind, ["islet"]) + "ISLET_IMAGES = True\nISLET_HEADERS = True\n",
                                         encoding="utf-8")
    _islet_build(root, "out", root.parent / f"compat-enhanced-{name}-cache")
    return root / "out"


@pytest.fixture(scope="module")
def enhanced(tmp_path_factory) -> Path:
    return _enhanced("third-party", tmp_path_factory)


def _serve(context, output: Path, policy: str) -> None:
    """Serve `output` at ORIGIN with `policy` as its Content-Security-Policy; every other host is unreachable
    (the policy is checked before a request leaves: a blocked one still reports its violation)."""
    from islet.output.headers import content_type

    def handle(route):
        url = route.request.url
        if not url.startswith(ORIGIN + "/"):
            return route.abort()
        path = url[len(ORIGIN) + 1:].split("?")[0].split("#")[0]
        file = output / (path + "index.html" if path.endswith("/") or not path else path)
        if not file.is_file():
            return route.fulfill(status=404, body="not found")
        route.fulfill(status=200, body=file.read_bytes(),
                      headers={"Content-Type": content_type(path or "index.html"), "Content-Security-Policy": policy})

    context.route("**/*", handle)


def _visit(chromium, output: Path, policy: str) -> dict[str, dict]:
    """Every page of `output` at 360 px: {page: {"images": [...], "violations": [...]}}."""
    context = chromium.new_context(viewport={"width": 360, "height": 3000})
    context.add_init_script(WATCH)
    _serve(context, output, policy)
    seen = {}
    try:
        page = context.new_page()
        for name in sorted(_files(output)):
            if name.endswith(".html"):
                page.goto(f"{ORIGIN}/{name}", wait_until="load")
                page.wait_for_timeout(50)          # violations are reported asynchronously
                seen[name] = {"images": page.evaluate(IMAGES), "violations": page.evaluate("window.__violations"),
                              "logo": page.evaluate(LOGO)}
    finally:
        context.close()
    return seen


def _policy(output: Path) -> str:
    from islet.output.headers import parse_headers_file

    return parse_headers_file((output / "_headers").read_text(encoding="utf-8"))["/*"]["Content-Security-Policy"]


@pytest.mark.browser
def test_with_images_and_headers_on_no_image_is_stretched_and_nothing_is_blocked(enhanced, chromium):
    seen = _visit(chromium, enhanced, _policy(enhanced))
    assert {page: found["violations"] for page, found in seen.items() if found["violations"]} == {}
    shown = [dict(image, page=page) for page, found in seen.items() for image in found["images"]]
    screenshots = [i for i in shown if i["alt"] == "The settings screen"]
    assert screenshots and all(i["width"] < 1243 for i in screenshots)        # scaled down to the column
    stretched = [i for i in shown if abs(i["width"] / i["height"] - i["natural"]) > 0.02 * i["natural"]]
    assert stretched == []
    logos = {round(width) for found in seen.values() for width in found["logo"]}
    assert logos == {48}                                          # its style attribute applies


@pytest.mark.browser
def test_the_fixed_strict_policy_would_block_this_theme(enhanced, chromium):
    """The check above can fail: islet's old fixed policy, hashes only, blocks the theme's web font and the
    logo's style attribute."""
    from islet.output.headers import content_security_policy

    strict = content_security_policy([], [])
    seen = _visit(chromium, enhanced, strict)
    blocked = {v.split()[0] for found in seen.values() for v in found["violations"]}
    assert {"style-src-elem", "style-src-attr"} <= blocked, blocked


@pytest.mark.browser
def test_with_headers_on_the_derived_policy_blocks_nothing_on_reflex(tmp_path_factory, chromium):
    """Reflex loads Font Awesome, its dark mode script and search styles: the policy islet derives allows them all,
    where islet's old fixed policy blocks its inline style and style attributes."""
    from islet.output.headers import content_security_policy

    output = _enhanced("reflex", tmp_path_factory)
    seen = _visit(chromium, output, _policy(output))
    assert len(seen) > 10
    assert {page: found["violations"] for page, found in seen.items() if found["violations"]} == {}
    blocked = {v.split()[0] for found in _visit(chromium, output, content_security_policy([], [])).values()
               for v in found["violations"]}
    assert {"style-src-elem", "style-src-attr"} <= blocked, blocked
