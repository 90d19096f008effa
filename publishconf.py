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
ISLET_PRECOMPRESS = True                       # .br/.gz beside each text file, for the CDN

# Where `./dev publish` sends the site (the command line's --target and --endpoint-url win). One of:
#   "s3://bucket/prefix"            S3-compatible storage; set ISLET_PUBLISH_ENDPOINT for non-AWS stores
#   "ssh://user@host:port/path"     rsync over SSH (or "user@host:/path")
#   "git:/path/or/url#gh-pages"     a git branch, GitHub Pages style
# Credentials never go here: S3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) from the environment.
ISLET_PUBLISH_TARGET = ""
ISLET_PUBLISH_ENDPOINT = ""                    # e.g. "https://<account>.r2.cloudflarestorage.com"
ISLET_PUBLISH_MAX_DELETES = 256                # a publish deleting more stops and says how to allow it
ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION = ""     # e.g. "E2QWRUHAPOMQZL": invalidate changed pages after publishing
