"""islet.content.reader: one Markdown instance for every source, and the shortcut in Pelican's link search."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def test_one_markdown_instance_reads_every_source_as_its_own_would(demo_copy, build_here):
    """islet.content.reader.markdown_for reuses one Markdown instance per settings: every demo source (with the
    Markdown in its front matter) reads exactly as with an instance of its own, in either order."""
    from islet import plugin
    from islet.content import reader

    build_here(demo_copy.root)               # configures the reader (data, widgets, templates) as a build does
    settings = plugin.current.generators[0].settings
    sources = sorted(demo_copy.path("content").rglob("*.md"))

    def read_all(order, own_instance: bool) -> dict:
        found = {}
        for path in order:
            if own_instance:
                reader._MARKDOWN.clear()
            html, metadata = reader.IsletMarkdownReader(settings).read(str(path))
            found[path] = (html, repr(sorted(metadata.items())))
        return found

    alone = read_all(sources, own_instance=True)
    assert len(alone) > 15
    assert read_all(sources, own_instance=False) == alone
    assert read_all(list(reversed(sources)), own_instance=False) == alone


INTRASITE = [
    '<p>No links here, only <code>{braces}</code> and a | pipe.</p>',
    '<a href="{filename}other.md">other</a>', "<a href='|filename|other.md'>other</a>",
    '<img alt="" src = "{static}/images/x.png">', '<a href="{attach}files/a.pdf">a</a>',
    '<a href="{tag}python">python</a>', '<a href="{index}">home</a>', '<a title="x" href="https://e.org/{a}">e</a>',
    '<p data-x="{not a link}">a</p>', '<a href="{filename}missing.md">gone</a>',
]


@pytest.mark.parametrize("html", INTRASITE)
def test_articles_without_intrasite_links_skip_pelicans_search(html, tmp_path):
    """With the shortcut, Pelican's Content finds the same static links and writes the same HTML."""
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.content.reader import quicker_pelican

    quicker_pelican()
    context = {"generated_content": {}, "static_content": {}, "static_links": set(), "localsiteurl": ""}
    article = Article(html, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context=context,
                      settings={**DEFAULT_CONFIG, "PATH": str(tmp_path)}, source_path=str(tmp_path / "a.md"))
    links, update = Article.get_static_links, Article._update_content
    assert links(article) == links.pelicans(article)
    assert update(article, html, "https://example.org") == update.pelicans(article, html, "https://example.org")
    if article._get_intrasite_link_regex().search(html) is None:        # skipped: the very same string back
        assert update(article, html, "https://example.org") is html
    if "{index}" in html:                                                # a link Pelican does rewrite
        assert 'href="https://example.org/index.html"' in update(article, html, "https://example.org")


def test_static_links_remembered_between_builds_are_those_of_the_objects_folder(tmp_path, monkeypatch):
    """The same HTML in two folders links to two files: what a build remembers is keyed by the folder too."""
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.build.memo import Memo
    from islet.content.reader import IsletMarkdownReader, quicker_pelican

    quicker_pelican()
    memos: dict[str, Memo] = {}

    def memoised(name, function):
        memos.setdefault(name, Memo(None, function)).function = function
        return memos[name]

    monkeypatch.setattr(IsletMarkdownReader, "memoised", staticmethod(memoised))
    html = '<img alt="" src="{static}images/x.png"> <a href="{attach}../files/a.pdf">a</a>'
    found = {}
    for folder in ("one", "two/three", "one"):
        article = Article(html, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context={},
                          settings={**DEFAULT_CONFIG, "PATH": str(tmp_path)}, source_path=str(tmp_path / folder / "a.md"))
        links = Article.get_static_links(article)
        assert links == Article.get_static_links.pelicans(article)
        found.setdefault(folder, links)
        assert links == found[folder]
    assert found["one"] == {"one/images/x.png", "files/a.pdf"}
    assert found["two/three"] == {"two/three/images/x.png", "two/files/a.pdf"}
    assert len(memos["static_links"].used) == 2
    # Absolute paths: the same links from any working folder, remembered once. A relative content folder and
    # source path: the working folder decides, and is part of the key.
    for here in ("one", "two"):
        (tmp_path / here).mkdir(exist_ok=True)
        monkeypatch.chdir(tmp_path / here)
        article = Article(html, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context={},
                          settings={**DEFAULT_CONFIG, "PATH": str(tmp_path)}, source_path=str(tmp_path / "one" / "a.md"))
        assert Article.get_static_links(article) == found["one"]
        relative = Article(html, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context={},
                           settings={**DEFAULT_CONFIG, "PATH": "."}, source_path="sub/a.md")
        assert Article.get_static_links(relative) == Article.get_static_links.pelicans(relative)
    assert len(memos["static_links"].used) == 4


