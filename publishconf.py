"""Settings for production: absolute URLs and an Atom feed. Used by `./dev build --production`."""
import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F401,F403

SITEURL = "https://islet.example"
SITE_ORIGIN = SITEURL
RELATIVE_URLS = False

FEED_DOMAIN = SITEURL
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
ISLET_STRICT = True
