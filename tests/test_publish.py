"""Publish stage: target parsing, local files, the pure plan, build checks, and the rsync and git targets.

The S3 target (against a real SeaweedFS) is in test_s3.py, the interruption tests in test_publish_interrupt.py.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from islet import headers
from islet.publish import (GitTarget, LocalFile, Plan, PublishError, RemoteFile, RsyncTarget, S3Target, Upload,
                           check_build, describe, group_of, local_files, parse_target, plan, read_settings,
                           site_keys)
from publish_helpers import production_site, site_copy  # noqa: F401  (a fixture)
from servers import *  # noqa: F401,F403  (fixtures: sshd, bare_repo)

ORIGIN = "https://islet.example"


def publish_cli(root: Path, *args: str, env: dict | None = None, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "islet.publish", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


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
                           "feeds/all.atom.xml": "<feed/>" * 100})
    files = local_files(out)
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


# ------------------------------------------------------------------------------------- build checks

def test_a_fresh_production_build_passes_the_check(demo_copy):
    root = demo_copy.root
    built = demo_copy.build("--settings", "publishconf.py", "--strict")
    assert built.code == 0, built.stderr
    check_build(root, "build", "publishconf.py", read_settings(root, "publishconf.py").origin)


def test_stale_missing_and_development_builds_are_refused(demo_copy):
    root = demo_copy.root
    origin = read_settings(root, "publishconf.py").origin
    assert origin == ORIGIN
    fresh(root / "build")
    # demo_copy holds a development build: its sitemap points at 127.0.0.1, not the published origin.
    with pytest.raises(PublishError, match="not made with publishconf.py"):
        check_build(root, "build", "publishconf.py", origin)
    article = next((root / "content/articles").glob("*.md"))
    later = time.time() + 60
    os.utime(article, (later, later))
    with pytest.raises(PublishError, match=f"stale: content/articles/{article.name} changed"):
        check_build(root, "build", "publishconf.py", origin)
    shutil.rmtree(root / "build")
    with pytest.raises(PublishError, match="there is no build to publish"):
        check_build(root, "build", "publishconf.py", origin)


def test_publish_settings_are_read_and_checked(tmp_path):
    (tmp_path / "pelicanconf.py").write_text("SITEURL = ''\n")
    (tmp_path / "publishconf.py").write_text(
        "from pelicanconf import *\nSITEURL = 'https://example.org'\nISLET_PUBLISH_TARGET = 's3://b/p'\n"
        "ISLET_PUBLISH_ENDPOINT = 'http://127.0.0.1:9000'\nISLET_PUBLISH_MAX_DELETES = 10\n")
    settings = read_settings(tmp_path, "publishconf.py")
    assert (settings.target, settings.endpoint_url, settings.max_deletes, settings.origin) == \
           ("s3://b/p", "http://127.0.0.1:9000", 10, "https://example.org")
    (tmp_path / "publishconf.py").write_text("ISLET_PUBLISH_MAX_DELETES = 'many'\n")
    with pytest.raises(PublishError, match="ISLET_PUBLISH_MAX_DELETES = 'many' is not valid"):
        read_settings(tmp_path, "publishconf.py")


def test_a_failed_build_is_never_published(demo_copy, bare_repo):
    article = next((demo_copy.root / "content/articles").glob("*.md"))
    article.write_text(re.sub(r"(?m)^Date: .*$", "Date: 2026-02-30", article.read_text(), count=1))
    before = demo_copy.output_digest()
    done = publish_cli(demo_copy.root, "--target", f"git:{bare_repo}")
    assert done.returncode == 1
    assert "the build failed, so nothing was published" in done.stderr and "Traceback" not in done.stderr
    assert demo_copy.output_digest() == before                           # build/ left as it was
    assert subprocess.run(["git", "--git-dir", str(bare_repo), "rev-parse", "--verify", "-q", "gh-pages"],
                          capture_output=True).returncode != 0          # nothing pushed


def fresh(build: Path) -> None:
    """Make the build newer than the sources (the copies' times come from the shared checkout)."""
    now = time.time() + 10
    for path in build.rglob("*"):
        os.utime(path, (now, now))


def test_no_build_refuses_a_development_build(demo_copy, bare_repo):
    fresh(demo_copy.root / "build")
    done = publish_cli(demo_copy.root, "--target", f"git:{bare_repo}", "--no-build")
    assert done.returncode == 1 and "not made with publishconf.py" in done.stderr


# ---------------------------------------------------------------------------------------------- git

def git_tree(repo: Path, ref: str = "gh-pages") -> dict[str, str]:
    listing = subprocess.run(["git", "--git-dir", str(repo), "ls-tree", "-r", ref], capture_output=True, text=True,
                             check=True).stdout
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing.splitlines()}


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commits(repo: Path, ref: str = "gh-pages") -> int:
    return int(subprocess.run(["git", "--git-dir", str(repo), "rev-list", "--count", ref], capture_output=True,
                              text=True, check=True).stdout)


