"""The end of a build: its output swapped into place, recoverably, under the site folder's lock.

    with site_lock(root):            # a second build in this folder waits (and says so once)
        recover_locked(root, output) # finish or undo what a killed build left; delete stale folders
        ...                          # Pelican writes into a staging folder beside the output
        carry_over(output, staging, ...) # what Pelican would have left in the output (DELETE_OUTPUT_DIRECTORY)
        swap(staging, output)        # two renames

At every instant of a swap the output is the previous build, the new one, or missing with the previous
build in ``.build-NAME.old``, which `recover_locked` renames back. Commands that read an output (serve,
publish) call `recover` first.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from islet.errors import IsletError, Problem, shown_path


class SwapFailed(IsletError):
    """An output folder could not be put back, or another build in the site folder kept its lock too long."""


# The folders of a swap, siblings of the output (one file system, so renames). For the output `build`:
#   .build-build.new-XXXXXXXX     the staging folder Pelican writes into
#   .build-build.old              the previous output between the swap's two renames: what `recover` restores
#   .build-build.trash-XXXXXXXX   a folder being deleted in the background, under a name never used again
_SWAP_FOLDER = re.compile(r"\.build-(?P<output>.+)\.(?P<kind>old|new-\w+|trash-\w+)")
# In the site folder, beside the build state; never deleted by islet (a new file would be a second lock).
# In .cache/, which content hashing skips (the content folder may be the site folder): the pid in it changes.
LOCK_FILE = Path(".cache", "islet-build.lock")
LOCK_WAIT = 600.0                 # seconds a build waits for another one in its folder, then fails

_held: dict[Path, int] = {}       # lock file -> descriptor, for the locks this process holds
_held_guard = threading.RLock()   # threads of one process take turns; one thread may take a lock it holds


def _let_go_in_child() -> None:
    """In a forked helper: close the lock's descriptor. A copy kept by a helper the build leaves behind
    (a worker pool orphaned by a kill) would hold the lock for as long as it lives."""
    global _held_guard
    for descriptor in _held.values():
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _held.clear()
    _held_guard = threading.RLock()


os.register_at_fork(after_in_child=_let_go_in_child)


def swap(staging: Path, output: Path) -> None:
    """Put the new build in place with two renames; `recover` puts right a kill between any two steps:
    before the first, the output is the previous build and the staging folder is stale (deleted); between
    the two, the output is missing and `.build-NAME.old` is the previous build (renamed back); after the
    second, the output is the new build and `.old` is stale (deleted). The caller forgot the output's
    incremental state before: no state claims that a restored previous build is the new one.
    The old tree is then deleted by a process of its own: deleting thousands of files takes longer than
    the rest of a small rebuild, and nobody waits for it."""
    old = output.with_name(f".build-{output.name}.old")
    moved = os.path.lexists(output)
    if moved:
        output.rename(old)
    try:
        staging.rename(output)
    except BaseException:      # an error, or Ctrl-C: the previous build goes back, as `recover` would do
        if moved:
            old.rename(output)
        raise
    if moved:
        with contextlib.suppress(OSError):           # else the next build's `recover` deletes it
            _delete_later(old, output.name)


def carry_over(output: Path, staging: Path, delete_output: bool, retention) -> None:
    """Put into `staging` what plain Pelican would have left in `output` and the new build did not write:
    every earlier file when DELETE_OUTPUT_DIRECTORY is off (Pelican's default), else only the OUTPUT_RETENTION
    names (a GitHub Pages ``.git``, a ``CNAME``). By hard links: no bytes are copied, and the previous output
    keeps its own until the swap, so a kill at any point loses nothing."""
    if not output.is_dir():
        return
    if not delete_output:
        _merge(output, staging)
        return
    for name in retention or ():
        if os.path.lexists(output / name) and not os.path.lexists(staging / name):
            _link_tree(output / name, staging / name)


def _merge(old: Path, new: Path) -> None:
    with os.scandir(old) as listing:
        for entry in listing:
            target = new / entry.name
            if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
                _merge(Path(entry.path), target)
            elif not os.path.lexists(target) and not _stale_variant(entry.name, new):
                _link_tree(Path(entry.path), target)


def _stale_variant(name: str, new: Path) -> bool:
    """A precompressed ``x.html.br`` of an earlier build beside a new ``x.html``: served instead of it."""
    base, suffix = os.path.splitext(name)
    return suffix in (".br", ".gz") and os.path.lexists(new / base)


def _link_tree(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link)
    else:
        _link(source, target)


def _link(source, target) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:            # a file system without hard links
        shutil.copy2(source, target)


def recover(root: Path, output: str = "build") -> None:
    """For a command that reads an output folder (serve, publish): put right what a killed build left, as
    the next build would. Does nothing while a build runs in `root` (that build will). Costs one flock
    and one listing of the folder."""
    root = Path(root).resolve()
    try:
        with site_lock(root, wait=0) as held:
            if held:
                recover_locked(root, root / output)
    except OSError:            # not a folder we may write in: nothing of ours to put right either
        pass


def recover_locked(root: Path, output: Path) -> None:
    """With the lock held (so no `.build-*` folder is in use): undo every swap cut between its renames,
    then delete every other `.build-*` entry of the site folder, and those of `output` beside it when it
    lies elsewhere (a folder other sites may share)."""
    from .fingerprint import State

    stale = []
    for folder in dict.fromkeys((root, output.parent)):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            found = _SWAP_FOLDER.fullmatch(name)
            if name.startswith(".build-") and (folder == root or (found and found["output"] == output.name)):
                stale.append((folder / name, found["output"] if found else output.name, found))
    for path, owner, found in stale:
        target = path.with_name(owner)
        if found and found["kind"] == "old" and not os.path.lexists(target):
            State.forget(root, target)                # (it was, before the swap began: to be sure)
            try:
                path.rename(target)
            except OSError as error:
                raise SwapFailed(Problem(shown_path(path, root), 0, f"cannot put the previous build back: {error}",
                                          f"rename it to {shown_path(target, root)} yourself")) from error
    for path, owner, found in stale:
        if os.path.lexists(path):
            with contextlib.suppress(OSError):        # left for the next build to try again
                _delete_later(path, owner)


def _delete_later(path: Path, owner: str) -> None:
    """Delete `path` in a process of its own, once renamed to a name no later build reuses: `rm` finds
    folders by name, and `.build-NAME.old` may hold another build's output by the time it looks."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
        return
    found = _SWAP_FOLDER.fullmatch(path.name)
    if not (found and found["kind"].startswith("trash-")):
        trash = Path(tempfile.mkdtemp(prefix=f".build-{owner}.trash-", dir=path.parent))
        try:
            path.rename(trash)                       # onto the empty folder just made: one atomic step
        except OSError:
            trash.rmdir()
            raise
        path = trash
    rm = shutil.which("rm")
    if rm is None:
        shutil.rmtree(path, ignore_errors=True)
        return
    subprocess.Popen([rm, "-rf", "--", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


@contextlib.contextmanager
def site_lock(root: Path, wait: float | None = None):
    """Hold the build lock of the site folder `root`: an flock on `root/LOCK_FILE`, which the kernel
    releases when the process ends, killed or not. Another process holding it is waited for, said once
    on stderr, `wait` seconds at most (`LOCK_WAIT` by default), then SwapFailed; with `wait=0`, yields
    False at once instead. Re-entrant in one process: a build inside a build waits for nobody."""
    path, wait = root / LOCK_FILE, LOCK_WAIT if wait is None else wait
    if not _held_guard.acquire(blocking=wait != 0):     # another thread of this process builds
        yield False
        return
    try:
        if path in _held:
            yield True
            return
        path.parent.mkdir(exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            if not _acquire(descriptor, path, root, wait):
                yield False
                return
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)     # for the message of one that waits
            _held[path] = descriptor
            try:
                yield True
            finally:
                del _held[path]
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)
    finally:
        _held_guard.release()


def _acquire(descriptor: int, path: Path, root: Path, wait: float) -> bool:
    if _try_lock(descriptor):
        return True
    if wait <= 0:
        return False
    print(f"another build is running in this folder (pid {_holder(path)}); waiting…", file=sys.stderr, flush=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if _try_lock(descriptor):
            return True
    holder = _holder(path)
    raise SwapFailed(Problem(shown_path(path, root), 0,
                              f"another build in this folder (pid {holder}) still runs after {wait:.0f} s",
                              f"let it finish, or stop it (kill {holder}), then build again"))


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _holder(path: Path) -> str:
    """The pid the lock's holder wrote (it writes it just after taking the lock: a moment's wait)."""
    for _ in range(20):
        with contextlib.suppress(OSError):
            pid = path.read_text(encoding="ascii").strip()
            if pid:
                return pid
        time.sleep(0.01)
    return "unknown"
