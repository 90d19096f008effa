"""Incremental builds of sites on themes and plugins nobody here wrote equal clean builds, after random edits.

tests/build/test_differential.py draws its templates from islet's own theme. Here the sites are those of
tests/test_compat.py (tests/support/compat.py): Pelican's own `notmyidea` theme (its index shows each article's
summary, its first article whole) and `simple` theme, and Reflex from PyPI (a fork of Flex, with the series plugin)
on a pelican-quickstart site, and a third-party-style theme
with a plugin of the site's own, which appends to every article's body as Pelican makes it (content_object_init)
and writes a file of its own when the build ends; and the quickstart site with five plugins from PyPI (neighbors,
readtime, related_posts, series, tag_cloud) whose additions the theme shows. Each theme is copied into the site,
so that it can be edited.

The edits: islet's content edits (tests/support/edits.py), a page's body, a theme template, DEFAULT_PAGINATION.
After each one, the incremental build must equal a clean build of the same sources, byte for byte. In CI: a fixed
seed and `STEPS` steps per site; ``ISLET_DIFFERENTIAL_STEPS=60 ISLET_DIFFERENTIAL_SEED=7`` for a longer run.
"""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path

import pytest
from support.compat import KINDS, QUICKSTART, Kind, settings_text, site_sources
from support.edits import CONTENT_EDITS, assert_builds_equal_clean_builds, sentence
from support.site import Site

SEED = int(os.environ.get("ISLET_DIFFERENTIAL_SEED", "2026"))
STEPS = int(os.environ.get("ISLET_DIFFERENTIAL_STEPS", "6"))


# Plugins from PyPI, as a site installs them (test dependencies, pinned), and what pages show of what they add: the
# next article's title, reading times (from bodies, of every article on a list), related articles' summaries, the
# articles of a series, a tag cloud.
PLUGINS = ("pelican.plugins.neighbors", "pelican.plugins.readtime", "pelican.plugins.related_posts",
           "pelican.plugins.series", "pelican.plugins.tag_cloud")
PLUGIN_SNIPPETS = (
    "{% if article %}<p>{{ article.readtime_with_seconds }}</p>"
    "{% if article.next_article %}<p>{{ article.next_article.title }}</p>{% endif %}"
    "{% for other in article.related_posts %}<aside>{{ other.summary }}</aside>{% endfor %}"
    "{% if article.series %}<p>{{ article.series.name }}: {% for one in article.series.all %}{{ one.title }}; "
    "{% endfor %}</p>{% endif %}{% endif %}"
    "{% for one in articles %}<i>{{ one.readtime_with_seconds }}</i>{% endfor %}"
    "{% for tag, size in tag_cloud %}<b>{{ tag }}:{{ size }}</b>{% endfor %}")
# (tag_cloud shuffles the cloud on each build unless told otherwise: then no two builds are equal, clean or not)
WITH_PLUGINS = Kind("pypi-plugins", QUICKSTART + '\nTAG_CLOUD_SORTING = "alphabetically"\n', "simple", plugins=PLUGINS)


def themed_site(kind: Kind, folder: Path) -> Site:
    """The compat site of `kind` with islet on, its theme copied to theme/ (with a marker to edit in its base)."""
    site_sources(kind, folder)
    shutil.copytree(kind.theme_folder(), folder / "theme")
    base = folder / "theme" / "templates" / "base.html"
    extra = PLUGIN_SNIPPETS if kind is WITH_PLUGINS else ""
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", f"{extra}<!-- edition 0 --></body>", 1),
                    encoding="utf-8")
    settings = settings_text(kind, ["islet"]).replace(f"THEME = {kind.theme!r}", "THEME = 'theme'")
    # build/: where support.site's tree and clean_output look. DELETE_OUTPUT_DIRECTORY: with Pelican's default, a
    # page no longer made (an article made a draft) stays in the output, as Pelican leaves it; a clean build has none.
    settings += 'OUTPUT_PATH = "build"\nDELETE_OUTPUT_DIRECTORY = True\n'
    (folder / "pelicanconf.py").write_text(settings, encoding="utf-8")
    return Site(folder)


def edit_page(site, rng):
    path = rng.choice(sorted(site.path("content/pages").glob("*.md")))
    path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence(rng)}\n", encoding="utf-8")
    return f"body of page {path.name}"


def edit_theme(site, rng):
    base = site.path("theme/templates/base.html")
    text = re.sub(r"<!-- edition \d+ -->", f"<!-- edition {rng.randint(1, 999)} -->", base.read_text(encoding="utf-8"))
    base.write_text(text, encoding="utf-8")
    return "theme's base.html"


def edit_pagination(site, rng):
    conf = site.path("pelicanconf.py")
    text = re.sub(r"\nDEFAULT_PAGINATION = \d+\n", "\n", conf.read_text(encoding="utf-8"))
    conf.write_text(text + f"\nDEFAULT_PAGINATION = {rng.choice([1, 2, 3, 10])}\n", encoding="utf-8")
    return "setting DEFAULT_PAGINATION"


EDITS = [*CONTENT_EDITS, edit_page, edit_theme, edit_pagination]


@pytest.mark.parametrize("kind", [*KINDS, WITH_PLUGINS], ids=[kind.name for kind in [*KINDS, WITH_PLUGINS]])
def test_incremental_builds_on_other_themes_equal_clean_builds(kind, tmp_path):
    rng = random.Random(f"{SEED}-{kind.name}")
    site = themed_site(kind, tmp_path / "site")
    first = site.build()
    assert first.code == 0, first.stderr
    assert_builds_equal_clean_builds(site, rng, EDITS, STEPS, tmp_path, f"{kind.name}, seed {SEED}")
