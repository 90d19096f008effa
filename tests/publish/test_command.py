"""The publish command (islet.publish.command): settings, build checks, a failed build, Ctrl-C."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from islet.publish.command import check_build, read_settings
from islet.publish.plan import PublishError
from support.publish import ORIGIN, publish_cli


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


def test_ctrl_c_is_one_line_saying_the_site_still_works(production_copy, monkeypatch):
    from islet.publish import command as publish
    from islet.publish import s3

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(s3, "publish", interrupted)
    with pytest.raises(PublishError, match="interrupted — the remote site still works"):
        publish.run(publish.PublishRequest(production_copy.root, "s3://bucket/site", build=False))


def test_a_publish_clears_what_a_killed_build_left(production_copy, bare_repo):
    """A build killed while Pelican wrote its staging folder leaves `.build-build.new-…` beside build/: the next
    publish (here of the existing build) removes it before sending anything, and publishes the build."""
    root = production_copy.root
    left = root / ".build-build.new-k1ll3d00"
    (left / "articles").mkdir(parents=True)
    (left / "articles" / "half.html").write_text("<p>half a page</p>")
    fresh(root / "build")
    done = publish_cli(root, "--target", f"git:{bare_repo}", "--no-build")
    assert done.returncode == 0, done.stderr
    assert not left.exists() and not list(root.glob(".build-*"))
