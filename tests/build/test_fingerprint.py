"""islet.build.fingerprint: the versions of the libraries that shape the output, kept between builds."""
import os
import sys

from islet.build import fingerprint


def versions(kept):
    return fingerprint._versions.__wrapped__(kept)       # without the per-process cache


def test_versions_kept_in_a_file_are_those_importlib_metadata_gives(tmp_path):
    kept = tmp_path / "versions.json"
    fresh = versions(None)
    assert "pelican=" in fresh and f"python={sys.version}" in fresh
    assert versions(kept) == fresh and kept.is_file()
    kept.write_text(kept.read_text().replace("pelican=", "pelican=0.0.0-kept-"))
    assert versions(kept).startswith(fresh.split("pelican=")[0] + "pelican=0.0.0-kept-")    # read, not worked out


def test_versions_are_worked_out_again_when_a_package_folder_changed_or_the_file_is_damaged(tmp_path, monkeypatch):
    kept = tmp_path / "versions.json"
    packages = tmp_path / "lib" / "site-packages"
    packages.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(packages)])
    fresh = versions(kept)
    kept.write_text(kept.read_text().replace("pelican=", "pelican=stale-"))
    (packages / "newer_pelican-9.dist-info").mkdir()             # what installing a package does to its folder
    os.utime(packages, ns=(1, os.stat(packages).st_mtime_ns + 10**9))
    assert versions(kept) == fresh
    kept.write_text("{not json")
    assert versions(kept) == fresh
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])   # another search path: another lookup
    kept.write_text(kept.read_text().replace("pelican=", "pelican=stale-"))
    assert versions(kept) == fresh


def test_versions_are_kept_for_each_way_of_running_islet(tmp_path, monkeypatch):
    """`python -m islet` and a task runner search different paths: neither makes the other look them up again."""
    kept = tmp_path / "versions.json"
    one, two = list(sys.path), [str(tmp_path), *sys.path]
    for path in (one, two):
        monkeypatch.setattr(sys, "path", path)
        versions(kept)
    kept.write_text(kept.read_text().replace("pelican=", "pelican=remembered-"))
    for path in (one, two, one):
        monkeypatch.setattr(sys, "path", path)
        assert "pelican=remembered-" in versions(kept)


def test_the_scan_keeps_the_digest_of_every_source_islets_reader_reads():
    """fingerprint.MARKDOWN is written out (the scan runs before Pelican is imported): it must name exactly the
    extensions islet's reader takes, or a source's digest is not kept and the reader cache reads it again."""
    from islet.plugin import Reader

    assert {f".{extension}" for extension in Reader.file_extensions} == set(fingerprint.MARKDOWN)


# --- digests kept by file identity (fingerprint.Digests) -----------------------------------------------

import hashlib  # noqa: E402
import time  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def tree_digest(folder, digests=None, files=None):
    digest = hashlib.blake2b(digest_size=20)
    fingerprint._hash_tree(digest, folder, inside=os.path.realpath(folder), refused=[], files=files, digests=digests)
    return digest.hexdigest()


def scan_with_kept(folder, kept, files=None):
    digests = fingerprint.Digests(kept)
    found = tree_digest(folder, digests, files)
    digests.save()
    return found, digests


def test_a_file_rewritten_with_the_same_size_and_its_old_modification_time_is_read_again(tmp_path, monkeypatch):
    """The change time gives it away: no program can set it back."""
    monkeypatch.setattr(fingerprint.Digests, "RECENT_NS", 0)
    site, kept = tmp_path / "content", tmp_path / "digests.pickle"
    site.mkdir()
    page = site / "a.md"
    page.write_text("Title: A\n\nfirst")
    time.sleep(0.05)
    first, digests = scan_with_kept(site, kept)
    assert digests.added and kept.is_file()
    assert scan_with_kept(site, kept)[1].added is False           # all taken from what was kept: not saved again
    old = os.stat(page)
    time.sleep(0.05)
    page.write_text("Title: A\n\nfirsT")                          # same size
    os.utime(page, ns=(old.st_atime_ns, old.st_mtime_ns))        # and the modification time it had
    assert os.stat(page).st_mtime_ns == old.st_mtime_ns and os.stat(page).st_size == old.st_size
    assert scan_with_kept(site, kept)[0] == tree_digest(site) != first


def test_a_file_changed_just_before_the_scan_is_not_kept(tmp_path):
    """Within the clock's granularity a second write could leave its times as they are (git's racily clean)."""
    site, kept = tmp_path / "content", tmp_path / "digests.pickle"
    site.mkdir()
    (site / "a.md").write_text("fresh")
    _, digests = scan_with_kept(site, kept)
    assert not digests.added and not digests.seen and not kept.exists()


def test_a_damaged_or_missing_file_of_kept_digests_only_means_reading_every_file(tmp_path, monkeypatch):
    monkeypatch.setattr(fingerprint.Digests, "RECENT_NS", 0)
    site, kept = tmp_path / "content", tmp_path / "digests.pickle"
    site.mkdir()
    (site / "a.md").write_text("a")
    time.sleep(0.05)
    kept.write_bytes(b"not a pickle")
    assert scan_with_kept(site, kept)[0] == tree_digest(site)
    assert scan_with_kept(tmp_path / "gone", kept)[0] == tree_digest(tmp_path / "gone")


names = st.sampled_from(["a.md", "b.md", "sub/c.md", "sub/d.txt", "e.markdown"])
steps = st.lists(st.tuples(st.sampled_from(["write", "rewrite-same-time", "delete", "scan"]), names,
                           st.binary(max_size=6)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(steps=steps)
def test_the_digest_with_kept_digests_is_the_digest_read_from_scratch(tmp_path_factory, steps):
    """Whatever is written, deleted or rewritten under its old modification time between scans, a scan with the
    kept digests gives the digest (and the sources' digests for the reader cache) of one that reads every file."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint.Digests, "RECENT_NS", 0)
        root = tmp_path_factory.mktemp("digests")
        site, kept = root / "content", root / "digests.pickle"
        site.mkdir()
        for action, name, body in steps:
            path = site / name
            if action == "delete":
                path.unlink(missing_ok=True)
            elif action == "scan":
                time.sleep(0.02)          # (a later write then falls in another tick of the clock)
                kept_sources, fresh_sources = {}, {}
                assert scan_with_kept(site, kept, kept_sources)[0] == tree_digest(site, files=fresh_sources)
                assert kept_sources == fresh_sources
            else:
                path.parent.mkdir(exist_ok=True)
                old = os.stat(path) if path.exists() else None
                if action == "rewrite-same-time" and old is not None:      # other bytes, as many, the same time
                    path.write_bytes(bytes((b + 1) % 256 for b in path.read_bytes()))
                    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
                else:
                    path.write_bytes(body)
        time.sleep(0.02)
        assert scan_with_kept(site, kept)[0] == tree_digest(site)
