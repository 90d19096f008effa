"""Every path a build reads or writes stays inside the site: islet.content.paths (where sources are written,
what their links copy), the input scan of islet.build.fingerprint (what is read), and real builds of a site
whose content is hostile: each fails with one line naming the file (and line), exits 1, writes nothing outside
the site and leaves the previous build/ as it was."""
from __future__ import annotations

import os
import shutil
import types

import pytest
from pelican.contents import Content
from pelican.settings import DEFAULT_CONFIG

from islet.build.fingerprint import Inputs, paths_of
from islet.content import paths
from islet.content.paths import Output
from islet.errors import ContentError
from support.site import folder_digest, make_site


# --- where a source is written ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, reason", [
    ("", None),
    ("index.html", None),
    ("articles/my-article.html", None),
    ("articles/a..b.html", None),
    ("/tmp/outside.html", "is absolute"),
    ("\\outside.html", "is absolute"),
    ("C:/outside.html", "is absolute"),
    ("../../outside.html", "goes up a folder with '..'"),
    ("articles/../index.html", "goes up a folder with '..'"),
    ("articles/..", "goes up a folder with '..'"),
    ("articles\\..\\index.html", "goes up a folder with '..'"),
    ("a\0b.html", "holds a NUL character"),
])
def test_escape(path, reason):
    assert paths.escape(path) == reason


@pytest.mark.parametrize("url, reason", [
    ("articles/x.html", None),
    ("about/", None),
    ("https://elsewhere.example/x.html", "is absolute"),
    ("//elsewhere.example/x.html", "is absolute"),
    ("/about/", "is absolute"),
    ("../about/", "goes up a folder with '..'"),
    ("http://[", "is not a valid URL"),
])
def test_url_escape(url, reason):
    assert paths.url_escape(url) == reason


@pytest.mark.parametrize("path, expected", [
    ("a/b.html", "a/b.html"), ("a//b.html", "a/b.html"), ("./a.html", "a.html"), ("a/./b.html", "a/b.html"), ("", ""),
])
def test_normalised(path, expected):
    assert paths.normalised(path) == expected


@pytest.mark.parametrize("metadata, path, key", [
    ({"save_as": "../x.html", "slug": "x"}, "../x.html", "save_as"),
    ({"title": "X", "slug": "../index"}, "articles/../index.html", "slug"),
    ({"title": "X", "slug": "x", "lang": "../../fr"}, "x-../../fr.html", "lang"),
    ({"title": "X", "slug": "x"}, "../x.html", ""),               # the settings made it
])
def test_culprit_is_the_key_that_made_the_path(metadata, path, key):
    assert paths.culprit(metadata, path) == key


@pytest.mark.parametrize("metadata, key", [
    ({"title": "X"}, "title"), ({"title": "X", "slug": "x"}, "slug"), ({"slug": "x", "save_as": "x.html"}, "save_as"),
])
def test_writer_key(metadata, key):
    assert paths.writer_key(metadata) == key


def test_escapes_name_the_source_and_line_and_leave_the_site_alone():
    problems = paths.escapes([Output("articles/../index.html", "content/a.md", 3, "slug"),
                              Output("/abs.html", "content/b.md", 2, "save_as"),
                              Output("articles/c.html", "content/c.md", 1, "title"),
                              Output("../feeds/all.atom.xml", "the feed FEED_ALL_ATOM", site=True)])
    assert [str(p) for p in problems] == [
        "content/a.md:3: output path 'articles/../index.html' goes up a folder with '..' — write 'Slug:' with "
        "letters, digits and dashes only, e.g. 'Slug: my-article'",
        "content/b.md:2: output path '/abs.html' is absolute — write 'Save_as:' as a path inside the site, without "
        "a leading '/' or '..', e.g. 'articles/my-article.html'"]


def test_a_duplicate_blames_the_later_source_by_name_on_normalised_paths():
    problems = paths.duplicates([Output("articles/b.html", "content/b.md", 2, "slug"),
                                 Output("articles/./b.html", "content/a.md", 1, "title"),
                                 Output("articles/c.html", "content/c.md", 1, "title")])
    assert [str(p) for p in problems] == [
        "content/b.md:2: writes articles/b.html, which content/a.md writes too (duplicate slug) — give one of them "
        "a different 'Slug:' (or title)"]


