"""The content-object cache (islet.build.content_cache): after an edit, Pelican's objects of the other sources
come from the cache, the output is a clean build's, and every case where a kept object could differ from a
made one (a plugin listening, a warning, an article held back for its date) makes it again."""
from __future__ import annotations

import datetime
import time

import pytest

from islet.build.fingerprint import State
from support.site import clean_output, incremental_counts, make_site, tree


def articles(count: int) -> dict[str, str]:
    return {f"content/articles/a{n}.md": f"Title: Note {n}\nDate: 2026-03-1{n}\nTags: tide, reef\nCategory: Sea\n\n"
                                         f"The body of note {n}.\n" for n in range(count)}


def rebuilt_after_an_edit(site, tmp_path, name: str = "content/articles/a1.md") -> dict[str, int]:
    with site.path(name).open("a", encoding="utf-8") as out:
        out.write("\nAn edited paragraph.\n")
    built = site.build()
    assert built.code == 0, built.stderr
    assert tree(site) == clean_output(site, tmp_path / "clean"), "the incremental output differs from a clean build"
    return incremental_counts(built)


def test_the_other_sources_come_back_as_pelican_objects(tmp_path):
    site = make_site(tmp_path / "site", articles(5))
    first = site.build()
    assert first.code == 0, first.stderr
    assert incremental_counts(first)["objects_cached"] == 0
    counts = rebuilt_after_an_edit(site, tmp_path)
    assert counts["objects_cached"] == 4
    assert counts["parsed"] == 1


READING = '''from pelican import signals

def add_reading(generator, metadata):
    metadata["reading"] = "{} min".format(len(metadata.get("title", "")) % 5 + 1)

def register():
    signals.article_generator_context.connect(add_reading)
'''
# A change made as the object is made, which a kept object has already: sent again, it would be made twice.
MARK = '''from pelican import signals

def mark(content):
    content._content = (content._content or "") + "<p>marked once</p>"

def register():
    signals.content_object_init.connect(mark)
'''


def with_plugin(tmp_path, name: str, code: str):
    site = make_site(tmp_path / "site", {**articles(4), f"plugins/{name}.py": code})
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text(encoding="utf-8")
                    + f'\nPLUGIN_PATHS = ["plugins"]\nPLUGINS = [*PLUGINS, "{name}"]\n', encoding="utf-8")
    return site


def test_a_plugin_that_changes_the_metadata_gets_every_object_made(tmp_path):
    site = with_plugin(tmp_path, "reading", READING)
    article = site.path("theme/templates/article.html")
    article.write_text(article.read_text(encoding="utf-8").replace("</article>", "<p>{{ article.reading }}</p></article>", 1),
                       encoding="utf-8")
    assert site.build().code == 0
    counts = rebuilt_after_an_edit(site, tmp_path)
    assert counts["objects_cached"] == 0
    assert counts["read_cached"] == 3
    assert "min</p>" in site.path("build/articles/note-2.html").read_text(encoding="utf-8")


def test_a_plugin_that_changes_objects_as_they_are_made_gets_every_object_made(tmp_path):
    site = with_plugin(tmp_path, "mark", MARK)
    assert site.build().code == 0
    counts = rebuilt_after_an_edit(site, tmp_path)
    assert counts["objects_cached"] == 0
    assert "marked once</p><p>marked once" not in site.path("build/articles/note-2.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, warning", [
    (("The body", '<img src="https://example.org/x.png" alt=""> The body'), "alt"),    # Pelican's, as it reads
    (("Tags: tide, reef", "Tags: tide, !!!"), "slug"),                                  # as the tag is listed
])
def test_an_object_whose_making_warned_is_made_again_and_warns_again(tmp_path, change, warning):
    files = articles(3)
    files["content/articles/a0.md"] = files["content/articles/a0.md"].replace(*change)
    site = make_site(tmp_path / "site", files)
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text(encoding="utf-8") + "\nISLET_STRICT = False\n", encoding="utf-8")
    first = site.build()
    assert first.code == 0, first.stderr
    warned = [line for line in first.lines if warning in line]
    assert warned, first.stderr
    with site.path("content/articles/a1.md").open("a", encoding="utf-8") as out:
        out.write("\nAn edited paragraph.\n")
    again = site.build()
    assert again.code == 0, again.stderr
    assert [line for line in again.lines if warning in line] == warned
    assert incremental_counts(again)["objects_cached"] == 1


def test_an_article_held_back_for_its_date_is_published_when_it_is_due(tmp_path):
    due = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=4)
    files = articles(2)
    files["content/articles/later.md"] = f"Title: Later\nDate: {due.isoformat()}\n\nDue soon.\n"
    site = make_site(tmp_path / "site", files)
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text(encoding="utf-8") + "\nWITH_FUTURE_DATES = False\n", encoding="utf-8")
    assert site.build().code == 0
    assert not site.path("build/articles/later.html").exists()
    state = State.load(site.root, site.path("build"))
    assert state.until == due.timestamp()
    assert "Nothing changed" in site.build().stdout          # not due yet: nothing to do
    time.sleep(max(0.0, due.timestamp() - time.time()) + 0.5)
    after = site.build()
    assert after.code == 0, after.stderr
    assert "Nothing changed" not in after.stdout
    assert site.path("build/articles/later.html").is_file()
    assert tree(site) == clean_output(site, tmp_path / "clean")


@pytest.mark.parametrize("until, expected", [(None, True), (time.time() + 3600, True), (time.time() - 1, False)])
def test_a_state_with_an_article_due_is_unchanged_only_until_then(tmp_path, until, expected):
    output = tmp_path / "build"
    output.mkdir()
    state = State("f", State.identify(output), {}, 1, [], [], {}, until)
    assert state.unchanged("f", output) is expected


def test_a_loaded_object_comes_with_the_digest_of_its_body():
    """The digest stored with an object is that of the body it is loaded with (islet.build.memo.text_digest
    knows it without hashing the body again); an entry without one is loaded all the same."""
    import hashlib

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.build import content_cache, memo

    settings, context = dict(DEFAULT_CONFIG), {}
    article = Article("<p>" + "body " * 400 + "</p>", {"title": "T", "date": SafeDatetime(2026, 1, 1)},
                      settings=settings, context=context, source_path="/c/a.md")
    blob = content_cache._dump(article, {id(settings): "settings", id(context): "context"})
    memo.forget_texts()
    loaded = content_cache._load(blob, {"settings": settings, "context": context})
    body = loaded._content
    assert body == article._content and loaded.settings is settings
    assert memo._digests[id(body)] == (body, hashlib.blake2b(body.encode(), digest_size=20).digest())
    memo.forget_texts()
    assert content_cache._load(b"\0" * content_cache.DIGEST + blob[content_cache.DIGEST:],
                               {"settings": settings, "context": context})._content == body
    assert memo._digests == {}
    assert content_cache._load(b"not a pickle", {}) is None
