"""The publish plan (islet.publish.plan): target parsing, local files, upload groups, the pure plan and its printout."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from islet.output import headers
from islet.publish.plan import (
    DEFAULT_MAX_DELETE_SHARE,
    GitTarget,
    LocalFile,
    PublishError,
    RemoteFile,
    RsyncTarget,
    S3Target,
    Shares,
    describe,
    fence_problem,
    group_of,
    local_files,
    parse_target,
    plan,
    site_keys,
)

# ------------------------------------------------------------------------------------------- targets

@pytest.mark.parametrize("text, expected", [
    ("s3://my-bucket", S3Target("my-bucket", "")),
    ("s3://my-bucket/", S3Target("my-bucket", "")),
    ("s3://my-bucket/www/blog/", S3Target("my-bucket", "www/blog")),
    ("ssh://deploy@example.org:2222/srv/www", RsyncTarget("deploy@example.org", "/srv/www", 2222)),
    ("ssh://example.org/srv/www", RsyncTarget("example.org", "/srv/www", None)),
    ("deploy@example.org:/srv/www", RsyncTarget("deploy@example.org", "/srv/www")),
    ("example.org:www", RsyncTarget("example.org", "www")),
    ("git:/tmp/site.git", GitTarget("/tmp/site.git", "gh-pages")),
    ("git:/tmp/site.git#main", GitTarget("/tmp/site.git", "main")),
    ("git:git@github.com:me/me.github.io.git#pages", GitTarget("git@github.com:me/me.github.io.git", "pages")),
])
def test_targets_parse(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text, says", [
    ("", "no publish target given"),
    ("s3://A_B/x", "not a valid bucket name"),
    ("rsync://host/module", "rsync daemon"),
    ("ssh://host", "needs a host and a folder"),
    ("git:#main", "needs a repository"),
    ("https://example.org/", "unknown kind of target"),
    ("/local/folder", "unknown kind of target"),
])
def test_bad_targets_say_which_forms_work(text, says):
    with pytest.raises(PublishError) as caught:
        parse_target(text)
    message = str(caught.value)
    assert says in message and "s3://" in message


def test_target_keys_and_names():
    assert S3Target("b", "www").key("index.html") == "www/index.html"
    assert S3Target("b", "").key("index.html") == "index.html"
    assert str(S3Target("b", "www")) == "s3://b/www" and str(S3Target("b")) == "s3://b"
    assert RsyncTarget("u@h", "/srv/www", 22).destination == "u@h:/srv/www/"


# --------------------------------------------------------------------------------------- local files

def write(folder: Path, files: dict[str, bytes | str]) -> Path:
    for key, body in files.items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.encode() if isinstance(body, str) else body)
    return folder


def test_local_files_use_the_headers_policy_and_gzip_text(tmp_path):
    page = "<!doctype html><title>x</title>" + "<p>islands</p>" * 200
    out = write(tmp_path, {"index.html": page, "img/a.1234.webp": b"RIFF\0\0WEBP", "tiny.txt": "hi",
                           "feeds/all.atom.xml": "<feed/>" * 100, "_headers": "/*\n  X-Frame-Options: DENY\n"})
    files = local_files(out)
    # No _headers object: S3 carries headers as metadata, and a public copy of the policy helps no one.
    assert set(files) == {"index.html", "img/a.1234.webp", "tiny.txt", "feeds/all.atom.xml"}
    home = files["index.html"]
    assert home.md5 == hashlib.md5(page.encode()).hexdigest()          # of the uncompressed file
    assert home.headers == {"Content-Type": "text/html; charset=utf-8", "Cache-Control": headers.REVALIDATE,
                            "Content-Encoding": "gzip"}
    assert gzip.decompress(home.body()) == page.encode() and home.size == len(home.body()) < len(page)
    assert home.body() == home.body()                                   # deterministic (mtime 0)
    image = files["img/a.1234.webp"]
    assert image.headers == {"Content-Type": "image/webp", "Cache-Control": headers.IMMUTABLE}
    assert image.body() == b"RIFF\0\0WEBP"
    assert "Content-Encoding" not in files["tiny.txt"].headers           # gzip would be larger
    assert files["feeds/all.atom.xml"].headers["Content-Type"] == "application/atom+xml; charset=utf-8"


def test_precompressed_variants_are_used_and_never_published_as_files(tmp_path):
    page = "<p>hello</p>" * 300
    ready = gzip.compress(page.encode(), 1)                              # the build's own .gz, whatever level
    out = write(tmp_path, {"a.html": page, "a.html.gz": ready, "a.html.br": b"brotli", "data.gz": b"\x1f\x8braw"})
    files = local_files(out)
    assert set(files) == {"a.html", "data.gz"}                           # data.gz has no base file: a real file
    assert files["a.html"].body() == ready and files["a.html"].size == len(ready)
    assert site_keys(out) == ["a.html", "data.gz"]
    (out / "a.html").write_text(page + "<p>edited after the build</p>")     # a.html.gz is stale now
    fresh = local_files(out)["a.html"]
    assert gzip.decompress(fresh.body()) == (out / "a.html").read_bytes() and fresh.gzipped is None


# ---------------------------------------------------------------------------------------------- plan

def lf(md5: str, **extra: str) -> LocalFile:
    return LocalFile(Path("/nowhere"), md5, 10, {"Content-Type": "text/html; charset=utf-8", **extra})


def rf(md5: str, **extra: str) -> RemoteFile:
    return RemoteFile(md5, {"Content-Type": "text/html; charset=utf-8", **extra})


@pytest.mark.parametrize("key, group", [
    ("widgets/counter.3f2a9c.js", 0), ("img/photo.1a2b.400.webp", 0),
    ("images/diagram.svg", 1), ("theme/css/10-colors.css", 1), ("favicon.ico", 1), ("_headers", 1),
    ("about.html", 2), ("articles/x.html", 2), ("page/2/index.html", 2), ("404.html", 2),
    ("index.html", 3), ("sitemap.xml", 3), ("robots.txt", 3), ("feeds/all.atom.xml", 3), ("x.rss.xml", 3),
])
def test_groups_put_assets_before_pages_before_entry_points(key, group):
    assert group_of(key) == group


def test_plan_reasons_order_and_deletes():
    local = {"index.html": lf("1"), "articles/new.html": lf("2"), "articles/same.html": lf("3"),
             "articles/edited.html": lf("4"), "about.html": lf("5", **{"Content-Encoding": "gzip"}),
             "widgets/app.abcd.js": lf("6"), "sitemap.xml": lf("7"), "images/a.svg": lf("8")}
    remote = {"index.html": rf("0"), "articles/same.html": rf("3"), "articles/edited.html": rf("x"),
              "about.html": rf("5"), "widgets/app.0000.js": rf("9"), "articles/gone.html": rf("g")}
    result = plan(local, remote)
    assert result.uploads == [
        ("widgets/app.abcd.js", "new"),
        ("images/a.svg", "new"),
        ("about.html", "headers differ"),
        ("articles/edited.html", "content differs"),
        ("articles/new.html", "new"),
        ("index.html", "content differs"),
        ("sitemap.xml", "new"),
    ]
    assert result.deletes == ["articles/gone.html", "widgets/app.0000.js"] and not result.held_back
    assert [name for name, _ in result.groups()] == ["hashed assets", "other assets", "pages",
                                                     "feeds, sitemap and home page"]


def test_a_remote_file_without_islet_metadata_is_uploaded_again():
    assert plan({"a.html": lf("1")}, {"a.html": RemoteFile("", {})}).uploads == [("a.html", "content differs")]


def test_identical_sites_give_an_empty_plan():
    local = {"index.html": lf("1"), "a.html": lf("2")}
    result = plan(local, {"index.html": rf("1"), "a.html": rf("2")})
    assert result.empty and result.uploads == [] and result.deletes == []
    assert describe(result, local, S3Target("b")) == ["s3://b: no changes required."]


@pytest.mark.parametrize("gone, limit, deleted", [(3, 3, 3), (4, 3, 0), (4, -1, 4), (0, 0, 0), (1, 0, 0)])
def test_deletes_are_fenced_by_max_deletes(gone, limit, deleted):
    remote = {f"old/{i}.html": rf(str(i)) for i in range(gone)}
    result = plan({}, remote, max_deletes=limit)
    assert len(result.deletes) == deleted
    assert len(result.held_back) == (gone if deleted != gone else 0)


def test_the_plan_printout_lists_reasons_sizes_and_the_way_out_of_the_fence():
    local = {"a.html": lf("1"), "widgets/x.1.js": lf("2")}
    remote = {f"old{i}.html": rf("o") for i in range(5)}
    lines = describe(plan(local, remote, max_deletes=2), local, S3Target("b", "www"))
    text = "\n".join(lines)
    assert lines[0] == "Plan for s3://b/www:"
    assert text.index("widgets/x.1.js") < text.index("a.html")
    assert "upload  a.html" in text and "new" in text
    assert "2 files to upload (20 B), 0 to delete." in text
    assert "--max-deletes=5" in text and "none of them will be deleted" in text
    lines = describe(plan(local, remote), local, S3Target("b"))
    assert sum(line.strip().startswith("delete") for line in lines) == 5


# The relative fence: a share of the live site, not a fixed count.
def live_site(pages: int, assets: int = 0) -> dict:
    return {**{f"p{i}.html": rf(str(i)) for i in range(pages)}, **{f"a{i}.css": rf(str(i)) for i in range(assets)}}


@pytest.mark.parametrize("local_pages, remote_pages, over", [
    (100, 100, False),          # nothing deleted
    (80, 100, False),           # 20 % of the site gone: an ordinary clean-up
    (19, 100, True),            # a gutted build: 81 % of the pages
    (0, 5, False),              # at most FENCE_FLOOR deletions always pass: a small site's edit
    (2, 9, True),               # a small site mostly gone
])
def test_the_relative_fence_counts_the_share_of_the_live_site(local_pages, remote_pages, over):
    local, remote = {k: lf("x") for k in live_site(local_pages)}, live_site(remote_pages)
    shares = Shares.of(plan(local, remote, max_deletes=-1), local, remote)
    assert shares.over(DEFAULT_MAX_DELETE_SHARE) is over
    assert shares.over(-1) is False and shares.over(1.0) is False


def test_a_wrong_prefix_is_a_site_deleted_and_the_message_says_what_and_how_to_override():
    local = {f"p{i}.html": lf("x") for i in range(90)}
    remote = {f"live/p{i}.html": rf("x") for i in range(101)}          # the bucket root, the site below live/
    the_plan = plan(local, remote)
    shares = Shares.of(the_plan, local, remote)
    assert (shares.deletes, shares.live, shares.pages_lost, shares.live_pages) == (101, 101, 101, 101)
    assert shares.over(DEFAULT_MAX_DELETE_SHARE)
    problem = fence_problem(shares, DEFAULT_MAX_DELETE_SHARE, S3Target("b"))
    assert "delete 101 of the 101 files live there (100%)" in problem.what and "--max-delete-share=1" in problem.fix
    assert shares.line(0.25) == ("Live site: 101 of its 101 files to delete (100%), 101 of its 101 pages not in this "
                                 "build (100%); fence 25%.")


def test_pages_go_up_after_the_new_pages_they_link_to(tmp_path):
    """Links before linkers: the new article first, then the pages that link to it (a tag page, an older article,
    the search index), each wave done before the next; the home page last as always. A cycle of new pages is cut."""
    files = {"index.html": '<a href="articles/new.html">new</a>',
             "articles/new.html": '<a href="../tag/t.html">t</a> <a href="newer.html">newer</a>',
             "articles/newer.html": '<a href="new.html">back</a>',
             "tag/t.html": '<a href="/articles/new.html">new</a>',
             "articles/old.html": '<a href="new.html#top">new</a> <a href="https://else.where/new.html">x</a>',
             "search.json": '{"docs":2,"shards":[["","0a0b0c0d"]],"tables":["1a1b1c1d"]}',
             "search/t/0a0b0c0d.json": '{"newer":"01"}', "search/d/1a1b1c1d.json": '["2a2b2c2d"]',
             "search/f/2a2b2c2d.json": '["Newer","articles/newer.html","2026-01-01","","",""]'}
    out = write(tmp_path, files)
    local = {key: LocalFile(out / key, key, 1, {}) for key in files}
    live = {key: rf("old") for key in ("index.html", "tag/t.html", "articles/old.html", "search.json")}
    waves = [[u.key for u in uploads] for _, uploads in plan(local, live).groups()]
    assert waves == [["search/d/1a1b1c1d.json", "search/f/2a2b2c2d.json", "search/t/0a0b0c0d.json"],   # hashed
                     ["articles/newer.html"], ["articles/new.html", "search.json"],   # its results: newer only
                     ["articles/old.html", "tag/t.html"], ["index.html"]]
    assert len(plan(local, {}).groups()) == 3            # nobody reads a site without a home page: no waves


def test_stylesheets_nothing_names_are_not_uploaded(tmp_path):
    """A theme's CSS that islet inlines into every page is copied by Pelican all the same: S3 gets only the
    stylesheets a page, stylesheet or script names."""
    out = write(tmp_path, {"index.html": '<link rel="stylesheet" href="theme/css/used.css">',
                           "theme/css/used.css": '@import "fonts.css";', "theme/css/fonts.css": "a{}",
                           "theme/css/inlined.css": "b{}"})
    assert set(local_files(out)) == {"index.html", "theme/css/used.css", "theme/css/fonts.css"}
