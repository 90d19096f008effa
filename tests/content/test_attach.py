"""islet.content.attach: {attach} moves the file beside the article, as in Pelican, in every build.

islet writes pages last and takes unchanged ones from the previous build: without `attach_all`, Pelican's static
generator asked where each file goes first, and every {attach} link failed ("cannot relocate … because another
link already referenced its location"): an error under --strict."""
from __future__ import annotations

from support.site import clean_output, incremental_counts, make_site, tree

ARTICLE = "Title: A\nDate: 2026-01-01\n\n[notes]({attach}../notes/plain.txt), [photo]({attach}a/photo.txt)\n"
OTHER = "Title: B\nDate: 2026-01-02\n\nText of B.\n"


def test_attached_files_go_beside_the_article_and_stay_there_in_incremental_builds(tmp_path):
    site = make_site(tmp_path / "site", {"content/articles/a.md": ARTICLE, "content/articles/b.md": OTHER,
                                         "content/notes/plain.txt": "notes\n",
                                         "content/articles/a/photo.txt": "photo\n"})
    built = site.build("--strict")
    assert built.code == 0, built.stdout + built.stderr
    page = site.path("build/articles/a.html").read_text(encoding="utf-8")
    # Beside the article: a file below the article's folder keeps its place under it, any other is a sibling.
    assert 'href="../articles/plain.txt"' in page and 'href="../articles/a/photo.txt"' in page
    assert site.path("build/articles/plain.txt").read_text() == "notes\n"
    assert site.path("build/articles/a/photo.txt").read_text() == "photo\n"
    assert not site.path("build/notes/plain.txt").exists()

    site.path("content/articles/b.md").write_text(OTHER + "\nMore.\n", encoding="utf-8")    # a's page unchanged
    again = site.build("--strict")
    assert again.code == 0, again.stdout + again.stderr
    assert incremental_counts(again)["unchanged"] > 0          # a's page among those taken from the previous build
    assert tree(site) == clean_output(site, tmp_path / "clean")


def test_a_file_another_article_links_first_stays_where_it_is_as_in_pelican(tmp_path):
    """Pelican writes the newest article first: its {static} link asks for the file's location, and the older
    article's {attach} then cannot move it (Pelican's warning; the link points where the file is). A page's
    {attach} moves its file beside the page."""
    site = make_site(tmp_path / "site", {
        "content/articles/old.md": "Title: Old\nDate: 2026-01-01\n\n[guide]({attach}../downloads/guide.txt)\n",
        "content/articles/new.md": "Title: New\nDate: 2026-02-01\n\n[guide]({static}../downloads/guide.txt)\n",
        "content/pages/about.md": "Title: About\n\n[card]({attach}../extra/card.txt)\n",
        "content/downloads/guide.txt": "guide\n", "content/extra/card.txt": "card\n"})
    built = site.build()
    assert built.code == 0, built.stdout + built.stderr
    assert "The {attach} link in articles/old.md cannot relocate downloads/guide.txt" in built.stderr
    assert site.path("build/downloads/guide.txt").is_file() and not site.path("build/articles/guide.txt").exists()
    assert 'href="../downloads/guide.txt"' in site.path("build/articles/old.html").read_text(encoding="utf-8")
    # (beside about.html)
    assert site.path("build/card.txt").read_text() == "card\n" and not site.path("build/extra").exists()


def test_a_summary_is_replaced_before_any_body_as_in_pelican(tmp_path):
    """Pelican replaces every Summary:'s links before it writes a page: an older article's summary attaches the file
    before a newer article's body asks for it with {static}, which then links it where it went."""
    site = make_site(tmp_path / "site", {
        "content/articles/old.md": "Title: Old\nDate: 2026-01-01\n"
                                   "Summary: The [guide]({attach}../downloads/guide.txt).\n\nOld body.\n",
        "content/articles/new.md": "Title: New\nDate: 2026-02-01\n\nSee [guide]({static}../downloads/guide.txt).\n",
        "content/downloads/guide.txt": "guide\n"})
    built = site.build("--strict")
    assert built.code == 0, built.stdout + built.stderr
    assert site.path("build/articles/guide.txt").is_file() and not site.path("build/downloads").exists()
    assert 'href="../articles/guide.txt"' in site.path("build/articles/new.html").read_text(encoding="utf-8")
