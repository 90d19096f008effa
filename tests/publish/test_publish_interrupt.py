"""Killing a publish (SIGKILL, at several points) never leaves the remote site broken, and running it
again converges on exactly the local build. Against a real SeaweedFS.

"Broken" means a page on the remote needs an asset (script, module preload, style, image, icon) that is
not on the remote. The test site carries content-hashed widget bundles and images, as a real build does,
and its second version renames them all — the case where a wrong order would break every page.
"""
from __future__ import annotations

import gzip
import posixpath
import re
import shutil
from pathlib import Path

from islet.publish.plan import RemoteFile, group_of, local_files, plan
from support.publish import (
    add_to_search_index,
    search_results,
    ORIGIN,
    broken_links,
    broken_references,
    local_state,
    page_assets,
    publish,
    remote_objects,
    remote_state,
    site_copy,
)

HASHED = ("widgets/app.{v}.js", "widgets/chunk.{v}.js", "img/photo.{v}.webp")
STYLESHEET = "theme/css/20-base.css"


def make_version(site_root: Path, version: str) -> Path:
    """Give the build hashed assets named for `version` and make every page use them."""
    build = site_root / "build"
    for pattern in HASHED:
        path = build / pattern.format(v=version)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {version} */ export const version = '{version}';\n" * 40)
    for page in build.rglob("*.html"):
        key = page.relative_to(build).as_posix()
        photo = posixpath.relpath(f"img/photo.{version}.webp", posixpath.dirname(key) or ".")
        head = (f'<script type="module" src="/widgets/app.{version}.js"></script>'
                f'<link rel="modulepreload" href="{ORIGIN}/widgets/chunk.{version}.js">'
                f'<link rel="stylesheet" href="/{STYLESHEET}">')      # a stylesheet the pages load
        page.write_text(page.read_text().replace("</head>", head + "</head>", 1)
                        .replace("</body>", f'<img src="{photo}" alt=""></body>', 1))
    return build


def second_version(site_root: Path) -> Path:
    """v2: new asset names (old ones gone), a changed stylesheet, a page removed (and the links to it) and one
    added, which an existing article, the tag page and the search index link to."""
    shutil.copy(site_root / "build/about.html", site_root / "build/articles/new-in-v2.html")
    for page in (site_root / "build").rglob("*.html"):
        page.write_text(re.sub(r'href="[^"]*tag/webassembly\.html"', 'href="#"', page.read_text()))
    for page in ("articles/compile-dont-ship-runtime.html", "tag/python.html"):
        path = site_root / "build" / page
        link = posixpath.relpath("articles/new-in-v2.html", posixpath.dirname(page))
        path.write_text(path.read_text().replace("</main>", f'<a href="{link}">New in v2</a></main>', 1))
    add_to_search_index(site_root / "build", {"title": "New in v2", "url": "articles/new-in-v2.html",
                                              "date": "2030-01-01", "body": "new in version two"})
    build = make_version(site_root, "v2bbbb")
    css = build / STYLESHEET
    css.write_text(css.read_text() + "\n/* v2 */\n")
    for gone in build.glob("tag/webassembly.html*"):     # the page and its .gz/.br variants
        gone.unlink()
    (build / "sitemap.xml").write_text((build / "sitemap.xml").read_text() + "<!-- v2 -->\n")
    return build


def remote_pages(client, bucket: str, prefix: str) -> tuple[dict[str, str], set[str]]:
    """The remote's HTML (as text, decompressed) and its set of keys."""
    keys = set(remote_objects(client, bucket, prefix))
    pages = {}
    for key in (k for k in keys if k.endswith(".html")):
        answer = client.get_object(Bucket=bucket, Key=f"{prefix}/{key}")
        body = answer["Body"].read()
        pages[key] = (gzip.decompress(body) if answer.get("ContentEncoding") == "gzip" else body).decode()
    return pages, keys


def assert_not_broken(client, bucket: str, prefix: str) -> set[str]:
    """No page misses an asset, and no link a reader can follow (or search result) leads to a missing page."""
    pages, keys = remote_pages(client, bucket, prefix)
    assert broken_references(pages, keys) == []
    def read(key: str) -> str | None:
        if key not in keys:
            return None
        answer = client.get_object(Bucket=bucket, Key=f"{prefix}/{key}")
        body = answer["Body"].read()
        return (gzip.decompress(body) if answer.get("ContentEncoding") == "gzip" else body).decode()

    assert broken_links(pages, keys, search_results(read)) == []
    return keys


