"""islet.content.escaped_links: links to files named with `&`, `"`, `<`, `>` are found and written escaped.

Pelican read such a link's escaped text as the file's path (`images/Q&amp`, cut at the `;`), listed a file that
does not exist, and warned without a line: a failed build under --strict, which publishing uses."""
from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urljoin

from hypothesis import given, settings, strategies as st
from PIL import Image

from support.site import make_site

SITE_URL = "https://example.org"


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[list[tuple[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append(attrs)


def _attributes(page: str) -> list[list[tuple[str, str | None]]]:
    parser = _Attributes()
    parser.feed(page)
    parser.close()
    return parser.found


# File names with the characters HTML escapes. Not '#', '?', '%' or ';': a URL reads those otherwise, and
# Pelican then looks for another file (the link check says so: tests/output/test_verify.py).
NAMES = st.text(alphabet="ab &\"<>'.", min_size=1, max_size=12).map(lambda s: f"f{s}.png")


@settings(max_examples=150, deadline=None)
@given(name=NAMES, kind=st.sampled_from(["static", "attach"]), escape_quote=st.booleans())
def test_a_link_to_a_file_of_any_name_lists_that_file_and_is_written_escaped(tmp_path_factory, name, kind,
                                                                              escape_quote):
    """The link as Markdown or an author writes it (escaped; `'` as it is or as &#x27;) lists the very file among
    the static links, and comes out as one attribute whose value is that file's URL."""
    from pelican.contents import Article, Static
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.content import escaped_links
    from islet.content.reader import quicker_pelican

    quicker_pelican()
    escaped_links.install()
    folder = tmp_path_factory.mktemp("content")
    (folder / "images").mkdir()
    (folder / "images" / name).write_bytes(b"\x89PNG")
    config = {**DEFAULT_CONFIG, "PATH": str(folder)}
    context = {"generated_content": {}, "static_content": {}, "static_links": set(), "localsiteurl": ""}
    static = Static("", metadata={"title": name}, settings=config, source_path=str(folder / "images" / name),
                    context=context)
    context["static_content"][f"images/{name}"] = static
    written = html.escape(name, quote=escape_quote).replace('"', "&quot;")
    page = f'<p><img alt="x" src="{{{kind}}}images/{written}"></p>'
    article = Article(page, metadata={"title": "T", "date": SafeDatetime(2026, 1, 1)}, context=context,
                      settings=config, source_path=str(folder / "a.md"))
    assert Article.get_static_links(article) == {f"images/{name}"}
    out = Article._update_content(article, page, SITE_URL)
    [attributes] = _attributes(out)[1:]
    assert attributes == [("alt", "x"), ("src", urljoin(SITE_URL + "/", static.url))]


def test_a_site_with_such_names_builds_strictly_and_links_every_file(tmp_path):
    """End to end: {static} in and out of STATIC_PATHS, and {attach}; a name with a quote in raw HTML cannot
    end its attribute; a link to no file, or that is no URL, is one problem, at its line."""
    names = ["Q&A.png", 'it"s.png', "l<t.png", "x'y.png"]
    body = "".join(f"![{n}]({{static}}../images/{n})\n\n" for n in names[:1] + names[2:])
    body += '<img alt="q" src="{static}../images/it&quot;s.png">\n\n'
    body += "[report]({static}../files/R&D.pdf) and [notes]({attach}../notes/A&B.txt)\n"
    site = make_site(tmp_path / "site", {"content/articles/a.md": f"Title: A\nDate: 2026-01-01\n\n{body}",
                                         "content/files/R&D.pdf": "%PDF-1.4\n", "content/notes/A&B.txt": "x\n"})
    site.path("content/images").mkdir()
    for name in names:
        Image.new("RGB", (40, 30), (200, 10, 10)).save(site.path("content/images") / name, "PNG")
    built = site.build("--strict")
    assert built.code == 0, built.stdout + built.stderr
    page = site.path("build/articles/a.html").read_text(encoding="utf-8")
    urls = [value for attrs in _attributes(page) for key, value in attrs if key in ("src", "href")]
    for name in names:
        assert f"../images/{name}" in urls and site.path(f"build/images/{name}").is_file()
    assert "../files/R&D.pdf" in urls and site.path("build/files/R&D.pdf").is_file()
    assert "../articles/A&B.txt" in urls and site.path("build/articles/A&B.txt").is_file()     # attached

    site.path("content/articles/b.md").write_text(
        "Title: B\nDate: 2026-01-02\n\nText.\n\n![gone]({static}../images/gone.png)\n\n"
        '<a href="{static}../images/x&quot; onclick=&quot;alert(1).png">x</a>\n\n'
        '<a href="{attach}//[x&amp;y">no URL</a>\n', encoding="utf-8")
    failed = site.build("--strict")
    assert failed.code == 1 and "Traceback" not in failed.stderr
    problems = [line for line in failed.lines if not line.startswith("Build failed")]
    assert [p.split(": ", 1)[0] for p in problems] == [f"content/articles/b.md:{n}" for n in (6, 8, 10)], problems
    assert "stamp" not in failed.stdout + failed.stderr
