"""git target: the site as one commit on a branch (GitHub Pages style), pushed in one ref update."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from islet.errors import Problem

from .plan import GitTarget, PublishError, site_keys


def publish_git(output: Path, target: GitTarget, dry_run: bool) -> None:
    """Commit the build (without .gz/.br variants, plus .nojekyll) on top of the branch and push it.

    Plain git plumbing in a scratch repository: the author's own repository and work tree are never
    touched, and the push is one ref update — readers see the old site or the new one.
    """
    if shutil.which("git") is None:
        raise PublishError(Problem("git", 0, "git is not installed", "install git"))
    with tempfile.TemporaryDirectory(prefix="islet-publish-") as scratch:
        def git(*args: str, stdin: str | None = None) -> str:
            env = {**os.environ, "GIT_INDEX_FILE": f"{scratch}/index"}
            for name, value in (("GIT_AUTHOR_NAME", "islet publish"), ("GIT_AUTHOR_EMAIL", "islet@localhost")):
                env.setdefault(name, value)
                env.setdefault(name.replace("AUTHOR", "COMMITTER"), env[name])
            done = subprocess.run(["git", "--git-dir", f"{scratch}/.git", *args], input=stdin, capture_output=True,
                                  text=True, env=env)
            if done.returncode != 0:
                detail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
                raise PublishError(Problem(str(target), 0, f"git {args[0]} failed: {detail}",
                                           "check the repository path or URL, your access to it, and the branch"))
            return done.stdout.strip()

        git("init", "--quiet")
        parent = ""
        if git("ls-remote", target.repository, f"refs/heads/{target.branch}"):
            git("fetch", "--quiet", "--depth=1", target.repository, f"refs/heads/{target.branch}")
            parent = git("rev-parse", "FETCH_HEAD")
        keys = site_keys(output)
        blobs = git("hash-object", "-w", "--stdin-paths", stdin="\n".join(str(output / k) for k in keys))
        empty = git("hash-object", "-w", "--stdin", stdin="")
        entries = [f"100644 {blob}\t{key}" for blob, key in zip(blobs.splitlines(), keys)]
        entries.append(f"100644 {empty}\t.nojekyll")
        git("update-index", "--add", "--index-info", stdin="\n".join(entries) + "\n")
        tree = git("write-tree")
        changes = git("diff-tree", "-r", "--name-status", parent, tree).splitlines() if parent else \
            [f"A\t{k}" for k in [*keys, ".nojekyll"]]
        if not changes:
            print(f"{target}: no changes required.")
            return
        print(f"Plan for {target}:")
        for line in changes:
            status, key = line.split("\t", 1)
            reason = {"A": "new", "M": "content differs"}.get(status[:1])
            print(f"    upload  {key}  {reason}" if reason else f"    delete  {key}")
        uploads = sum(1 for line in changes if line[:1] in "AM")
        print(f"{uploads} file{'s' * (uploads != 1)} to upload, {len(changes) - uploads} to delete."
              + (" Dry run: nothing was changed." if dry_run else ""))
        if dry_run:
            return
        commit = git("commit-tree", tree, *(["-p", parent] if parent else []),
                     "-m", f"Publish site ({len(keys)} files)")
        git("push", "--quiet", target.repository, f"{commit}:refs/heads/{target.branch}")
        print(f"Pushed {commit[:12]} to {target}.")
