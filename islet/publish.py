"""Publish stage: send the built site to where readers get it, without ever leaving it broken.

    request = PublishRequest(root, target="s3://bucket/prefix", …)
    run(request)                  # build (unless told not to), check, plan, print, apply

Three kinds of target, written as one string (on the command line or in publishconf.py):

    s3://BUCKET[/PREFIX]               any S3-compatible store (AWS, R2, SeaweedFS, MinIO…); --endpoint-url for non-AWS
    ssh://[USER@]HOST[:PORT]/PATH      rsync over SSH (also the scp-like form [USER@]HOST:PATH)
    git:REPOSITORY[#BRANCH]            commit the site to a branch (default gh-pages), GitHub Pages style;
                                       REPOSITORY is a path or any URL git can push to

For S3 the publish is a plan computed first, as a value (see `plan`), after Hugo's deploy:
the remote listing and the local files are compared by an MD5 of the uncompressed file (kept
in object metadata: a multipart ETag is not an MD5) and by the headers; uploads go in ordered
groups — hashed assets, other assets, pages, then feeds, sitemap and home page — so no reader
is served HTML that refers to an asset that is not there yet; deletes run only after every
upload succeeded and are fenced by a maximum. Killed at any point, the remote site still
works, and running again converges on the local build. rsync keeps the same order with two
passes; git is atomic by nature (one ref update).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from . import headers
from .errors import IsletError, Problem, print_problems

DEFAULT_MAX_DELETES = 256
DEFAULT_BRANCH = "gh-pages"
VARIANTS = (".gz", ".br")        # precompressed copies the build writes next to a text file
SOURCES = ("content", "theme", "widgets", "pelicanconf.py", "publishconf.py")   # what a build is made from


class PublishError(IsletError):
    """Publishing failed or was refused; the message says what to do. Nothing half-done is left visible."""


# ---------------------------------------------------------------------------------------------- targets

@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str = ""            # no leading or trailing slash; "" is the bucket's root

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


@dataclass(frozen=True)
class RsyncTarget:
    host: str                   # with the user, as ssh takes it: "deploy@example.org"
    path: str
    port: int | None = None

    @property
    def destination(self) -> str:
        return f"{self.host}:{self.path.rstrip('/')}/"

    def __str__(self) -> str:
        return f"ssh://{self.host}{f':{self.port}' if self.port else ''}{self.path}"


@dataclass(frozen=True)
class GitTarget:
    repository: str
    branch: str = DEFAULT_BRANCH

    def __str__(self) -> str:
        return f"git:{self.repository}#{self.branch}"


Target = S3Target | RsyncTarget | GitTarget
TARGET_FORMS = "s3://bucket/prefix, ssh://user@host:port/path, user@host:/path or git:/path/to/repo#branch"


def parse_target(text: str, source: str = "--target") -> Target:
    """The target string → a target; a `PublishError` naming the accepted forms otherwise."""
    text = (text or "").strip()

    def bad(what: str) -> PublishError:
        return PublishError(Problem(source, 0, f"{what}: {text!r}", f"write the target as one of {TARGET_FORMS}"))

    if not text:
        raise PublishError(Problem(source, 0, "no publish target given",
                                   "pass --target (e.g. s3://my-bucket/site) or set ISLET_PUBLISH_TARGET "
                                   f"in publishconf.py; the forms are {TARGET_FORMS}"))
    if text.startswith("s3://"):
        bucket, _, prefix = text[5:].partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
            raise bad("not a valid bucket name (3–63 lower-case letters, digits, dots, hyphens)")
        return S3Target(bucket, prefix.strip("/"))
    if text.startswith("git:"):
        repository, _, branch = text[4:].partition("#")
        if not repository or branch.startswith("-") or " " in branch:
            raise bad("a git target needs a repository (and optionally #branch)")
        return GitTarget(repository, branch or DEFAULT_BRANCH)
    if text.startswith("rsync://"):
        raise bad("rsync:// means an rsync daemon, which islet does not publish to; use ssh://user@host:port/path")
    if text.startswith("ssh://"):
        parts = urlsplit(text)
        if not parts.hostname or not parts.path or parts.path == "/":
            raise bad("an ssh target needs a host and a folder")
        host = f"{parts.username}@{parts.hostname}" if parts.username else parts.hostname
        return RsyncTarget(host, parts.path, parts.port)
    match = re.fullmatch(r"((?:[\w.\-]+@)?[\w.\-]+):(.+)", text)
    if match and "://" not in text:
        return RsyncTarget(match[1], match[2])
    raise bad("unknown kind of target")


# ------------------------------------------------------------------------------------------ local files

@dataclass(frozen=True)
class LocalFile:
    path: Path                  # the file in the build
    md5: str                    # of the file as the build wrote it (uncompressed)
    size: int                   # bytes that will be uploaded (the gzip body when Content-Encoding is gzip)
    headers: dict[str, str]     # Content-Type, Cache-Control and, for a gzip body, Content-Encoding
    gzipped: Path | None = None     # the build's F.gz, when it holds exactly F

    def body(self) -> bytes:
        """What to upload: F's gzip body when Content-Encoding is gzip (F.gz from the build, or made here)."""
        if self.headers.get("Content-Encoding") != "gzip":
            return self.path.read_bytes()
        return self.gzipped.read_bytes() if self.gzipped else _gzip(self.path.read_bytes())


