"""Sites nobody here wrote, for tests/test_compat.py and tests/build/test_differential_themes.py: Pelican's own
`notmyidea` and `simple` themes and the Reflex theme from PyPI on a pelican-quickstart-like site, and a
third-party-style theme (tests/fixtures/compat/theme) with a plugin of the site's own on a site with its own
robots.txt, drafts and a reStructuredText article."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "compat"

# pelican-quickstart's pelicanconf.py, with its answers filled in (no URL prefix, pagination on).
QUICKSTART = '''\
AUTHOR = "Ann Example"
SITENAME = "Compat"
SITEURL = ""

PATH = "content"

TIMEZONE = "Europe/Amsterdam"

DEFAULT_LANG = "en"

# Feed generation is usually not desired when developing
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Blogroll
LINKS = (
    ("Pelican", "https://getpelican.com/"),
    ("Python.org", "https://www.python.org/"),
)

# Social widget
SOCIAL = (
    ("You can add links in your config file", "#"),
    ("Another social link", "#"),
)

DEFAULT_PAGINATION = 10

# Uncomment following line if you want document-relative URLs when developing
RELATIVE_URLS = True
'''

# A site with its own theme and robots.txt, set up for publishing (absolute URLs and feeds on).
THEMED = '''\
AUTHOR = "Ann Example"
SITENAME = "Compat, themed"
SITEURL = "https://example.org"
RELATIVE_URLS = False
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 2
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {"extra/robots.txt": {"path": "robots.txt"}}
PLUGIN_PATHS = ["plugins"]
'''


# What Reflex's documentation asks a site to set (its templates use them without defaults).
REFLEX = """
SITETITLE = "Ann Example"
SITESUBTITLE = "Notes"
SITEDESCRIPTION = "Notes on islands"
CC_LICENSE = {"name": "Creative Commons Attribution-ShareAlike", "version": "4.0", "slug": "by-sa", "local_icons": True}
COPYRIGHT_YEAR = 2026
COPYRIGHT_NAME = "Ann Example"
MAIN_MENU = True
MENUITEMS = (("Archives", "/archives.html"), ("Tags", "/tags.html"))


def _(text, **values):           # Reflex translates its words with _(): here, English as written
    return text % values if values else text


JINJA_GLOBALS = {"_": _}
"""


@dataclass(frozen=True)
class Kind:
    name: str
    settings: str               # pelicanconf.py without PLUGINS and THEME
    theme: str                  # THEME's value
    extra_content: str = ""     # a folder of tests/fixtures/compat copied over content/
    plugins: tuple = ()         # PLUGINS: the site's own (tests/fixtures/compat/plugins, by PLUGIN_PATHS), or installed
    islet_adds: frozenset = frozenset()     # what islet writes besides Pelican's files

    def theme_folder(self) -> Path:
        """The folder of the theme: THEME is a path, or the name of one Pelican has (or a package installed there)."""
        return Path(self.theme) if Path(self.theme).is_absolute() else Path(_pelican_theme(self.theme))


def _pelican_theme(name: str) -> str:
    import pelican

    return str(Path(pelican.__file__).parent / "themes" / name)


KINDS = [
    # SITEURL = "" names no origin: a sitemap needs absolute URLs, so islet writes none (and no robots.txt).
    Kind("notmyidea", QUICKSTART, _pelican_theme("notmyidea")),
    Kind("simple", QUICKSTART, "simple"),
    # The site's robots.txt is its own: islet writes its sitemap.xml but no robots.txt announcing it.
    Kind("third-party", THEMED, str(FIXTURES / "theme"), "theme-site", plugins=("stamp",),
         islet_adds=frozenset({"sitemap.xml"})),
    # Reflex (a fork of Flex, one of the most used Pelican themes), installed from PyPI as sites install it: a
    # sidebar, social links, Font Awesome, a dark mode script, summaries on every list. It shows an article's
    # series as the series plugin makes it (without it, "Part <built-in method index of str object at 0x…>").
    Kind("reflex", QUICKSTART + REFLEX, _pelican_theme("reflex"), plugins=("pelican.plugins.series",)),
]


def copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(source)).write_bytes(path.read_bytes())


def settings_text(kind: Kind, plugins: list[str]) -> str:
    return f"{kind.settings}\nTHEME = {kind.theme!r}\nPLUGINS = {[*kind.plugins, *plugins]!r}\n"


def site_sources(kind: Kind, root: Path) -> Path:
    """The sources of a site of this kind in `root` (a 1243×825 screenshot drawn for the themed one)."""
    copy_tree(FIXTURES / "content", root / "content")
    if any((FIXTURES / "plugins" / name).is_dir() for name in kind.plugins):     # (not those installed from PyPI)
        copy_tree(FIXTURES / "plugins", root / "plugins")
    if kind.extra_content:
        copy_tree(FIXTURES / kind.extra_content, root / "content")
        from PIL import Image, ImageDraw

        shot = Image.new("RGB", (1243, 825), (235, 240, 245))
        ImageDraw.Draw(shot).rectangle((60, 60, 1180, 760), outline=(40, 90, 160), width=12)
        shot.save(root / "content" / "images" / "screenshot.png")
    return root