def test_the_sites_own_output_is_kept_and_a_static_file_before_a_source_that_chose_its_path():
    problems = paths.duplicates([Output("index.html", "content/pages/home.md", 2, "slug"),
                                 Output("index.html", "the theme's index page", site=True),
                                 Output("images/x.png", "content/articles/a.md", 3, "save_as"),
                                 Output("images/x.png", "content/images/x.png"),
                                 Output("tags.html", "the theme's tags page", site=True),
                                 Output("tags.html", "the feed FEED_ATOM", site=True)])
    assert [(p.path, p.line, p.what) for p in problems] == [
        ("content/articles/a.md", 3,
         "writes images/x.png, which content/images/x.png writes too (duplicate output path)"),
        ("content/pages/home.md", 2, "writes index.html, which the theme's index page writes too (duplicate slug)")]
    assert problems[1].fix == "give it a different 'Slug:'"


def test_one_file_read_twice_is_no_duplicate():
    assert paths.duplicates([Output("images/x.png", "content/images/x.png"),
                             Output("images/x.png", "content/images/x.png")]) == []


def test_a_file_where_another_output_needs_a_folder():
    problems = paths.duplicates([Output("tag", "content/pages/t.md", 2, "save_as"),
                                 Output("tag/python.html", "the tag page of 'python'", site=True),
                                 Output("a/b.html", "content/a.md", 1, "save_as"),
                                 Output("a/b.html/c.html", "content/z.md", 1, "save_as")])
    assert [(p.path, p.what) for p in problems] == [
        ("content/z.md",
         "writes a/b.html/c.html, but content/a.md writes a/b.html: a/b.html cannot be a file and a folder"),
        ("content/pages/t.md", "writes tag, but the tag page of 'python' writes tag/python.html: tag cannot be a file "
                               "and a folder")]


# --- what a link makes Pelican read ------------------------------------------------------------------------

@pytest.mark.parametrize("link, folder, target, leaves", [
    ("/images/x.png", "articles", "images/x.png", False),
    ("images/x.png", "articles", "articles/images/x.png", False),
    ("../images/x.png", "articles", "images/x.png", False),
    ("/images/../images/x.png", "", "images/x.png", False),
    ("/../../probe.txt", "articles", "../../probe.txt", True),
    ("../../probe.txt", "articles", "../probe.txt", True),
    ("..", "", "..", True),
    ("//etc/passwd", "", "/etc/passwd", True),
    ("", "articles", ".", False),
])
def test_link_target(link, folder, target, leaves):
    assert paths.link_target(link, folder) == target
    assert paths.outside(target) is leaves


PATTERN = Content._get_intrasite_link_regex(types.SimpleNamespace(settings=DEFAULT_CONFIG))


def test_links_outside_finds_every_spelling_pelican_tries():
    markup = ('<a href="{static}/images/x.png">in</a> <img src="{static}/../../probe.txt">'
              '<a href="{attach}%2E%2E/secret.txt">x</a> <a href="{filename}../../a.md">y</a>'
              '<a href="{tag}../python">a tag is no file</a> <a href="|static|/%2E%2E/x">z</a>')
    assert paths.links_outside(markup, PATTERN, "articles") == [
        ("static", "{static}/../../probe.txt"), ("filename", "{filename}../../a.md"), ("static", "|static|/%2E%2E/x")]
    assert paths.links_outside(markup, PATTERN, "articles/deeper/still") == [
        ("static", "{static}/../../probe.txt"), ("static", "|static|/%2E%2E/x")]


def test_a_link_that_is_no_url_leaves_nothing_and_raises_nothing():
    """urlsplit raises on `//[x` (an unclosed IPv6 host): such a link names no file, outside or in; the link check
    reports it at its line (tests/content/test_escaped_links.py)."""
    markup = '<a href="{static}//[x">a</a> <a href="{attach}//[x&amp;y">b</a> <a href="{static}/../../p.txt">c</a>'
    assert paths.links_outside(markup, PATTERN, "articles") == [("static", "{static}/../../p.txt")]


