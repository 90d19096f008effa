"""islet.verify: internal links and images in the generated pages must resolve."""
import pytest

from islet.verify import Source, check_output, is_internal, references, resolve


def site(tmp_path, files):
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return tmp_path


def test_references_include_links_images_and_srcset():
    html = '<a href="a.html">a</a><img src="i.png" srcset="i-1.png 1x, i-2.png 2x"><link href="s.css">'
    assert references(html) == [("link", "a.html"), ("image", "i.png"), ("image", "i-1.png"),
                                 ("image", "i-2.png"), ("link", "s.css")]


@pytest.mark.parametrize("url, internal", [
    ("https://example.org/", False), ("//cdn.example/x.js", False), ("mailto:a@b", False),
    ("#top", False), ("../x.html", True), ("/x.html", True), ("x.html#frag", True),
])
def test_only_internal_urls_are_checked(url, internal):
    assert is_internal(url) is internal


def test_resolve_handles_relative_absolute_and_folder_urls(tmp_path):
    site(tmp_path, {"index.html": "", "articles/a.html": "", "tag/index.html": "", "images/x%20y.png": ""})
    assert resolve("articles/b.html", "a.html", tmp_path)
    assert resolve("articles/b.html", "../index.html", tmp_path)
    assert resolve("articles/b.html", "/tag/", tmp_path)
    assert resolve("articles/b.html", "../tag", tmp_path)
    assert resolve("index.html", "./", tmp_path)
    assert resolve("index.html", "articles/a.html?x=1#y", tmp_path)
    assert not resolve("index.html", "articles/missing.html", tmp_path)
    assert not resolve("articles/a.html", "index.html", tmp_path)   # relative to articles/


def test_broken_references_point_at_the_markdown_line(tmp_path):
    site(tmp_path, {"index.html": '<a href="articles/a.html">ok</a><a href="nope.html">x</a>',
                    "articles/a.html": '<a href="{filename}/articles/gone.md">g</a><img src="../images/p.png">'})
    source = Source("content/articles/a.md", "Title: A\n\nSee [g]({filename}/articles/gone.md).\n\n![p]({static}/images/p.png)\n")
    found = check_output(tmp_path, {"articles/a.html": source})
    assert [(p.path, p.line, p.what.split(" '")[0]) for p in found] == [
        ("content/articles/a.md", 3, "broken link"),
        ("content/articles/a.md", 5, "broken image"),
        ("index.html", 0, "broken link"),
    ]
    assert "theme" in found[2].what