def _gzip(data: bytes) -> bytes:
    # mtime 0 and a fixed level: the same file always gives the same bytes (and so the same upload).
    return gzip.compress(data, compresslevel=9, mtime=0)


def _gunzip(path: Path) -> bytes | None:
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError):
        return None


def is_variant(key: str, keys: set[str]) -> bool:
    """True for F.gz / F.br written next to F: the compressed copies are served for F, never published as files."""
    return key.endswith(VARIANTS) and key[:-3] in keys


def site_keys(output: Path) -> list[str]:
    """Every file of the build, as forward-slash paths relative to it, compressed variants left out."""
    every = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    return sorted(k for k in every if not is_variant(k, every))


def local_files(output: Path) -> dict[str, LocalFile]:
    """The build as S3 would store it: {key: LocalFile}. Compressible text goes up gzip-encoded when smaller."""
    found: dict[str, LocalFile] = {}
    for key in site_keys(output):
        path = output / key
        data = path.read_bytes()
        head = {"Content-Type": headers.content_type(key), "Cache-Control": headers.cache_control(key)}
        size, ready = len(data), None
        if headers.compressible(key):
            ready = path.with_name(path.name + ".gz")
            # The build's F.gz is used only if it really is F: a stale or hand-made one is not uploaded.
            ready = ready if ready.is_file() and _gunzip(ready) == data else None
            packed = ready.stat().st_size if ready else len(_gzip(data))
            if packed < size:
                head["Content-Encoding"] = "gzip"
                size = packed
        found[key] = LocalFile(path, hashlib.md5(data).hexdigest(), size, head, ready)
    return found


# ------------------------------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class RemoteFile:
    md5: str                    # from the object's metadata ("" when it has none: not published by islet)
    headers: dict[str, str]


class Upload(NamedTuple):
    key: str
    reason: str                 # "new", "content differs" or "headers differ"


# Upload order. A reader who arrives mid-publish must never get HTML that refers to an asset that is
# not uploaded yet, so what HTML refers to goes first and the entry points (home page, feeds, sitemap)
# go last. Each group finishes before the next starts.
GROUPS = ("hashed assets", "other assets", "pages", "feeds, sitemap and home page")
LAST = ("index.html", "sitemap.xml", "robots.txt")


def group_of(key: str) -> int:
    name = key.lower()
    if headers.is_hashed(key):
        return 0
    if key in LAST or key.startswith("feeds/") or name.endswith((".atom.xml", ".rss.xml")):
        return 3
    if name.endswith(".html"):
        return 2
    return 1


@dataclass
class Plan:
    uploads: list[Upload] = field(default_factory=list)       # in upload order: by group, then by key
    deletes: list[str] = field(default_factory=list)          # run only after every upload succeeded
    held_back: list[str] = field(default_factory=list)        # deletes over the limit: not run
    max_deletes: int = DEFAULT_MAX_DELETES

    @property
    def empty(self) -> bool:
        return not (self.uploads or self.deletes or self.held_back)

    def groups(self) -> list[tuple[str, list[Upload]]]:
        """The uploads split into their ordered groups (empty groups left out)."""
        split: list[list[Upload]] = [[] for _ in GROUPS]
        for upload in self.uploads:
            split[group_of(upload.key)].append(upload)
        return [(GROUPS[i], uploads) for i, uploads in enumerate(split) if uploads]


