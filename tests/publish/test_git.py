"""The git target (islet.publish.git): the build as one commit on a branch of a real bare repository."""
from __future__ import annotations

import gzip
import hashlib
import subprocess
from pathlib import Path

from support.publish import publish_cli


def git_tree(repo: Path, ref: str = "gh-pages") -> dict[str, str]:
    listing = subprocess.run(["git", "--git-dir", str(repo), "ls-tree", "-r", ref], capture_output=True, text=True,
                             check=True).stdout
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing.splitlines()}


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commits(repo: Path, ref: str = "gh-pages") -> int:
    return int(subprocess.run(["git", "--git-dir", str(repo), "rev-list", "--count", ref], capture_output=True,
                              text=True, check=True).stdout)


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
