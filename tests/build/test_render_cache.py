"""islet.build.render_cache and its keys (islet.build.render_keys): the arguments of a write_file call, as its key
sees them; what real builds link from the previous one instead of making."""
import inspect

from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.writers import Writer

from islet.build.render_keys import arguments

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
            arguments(writer, "n", "t", {}, tuple(positional), named)
        except TypeError:
            return
        raise AssertionError("bound a call inspect refuses")
    assert arguments(writer, "n", "t", {}, tuple(positional), named) == expected


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


def test_pages_of_a_list_that_show_no_edited_article_are_linked_from_the_previous_build(tmp_path, build_here,
                                                                                         monkeypatch):
    """Real builds of nine articles, two to a page: an edit to one article's body changes the key of every list
    that shows it, and the pages of those lists that show other articles only are linked from the previous build
    (CachingWriter.link_page), not rendered or looked up. A page that read the edited article (its summary, in a
    sidebar) is made again. After each edit, the output is a clean build's."""
    from support.site import clean_output, make_site, tree

    from islet.build.render_cache import CachingWriter

    def article(n: int, body: str) -> str:
        return f"Title: Listed {n}\nDate: 2026-03-0{n}\nCategory: Sea\n\n{body}\n"

    site = make_site(tmp_path / "site", {f"content/articles/listed-{n}.md": article(n, f"Body {n}.")
                                         for n in range(1, 10)})
    with site.path("pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nDEFAULT_PAGINATION = 2\n")
    monkeypatch.setenv("ISLET_PROCESSES", "1")          # the pages linked are seen in this process
    linked = []
    link_page = CachingWriter.link_page
    monkeypatch.setattr(CachingWriter, "link_page", lambda self, name, shown: link_page(self, name, shown)
                        and not linked.append(name))
    build_here(site.root)
    assert linked == []
    lists = ["", "category/sea", "author/the-islet-team"]    # three lists of the nine articles: five pages each

    def pages(*numbers: int) -> list[str]:
        return sorted(f"{base}{'/' if base else ''}page/{n}.html" if n > 1 else f"{base or 'index'}.html"
                      for base in lists for n in numbers)

    def edit(n: int, body: str, clean: str) -> list[str]:
        linked.clear()
        site.path(f"content/articles/listed-{n}.md").write_text(article(n, body), encoding="utf-8")
        build_here(site.root)
        assert body in site.path(f"build/articles/listed-{n}.html").read_text(encoding="utf-8")
        assert tree(site) == clean_output(site, tmp_path / clean)
        return sorted(linked)

    assert all(site.path(f"build/{name}").is_file() for name in pages(1, 2, 3, 4, 5))
    # Article 1 is alone on the last page, which the fourth shows as its next: pages 1 to 3 are linked.
    assert edit(1, "The oldest, edited.", "clean-1") == pages(1, 2, 3)
    # Article 5 is on page 3, which pages 2 and 4 show as their next and previous.
    assert edit(5, "The middle one, edited.", "clean-5") == pages(1, 5)
    # A sidebar on every page shows the summaries of the two newest: an edit to one of them makes every page again.
    base = site.path("theme/templates/base.html")
    base.write_text(base.read_text().replace("</main>", "</main>{% for a in articles[:2] %}<aside>{{ a.summary }}"
                                             "</aside>{% endfor %}", 1))
    build_here(site.root)
    assert edit(9, "The newest, edited.", "clean-9") == []
    assert edit(3, "Another, edited.", "clean-3") == pages(1, 2)     # page 4, shown by 3 and 5
