"""Incremental builds (islet.build.incremental): after each kind of edit, the rebuild that reuses the caches gives
byte for byte the output of a clean build of the same input in another folder, and it did reuse them."""
from __future__ import annotations

import re
import shutil

import pytest

from support.site import SITE_FILES, Site, copy_site
from support.site import incremental_counts as counts


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    """One demo copy, built once, then edited and rebuilt by the tests below in order."""
    site = copy_site(tmp_path_factory.mktemp("incremental") / "site")
    result = site.build()
    assert result.code == 0, result.stderr
    return site


def clean_build_of(site: Site, folder) -> Site:
    """The same input as `site`, built from nothing in another folder (no output, no reader or render cache:
    their keys include the source paths, which differ)."""
    reference = Site(folder)
    folder.mkdir()
    for name in SITE_FILES:
        source = site.root / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, folder / name)
    (folder / "node_modules").symlink_to(site.root / "node_modules", target_is_directory=True)
    result = reference.build()
    assert result.code == 0, result.stderr
    assert counts(result)["render_cached"] == 0, "the reference build was not a clean one"
    return reference


def assert_same_output(site: Site, reference: Site) -> None:
    if site.output_digest() == reference.output_digest():
        return
    ours, theirs = site.root / "build", reference.root / "build"
    names = {p.relative_to(ours).as_posix() for p in ours.rglob("*") if p.is_file()}
    names |= {p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file()}
    differing = sorted(n for n in names if not (ours / n).is_file() or not (theirs / n).is_file()
                       or (ours / n).read_bytes() != (theirs / n).read_bytes())
    pytest.fail(f"incremental output differs from a clean build in {len(differing)} files: {differing[:20]}")


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nothing_changed_skips_the_build(site):
    before = (site.path("build").stat().st_ino, site.output_digest())
    result = site.build()
    assert result.code == 0, result.stderr
    assert "Nothing changed since the last build" in result.stdout
    assert (site.path("build").stat().st_ino, site.output_digest()) == before


def body_edit(site):
    with site.path("content/articles/first-14-kb.md").open("a", encoding="utf-8") as out:
        out.write("\nA paragraph added by the incremental test.\n")


def title_edit(site):
    # Title and slug apart: the title shows on the index, tag, category and archive pages.
    path = site.path("content/articles/why-no-web-fonts.md")
    title = re.search(r"^Title: (.*)$", path.read_text(encoding="utf-8"), re.M)[1]
    edit(path, f"Title: {title}", f"Title: {title} (revised)")


def data_edit(site):
    edit(site.path("content/data/site.toml"), "python_share = 46", "python_share = 47")


def template_edit(site):
    edit(site.path("theme/templates/partials/footer.html"), "<footer class=\"site\">",
         "<footer class=\"site\"><p>Edited footer.</p>")


def widget_edit(site):
    edit(site.path("widgets/chart.py"), "title = chart_title(props)\n", "title = chart_title(props) + \" (edited)\"\n")


def delete_article(site):
    site.path("content/articles/dark-mode-without-a-flash.md").unlink()


