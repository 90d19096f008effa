"""Settings for local development: relative URLs, output in build/, no feeds to other hosts."""

AUTHOR = "The islet team"
SITENAME = "islet"
SITESUBTITLE = "Python widgets, no runtime: interactive static sites for slow phones"
SITEURL = ""
RELATIVE_URLS = True
# Absolute origin for canonical links, Open Graph and the sitemap (the dev server's address here).
SITE_ORIGIN = "http://127.0.0.1:8000"

PATH = "content"
OUTPUT_PATH = "build"
# Each build is the whole site: a deleted article's page goes too (Pelican's default keeps earlier files).
DELETE_OUTPUT_DIRECTORY = True
THEME = "theme"
PLUGINS = ["islet"]

TIMEZONE = "Europe/Amsterdam"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"
# Ten articles per list page, pelican-quickstart's default (five gave a site of 1,000 articles an index
# of 200 pages, and as many for its author).
DEFAULT_PAGINATION = 10
# Page 2 onwards of a list is a file like every other URL here (tag/css/page/2.html), not a folder of its own:
# a site of 1,000 articles then has some 90 folders instead of 1,100, and making folders is the slowest
# thing a build does to the disk (./dev bench: a one-edit rebuild 2.2 s -> 1.8 s, a cold build -0.8 s).
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}.html", "{base_name}/page/{number}.html"),
)

ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images"]
# content/data/ is read by islet into the `data` mapping, not copied or parsed as articles.
IGNORE_FILES = [".#*", "data"]

ARTICLE_URL = ARTICLE_SAVE_AS_BASE = "articles/{slug}.html"
ARTICLE_SAVE_AS = "articles/{slug}.html"
PAGE_URL = PAGE_SAVE_AS = "{slug}.html"
CATEGORY_URL = CATEGORY_SAVE_AS = "category/{slug}.html"
TAG_URL = TAG_SAVE_AS = "tag/{slug}.html"
AUTHOR_URL = AUTHOR_SAVE_AS = "author/{slug}.html"
ARCHIVES_URL = ARCHIVES_SAVE_AS = "archives.html"
TAGS_URL = TAGS_SAVE_AS = "tags.html"
CATEGORIES_URL = CATEGORIES_SAVE_AS = "categories.html"
AUTHORS_URL = AUTHORS_SAVE_AS = "authors.html"
# Drafts are never written: a draft must not reach readers, search engines or the feed.
DRAFT_SAVE_AS = DRAFT_URL = ""
DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_URL = ""
DISPLAY_PAGES_ON_MENU = True
DISPLAY_CATEGORIES_ON_MENU = True

# One Atom feed for the whole site; entries carry absolute URLs on SITE_ORIGIN.
FEED_DOMAIN = SITE_ORIGIN
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}

# Broken links, missing images and Pelican warnings fail the build when True (`--strict` sets it too).
ISLET_STRICT = False

# Article and page bodies go through Jinja (sandboxed, with `data` from content/data/) before Markdown.
# Off unless asked: a Markdown file's braces are text. An article decides for itself with `Jinja: yes|no`.
ISLET_CONTENT_JINJA = True

# What islet changes in the output only when a site asks; this site asks for all of it:
# - _headers with a Content-Security-Policy derived from what the pages load (here nothing of other hosts, no
#   style attributes: a strict one);
ISLET_HEADERS = True
# - every <img> sized, resized variants in <picture> for ISLET_IMAGE_SIZES, AVIF as well as WebP (smaller, slower
#   to encode: a few images here);
ISLET_IMAGES = True
ISLET_IMAGE_FORMATS = ["avif", "webp"]
# - table alignment as class="align-right" (styled in theme/static/css), so the policy needs no style attributes.
ISLET_ALIGN_CLASSES = True