def planned_uploads(output: str) -> int:
    found = re.search(r"(\d+) files? to upload", output)
    return int(found[1]) if found else 0


def test_the_reference_check_can_fail():
    page = ('<link rel="stylesheet" href="/a.css"><link rel="canonical" href="/x.html">'
            '<script type="module" src="../widgets/app.1.js"></script><img srcset="/img/b.1.webp 1x, /img/b.2.webp 2x">'
            f'<link rel="icon" href="{ORIGIN}/favicon.ico"><a href="/not-an-asset.html">'
            '<script type="importmap">{"imports": {"x": "/widgets/x.1.js"}}</script>')
    assert page_assets("articles/p.html", page) == {"a.css", "widgets/app.1.js", "img/b.1.webp", "img/b.2.webp",
                                                    "favicon.ico", "widgets/x.1.js"}
    assert broken_references({"articles/p.html": page}, {"a.css", "favicon.ico", "img/b.1.webp", "img/b.2.webp",
                                                         "widgets/x.1.js"}) == ["articles/p.html → widgets/app.1.js"]


def test_search_results_follow_the_live_manifest_and_say_what_is_missing(tmp_path):
    from islet.output import search_index

    files = search_index.build_index([{"title": "A", "url": "articles/a.html", "date": "2026-01-01", "body": "x"},
                                      {"title": "C", "url": "articles/c.html", "date": "2026-01-02", "body": "y"}]).files
    text = {path: body.decode() for path, body in files.items()}
    assert sorted(re.findall(r'"([^"]+\.html)"', search_results(text.get))) == ["articles/a.html", "articles/c.html"]
    fragment = next(p for p in text if p.startswith("search/f/"))
    assert f'"missing {fragment}"' in search_results({k: v for k, v in text.items() if k != fragment}.get)


def test_the_link_check_can_fail():
    pages = {"index.html": '<a href="articles/a.html">a</a> <a href="https://else.where/b.html">b</a>',
             "articles/a.html": '<a href="../tag/t.html#x">t</a> <a href="/articles/">all</a>'}
    keys = {"index.html", "articles/a.html"}
    assert broken_links(pages, keys) == ["articles/a.html → articles/index.html", "articles/a.html → tag/t.html"]
    assert broken_links(pages, keys, '{"docs": [["A", "articles/a.html"], ["C", "articles/c.html"]]}')[0] == \
        "articles/a.html → articles/index.html"
    assert "search.json → articles/c.html" in broken_links(pages, keys, '[["C", "articles/c.html"]]')
    assert broken_links({"articles/a.html": pages["articles/a.html"]}, keys) == []     # no home page: no reader yet


