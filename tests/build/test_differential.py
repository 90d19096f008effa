"""Randomized differential test of incremental builds: a theme made of realistic template accesses, a random
sequence of edits, and after every step the incremental output must equal a clean build's, byte for byte.

The theme: the islet theme with a few snippets, drawn from `VOCABULARY`, at the end of every page (summaries and
bodies of other articles, `selectattr`, a tag cloud with counts, `dates`, `pages`, a data file, the paginated
list). The edits (`EDITS`; those of content in tests/support/edits.py): bodies, summaries, titles, dates, tags,
slugs, categories, authors, modified dates, status, new, translated, renamed and deleted articles, files linked with
{attach} or {static}, the data file, a template, a setting and a widget. tests/build/test_differential_themes.py makes the same edits on sites with themes
and a plugin nobody here wrote. In CI: a fixed seed and `STEPS` steps. A longer run on request:
``ISLET_DIFFERENTIAL_STEPS=200 ISLET_DIFFERENTIAL_SEED=7 pytest tests/build/test_differential.py``.
"""
from __future__ import annotations

import json
import os
import random
import re

from support.edits import CONTENT_EDITS, article, assert_builds_equal_clean_builds, sentence
from support.site import Site, make_site

SEED = int(os.environ.get("ISLET_DIFFERENTIAL_SEED", "2026"))
STEPS = int(os.environ.get("ISLET_DIFFERENTIAL_STEPS", "8"))

VOCABULARY = [
    "{% for a in articles[:2] %}<aside>{{ a.summary }}</aside>{% endfor %}",
    "<p>{% for a in articles|selectattr('tags') %}{{ a.title }};{% endfor %}</p>",
    "<p>{% for tag, items in tags %}{{ tag }} ({{ items|length }}) {% endfor %}</p>",
    "<p>{% for a in dates[:3] %}{{ a.date.year }}-{{ a.slug }} {% endfor %}</p>",
    "<p>{% for p in pages %}{{ p.title }}: {{ p.content|striptags|truncate(24) }}{% endfor %}</p>",
    "<p>{{ data.facts.motto }}</p>",
    "<p>{% if articles_page %}{{ articles_page.number }}/{{ articles_page.paginator.num_pages }}{% endif %}</p>",
    "<p>{% if article %}{% for o in articles if o.category == article.category %}"
    "{{ o.content|striptags|wordcount }} {% endfor %}{% endif %}</p>",
]
def edit_data(site, rng):
    site.path("content/data/facts.json").write_text(json.dumps({"motto": sentence(rng)}), encoding="utf-8")
    return "data file"


def edit_template(site, rng):
    base = site.path("theme/templates/base.html")
    base.write_text(re.sub(r"<!-- edition \d+ -->", f"<!-- edition {rng.randint(1, 999)} -->", base.read_text()))
    return "template"


def edit_setting(site, rng):
    conf = site.path("pelicanconf.py")
    text = re.sub(r"\nDEFAULT_PAGINATION = \d+\n", "\n", conf.read_text())
    conf.write_text(text + f"\nDEFAULT_PAGINATION = {rng.choice([2, 3, 10])}\n")
    return "setting DEFAULT_PAGINATION"


def edit_widget(site, rng):
    tabs = site.path("widgets/tabs.py")
    tabs.write_text(tabs.read_text() + f"\n# edit {rng.randint(1, 999)}\n")
    return "widget"


EDITS = [*CONTENT_EDITS, edit_data, edit_template, edit_setting, edit_widget]


def themed_site(folder, rng: random.Random) -> Site:
    files = {f"content/articles/a{n}.md": article(rng, n) for n in range(1, 7)}
    files["content/pages/about.md"] = f"Title: About\n\n{sentence(rng)}\n"
    files["content/data/facts.json"] = json.dumps({"motto": sentence(rng)})
    site = make_site(folder, files)
    snippets = rng.sample(VOCABULARY, 4)
    base = site.path("theme/templates/base.html")
    base.write_text(base.read_text().replace("</main>", "</main><!-- edition 0 -->" + "".join(snippets), 1))
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text() + "\nDEFAULT_PAGINATION = 2\n")
    return site


def test_incremental_builds_equal_clean_builds_after_random_edits(tmp_path):
    rng = random.Random(SEED)
    site = themed_site(tmp_path / "site", rng)
    assert site.build().code == 0
    assert_builds_equal_clean_builds(site, rng, EDITS, STEPS, tmp_path, f"seed {SEED}")
