"""Publish command: build, check the build, plan and send the site to one target.

    request = PublishRequest(root, target="s3://bucket/prefix", …)
    run(request)                  # build (unless told not to), check, plan, print, apply

Three kinds of target, written as one string (on the command line or in publishconf.py):

    s3://BUCKET[/PREFIX]               any S3-compatible store (AWS, R2, SeaweedFS, MinIO…); --endpoint-url for non-AWS
    ssh://[USER@]HOST[:PORT]/PATH      rsync over SSH (also the scp-like form [USER@]HOST:PATH)
    git:REPOSITORY[#BRANCH]            commit the site to a branch (default gh-pages), GitHub Pages style;
                                       REPOSITORY is a path or any URL git can push to

The plan is a value computed first (islet.publish.plan, after Hugo's deploy), then applied by the
target's module (s3, rsync, git). Killed at any point, the remote site still works, and running again
converges on the local build.
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from islet.build.driver import BuildPlan, build_and_report, settings_output
from islet.build.swap import recover_locked, site_lock
from islet.errors import IsletError, Problem, print_problems
from islet.islands.check import start_site_check

from .plan import (
    DEFAULT_MAX_DELETE_SHARE,
    DEFAULT_MAX_DELETES,
    TARGET_FORMS,
    PublishError,
    RsyncTarget,
    S3Target,
    Target,
    parse_target,
)

SOURCES = ("content", "theme", "widgets", "pelicanconf.py", "publishconf.py")   # what a build is made from


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
    max_delete_share: float | None = None   # None → ISLET_PUBLISH_MAX_DELETE_SHARE, else 0.25; < 0: no fence
    claim_target: bool = False          # publish even where the target looks like another site's (owner.py)


@dataclass(frozen=True)
class PublishSettings:
    target: str = ""
    endpoint_url: str = ""
    max_deletes: int = DEFAULT_MAX_DELETES
    cloudfront_distribution: str = ""
    origin: str = ""                    # SITE_ORIGIN/SITEURL: what a production build's sitemap points at
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE
    site: str = ""                      # which site this is, in its manifest: the origin, else SITENAME


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
                                ("ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION", str, ""),
                                ("ISLET_PUBLISH_MAX_DELETE_SHARE", (int, float), DEFAULT_MAX_DELETE_SHARE)):
        value = values.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(Problem(settings_file, 0, f"setting {name} = {value!r} is not valid",
                                    f"use a {'string' if kind is str else 'number'}"))
        checked[name] = value
    if problems:
        raise PublishError(problems)
    siteurl = str(values.get("SITEURL") or "")
    origin = str(values.get("SITE_ORIGIN") or (siteurl if siteurl.startswith("http") else ""))
    return PublishSettings(checked["ISLET_PUBLISH_TARGET"], checked["ISLET_PUBLISH_ENDPOINT"],
                           checked["ISLET_PUBLISH_MAX_DELETES"], checked["ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION"],
                           origin.rstrip("/"), float(checked["ISLET_PUBLISH_MAX_DELETE_SHARE"]),
                           origin.rstrip("/") or str(values.get("SITENAME") or root.name))


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
    again = "run the publish without --no-build, or build with `./dev build --production` first"
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
    with site_lock(root):       # no build may swap the output folder while it is being published
        recover_locked(root, root / request.output)         # a build killed mid-swap leaves it to be put right
        if request.build:
            plan = BuildPlan(root, request.settings_file, request.output, strict=True, head_start=start_site_check)
            if not build_and_report(plan):
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
                   distribution, _share(request, settings), settings.site, request.claim_target)
    elif isinstance(target, RsyncTarget):
        from .rsync import publish_rsync

        publish_rsync(output, target, request.dry_run, max_deletes, _share(request, settings))
    else:
        from .git import publish_git

        publish_git(output, target, request.dry_run)


def _share(request: PublishRequest, settings: PublishSettings) -> float:
    return request.max_delete_share if request.max_delete_share is not None else settings.max_delete_share


# -------------------------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    """``python -m islet.publish [--target T] [--endpoint-url URL] [--dry-run] [--max-deletes N] [--no-build]``."""
    parser = argparse.ArgumentParser(prog="python -m islet.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the site folder (default: current folder)")
    parser.add_argument("--settings", default="publishconf.py", help="settings file, relative to the root")
    parser.add_argument("--output", default=None,
                        help="output folder, relative to the root (default: the settings' OUTPUT_PATH)")
    parser.add_argument("--target", default="", help=f"where to publish: {TARGET_FORMS}")
    parser.add_argument("--endpoint-url", default="", help="S3 endpoint for non-AWS stores (SeaweedFS, R2, MinIO…)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--max-deletes", type=int, default=None, help="most files to delete (default 256; -1: any)")
    parser.add_argument("--max-delete-share", type=float, default=None,
                        help="S3, rsync: refuse to delete more than this share of the live files or pages "
                             "(default 0.25; -1: any)")
    parser.add_argument("--claim-target", action="store_true",
                        help="S3: publish even where the target holds another site or objects of unknown origin")
    parser.add_argument("--no-build", action="store_true", help="publish the existing build (refused when stale)")
    parser.add_argument("--invalidate", action=argparse.BooleanOptionalAction, default=None,
                        help="invalidate changed HTML on CloudFront (default: when a distribution is configured)")
    args = parser.parse_args(argv)
    output = args.output or settings_output(Path(args.root), args.settings)
    request = PublishRequest(Path(args.root), args.target, args.endpoint_url, args.dry_run, args.max_deletes,
                             not args.no_build, args.invalidate, args.settings, output, args.max_delete_share,
                             args.claim_target)
    try:
        run(request)
    except IsletError as error:
        return print_problems(error)
    return 0