def test_killed_publishes_never_break_the_site_and_a_rerun_converges(production_site, seaweedfs, tmp_path):
    client = seaweedfs.client()
    bucket = seaweedfs.new_bucket()
    args = ["--target", f"s3://{bucket}/www", "--endpoint-url", seaweedfs.endpoint]
    one = site_copy(production_site, tmp_path / "v1")
    make_version(one.root, "v1aaaa")
    two = site_copy(production_site, tmp_path / "v2")
    second_version(two.root)

    def killed_at(site, k: int) -> set[str]:
        done = publish(site.root, seaweedfs.env(ISLET_PUBLISH_STOP_AFTER=str(k)), *args)
        assert done.returncode == -9, (k, done.returncode, done.stdout[-500:], done.stderr[-2000:])
        return assert_not_broken(client, bucket, "www")

    def uploads_left(site) -> int:
        return planned_uploads(publish(site.root, seaweedfs.env(), *args, "--dry-run").stdout)

    def kill_at_points(site, points: list[int]) -> None:
        """Kill a publish once the site's plan has had `point` uploads in all, for each point in turn."""
        total = uploads_left(site)
        for point in points:
            done = total - uploads_left(site)
            if point > done:
                keys = killed_at(site, point - done)
                assert {p.format(v="v1aaaa") for p in HASHED} <= keys or site is one   # nothing deleted early

    # First publish into an empty bucket, killed twice: early in the hashed assets, and in the middle of the pages.
    sizes = [len(uploads) for _, uploads in plan(local_files(one.root / "build"), {}).groups()]
    assert all(group_of(key) == 0 for key in killed_at(one, 2))          # killed before anything else went up
    kill_at_points(one, [sizes[0] + sizes[1] + 10])
    keys = set(remote_objects(client, bucket, "www"))
    assert any(k.endswith(".html") for k in keys) and "index.html" not in keys
    converged = publish(one.root, seaweedfs.env(), *args)
    assert converged.returncode == 0, converged.stderr
    assert remote_state(client, bucket, "www") == local_state(one.root / "build")

    # Then version 2, which renames hashed assets: killed inside the hashed assets, after them, after the
    # stylesheet, in the middle of the pages, and after the last upload (before any delete).
    v1 = {key: RemoteFile(f.md5, f.headers) for key, f in local_files(one.root / "build").items()}
    two_plan = plan(local_files(two.root / "build"), v1)
    sizes = [len(uploads) for _, uploads in two_plan.groups()]
    index_parts = len([u for u in two_plan.uploads if u.key.startswith("search/")])   # the new article's
    assert index_parts > 0 and sizes[:2] == [3 + index_parts, 1] and len(two_plan.uploads) > 40
    assert {p.format(v="v1aaaa") for p in HASHED} <= set(two_plan.deletes)
    kill_at_points(two, [1, sizes[0], sizes[0] + 1, sizes[0] + 21])
    left = uploads_left(two)
    assert 0 < left < len(two_plan.uploads) - 20
    keys = killed_at(two, left)                                            # every upload done, no delete yet
    assert "tag/webassembly.html" in keys and {p.format(v="v2bbbb") for p in HASHED} <= keys
    assert {p.format(v="v1aaaa") for p in HASHED} <= keys

    rerun = publish(two.root, seaweedfs.env(), *args)
    assert rerun.returncode == 0, rerun.stderr
    assert "0 files to upload" in rerun.stdout and "delete  tag/webassembly.html" in rerun.stdout
    assert remote_state(client, bucket, "www") == local_state(two.root / "build")
    assert_not_broken(client, bucket, "www")
    last = publish(two.root, seaweedfs.env(), *args)
    assert last.returncode == 0 and "no changes required" in last.stdout


def test_html_first_would_have_been_caught(production_site, seaweedfs, tmp_path):
    """The control: the same check on a remote where a page went up before its assets reports it."""
    client = seaweedfs.client()
    bucket = seaweedfs.new_bucket()
    site = site_copy(production_site, tmp_path / "site")
    build = make_version(site.root, "c0ffee")
    client.put_object(Bucket=bucket, Key="www/index.html", Body=(build / "index.html").read_bytes())
    pages, keys = remote_pages(client, bucket, "www")
    assert "index.html → widgets/app.c0ffee.js" in broken_references(pages, keys)


def test_killed_after_every_upload_no_link_or_search_result_leads_to_a_missing_page(production_site, seaweedfs,
                                                                                    tmp_path):
    """v2 adds an article that an older article, a tag page and the search index link to: published over v1 and
    killed after each upload in turn, the live site never has a link (from the home page on) or a search result
    into a page that is not there yet, and the publishes that follow finish the job."""
    client = seaweedfs.client()
    bucket = seaweedfs.new_bucket()
    args = ["--target", f"s3://{bucket}/www", "--endpoint-url", seaweedfs.endpoint]
    one = site_copy(production_site, tmp_path / "v1")
    make_version(one.root, "v1aaaa")
    assert publish(one.root, seaweedfs.env(), *args).returncode == 0
    two = site_copy(production_site, tmp_path / "v2")
    second_version(two.root)
    planned = planned_uploads(publish(two.root, seaweedfs.env(), *args, "--dry-run").stdout)
    kills = 0
    while True:
        done = publish(two.root, seaweedfs.env(ISLET_PUBLISH_STOP_AFTER="1"), *args)
        assert_not_broken(client, bucket, "www")
        if done.returncode != -9:
            break
        kills += 1
    assert done.returncode == 0, done.stderr
    # (a kill may land after several parallel uploads of one group finished: not one kill per upload)
    assert 10 < kills <= planned and remote_state(client, bucket, "www") == local_state(two.root / "build")
