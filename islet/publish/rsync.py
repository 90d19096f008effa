"""rsync target: the site over SSH in two passes, assets first, deleting last."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from islet.errors import Problem

from .plan import DEFAULT_MAX_DELETE_SHARE, PublishError, RsyncTarget, Shares, apply_fence, group_of, is_variant


def publish_rsync(output: Path, target: RsyncTarget, dry_run: bool, max_deletes: int,
                  max_share: float = DEFAULT_MAX_DELETE_SHARE) -> None:
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
    # The relative fence (islet.publish.plan.Shares): what the whole publish would delete, against what is live.
    planned = _rsync([*common, "--dry-run", "--delete-after", f"{output}/", target.destination], target)
    shares = _shares(planned, _rsync_listing(rsh, target))
    if dry_run:
        _print_rsync_plan(planned, target, dry_run=True)
    apply_fence(shares, max_share, target, dry_run)
    if dry_run:
        return
    first = _rsync([*common, "--files-from=-", f"{output}/", target.destination], target, "\n".join(assets))
    second = _rsync(full, target)
    changes = first + [line for line in second if line not in first]
    _print_rsync_plan(changes, target, dry_run=False)
    print(f"Published to {target} in {time.perf_counter() - started:.1f} s.")


def _rsync_listing(rsh: str, target: RsyncTarget) -> list[str]:
    """The files live at the target (`rsync --list-only`), as paths below it."""
    done = subprocess.run(["rsync", "--recursive", "--list-only", "--rsh", rsh, target.destination],
                          capture_output=True, text=True)
    if done.returncode != 0:            # nothing there yet, or the check below reports the connection
        return []
    return [line.split(None, 4)[4] for line in done.stdout.splitlines()
            if line.startswith("-") and len(line.split(None, 4)) == 5]


def _shares(planned: list[str], live: list[str]) -> Shares:
    gone = [line.split(" ", 1)[1].strip() for line in planned if line.startswith("*deleting")]
    gone = [name for name in gone if not name.endswith("/")]
    live_pages = [name for name in live if name.endswith(".html")]
    return Shares(len(gone), len(live), sum(1 for name in gone if name.endswith(".html")), len(live_pages))


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