def plan(local: dict[str, LocalFile], remote: dict[str, RemoteFile], max_deletes: int = DEFAULT_MAX_DELETES) -> Plan:
    """Pure: what to upload (with the reason) and what to delete, to make `remote` equal `local`.

    `max_deletes` < 0 means no limit. Over the limit no delete is planned at all (they are `held_back`):
    a wrong prefix or an empty build must not wipe a site.
    """
    uploads = []
    for key, file in local.items():
        there = remote.get(key)
        if there is None:
            uploads.append(Upload(key, "new"))
        elif there.md5 != file.md5:
            uploads.append(Upload(key, "content differs"))
        elif there.headers != file.headers:
            uploads.append(Upload(key, "headers differ"))
    uploads.sort(key=lambda u: (group_of(u.key), u.key))
    deletes = sorted(set(remote) - set(local))
    if 0 <= max_deletes < len(deletes):
        return Plan(uploads, [], deletes, max_deletes)
    return Plan(uploads, deletes, [], max_deletes)


def describe(the_plan: Plan, local: dict[str, LocalFile], target: Target) -> list[str]:
    """The plan as lines to print: each upload with its reason, each delete, and a summary."""
    if the_plan.empty:
        return [f"{target}: no changes required."]
    width = max([len(u.key) for u in the_plan.uploads] + [len(k) for k in the_plan.deletes] + [1])
    lines = [f"Plan for {target}:"]
    for name, uploads in the_plan.groups():
        lines.append(f"  {name}:")
        lines += [f"    upload  {u.key:<{width}}  {u.reason}" for u in uploads]
    lines += [f"    delete  {key}" for key in the_plan.deletes]
    size = sum(local[u.key].size for u in the_plan.uploads)
    lines.append(f"{len(the_plan.uploads)} file{'s' * (len(the_plan.uploads) != 1)} to upload ({_bytes(size)}), "
                 f"{len(the_plan.deletes)} to delete.")
    if the_plan.held_back:
        lines.append(held_back_message(the_plan))
    return lines


def held_back_message(the_plan: Plan) -> str:
    return (f"warning: {len(the_plan.held_back)} files are gone from the build, more than --max-deletes "
            f"({the_plan.max_deletes}): none of them will be deleted. If that is expected, run again with "
            f"--max-deletes={len(the_plan.held_back)} (or -1 for no limit), or set ISLET_PUBLISH_MAX_DELETES.")


def _bytes(size: int) -> str:
    return f"{size} B" if size < 1000 else f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"


# -------------------------------------------------------------------------------------- settings, build

@dataclass(frozen=True)
class PublishRequest:
    root: Path
    target: str = ""                    # "" → ISLET_PUBLISH_TARGET from the settings file
    endpoint_url: str = ""              # "" → ISLET_PUBLISH_ENDPOINT
    dry_run: bool = False
    max_deletes: int | None = None      # None → ISLET_PUBLISH_MAX_DELETES, else 256
    build: bool = True                  # False: publish build/ as it is, after checking it is not stale
    invalidate: bool | None = None      # CloudFront invalidation; None → when a distribution is configured
    settings_file: str = "publishconf.py"
    output: str = "build"


@dataclass(frozen=True)
class PublishSettings:
    target: str = ""
    endpoint_url: str = ""
    max_deletes: int = DEFAULT_MAX_DELETES
    cloudfront_distribution: str = ""
    origin: str = ""                    # SITE_ORIGIN/SITEURL: what a production build's sitemap points at


def read_settings(root: Path, settings_file: str) -> PublishSettings:
    """The ISLET_PUBLISH_* settings of the settings file (which may import pelicanconf.py beside it)."""
    path = root / settings_file
    if not path.is_file():
        return PublishSettings()
    with _site_folder(root):
        try:
            values = runpy.run_path(str(path))
        except Exception as error:
            raise PublishError(Problem(settings_file, 0, f"cannot be read: {type(error).__name__}: {error}",
                                       "fix the settings file")) from error
    problems = []
    checked = {}
    for name, kind, default in (("ISLET_PUBLISH_TARGET", str, ""), ("ISLET_PUBLISH_ENDPOINT", str, ""),
                                ("ISLET_PUBLISH_MAX_DELETES", int, DEFAULT_MAX_DELETES),
                                ("ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION", str, "")):
        value = values.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(Problem(settings_file, 0, f"setting {name} = {value!r} is not valid",
                                    f"use a {'number' if kind is int else 'string'}"))
        checked[name] = value
    if problems:
        raise PublishError(problems)
    siteurl = str(values.get("SITEURL") or "")
    origin = str(values.get("SITE_ORIGIN") or (siteurl if siteurl.startswith("http") else ""))
    return PublishSettings(checked["ISLET_PUBLISH_TARGET"], checked["ISLET_PUBLISH_ENDPOINT"],
                           checked["ISLET_PUBLISH_MAX_DELETES"], checked["ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION"],
                           origin.rstrip("/"))


