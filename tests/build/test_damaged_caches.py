"""A damaged cache never reaches the output: whatever happens to a file of ``.cache/`` between two builds
(truncated, a byte or a letter's case changed, garbage, emptied, deleted: a full disk, a crash, a hand), the next
build succeeds and gives a clean build's bytes, with or without an edit. Each cache either checks what it
reads (packs, memos: checksums; widget folders: islet.build.sealed) or is only a hint.

A site of its own with a code block, a table widget, data, tags and a link, so that every cache has entries;
Hypothesis picks the file, the damage and whether an article is edited too. ``ISLET_DAMAGED_CACHES=200`` for a
longer search. It found the widget caches unchecked (damage to any of their files went into build/) and a
compiled template whose changed byte crashed the interpreter; a letter changed in a memo's pickle reached a page
too (now checked, tests/build/test_memo.py).
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.site import folder_digest, make_site

EXAMPLES = int(os.environ.get("ISLET_DAMAGED_CACHES", "16"))
ARTICLES = {
    "content/articles/a.md": "Title: A\nDate: 2026-01-01\nTags: x, y\n\nText with `code` and a "
                             "[link]({filename}/articles/b.md).\n\n```python\nprint(1)\n```\n\n"
                             "```widget table\nrows: data.known.rows\n```\n",
    "content/articles/b.md": "Title: B\nDate: 2026-01-02\nTags: y\n\nB text.\n",
    "content/data/known.json": '{"rows": [{"a": 1}, {"a": 2}]}',
}
EDITS = [None, "a", "b"]     # no edit, the article with the widget, the other one
DAMAGE = {
    "truncated": lambda data, rng: data[:len(data) // 2],
    "a byte changed": lambda data, rng: (lambda i: data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1:])(
        rng.randrange(len(data))) if data else b"x",
    "a letter's case changed": lambda data, rng: (lambda found: data if not found else (lambda i: data[:i] + bytes(
        [data[i] ^ 0x20]) + data[i + 1:])(rng.choice(found)))([i for i, b in enumerate(data) if 97 <= b <= 122]),
    "garbage": lambda data, rng: rng.randbytes(max(16, len(data))),
    "emptied": lambda data, rng: b"",
    "deleted": None,
}


def cli_build(root):
    run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(root)], capture_output=True, text=True,
                         timeout=300, cwd=root, env={**os.environ, "ISLET_SERVER": "off",
                                                     "ISLET_CACHE_DIR": str(root / ".cache")})
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return run


def edit(root, which):
    if which:
        with open(root / f"content/articles/{which}.md", "a", encoding="utf-8") as source:
            source.write("\nAn edited paragraph.\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the site's folder, a pristine copy of it, built with its caches; its cache files; {edit: a clean build's
    digest}). Examples damage the site in its own folder: cache entries are kept per output folder."""
    place = tmp_path_factory.mktemp("damaged")
    site = make_site(place / "site", ARTICLES)
    cli_build(site.root)
    shutil.copytree(site.root, place / "pristine", symlinks=True)
    files = sorted(p.relative_to(site.root).as_posix() for p in (site.root / ".cache").rglob("*")
                   if p.is_file() and p.name != "islet-build.lock")
    clean = {}
    for which in EDITS:
        twin = tmp_path_factory.mktemp("clean") / "site"
        shutil.copytree(site.root, twin, symlinks=True, ignore=shutil.ignore_patterns("build", ".cache"))
        edit(twin, which)
        cli_build(twin)
        clean[which] = folder_digest(twin / "build")
    return site.root, place / "pristine", files, clean


def restore(root, pristine):
    aside = Path(tempfile.mkdtemp(dir=root.parent)) / "old"   # (moved first: a build may still delete its old output)
    root.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)
    shutil.copytree(pristine, root, symlinks=True)


def test_every_kind_of_cache_has_files_to_damage_and_an_edit_uses_them(built):
    root, pristine, files, _ = built
    kinds = {name.split("/")[1] for name in files}
    assert {"reader", "objects", "render", "incremental", "islet-state", "compile", "scripts"} <= kinds
    restore(root, pristine)
    edit(root, "b")
    said = cli_build(root).stdout
    assert "Incremental: 1 sources from the cache" in said and "pages with unchanged inputs" in said, said


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(pick=st.integers(0, 10**6), how=st.sampled_from(sorted(DAMAGE)), which=st.sampled_from(EDITS),
       seed=st.integers(0, 99))
def test_a_damaged_cache_file_never_reaches_the_output(built, pick, how, which, seed):
    root, pristine, files, clean = built
    restore(root, pristine)
    damaged = root / files[pick % len(files)]
    if DAMAGE[how] is None:
        damaged.unlink()
    else:
        damaged.write_bytes(DAMAGE[how](damaged.read_bytes(), random.Random(seed)))
    edit(root, which)
    cli_build(root)
    assert folder_digest(root / "build") == clean[which], f"{files[pick % len(files)]} {how}"