def image_edit(site):
    # Same file name, other pixels and size: the page that shows it keeps its render inputs, but the
    # images stage must give it new width, height and variants (so it is never linked as it was).
    from PIL import Image

    path = site.path("content/images/islands-off-the-coast.jpg")
    with Image.open(path) as image:
        smaller = image.resize((image.width // 2, image.height // 2)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    smaller.save(path, quality=80)


# (edit, whether most pages must be reused: written by the previous build, or from the render cache)
# Templates see the data files and widgets too: after those edits every page is rendered again.
EDITS = [(body_edit, True), (image_edit, True), (title_edit, False), (data_edit, False), (template_edit, False),
         (widget_edit, False), (delete_article, False)]


@pytest.mark.parametrize("change, reuses_pages", EDITS, ids=[e.__name__ for e, _ in EDITS])
def test_rebuild_after_an_edit_equals_a_clean_build(site, tmp_path, change, reuses_pages):
    change(site)
    result = site.build()
    assert result.code == 0, result.stderr
    assert "Nothing changed" not in result.stdout
    done = counts(result)
    assert done["read_cached"] > 0, "sources that did not change were parsed again"
    if reuses_pages:
        assert done["unchanged"] > 0, f"no page write was skipped although most inputs are unchanged: {done}"
        assert done["linked"] > done["rendered"], "unchanged files were written again, not linked"
    assert_same_output(site, clean_build_of(site, tmp_path / "reference"))


def test_an_edit_rewrites_only_its_part_of_the_search_index(site):
    """The manifest, the article's fragment and doc table, and the shards of the words it changed: the rest of
    the index (named by content) is linked from the previous build."""
    article = sorted(site.path("content/articles").glob("*.md"))[0]
    with article.open("a", encoding="utf-8") as out:
        out.write("\nZyzzogeton quaggas.\n")
    result = site.build()
    assert result.code == 0, result.stderr
    found = re.search(r"Search index: (\d+) articles.*?([\d,]+) files written, ([\d,]+) unchanged", result.stdout)
    assert found, result.stdout
    written, unchanged = (int(n.replace(",", "")) for n in found.groups()[1:])
    assert 2 <= written <= 5 and unchanged > written    # manifest, shards of the 2 new words (fragment, table)
    shards = {p.name for p in site.path("build/search/t").iterdir()}
    assert any("zyzzogeton" in (site.path("build/search/t") / name).read_text() for name in shards)


def test_a_page_replaced_in_the_output_is_written_again(site, tmp_path):
    """A page the previous build wrote but something replaced since (an editor saving build/…) is not
    linked from there as if it were the build's own."""
    page = site.path("build/articles/first-14-kb.html")
    original = page.read_text(encoding="utf-8")
    page.unlink()
    page.write_text("replaced by hand", encoding="utf-8")        # a new file: another inode
    edit(site.path("content/articles/why-no-web-fonts.md"), "\n\n", "\n\nA new first paragraph.\n\n")
    result = site.build()
    assert result.code == 0, result.stderr
    assert counts(result)["unchanged"] > 0
    assert page.read_text(encoding="utf-8") == original
    assert_same_output(site, clean_build_of(site, tmp_path / "reference"))


def test_a_failing_build_after_an_incremental_one_leaves_build_intact(site, tmp_path):
    body_edit(site)
    assert site.build().code == 0
    before = site.output_digest()
    broken = site.path("content/articles/first-14-kb.md")
    good = broken.read_text(encoding="utf-8")
    broken.write_text(good.replace("Title:", "Date: not a date\nTitle:", 1), encoding="utf-8")
    failed = site.build()
    assert failed.code == 1 and "invalid date" in failed.stderr
    assert site.output_digest() == before
    broken.write_text(good, encoding="utf-8")                 # back to the last good input: nothing to do
    again = site.build()
    assert again.code == 0 and "Nothing changed" in again.stdout
    assert site.output_digest() == before


def test_strict_and_precompress_builds_share_the_caches_of_a_plain_one(tmp_path):
    """--strict and --precompress change whether a build passes and which variants it writes, not what a
    page says: after a plain build, such a build parses and renders nothing again (livereload builds plainly
    what ./dev build --strict built)."""
    site = copy_site(tmp_path / "site")
    assert site.build().code == 0
    result = site.build("--strict", "--precompress")
    assert result.code == 0, result.stderr
    done = counts(result)
    assert done["preparsed"] == done["parsed"] == done["rendered"] == 0, done
    assert (site.path("build/index.html.br")).is_file()


def test_stages_find_the_pages_they_look_at_learnt_as_they_were_written(demo_copy, build_here, monkeypatch):
    """islet.build.incremental.learn_pages: the render processes work out what verify, images and hydrate want to
    know of each page (islet.build.memo.PAGE_FACTS) while writing it, so those stages read only the pages a
    stage before them rewrote."""
    from islet.build import memo

    read = []
    of_text = memo.Memo._of_text
    monkeypatch.setattr(memo.Memo, "_of_text", lambda self, path, texts: (read.append((self.path.name, path)),
                                                                          of_text(self, path, texts))[1])
    monkeypatch.setenv("ISLET_PROCESSES", "2")
    monkeypatch.setenv("ISLET_CACHE_DIR", str(demo_copy.root / ".cache-fresh"))
    build_here(demo_copy.root)
    pages = list((demo_copy.root / "build").rglob("*.html"))
    with_images = [p for p in pages if "<img" in p.read_text(encoding="utf-8")]
    assert len(pages) > 40 and with_images
    assert not [name for name, _ in read if name.endswith(("-verify.pickle", "-has-images.pickle"))], read
    assert len([name for name, _ in read if name.endswith("-islands.pickle")]) <= len(with_images)