@pytest.mark.parametrize("path, given", [("content", None), ("content", "images/../a b.png"), (".", "x/y.md"),
                                         ("content", "../outside.md"), ("content", "/abs/file.md")])
def test_relative_source_paths_worked_out_once_are_pelicans_in_any_working_folder(tmp_path, monkeypatch, path, given):
    """Remembered per (path, content folder, working folder): a relative PATH means another thing elsewhere."""
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.content.reader import quicker_pelican

    quicker_pelican()
    for folder in ("one", "two", "one"):
        (tmp_path / folder).mkdir(exist_ok=True)
        monkeypatch.chdir(tmp_path / folder)
        article = Article("<p>x</p>", metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context={},
                          settings={**DEFAULT_CONFIG, "PATH": path}, source_path=f"{path}/articles/a.md")
        ours = Article.get_relative_source_path(article, given)
        assert ours == Article.get_relative_source_path.pelicans(article, given)


_PART = st.sampled_from(["content", "a", "b c", ".", "..", "", "articles", "x.md", "é"])


@settings(max_examples=300, deadline=None)
@given(content=st.lists(_PART, max_size=3), source=st.lists(_PART, min_size=1, max_size=5),
       absolute=st.booleans(), content_absolute=st.booleans(), trailing=st.booleans(),
       cwd=st.sampled_from(["/", "/srv/site", "/srv/site/content"]))
def test_relative_paths_taken_as_a_slice_are_pelicans(content, source, absolute, content_absolute, trailing, cwd):
    """Any source path (normalised or not, inside the content folder or not) and any content folder
    (absolute or relative, "/" included): the same relative path and folder as Pelican's."""
    from unittest import mock

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.content.reader import quicker_pelican

    quicker_pelican()
    folder = ("/" if content_absolute else "") + "/".join(content) + ("/" if trailing else "")
    path = ("/srv/site/" if absolute else "") + "/".join(source)
    folder = folder or "."
    article = Article("<p>x</p>", metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context={},
                      settings={**DEFAULT_CONFIG, "PATH": folder}, source_path=path)
    with mock.patch("os.getcwd", return_value=cwd):         # posixpath.abspath asks os too
        assert Article.get_relative_source_path(article) == Article.get_relative_source_path.pelicans(article)
        assert article.relative_dir == Article.relative_dir.fget.pelicans(article)


def test_a_link_that_is_no_url_leaves_the_html_as_it_is_instead_of_crashing(tmp_path):
    """Pelican raises ValueError on {filename}//[x (plain Pelican stops the build); the link check reports it."""
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.content.reader import quicker_pelican

    quicker_pelican()
    html = '<p><a href="{filename}//[x">x</a> <a href="{filename}other.md">other</a></p>'
    context = {"generated_content": {}, "static_content": {}, "static_links": set(), "localsiteurl": ""}
    article = Article(html, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context=context,
                      settings={**DEFAULT_CONFIG, "PATH": str(tmp_path)}, source_path=str(tmp_path / "a.md"))
    with pytest.raises(ValueError):
        Article.get_static_links.pelicans(article)
    assert Article.get_static_links(article) == set()
    assert Article._update_content(article, html, "https://example.org") == html


TABLE = """Title: A table
Date: 2026-03-14 09:30
Summary: One right-aligned column.

| name | stars |
|:-----|------:|
| a    |     1 |
"""