@contextmanager
def _site_folder(root: Path):
    """publishconf.py does `from pelicanconf import *` from the current folder: give it the site's."""
    saved_cwd, saved_path, saved_module = os.getcwd(), sys.path[:], sys.modules.pop("pelicanconf", None)
    os.chdir(root)
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.modules.pop("pelicanconf", None)
        if saved_module is not None:
            sys.modules["pelicanconf"] = saved_module


def check_build(root: Path, output: str, settings_file: str, origin: str) -> None:
    """Refuse a build that is missing, older than its sources, or not made with the publish settings."""
    index = root / output / "index.html"
    again = f"run the publish without --no-build, or build with `./dev build --production` first"
    if not index.is_file():
        raise PublishError(Problem(f"{output}/", 0, "there is no build to publish", again))
    built = index.stat().st_mtime
    newest = max(((p.stat().st_mtime, p) for name in SOURCES for p in _files(root / name)), default=(0.0, None))
    if newest[0] > built:
        shown = newest[1].relative_to(root).as_posix()
        raise PublishError(Problem(f"{output}/", 0, f"the build is stale: {shown} changed after it was built", again))
    sitemap = root / output / "sitemap.xml"
    if origin and sitemap.is_file() and f"<loc>{origin}/" not in sitemap.read_text(encoding="utf-8"):
        raise PublishError(Problem(f"{output}/", 0, f"the build was not made with {settings_file} "
                                                   f"(its sitemap does not point at {origin})", again))