def test_link_problem_points_at_the_line_that_holds_the_link():
    text = "Title: T\n\nSome text.\n\nSee [the probe]({static}/../../probe.txt).\n"
    problem = paths.link_problem("content/a.md", text, "static", "{static}/../../probe.txt", "content")
    assert str(problem) == ("content/a.md:5: {static} link '{static}/../../probe.txt' points outside the content "
                            "folder — link to a file inside content/, e.g. {static}/images/diagram.svg")
    assert paths.link_problem("content/a.md", "Title: T\n", "static", "{static}/../x", "content").line == 0


# --- what the input scan reads -----------------------------------------------------------------------------

def scan(root):
    folders = paths_of({"PATH": str(root / "content"), "THEME": str(root / "theme")})
    return Inputs.scan(root, root / "pelicanconf.py", root / "build", {}, folders)


def small_tree(tmp_path):
    root = tmp_path / "site"
    for folder in ("content/data", "content/images", "theme/templates"):
        (root / folder).mkdir(parents=True)
    (root / "pelicanconf.py").write_text("PATH = 'content'\n")
    (root / "content" / "a.md").write_text("Title: A\n\nText.\n")
    (root / "theme" / "templates" / "base.html").write_text("<html></html>\n")
    (tmp_path / "secret.txt").write_text("not for the site\n")
    return root.resolve()


def refused(root) -> list[str]:
    with pytest.raises(ContentError) as raised:
        scan(root)
    return [str(p) for p in raised.value.problems]


def test_the_scan_refuses_what_is_not_a_regular_file_inside_its_folder(tmp_path):
    root = small_tree(tmp_path)
    content = root / "content"
    os.mkfifo(content / "pipe.md")
    os.mkfifo(content / "data" / "pipe.csv")
    (content / "data" / "x.yaml").symlink_to(tmp_path / "secret.txt")
    (content / "images" / "loop-a").symlink_to("loop-b")
    (content / "images" / "loop-b").symlink_to("loop-a")
    (content / "images" / "up").symlink_to("..")
    (content / "images" / "same.md").symlink_to("../a.md")             # a file inside: fine
    (content / ".#a.md").symlink_to("user@host.1234:1700000000")       # an editor's lock file: fine
    (root / "theme" / "templates" / "leak.html").symlink_to(tmp_path / "secret.txt")
    assert refused(root) == [
        "content/data/pipe.csv: is a named pipe (FIFO), not a regular file (not opened) — delete it: only regular "
        "files are read",
        f"content/data/x.yaml: is a symlink to {tmp_path.resolve() / 'secret.txt'}, outside content/ — copy what it "
        "links to into content/ instead of linking to it",
        "content/images/loop-a: is a symlink loop — delete the link",
        "content/images/loop-b: is a symlink loop — delete the link",
        "content/images/up: is a symlink to a folder — put the files themselves here: Pelican would read them a "
        "second time, or without end where a link leads back",
        "content/pipe.md: is a named pipe (FIFO), not a regular file (not opened) — delete it: only regular files "
        "are read",
        f"theme/templates/leak.html: is a symlink to {tmp_path.resolve() / 'secret.txt'}, outside theme/ — copy "
        "what it links to into theme/ instead of linking to it"]


def test_the_data_folder_itself_must_be_inside_the_content_folder(tmp_path):
    root = small_tree(tmp_path)
    shutil.rmtree(root / "content" / "data")
    (tmp_path / "elsewhere").mkdir()
    (root / "content" / "data").symlink_to(tmp_path / "elsewhere")
    assert refused(root) == [f"content/data: is a symlink to {tmp_path.resolve() / 'elsewhere'}, outside content/ — "
                             "copy what it links to into content/ instead of linking to it"]


def test_a_theme_may_live_anywhere_and_a_clean_tree_scans_as_before(tmp_path):
    root = small_tree(tmp_path)
    first = scan(root).parts
    shutil.move(root / "theme", tmp_path / "shared-theme")
    (root / "theme").symlink_to(tmp_path / "shared-theme")
    assert scan(root).parts["theme"] == first["theme"]
    (root / "content" / "b.md").write_text("Title: B\n\nText.\n")
    assert scan(root).parts["content"] != first["content"]


# --- real builds of a hostile site --------------------------------------------------------------------------

