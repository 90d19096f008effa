"""The swap of a build into place (islet.build.swap) with real processes: a build killed (SIGKILL) at any step of its swap is
put right by the next one, which leaves a whole build in the output folder and no `.build-*` folder behind; two
builds in one folder take turns."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

from islet.build import swap
from islet.build.fingerprint import State
from support.site import Site, folder_digest, make_site, write_files

V1 = {"content/articles/first.md": "Title: First\nDate: 2024-01-01\n\nThe first article.\n",
      "content/pages/about.md": "Title: About\n\nAbout this site.\n"}
V2 = {**V1, "content/articles/second.md": "Title: Second\nDate: 2024-02-01\n\nA second article.\n"}
BROKEN = {"content/articles/broken.md": "Title: Broken\nDate: 2024-03-01\n\n```widget carousel\nspeed: 3\n```\n"}

# `python KILLER build ARGS` is `python -m islet build ARGS`, killed by SIGKILL where the environment says:
# KILL=rename:K:before|after at the K-th rename of a `.build-*` folder (the swap's and recover's renames),
# KILL=pelican once Pelican has written the staging folder. LOCK_WAIT=S: wait S seconds for the lock.
KILLER = '''
import os, signal, sys

def die():
    os.kill(os.getpid(), signal.SIGKILL)

where, _, rest = os.environ.get("KILL", "").partition(":")
if where == "rename":
    nth, when = rest.split(":")
    real, calls = os.rename, [0]

    def rename(source, target, *args, **kwargs):
        if not any(os.path.basename(os.fspath(p)).startswith(".build-") for p in (source, target)):
            return real(source, target, *args, **kwargs)
        calls[0] += 1
        if calls[0] == int(nth) and when == "before":
            die()
        real(source, target, *args, **kwargs)
        if calls[0] == int(nth) and when == "after":
            die()

    os.rename = rename
elif where == "pelican":
    import pelican

    run = pelican.Pelican.run

    def run_then_die(self):
        run(self)
        die()

    pelican.Pelican.run = run_then_die
if "LOCK_WAIT" in os.environ:
    from islet.build import swap
    swap.LOCK_WAIT = float(os.environ["LOCK_WAIT"])
from islet.__main__ import main
sys.exit(main(sys.argv[1:]))
'''


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> dict[str, str]:
    """The output digests of V1 and V2, each built from nothing in a folder of its own."""
    digests = {}
    for name, files in (("v1", V1), ("v2", V2)):
        site = make_site(tmp_path_factory.mktemp(name) / "site", files)
        result = site.build()
        assert result.code == 0, result.stderr
        digests[name] = site.output_digest()
    return digests


@pytest.fixture
def killer(tmp_path):
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")

    def run(site: Site, kill: str = "", *args: str, **environment: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), "build", "--root", str(site.root), *args],
                              env={**os.environ, "KILL": kill, **environment},
                              capture_output=True, text=True, timeout=300)
    return run


@pytest.fixture
def site(tmp_path) -> Site:
    """V1 built, then edited to V2: the next build has work to do."""
    site = make_site(tmp_path / "site", V1)
    result = site.build()
    assert result.code == 0, result.stderr
    write_files(site.root, V2)
    return site


def swap_folders(site: Site) -> list[str]:
    return sorted(p.name for p in site.root.glob(".build-*"))


def assert_none_left(site: Site) -> None:
    """No `.build-*` folder, once the background deletions are done."""
    deadline = time.monotonic() + 20
    while swap_folders(site) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert swap_folders(site) == []


def assert_rebuilt(site: Site, whole: dict[str, str], output: str = "build") -> None:
    """The next build does the work (no state claims the output is V2's before it is), leaves V2's output and
    cleans up; the build after it has nothing to do."""
    result = site.build("--output", output)
    assert result.code == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("Built "), result.stdout
    assert site.output_digest(output) == whole["v2"]
    assert_none_left(site)
    assert "Nothing changed" in site.build("--output", output).stdout


# Where a build can be killed during its swap, and what it leaves (the output folder `build`):
KILL_POINTS = {
    "rename:1:before": "build/ the previous build, the staging folder complete",
    "rename:1:after": "build/ missing, the previous build in .build-build.old, the staging folder complete",
    "rename:2:after": "build/ the new build, the previous one in .build-build.old",
    "rename:3:after": "build/ the new build, the previous one in .build-build.trash-*, not being deleted",
}


@pytest.mark.parametrize("kill", KILL_POINTS, ids=KILL_POINTS.values())
def test_a_build_killed_during_the_swap_is_put_right_by_the_next(site, whole, killer, kill):
    killed = killer(site, kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert swap_folders(site), "the kill left something to put right"
    state = State.load(site.root, site.path("build"))
    assert state is None, "the state was forgotten before the swap began"
    if site.path("build").exists():
        assert site.output_digest() in (whole["v1"], whole["v2"])
    else:
        assert folder_digest(site.path(".build-build.old")) == whole["v1"]
    # The next build, even one that fails, leaves a whole build/: the previous one or the new one.
    write_files(site.root, BROKEN)
    failed = site.build()
    assert failed.code == 1 and "unknown widget 'carousel'" in failed.stderr, failed.stderr
    assert site.output_digest() in (whole["v1"], whole["v2"])
    os.remove(site.path("content/articles/broken.md"))
    assert_rebuilt(site, whole)


def test_another_output_name_is_put_right_and_builds_of_other_outputs_leave_it_whole(tmp_path, whole, killer):
    site = make_site(tmp_path / "site", V1)
    assert site.build("--output", "public").code == 0
    write_files(site.root, V2)
    killed = killer(site, "rename:1:after", "--output", "public")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not site.path("public").exists() and site.path(".build-public.old").is_dir()
    result = site.build()              # build/, in the same folder: puts public/ back, does not delete it
    assert result.code == 0, result.stderr
    assert site.output_digest("public") == whole["v1"] and site.output_digest() == whole["v2"]
    assert_rebuilt(site, whole, "public")


def test_a_build_killed_while_it_puts_a_killed_swap_right_is_put_right_too(site, whole, killer):
    assert killer(site, "rename:1:after").returncode == -signal.SIGKILL
    again = killer(site, "rename:1:after")      # its first rename puts build/ back
    assert again.returncode == -signal.SIGKILL, again.stderr
    assert site.output_digest() == whole["v1"]
    assert_rebuilt(site, whole)


def test_a_reader_of_the_output_puts_a_killed_swap_right(site, whole, killer):
    assert killer(site, "rename:1:after").returncode == -signal.SIGKILL
    swap.recover(site.root, "build")           # as serve or publish would before reading build/
    assert site.output_digest() == whole["v1"]
    assert not site.path(".build-build.old").exists()
    assert_rebuilt(site, whole)


def test_what_killed_builds_left_is_deleted_and_a_valid_build_stays(site, killer):
    os.remove(site.path("content/articles/second.md"))     # back to V1: build/ is up to date
    before = site.output_digest()
    killed = killer(site, "pelican", "--strict")            # another fingerprint: Pelican runs, then the kill
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    staging = swap_folders(site)
    assert len(staging) == 1 and staging[0].startswith(".build-build.new-")
    assert list(site.path(staging[0]).rglob("*.html")), "a full staging folder, left by a dead process"
    for name in (".build-k3j2h1g0", ".build-old-4242", ".build-public.new-abcd1234"):   # older islets', others'
        write_files(site.path(name), {"index.html": "stale"})
    result = site.build()
    assert "Nothing changed" in result.stdout, result.stdout + result.stderr
    assert site.output_digest() == before
    assert_none_left(site)


def test_two_builds_at_once_in_one_folder_both_succeed_with_a_whole_build(site, whole):
    command = [sys.executable, "-m", "islet", "build", "--root", str(site.root)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.communicate(timeout=300), run.returncode) for run in runs]
    assert [code for _, code in results] == [0, 0], results
    # (Usually one says "Built" and the other "Nothing changed"; not asserted: an edit of islet's own source
    # between them, as in a checkout being worked on, makes the second build again. The waiting is tested below.)
    assert site.output_digest() == whole["v2"]
    assert_none_left(site)


def test_a_build_waits_for_the_one_that_holds_the_folder_and_says_so_once(site, whole):
    lock = site.path(".cache/islet-build.lock")
    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.truncate(0)
        held.write(f"{os.getpid()}\n")
        held.flush()
        run = subprocess.Popen([sys.executable, "-m", "islet", "build", "--root", str(site.root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert run.stderr.readline().strip() == f"another build is running in this folder (pid {os.getpid()}); waiting…"
        time.sleep(0.5)
        assert run.poll() is None
    out, err = run.communicate(timeout=300)         # closed: the lock is free
    assert run.returncode == 0, err
    assert "waiting" not in err and out.strip().splitlines()[-1].startswith("Built ")
    assert site.output_digest() == whole["v2"]


def test_a_build_gives_up_after_waiting_its_time(site, killer):
    before = site.output_digest()
    with site.path(".cache/islet-build.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.truncate(0)
        held.write("4242\n")
        held.flush()
        result = killer(site, "", LOCK_WAIT="1")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "another build is running in this folder (pid 4242); waiting…"
    assert lines[1] == (".cache/islet-build.lock: another build in this folder (pid 4242) still runs after 1 s — "
                        "let it finish, or stop it (kill 4242), then build again")
    assert lines[-1].startswith("Build failed: 1 problem.")
    assert site.output_digest() == before


def test_builds_in_one_process_take_the_lock_again_and_let_it_go(site, whole, build_here, monkeypatch):
    """As livereload does: build after build in one process, and a build inside one that holds the lock."""
    monkeypatch.setattr(swap, "LOCK_WAIT", 5.0)       # a lock not let go fails the test, without hanging it
    build_here(site.root)
    write_files(site.root, {"content/pages/about.md": V1["content/pages/about.md"] + "\nMore.\n"})
    with swap.site_lock(site.root):
        build_here(site.root)
    write_files(site.root, V2)
    assert not build_here(site.root).skipped
    assert site.output_digest() == whole["v2"]
    with site.path(".cache/islet-build.lock").open("a") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)      # free: raises BlockingIOError if not


def test_a_helper_a_killed_build_forked_does_not_keep_the_lock(site):
    """Forked helpers outlive a killed build (an orphaned worker pool waits for work forever): they must not
    hold the lock too, or every later build would wait for them."""
    script = ("import os, signal, sys, time\n"
              "from pathlib import Path\n"
              "from islet.build import swap\n"
              "with swap.site_lock(Path(sys.argv[1])):\n"
              "    child = os.fork()\n"
              "    if child == 0:\n"
              "        os.dup2(os.open(os.devnull, os.O_RDWR), 1)\n"      # not the test's pipe: it waits for EOF
              "        os.dup2(1, 2)\n"
              "        time.sleep(60)\n"
              "        os._exit(0)\n"
              "    print(child, flush=True)\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    run = subprocess.run([sys.executable, "-c", script, str(site.root)], capture_output=True, text=True, timeout=60)
    helper = int(run.stdout)
    try:
        assert run.returncode == -signal.SIGKILL, run.stderr
        os.kill(helper, 0)                                  # still alive
        with site.path(".cache/islet-build.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)    # free: raises BlockingIOError if not
    finally:
        os.kill(helper, signal.SIGKILL)


# ------------------------------------------------ what stays in the output folder, as with plain Pelican

def tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def folders(tmp_path):
    """An earlier output (a GitHub Pages .git, a CNAME, a stale page with its precompressed variant, a page
    written again) and a new staging folder."""
    old, new = tmp_path / "output", tmp_path / "staging"
    write_files(old, {".git/HEAD": "ref: refs/heads/gh-pages\n", ".git/objects/ab/cd": "object", "CNAME": "x.org\n",
                      "stale.html": "old page", "index.html": "old index", "index.html.br": "old index, brotli",
                      "tag/old.html": "old tag page"})
    (old / "link.html").symlink_to("index.html")
    write_files(new, {"index.html": "new index", "tag/new.html": "new tag page"})
    return old, new


def test_with_delete_output_directory_off_every_earlier_file_stays_as_pelican_leaves_it(folders):
    old, new = folders
    swap.carry_over(old, new, False, [])
    assert tree(new) == {**{k: v for k, v in tree(old).items() if k not in ("index.html", "index.html.br")},
                         "index.html": b"new index", "tag/new.html": b"new tag page",
                         "link.html": b"new index"}                   # the link itself, to the new file
    assert (new / "link.html").is_symlink() and os.readlink(new / "link.html") == "index.html"
    assert os.stat(new / "CNAME").st_ino == os.stat(old / "CNAME").st_ino      # linked, not copied


def test_with_delete_output_directory_on_only_output_retention_stays(folders):
    old, new = folders
    swap.carry_over(old, new, True, [".git", "CNAME", "missing"])
    assert set(tree(new)) == {".git/HEAD", ".git/objects/ab/cd", "CNAME", "index.html", "tag/new.html"}
    swap.carry_over(old, new, True, None)                     # Pelican's default retention: nothing
    assert (new / "index.html").read_bytes() == b"new index"


def test_a_real_build_keeps_the_gh_pages_checkout_in_its_output(tmp_path):
    site = make_site(tmp_path / "site", V1)
    conf = site.path("pelicanconf.py")
    conf.write_text(conf.read_text() + '\nDELETE_OUTPUT_DIRECTORY = True\nOUTPUT_RETENTION = [".git"]\n')
    assert site.build().code == 0
    write_files(site.path("build"), {".git/HEAD": "ref: refs/heads/gh-pages\n", "stale.html": "gone next time"})
    assert site.build().code == 0
    assert site.path("build/.git/HEAD").read_text() == "ref: refs/heads/gh-pages\n"
    assert not site.path("build/stale.html").exists()
    conf.write_text(conf.read_text() + "\nDELETE_OUTPUT_DIRECTORY = False\n")
    write_files(site.path("build"), {"stale.html": "kept, as plain Pelican keeps it"})
    assert site.build().code == 0
    assert site.path("build/stale.html").is_file() and site.path("build/articles/first.html").is_file()
