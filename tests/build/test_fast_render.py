"""Fast render (islet.build.fast_render): the page of an edited source, rendered from the last build's state, has
the very bytes the full build then writes; whatever a page of its own cannot show is left to the full build."""
from __future__ import annotations

import pytest

from islet import plugin
from islet.build import fast_render
from islet.build.driver import BuildPlan, build


@pytest.fixture
def built(demo_copy, build_here):
    """The demo built in this process, as livereload builds it, so the build's generators are at hand."""
    build_here(demo_copy.root)
    return demo_copy, fast_render.published(plugin.current.generators)


def append(path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(f"\n{text}\n")


@pytest.mark.parametrize("source, page", [("content/articles/first-14-kb.md", "articles/first-14-kb.html"),
                                          ("content/pages/about.md", "about.html")])
def test_a_body_edit_renders_what_the_full_build_writes(built, source, page):
    site, sources = built
    append(site.path(source), "A paragraph for the fast render, with a [link](https://example.org/).")
    pages = fast_render.render(sources, [site.path(source)])
    assert list(pages) == [page]
    assert b"A paragraph for the fast render" in pages[page]
    assert b"A paragraph for the fast render" not in site.path("build/" + page).read_bytes()
    build(BuildPlan(site.root))
    assert pages[page] == site.path("build/" + page).read_bytes()


def test_two_edited_sources_give_two_pages(built):
    site, sources = built
    paths = [site.path("content/articles/first-14-kb.md"), site.path("content/articles/why-no-web-fonts.md")]
    for path in paths:
        append(path, "Edited.")
    assert sorted(fast_render.render(sources, paths)) == ["articles/first-14-kb.html", "articles/why-no-web-fonts.html"]


def edit_title(path):
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Title: ", "Title: Retitled ", 1), encoding="utf-8")


def add_problem(path):
    append(path, "An undefined data value: {{ data.no_such_file.value }}")


def new_source(path):
    path.with_name("brand-new.md").write_text("Title: New\nDate: 2026-01-01\n\nNew.\n", encoding="utf-8")
    return path.with_name("brand-new.md")


@pytest.mark.parametrize("change", [edit_title, add_problem, new_source])
def test_what_other_pages_show_or_a_problem_needs_the_full_build(built, change):
    """A title is on the index and tag pages; a problem must be reported by the build; a new source is
    not in the last build's lists. (The build after each of these is tested in test_incremental.)"""
    site, sources = built
    path = site.path("content/articles/first-14-kb.md")
    path = change(path) or path
    before = site.path("build/articles/first-14-kb.html").read_bytes()
    assert fast_render.render(sources, [path]) is None
    assert site.path("build/articles/first-14-kb.html").read_bytes() == before