ARTICLE = "Title: First\nDate: 2026-03-01 09:00\n\nHello, islands.\n"
PAGE = "Title: About\n\nAbout this site.\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\n'


def site_at(tmp_path, content="content"):
    """A small site of its own, built once successfully; the folder above it holds `secret.txt`."""
    (tmp_path / "secret.txt").write_text("not for the site\n")
    site = make_site(tmp_path / "site", {f"{content}/articles/first.md": ARTICLE, f"{content}/pages/about.md": PAGE,
                                         f"{content}/images/dot.svg": SVG})
    if content != "content":
        settings = site.path("pelicanconf.py")
        settings.write_text(settings.read_text().replace('PATH = "content"', f'PATH = "{content}"', 1))
    result = site.build()
    assert result.code == 0, result.stderr
    return site


def around(site) -> list[str]:
    """Everything in the folders around the site (and above it): where an escaping write would land."""
    return sorted(str(p) for folder in (site.root.parent, site.root.parent.parent) for p in folder.iterdir())


def fails_clearly(site, where, fragment, *args):
    before, outside = site.output_digest(), around(site)
    result = site.build(*args)
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    *problems, summary = result.lines
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith(where) and fragment in problems[0], result.stderr
    assert " — " in problems[0], "each message says what to do"
    assert summary.startswith("Build failed:") and "left as it was" in summary
    assert site.output_digest() == before
    assert around(site) == outside
    assert not list(site.root.glob(".build-*")), "no staging folder is left behind"


def test_a_data_file_linked_to_a_file_outside_is_not_published(tmp_path):
    site = site_at(tmp_path)
    site.path("content/data").mkdir()
    site.path("content/data/x.yaml").symlink_to("/etc/passwd")
    fails_clearly(site, "content/data/x.yaml: ", "is a symlink to /etc/passwd, outside content/")


def test_a_static_file_linked_outside_the_content_folder_is_not_copied(tmp_path):
    site = site_at(tmp_path)
    site.path("content/images/secret.txt").symlink_to(tmp_path / "secret.txt")
    fails_clearly(site, "content/images/secret.txt: ", "outside content/")
    assert not (site.root / "build" / "images" / "secret.txt").exists()


def test_a_theme_file_linked_outside_the_theme_is_not_read(tmp_path):
    site = site_at(tmp_path)
    site.path("theme/static/leak.txt").symlink_to(tmp_path / "secret.txt")
    fails_clearly(site, "theme/static/leak.txt: ", "outside theme/")


@pytest.mark.parametrize("where", ["content/articles/pipe.md", "content/data/pipe.csv"])
def test_a_fifo_is_refused_without_being_opened(tmp_path, where):
    site = site_at(tmp_path)
    site.path(where).parent.mkdir(exist_ok=True)
    os.mkfifo(site.path(where))
    fails_clearly(site, f"{where}: ", "is a named pipe (FIFO)")


def test_a_symlink_loop_does_not_hang_the_build(tmp_path):
    site = site_at(tmp_path)
    site.path("content/images/again").symlink_to("../images")
    fails_clearly(site, "content/images/again: ", "is a symlink to a folder")
    site.path("content/images/again").unlink()
    site.path("content/images/a.svg").symlink_to("b.svg")
    site.path("content/images/b.svg").symlink_to("a.svg")
    result = site.build()
    assert result.code == 1 and "content/images/a.svg: is a symlink loop" in result.stderr


def test_a_static_link_out_of_a_deep_content_folder_copies_nothing(tmp_path):
    site = site_at(tmp_path, content="deep/content")
    site.path("probe.txt").write_text("outside the content folder\n")
    article = site.path("deep/content/articles/first.md")
    article.write_text(ARTICLE + "\nSee [the probe]({static}/../../probe.txt).\n")
    fails_clearly(site, "deep/content/articles/first.md:6: ",
                  "{static} link '{static}/../../probe.txt' points outside the content folder")
    fails_clearly(site, "deep/content/articles/first.md:6: ", "points outside the content folder", "--strict")


@pytest.mark.parametrize("link", ["{attach}../../../secret.txt", "{filename}/../../secret.md"])
def test_attach_and_filename_links_out_of_the_content_folder(tmp_path, link):
    site = site_at(tmp_path)
    site.path("content/articles/first.md").write_text(ARTICLE + f"\nSee [this]({link}).\n")
    fails_clearly(site, "content/articles/first.md:6: ", "points outside the content folder")


