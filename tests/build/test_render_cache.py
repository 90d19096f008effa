"""islet.build.render_cache: the arguments of a write_file call, as its key sees them."""
import inspect

from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.writers import Writer

from islet.build.render_cache import _arguments

_NAMES = ["relative_urls", "paginated", "template_name", "override_output", "url", "name", "self", "context",
          "kwargs", "article", "articles", "dates", "page_name"]


@settings(max_examples=300, deadline=None)
@given(positional=st.lists(st.integers(), max_size=7), named=st.dictionaries(st.sampled_from(_NAMES), st.integers(),
                                                                             max_size=5))
def test_write_file_arguments_are_those_inspect_binds(positional, named):
    writer = object()
    try:
        expected = dict(inspect.signature(Writer.write_file).bind(writer, "n", "t", {}, *positional, **named).arguments)
    except TypeError:
        try:
            _arguments(writer, "n", "t", {}, tuple(positional), named)
        except TypeError:
            return
        raise AssertionError("bound a call inspect refuses")
    assert _arguments(writer, "n", "t", {}, tuple(positional), named) == expected


def test_a_feed_is_linked_while_its_articles_are_unchanged_and_made_again_when_one_changes(tmp_path, build_here,
                                                                                          monkeypatch):
    """Real builds: FEED_MAX_ITEMS = 2 of three articles. An edit of the oldest leaves the feed's inputs as
    they were (the feed is not made: its file is the previous build's, linked); an edit of the newest is in the
    feed at once. After each, the output is a clean build's."""
    from support.site import clean_output, make_site, tree

    def article(n: int, body: str) -> str:
        return f"Title: Feed {n}\nDate: 2026-03-0{n}\nCategory: Sea\n\n{body}\n"

    site = make_site(tmp_path / "site", {f"content/articles/feed-{n}.md": article(n, f"Body {n}.") for n in (1, 2, 3)})
    with site.path("pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nFEED_MAX_ITEMS = 2\n")
    made = []
    write_feed = Writer.write_feed
    monkeypatch.setattr(Writer, "write_feed", lambda self, *args, **kwargs: made.append(args[2])
                        or write_feed(self, *args, **kwargs))
    feed = site.path("build/feeds/all.atom.xml")
    build_here(site.root)
    assert made == ["feeds/all.atom.xml"]
    before = feed.stat().st_ino

    site.path("content/articles/feed-1.md").write_text(article(1, "Oldest, edited."), encoding="utf-8")
    build_here(site.root)
    assert made == ["feeds/all.atom.xml"] and feed.stat().st_ino == before
    assert tree(site) == clean_output(site, tmp_path / "clean-1")

    site.path("content/articles/feed-3.md").write_text(article(3, "Newest, edited."), encoding="utf-8")
    build_here(site.root)
    assert made == ["feeds/all.atom.xml"] * 2 and "Newest, edited." in feed.read_text(encoding="utf-8")
    assert tree(site) == clean_output(site, tmp_path / "clean-3")