@pytest.fixture
def production_copy(production_site, tmp_path):
    """A private copy of the demo site with its production build."""
    return site_copy(production_site, tmp_path / "site")


def test_git_target_commits_the_build_with_nojekyll_and_without_variants(production_copy, bare_repo):
    root = production_copy.root
    build = root / "build"
    page = build / "about.html"
    (build / "about.html.gz").write_bytes(gzip.compress(page.read_bytes()))   # as the build will write them
    done = publish_cli(root, "--target", f"git:{bare_repo}", "--no-build")
    assert done.returncode == 0, done.stderr
    tree = git_tree(bare_repo)
    expected = {p.relative_to(build).as_posix(): git_blob_sha(p.read_bytes())
                for p in build.rglob("*") if p.is_file() and not p.name.endswith((".gz", ".br"))}
    assert tree == {**expected, ".nojekyll": git_blob_sha(b"")}
    assert "to upload" in done.stdout and commits(bare_repo) == 1

    again = publish_cli(root, "--target", f"git:{bare_repo}", "--no-build")
    assert again.returncode == 0 and "no changes required" in again.stdout and commits(bare_repo) == 1

    page.write_text(page.read_text().replace("</main>", "<p>edited</p></main>"))
    (build / "tags.html").unlink()
    dry = publish_cli(root, "--target", f"git:{bare_repo}", "--no-build", "--dry-run")
    assert dry.returncode == 0 and "upload  about.html  content differs" in dry.stdout
    assert "delete  tags.html" in dry.stdout and "Dry run" in dry.stdout and commits(bare_repo) == 1
    real = publish_cli(root, "--target", f"git:{bare_repo}", "--no-build")
    assert real.returncode == 0 and commits(bare_repo) == 2                    # on top of the previous one
    tree = git_tree(bare_repo)
    assert "tags.html" not in tree and tree["about.html"] == git_blob_sha(page.read_bytes())


def test_git_target_reports_an_unreachable_repository(production_copy, tmp_path):
    done = publish_cli(production_copy.root, "--target", f"git:{tmp_path / 'missing.git'}", "--no-build")
    assert done.returncode == 1 and "git ls-remote failed" in done.stderr and "Traceback" not in done.stderr


# -------------------------------------------------------------------------------------------- rsync

def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_rsync_target_mirrors_the_build_with_variants_and_deletes_last(production_copy, sshd, tmp_path):
    root = production_copy.root
    build = root / "build"
    (build / "index.html.gz").write_bytes(gzip.compress((build / "index.html").read_bytes()))
    served = tmp_path / "www"
    served.mkdir()
    (served / "stale.html").write_text("old")
    target = f"ssh://{sshd.user}@127.0.0.1:{sshd.port}{served}"

    dry = publish_cli(root, "--target", target, "--no-build", "--dry-run", env=sshd.env())
    assert dry.returncode == 0, dry.stderr
    assert "upload  index.html  new" in dry.stdout and "delete  stale.html" in dry.stdout
    assert folder_files(served) == {"stale.html": b"old"}                     # a dry run changes nothing

    fenced = publish_cli(root, "--target", target, "--no-build", "--max-deletes", "0", env=sshd.env())
    assert fenced.returncode == 1 and "--max-deletes" in fenced.stderr
    assert (served / "stale.html").exists() and (served / "index.html").exists()

    done = publish_cli(root, "--target", target, "--no-build", env=sshd.env())
    assert done.returncode == 0, done.stderr
    assert folder_files(served) == folder_files(build)                        # .gz variants included
    again = publish_cli(root, "--target", target, "--no-build", env=sshd.env())
    assert again.returncode == 0 and "no changes required" in again.stdout


def test_rsync_target_reports_a_refused_connection(production_copy, tmp_path):
    port = free_ports(1)[0]
    done = publish_cli(production_copy.root, "--target", f"ssh://127.0.0.1:{port}{tmp_path}", "--no-build",
                       env={**os.environ, "RSYNC_RSH": "ssh -o BatchMode=yes -o StrictHostKeyChecking=no"})
    assert done.returncode == 1 and "rsync failed" in done.stderr and "ssh" in done.stderr


def test_ctrl_c_is_one_line_saying_the_site_still_works(production_copy, monkeypatch):
    from islet import publish, s3

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(s3, "publish", interrupted)
    with pytest.raises(PublishError, match="interrupted — the remote site still works"):
        publish.run(publish.PublishRequest(production_copy.root, "s3://bucket/site", build=False))