def test_a_slug_that_climbs_out_does_not_replace_the_home_page(tmp_path):
    site = site_at(tmp_path)
    site.path("content/articles/evil.md").write_text("Title: Evil\nSlug: ../index\nDate: 2026-03-02\n\nGotcha.\n")
    fails_clearly(site, "content/articles/evil.md:2: ", "output path 'articles/../index.html' goes up a folder")


@pytest.mark.parametrize("strict", [(), ("--strict",)])
@pytest.mark.parametrize("save_as", ["../../outside.html", "ABSOLUTE"])
def test_a_save_as_outside_the_output_folder_fails_in_every_mode(tmp_path, save_as, strict):
    site = site_at(tmp_path)
    save_as = str(tmp_path / "outside.html") if save_as == "ABSOLUTE" else save_as
    site.path("content/articles/evil.md").write_text(f"Title: Evil\nDate: 2026-03-02\nSave_as: {save_as}\n\nGone?\n")
    fails_clearly(site, "content/articles/evil.md:3: ", f"output path {save_as!r} ", *strict)


def test_an_absolute_url_in_front_matter(tmp_path):
    site = site_at(tmp_path)
    site.path("content/pages/about.md").write_text("Title: About\nURL: https://elsewhere.example/\n\nAbout.\n")
    fails_clearly(site, "content/pages/about.md:2: ", "URL 'https://elsewhere.example/' is absolute")


@pytest.mark.parametrize("source", ["content/pages/home.md", "content/articles/home.md"])
def test_a_source_with_the_home_pages_slug_is_a_duplicate(tmp_path, source):
    site = site_at(tmp_path)
    if "articles" in source:
        settings = site.path("pelicanconf.py")
        settings.write_text(settings.read_text().replace('ARTICLE_SAVE_AS = "articles/{slug}.html"',
                                                         'ARTICLE_SAVE_AS = "{slug}.html"', 1))
        assert 'ARTICLE_SAVE_AS = "{slug}.html"' in settings.read_text()
    site.path(source).write_text("Title: Home\nSlug: index\nDate: 2026-03-02\n\nWelcome.\n")
    fails_clearly(site, f"{source}:2: ", "writes index.html, which the theme's index page writes too (duplicate slug)")


def test_a_source_written_over_a_static_file_is_a_duplicate(tmp_path):
    site = site_at(tmp_path)
    site.path("content/articles/x.md").write_text("Title: X\nDate: 2026-03-02\nSave_as: images/dot.svg\n\nX.\n")
    fails_clearly(site, "content/articles/x.md:3: ", "writes images/dot.svg, which content/images/dot.svg writes too")


def test_a_link_that_goes_up_and_stays_inside_is_fine(tmp_path):
    site = site_at(tmp_path)
    site.path("content/articles/first.md").write_text(ARTICLE + "\n![A dot]({static}../images/dot.svg)\n")
    result = site.build("--strict")
    assert result.code == 0, result.stderr
    assert folder_digest(site.path("build/images")) == folder_digest(site.path("content/images"))


def test_the_theme_may_live_outside_the_site(tmp_path):
    site = site_at(tmp_path)
    shutil.move(site.path("theme"), tmp_path / "shared-theme")
    settings = site.path("pelicanconf.py")
    settings.write_text(settings.read_text().replace('THEME = "theme"', f'THEME = "{tmp_path / "shared-theme"}"', 1))
    result = site.build("--strict")
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("path, long", [
    ("a" * 255 + ".html", ("a" * 255 + ".html", 260)), ("a" * 250 + ".html", None), ("é" * 127 + "/x.html", None),
    ("tag/" + "é" * 128 + "/index.html", ("é" * 128, 256)), ("", None), ("x/" * 2000, None),
])
def test_too_long_counts_the_bytes_of_each_name(path, long):
    assert paths.too_long(path) == long


def test_abridged_keeps_a_short_text_and_both_ends_of_a_long_one():
    assert paths.abridged("short") == "'short'"
    assert paths.abridged("a" * 30 + "b" * 30) == "'" + "a" * 20 + "…" + "b" * 20 + "'"