def _files(path: Path):
    if path.is_file():
        yield path
    elif path.is_dir():
        yield from (p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


# ------------------------------------------------------------------------------------------------- run

def run(request: PublishRequest) -> None:
    """Build (unless told not to), check the build, then publish it to the target. Raises PublishError."""
    root = request.root.resolve()
    settings = read_settings(root, request.settings_file)
    target = parse_target(request.target or settings.target,
                          "--target" if request.target else f"{request.settings_file}: ISLET_PUBLISH_TARGET")
    max_deletes = request.max_deletes if request.max_deletes is not None else settings.max_deletes
    if request.build:
        from .build import BuildPlan, build_and_report

        if not build_and_report(BuildPlan(root, request.settings_file, request.output, strict=True)):
            raise PublishError(Problem(f"{request.output}/", 0, "the build failed, so nothing was published",
                                       "fix the problems above and publish again"))
    else:
        check_build(root, request.output, request.settings_file, settings.origin)
    try:
        _send(root / request.output, target, request, settings, max_deletes)
    except KeyboardInterrupt:
        raise PublishError(Problem(str(target), 0, "interrupted",
                                   "the remote site still works (pages never go up before their assets, and "
                                   "nothing is deleted until every upload is done); publish again to finish")) \
            from None


def _send(output: Path, target: Target, request: PublishRequest, settings: PublishSettings, max_deletes: int) -> None:
    if isinstance(target, S3Target):
        from . import s3

        distribution = settings.cloudfront_distribution if request.invalidate is not False else ""
        if request.invalidate and not distribution:
            raise PublishError(Problem(request.settings_file, 0, "--invalidate needs a CloudFront distribution",
                                       "set ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION = 'E123…' in publishconf.py"))
        s3.publish(output, target, request.endpoint_url or settings.endpoint_url, request.dry_run, max_deletes,
                   distribution)
    elif isinstance(target, RsyncTarget):
        publish_rsync(output, target, request.dry_run, max_deletes)
    else:
        publish_git(output, target, request.dry_run)


# ------------------------------------------------------------------------------------------------ rsync

def publish_rsync(output: Path, target: RsyncTarget, dry_run: bool, max_deletes: int) -> None:
    """Two rsync passes over SSH: assets first (nothing deleted), then everything, deleting last.

    --delay-updates puts each pass's files in place together at its end, and --checksum skips files
    whose bytes did not change (a build rewrites every file, so times say nothing). The .gz/.br
    variants go too: the server picks them by Accept-Encoding (nginx gzip_static / brotli_static).
    """
    if shutil.which("rsync") is None:
        raise PublishError(Problem("rsync", 0, "rsync is not installed",
                                   "install it (apt-get install rsync; brew install rsync) — the server needs it too"))
    rsh = os.environ.get("RSYNC_RSH", "ssh") + (f" -p {target.port}" if target.port else "")
    common = ["rsync", "--recursive", "--links", "--perms", "--times", "--checksum", "--delay-updates",
              "--itemize-changes", "--rsh", rsh]
    every = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assets = sorted(k for k in every if group_of(k[:-3] if is_variant(k, every) else k) < 2)
    limit = [f"--max-delete={max_deletes}"] if max_deletes >= 0 else []
    full = [*common, "--delete-after", *limit, f"{output}/", target.destination]
    started = time.perf_counter()
    if dry_run:
        changes = _rsync(full[:1] + ["--dry-run"] + full[1:], target)
        _print_rsync_plan(changes, target, dry_run=True)
        return
    first = _rsync([*common, "--files-from=-", f"{output}/", target.destination], target, "\n".join(assets))
    second = _rsync(full, target)
    changes = first + [line for line in second if line not in first]
    _print_rsync_plan(changes, target, dry_run=False)
    print(f"Published to {target} in {time.perf_counter() - started:.1f} s.")


def _rsync(args: list[str], target: RsyncTarget, stdin: str | None = None) -> list[str]:
    done = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if done.returncode == 25:
        raise PublishError(Problem(str(target), 0, "more files to delete than --max-deletes allows; "
                                                   "everything else was uploaded",
                                   "if that is expected, run again with a larger --max-deletes (or -1)"))
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
        raise PublishError(Problem(str(target), 0, f"rsync failed: {detail}",
                                   "check that you can `ssh` to the host without a password prompt and that "
                                   "the folder is writable; nothing was deleted if the first pass failed"))
    # Only lines that send or delete something: ".f..t…" lines just refresh a time stamp.
    return [line for line in done.stdout.splitlines() if line[:1] in "<>c*" and line.strip()]


def _print_rsync_plan(changes: list[str], target: RsyncTarget, dry_run: bool) -> None:
    if not changes:
        print(f"{target}: no changes required.")
        return
    sent = [line.split(" ", 1)[1] for line in changes if line.startswith(("<f", ">f"))]
    gone = [line.split(" ", 1)[1] for line in changes if line.startswith("*deleting")]
    print(f"Plan for {target}:" if dry_run else f"Changes on {target}:")
    for line in changes:
        if line.startswith(("<f", ">f")):
            print(f"    upload  {line.split(' ', 1)[1]}  {'new' if '+++' in line else 'content differs'}")
        elif line.startswith("*deleting"):
            print(f"    delete  {line.split(' ', 1)[1].strip()}")
    print(f"{len(sent)} file{'s' * (len(sent) != 1)} to upload, {len(gone)} to delete."
          + (" Dry run: nothing was changed." if dry_run else ""))


# -------------------------------------------------------------------------------------------------- git

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


# -------------------------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    """``python -m islet.publish [--target T] [--endpoint-url URL] [--dry-run] [--max-deletes N] [--no-build]``."""
    parser = argparse.ArgumentParser(prog="python -m islet.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the site folder (default: current folder)")
    parser.add_argument("--settings", default="publishconf.py", help="settings file, relative to the root")
    parser.add_argument("--output", default="build", help="output folder, relative to the root")
    parser.add_argument("--target", default="", help=f"where to publish: {TARGET_FORMS}")
    parser.add_argument("--endpoint-url", default="", help="S3 endpoint for non-AWS stores (SeaweedFS, R2, MinIO…)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--max-deletes", type=int, default=None, help="most files to delete (default 256; -1: any)")
    parser.add_argument("--no-build", action="store_true", help="publish the existing build (refused when stale)")
    parser.add_argument("--invalidate", action=argparse.BooleanOptionalAction, default=None,
                        help="invalidate changed HTML on CloudFront (default: when a distribution is configured)")
    args = parser.parse_args(argv)
    request = PublishRequest(Path(args.root), args.target, args.endpoint_url, args.dry_run, args.max_deletes,
                             not args.no_build, args.invalidate, args.settings, args.output)
    try:
        run(request)
    except IsletError as error:
        return print_problems(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
