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