@pytest.mark.parametrize("align_classes", [True, False, True])
def test_table_alignment_is_a_class_only_when_the_site_asks(align_classes, tmp_path, monkeypatch):
    """ISLET_ALIGN_CLASSES: class="align-right" (which the demo theme styles), else Markdown's style attribute.
    One Markdown instance serves every read (markdown_for): switching back and forth must not leak."""
    from pelican.settings import DEFAULT_CONFIG

    from islet.content.reader import IsletMarkdownReader

    monkeypatch.setattr(IsletMarkdownReader, "align_classes", align_classes)
    monkeypatch.setattr(IsletMarkdownReader, "root", tmp_path)
    source = tmp_path / "table.md"
    source.write_text(TABLE, encoding="utf-8")
    html, _ = IsletMarkdownReader({**DEFAULT_CONFIG, "MARKDOWN": {"extensions": ["markdown.extensions.tables"]}}).read(str(source))
    if align_classes:
        assert '<td class="align-right">1</td>' in html and "style=" not in html
    else:
        assert '<td style="text-align: right;">1</td>' in html and "align-" not in html


def test_a_site_that_does_not_ask_keeps_markdowns_style_attribute(tmp_path):
    """ISLET_ALIGN_CLASSES is off by default (the demo's pelicanconf.py without it): a third-party theme
    defines no align-* classes. Turning it on reads the source again (the reader cache keys on the settings)."""
    import re

    from support.site import make_site

    site = make_site(tmp_path / "site", {"content/articles/table.md": TABLE})
    conf = site.path("pelicanconf.py")
    conf.write_text(re.sub(r"^ISLET_ALIGN_CLASSES = .*\n", "", conf.read_text(encoding="utf-8"), flags=re.M))
    assert "ISLET_ALIGN_CLASSES" not in conf.read_text(encoding="utf-8")
    result = site.build()
    assert result.code == 0, result.stderr
    html = site.path("build/articles/a-table.html").read_text(encoding="utf-8")
    assert '<td style="text-align: right;">1</td>' in html and 'class="align-' not in html
    conf.write_text(conf.read_text(encoding="utf-8") + "\nISLET_ALIGN_CLASSES = True\n", encoding="utf-8")
    result = site.build()
    assert result.code == 0, result.stderr
    html = site.path("build/articles/a-table.html").read_text(encoding="utf-8")
    assert '<td class="align-right">1</td>' in html and 'style="text-align' not in html


@settings(max_examples=300, deadline=None)
@given(calls=st.lists(st.tuples(
    st.one_of(st.text(max_size=20), st.sampled_from(["Python", "Static Hosting", "C++", "Ünïcode café", "<b>Bold</b>",
                                                     "a  b", "Über-Tag", "日本語"])),
    st.sampled_from([(), (("[^\\w\\s-]", ""), ("(?u)\\A\\s*", ""), ("(?u)\\s*\\Z", ""), ("[-\\s]+", "-")),
                     [["C\\+\\+", "cpp"]], (("-", "_"),)]),
    st.booleans(), st.booleans()), min_size=1, max_size=12))
def test_a_remembered_slug_is_pelicans(calls):
    """islet.content.reader.remembered_slugify: the same slug as Pelican's slugify, for any text and settings, in
    any order of calls (a list of pairs, as in settings files, or tuples)."""
    from markupsafe import Markup
    from pelican.utils import slugify

    from islet.content.reader import remembered_slugify

    remembered = remembered_slugify(slugify, limit=5)
    for value, subs, preserve_case, use_unicode in calls + calls:         # each call twice: the second remembered
        for given_value in (value, Markup(value)):
            assert remembered(given_value, regex_subs=subs, preserve_case=preserve_case, use_unicode=use_unicode) \
                == slugify(given_value, regex_subs=subs, preserve_case=preserve_case, use_unicode=use_unicode)
    assert remembered(["not", "hashable"]) == slugify(["not", "hashable"])


@settings(max_examples=300)
@given(st.text(alphabet="ab{|'\"<>= ", max_size=40))
def test_a_quote_before_a_brace_or_bar_is_found_as_pelicans_link_syntax_needs(html):
    """HTML without a quote followed by "{" or "|" holds no intrasite link: Pelican's search is skipped for it."""
    from islet.content.reader import _quoted_brace_or_bar

    assert _quoted_brace_or_bar(html) == any(pair in html for pair in ('"{', "'{", '"|', "'|"))
