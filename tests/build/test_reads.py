"""islet.build.reads with the render cache: a page that shows more of *other* articles than their metadata (their
summaries, a reading time a plugin worked out from each body, excerpts of related articles, a number a plugin put
in the context) is rendered again when those change: after each edit, the incremental build equals a clean one."""
from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from pelican.contents import Article

from islet.build import reads
from support.site import Site, incremental_counts, make_site

ARTICLES = {f"content/articles/a{n}.md": f"Title: Article {n}\nDate: 2026-01-0{n} 10:00\nCategory: Notes\n\n"
            f"Opening words of article {n}, written once.\n\nA second paragraph.\n" for n in range(1, 6)}

READTIME = '''"""Reading times, as plugins compute them: from each body."""
from pelican import signals


def reading_time(content):
    if type(content).__name__ == "Article":
        content.readtime = 1 + len((content._content or "").split()) // 5


def register():
    signals.content_object_init.connect(reading_time)
'''

WORDS = '''"""A number for the context, from every body."""
from pelican import signals


def word_count(generator):
    generator.context["all_words"] = sum(len(a._content.split()) for a in generator.articles)


def register():
    signals.article_generator_finalized.connect(word_count)
'''

# What a theme shows of other articles (at the end of every page, in base.html), and the plugins it needs.
SIDEBARS = {
    "summaries": ("{% for a in articles[:2] %}<aside>{{ a.summary }}</aside>{% endfor %}", []),
    "reading times": ("<ul>{% for a in articles %}<li>{{ a.title }}: {{ a.readtime }} min</li>{% endfor %}</ul>",
                      ["readtime"]),
    "related excerpts": ("{% if article %}{% for other in articles if other.slug != article.slug %}"
                         "{% if loop.index < 3 %}<p>{{ other.content|striptags|truncate(30) }}</p>{% endif %}"
                         "{% endfor %}{% endif %}", []),
    "plugin context": ("<p>{{ all_words }} words in all</p>", ["words"]),
}


def site_with(folder, sidebar: str, plugins: list[str] = ()) -> Site:
    site = make_site(folder, {**ARTICLES, "plugins/readtime/__init__.py": READTIME, "plugins/words/__init__.py": WORDS})
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text() + f'\nPLUGIN_PATHS = ["plugins"]\nPLUGINS = {[*plugins, "islet"]!r}\n')
    base = site.path("theme/templates/base.html")
    base.write_text(base.read_text().replace("</main>", f"</main>{sidebar}", 1))
    return site


def clean_twin(site: Site, folder) -> Site:
    """The same sources in another folder, built from nothing (the caches are keyed by the site's paths)."""
    shutil.copytree(site.root, folder, symlinks=True, ignore=shutil.ignore_patterns("build", ".cache", ".build-*"))
    twin = Site(folder)
    assert twin.build().code == 0
    return twin


def differing(site: Site, twin: Site) -> list[str]:
    ours, theirs = site.path("build"), twin.path("build")
    names = {p.relative_to(ours).as_posix() for p in ours.rglob("*") if p.is_file()}
    return sorted(n for n in names if not (theirs / n).is_file() or (ours / n).read_bytes() != (theirs / n).read_bytes())


@pytest.mark.parametrize("pattern", SIDEBARS)
def test_a_body_edit_reaches_every_page_that_shows_it(tmp_path, pattern):
    site = site_with(tmp_path / "site", *SIDEBARS[pattern])
    assert site.build().code == 0
    newest = site.path("content/articles/a5.md")
    newest.write_text(newest.read_text().replace("Opening words of article 5, written once.",
                                                 "New words open article 5, rewritten with more of them than before."))
    rebuilt = site.build()
    assert rebuilt.code == 0, rebuilt.stderr
    assert incremental_counts(rebuilt)["read_cached"] > 0
    assert differing(site, clean_twin(site, tmp_path / "twin")) == []
    assert "rewritten" in site.path("build/articles/article-5.html").read_text()


def test_pages_that_read_only_metadata_of_others_are_still_reused(tmp_path):
    site = site_with(tmp_path / "site", "<ul>{% for a in articles %}<li>{{ a.title }}</li>{% endfor %}</ul>")
    assert site.build().code == 0
    oldest = site.path("content/articles/a1.md")
    oldest.write_text(oldest.read_text().replace("A second paragraph.", "A second paragraph, edited."))
    rebuilt = site.build()
    done = incremental_counts(rebuilt)
    assert done["unchanged"] + done["render_cached"] > done["rendered"], done     # only the edited article's pages
    assert differing(site, clean_twin(site, tmp_path / "twin")) == []


def test_the_recorder_sees_body_reads_and_not_metadata_reads():
    day = datetime(2026, 1, 2)
    article = Article("<p>Body</p>", metadata={"title": "T", "slug": "t", "date": day})
    other = Article("<p>Other</p>", metadata={"title": "O", "slug": "o", "date": day})
    with reads.recording() as read:
        assert (article.title, article.slug, other.title) == ("T", "t", "O")
        assert read == {}
        assert article.content == "<p>Body</p>"
        other.readtime = 3
        assert other.readtime == 3
    assert set(read) == {id(article), id(other)}
    assert "__getattribute__" not in vars(type(article).__mro__[1])     # uninstalled after the block
